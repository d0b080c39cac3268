// After material's script has laid out a page (document$, also on instant navigation):
// - a code block, table, wide equation or the search results, when they scroll,
//   can be reached with the keyboard (Tab, then the arrow keys), as readers without a
//   mouse need; one that fits gets no tab stop;
// - each code block's button bar (a <nav> of material's) is named after its block, so a
//   screen reader's list of landmarks tells them apart.
(() => {
  const SCROLLERS = ".md-typeset pre > code, .md-typeset__scrollwrap, .md-typeset .katex-display, .md-search__scrollwrap";
  const focusable = new ResizeObserver((entries) => {
    // every size read first, then every change: one layout for the lot, not one per element
    const scrolls = entries.map(({ target }) =>
      target.scrollWidth > target.clientWidth + 1 || target.scrollHeight > target.clientHeight + 1);
    entries.forEach(({ target }, n) => {
      if (scrolls[n]) target.setAttribute("tabindex", "0");
      else if (target.dataset.zerodlScroll) target.removeAttribute("tabindex");
      target.dataset.zerodlScroll = "1";
    });
  });
  const label = () => {
    document.querySelectorAll(".md-code__nav:not([aria-label])").forEach((nav, n) => {
      nav.setAttribute("aria-label", `コード ${n + 1} のボタン`);
    });
  };
  const prepare = () => {
    document.querySelectorAll(SCROLLERS).forEach((el) => {
      if (!el.hasAttribute("tabindex")) focusable.observe(el);
    });
    label();
    // material adds the copy buttons as it mounts the code blocks: name those too.
    requestAnimationFrame(label);
  };
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(prepare);
  else prepare();
})();
