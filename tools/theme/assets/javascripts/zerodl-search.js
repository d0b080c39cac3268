/*
 * The site's search box (partials/search.html) over the index that Pagefind
 * writes into pagefind/ at build time (tools/pagefind_search.py).
 *
 * Nothing of it is fetched before the reader opens the box: then this module
 * (the box's inline script in search.html imports it), Pagefind's script and
 * WebAssembly, and for each query the index chunks of its words and the text
 * of the pages it finds.
 *
 * Japanese: the index keeps each Japanese character as a word of its own
 * (Pagefind's build-time and in-browser word splitting of Japanese disagree:
 * ハイパーパラメータ is one word for one and two for the other, and the search
 * found nothing). So the box splits what the reader types the same way, asks
 * Pagefind for the pages that contain each typed word as written (a quoted,
 * exact search), and orders them: the pages whose title contains what was
 * typed, then those with a section heading that contains it (a title or
 * heading that is exactly what was typed before those), then Pagefind's score.
 */
{
  const box = document.querySelector("[data-zerodl-search]");
  const toggle = document.getElementById("__search");
  const form = box.querySelector("form");
  const input = box.querySelector(".md-search__input");
  const status = box.querySelector(".md-search-result__meta");
  const list = box.querySelector(".md-search-result__list");
  const bundle = new URL(box.dataset.bundle, location.href);

  const MAX_PAGES = 10; // results shown
  const CANDIDATES = 16; // pages whose text is fetched to order and show them
  const MAX_SECTIONS = 3; // sections shown under a page
  const CONTEXT = 36; // characters of text around a match in an excerpt

  // Japanese characters, each a word of the index. The same ranges as CJK in tools/pagefind_search.py.
  const CJK = "\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f";
  const ONE_CJK = new RegExp(`([${CJK}])`, "gu");
  const HAS_CJK = new RegExp(`[${CJK}]`, "u");
  const HIRAGANA = /[\u3041-\u309f]+/u;
  const ZWSP = /\u200b/g; // Pagefind's word boundaries in the text it returns

  /** What the index can match: full-width Latin letters as ASCII, no punctuation or symbols
   * (nor sub- and superscripts: the browser splits x₀² into x / ₀ / ², the index keeps it whole). */
  function words(query) {
    return query
      .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
      .replace(/[^\p{L}\p{Nd}\p{Nl}\p{M}_]+/gu, " ")
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  }
  const spaced = (word) => word.replace(ONE_CJK, " $1 ").replace(/\s+/g, " ").trim();
  const squeeze = (text) => text.replace(ZWSP, "");
  const plain = (text) => words(text).join("").toLowerCase(); // for "does this heading contain the query"

  let pagefind = null;
  function load() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind.js", bundle).href).then(async (module) => {
        // exactDiacritics: Pagefind would otherwise fold バ into ハ (the voiced mark as a diacritic).
        await module.options({ baseUrl: new URL("..", bundle).pathname, exactDiacritics: true });
        await module.init();
        return module;
      });
      pagefind.catch(() => { pagefind = null; });
    }
    return pagefind;
  }

  /** The pages for ``query``, best first ({result, page, sections, rank}), how many there
   * are, and the words they were found by (to mark). */
  async function find(query) {
    let typed = words(query);
    const module = await load();
    const found = await module.search(typed.map(spaced).join(" "));
    let results = await containing(module, found.results, typed);
    if (!results.length) {
      // No page writes it as typed: the words between the particles (重みの初期化 → 重, 初期化).
      typed = typed.flatMap((w) => w.split(HIRAGANA)).filter(Boolean);
      results = await containing(module, found.results, typed);
    }
    const pages = await Promise.all(
      results.slice(0, CANDIDATES).map(async (result) => ({ result, page: await result.data() })),
    );
    const wanted = plain(query);
    for (const entry of pages) {
      const { page } = entry;
      const titles = [page.meta.title, page.meta.nav].filter(Boolean).map((t) => plain(squeeze(t)));
      entry.sections = sections(page);
      const headings = entry.sections.filter((s) => s.level > 1).map((s) => plain(s.title));
      entry.rank = titles.includes(wanted) ? 4 : headings.includes(wanted) ? 3
        : titles.some((t) => t.includes(wanted)) ? 2 : headings.some((h) => h.includes(wanted)) ? 1 : 0;
    }
    pages.sort((a, b) => b.rank - a.rank || b.result.score - a.result.score);
    return { pages: pages.slice(0, MAX_PAGES), total: results.length, typed };
  }

  /** Those of ``results`` whose page contains each Japanese word of ``typed`` as written. */
  async function containing(module, results, typed) {
    for (const word of typed.filter((w) => HAS_CJK.test(w))) {
      const exact = await module.search(`"${spaced(word)}"`);
      const ids = new Set(exact.results.map((r) => r.id));
      results = results.filter((r) => ids.has(r.id));
    }
    return results;
  }

  /** The page's headings with the text under each (Pagefind's anchors are word positions). */
  function sections(page) {
    const parts = page.raw_content.split("\u200b"); // raw: with Pagefind's word boundaries
    const heads = page.anchors.filter((a) => /^h[1-6]$/.test(a.element)).sort((a, b) => a.location - b.location);
    return heads.map((head, i) => {
      const end = i + 1 < heads.length ? heads[i + 1].location : parts.length;
      const title = squeeze(head.text).trim();
      let text = parts.slice(head.location, end).join("").replace(/\s+/g, " ").trim();
      if (text.startsWith(title)) text = text.slice(title.length).replace(/^[\s.]+/, "");
      return { level: Number(head.element[1]), id: head.id, title, text };
    });
  }

  // --- showing the results -----------------------------------------------------------

  /** The typed words, any case (no "g" flag: ``test`` and ``exec`` keep no state). */
  function matcher(typed) {
    const escaped = typed.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(escaped.join("|"), "iu");
  }

  /** ``text`` as nodes, the typed words marked. */
  function marked(text, pattern) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(new RegExp(pattern.source, "giu"))) {
      if (!match[0]) continue;
      fragment.append(text.slice(last, match.index));
      const mark = document.createElement("mark");
      mark.textContent = match[0];
      fragment.append(mark);
      last = match.index + match[0].length;
    }
    fragment.append(text.slice(last));
    return fragment;
  }

  /** A piece of ``text`` around its first match (or its beginning). */
  function excerpt(text, pattern) {
    const match = pattern.exec(text);
    const at = match ? match.index : 0;
    const start = Math.max(0, at - CONTEXT);
    const end = Math.min(text.length, (match ? at + match[0].length : 0) + 2 * CONTEXT);
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }

  function entry(href, title, text, pattern, level) {
    const link = document.createElement("a");
    link.href = href;
    link.className = "md-search-result__link";
    const article = document.createElement("article");
    article.className = "md-search-result__article md-typeset" + (level === 1 ? " md-search-result__article--document" : "");
    if (level === 1) {
      const icon = document.createElement("div");
      icon.className = "md-search-result__icon md-icon";
      article.append(icon);
    }
    const heading = document.createElement(level === 1 ? "h1" : "h2");
    heading.append(marked(title, pattern));
    article.append(heading);
    if (text) {
      const paragraph = document.createElement("p");
      paragraph.append(marked(excerpt(text, pattern), pattern));
      article.append(paragraph);
    }
    link.append(article);
    return link;
  }

  function show(query, { pages, total, typed }) {
    list.replaceChildren();
    list.dataset.query = query; // what the list shows the results of
    status.textContent = total === 0 ? box.dataset.none
      : total === 1 ? box.dataset.one : box.dataset.other.replace("#", String(total));
    if (!pages.length) return;
    const pattern = matcher(typed);
    for (const { page, sections: parts } of pages) {
      const item = document.createElement("li");
      item.className = "md-search-result__item";
      const url = page.url;
      const [top, ...rest] = parts;
      const title = squeeze(page.meta.title || (top && top.title) || url);
      const intro = top ? top.text : page.content;
      const sectionHit = rest.some((s) => pattern.test(s.title) || pattern.test(s.text));
      item.append(entry(url, title, pattern.test(intro) || !sectionHit ? intro : "", pattern, 1));
      // Sections whose heading has the words first, then those whose text has them.
      const chosen = rest.filter((s) => pattern.test(s.title))
        .concat(rest.filter((s) => !pattern.test(s.title) && pattern.test(s.text)))
        .slice(0, MAX_SECTIONS);
      for (const section of chosen) item.append(entry(`${url}#${section.id}`, section.title, section.text, pattern, 2));
      list.append(item);
    }
  }

  // --- the box ---------------------------------------------------------------------------

  let asked = ""; // the query of the results shown (or being found)
  let timer = 0;
  function update() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = input.value;
      if (query === asked) return;
      asked = query;
      if (!words(query).length) {
        list.replaceChildren();
        list.dataset.query = query;
        status.textContent = box.dataset.placeholder;
        return;
      }
      try {
        const results = await find(query);
        if (asked === query) show(query, results); // a later query may have been typed meanwhile
      } catch (error) {
        list.replaceChildren();
        list.dataset.query = query;
        status.textContent = box.dataset.none;
        console.warn("search:", error);
      }
    }, 60); // ms after the last key: a search per pause, not per key
  }

  function open() {
    if (!toggle.checked) toggle.checked = true;
    load();
  }
  function close() {
    toggle.checked = false;
    input.blur();
  }

  input.addEventListener("focus", open);
  for (const event of ["input", "keyup", "compositionend"]) input.addEventListener(event, update);
  toggle.addEventListener("change", () => {
    if (toggle.checked) load();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const first = list.querySelector("a");
    if (first) first.click();
  });
  form.addEventListener("reset", () => setTimeout(update));
  list.addEventListener("click", (event) => {
    if (event.target.closest("a")) close();
  });
  box.addEventListener("keydown", (event) => {
    const links = [...list.querySelectorAll("a")];
    const at = links.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      (at === 0 ? input : links[at - 1]).focus();
    }
  });
  // Imported when the reader focused the box: what was typed meanwhile is searched now.
  if (document.activeElement === input) open();
  update();
}
