// The optimizer playground (docs/playground.md, and a compact copy in chapter 7).
// Plain JavaScript and SVG, no library. The update rules repeat the package's
// (src/zerodl/optimizers.py) operation by operation, in the same order, so a
// path drawn here is the package's path: tests/test_playground.py compares them.
(() => {
  "use strict";
  if (window.zerodlPlayground) {
    window.zerodlPlayground.mountAll();
    return;
  }

  // The stylesheet sits beside this script (stylesheets/ next to javascripts/), so the
  // pages that use the playground need only the <script> tag, and no other page loads either.
  const self = document.currentScript;
  if (self && self.src && !document.querySelector("link[data-zerodl-playground]")) {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("../stylesheets/playground.css", self.src).href;
    css.setAttribute("data-zerodl-playground", "");
    document.head.append(css);
  }

  const EPS = 1e-7; // the package's default eps (AdaGrad, RMSprop, Adam)
  const MAX_STEPS = 5000;
  const FAR = 1e12; // beyond this a coordinate is not drawn at all

  // --- functions: value and the closed-form gradient -----------------------------
  const FUNCTIONS = {
    book: {
      label: "書籍の関数 x²/20 + y²",
      view: [-10, 10, -5, 5],
      start: [-7, 2],
      marks: [[0, 0, "最小"]],
      levels: [0.1, 0.5, 1, 2, 3, 4.5, 6.5], // as zerodl.landscape.plot_path
      f: (x, y) => x ** 2 / 20.0 + y ** 2, // zerodl.landscape.bowl
      grad: (x, y) => [x / 10.0, 2.0 * y], // zerodl.landscape.bowl_grad
    },
    quad: {
      label: "細長い谷 (x² + κy²)/20（κ = 条件数）",
      view: [-10, 10, -5, 5],
      start: [-7, 2],
      marks: [[0, 0, "最小"]],
      levels: [0.1, 0.5, 1, 2, 3, 4.5, 6.5, 10, 20, 50, 100, 200, 500],
      f: (x, y, k) => (x * x + k * y * y) / 20,
      grad: (x, y, k) => [x / 10, (k * y) / 10],
    },
    rosenbrock: {
      label: "Rosenbrock (1 − x)² + 100(y − x²)²",
      view: [-2, 2, -1, 3],
      start: [-1.2, 1],
      marks: [[1, 1, "最小"]],
      levels: [0.1, 0.5, 2, 5, 10, 25, 50, 100, 200, 400, 800, 1600],
      f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
      grad: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
    },
    saddle: {
      label: "鞍点 x²/2 + y⁴/4 − y²/2",
      view: [-2, 2, -1.5, 1.5],
      start: [-1.8, 0.05],
      marks: [[0, 0, "鞍点"], [0, 1, "最小"], [0, -1, "最小"]],
      levels: [-0.2, -0.1, 0, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2],
      f: (x, y) => (x * x) / 2 + (y * y * y * y) / 4 - (y * y) / 2,
      grad: (x, y) => [x, y * y * y - y],
    },
  };

  // --- optimizers: one step on the two parameters p = [x, y] with gradients g ----
  // s is the optimizer's state, h the hyperparameters. Each line is a line of
  // src/zerodl/optimizers.py ("a -= b * c" there is "a = a - b * c" here).
  function adamStep(p, g, s, h, i) {
    s.m[i] = s.m[i] + (1 - h.beta1) * (g[i] - s.m[i]);
    s.v[i] = s.v[i] + (1 - h.beta2) * (g[i] * g[i] - s.v[i]);
    p[i] = p[i] - (s.lrT * s.m[i]) / (Math.sqrt(s.v[i]) + EPS);
  }
  function adamCount(s, h) {
    s.t += 1; // one count per parameter in the package; x and y always step together
    s.lrT = (h.lr * Math.sqrt(1.0 - h.beta2 ** s.t)) / (1.0 - h.beta1 ** s.t);
  }
  const OPTIMIZERS = [
    { id: "SGD", uses: [], step(p, g, s, h) {
      for (let i = 0; i < 2; i++) p[i] = p[i] - h.lr * g[i];
    } },
    { id: "Momentum", uses: ["momentum"], step(p, g, s, h) {
      for (let i = 0; i < 2; i++) {
        s.v[i] = s.v[i] * h.momentum;
        s.v[i] = s.v[i] - h.lr * g[i];
        p[i] = p[i] + s.v[i];
      }
    } },
    { id: "Nesterov", uses: ["momentum"], step(p, g, s, h) {
      for (let i = 0; i < 2; i++) {
        p[i] = p[i] + h.momentum * h.momentum * s.v[i];
        p[i] = p[i] - (1 + h.momentum) * h.lr * g[i];
        s.v[i] = s.v[i] * h.momentum;
        s.v[i] = s.v[i] - h.lr * g[i];
      }
    } },
    { id: "AdaGrad", uses: [], step(p, g, s, h) {
      for (let i = 0; i < 2; i++) {
        s.h[i] = s.h[i] + g[i] * g[i];
        p[i] = p[i] - (h.lr * g[i]) / (Math.sqrt(s.h[i]) + EPS);
      }
    } },
    { id: "RMSprop", uses: ["decay_rate"], step(p, g, s, h) {
      for (let i = 0; i < 2; i++) {
        s.h[i] = s.h[i] * h.decay_rate;
        s.h[i] = s.h[i] + (1 - h.decay_rate) * g[i] * g[i];
        p[i] = p[i] - (h.lr * g[i]) / (Math.sqrt(s.h[i]) + EPS);
      }
    } },
    { id: "Adam", uses: ["beta1", "beta2"], step(p, g, s, h) {
      adamCount(s, h);
      for (let i = 0; i < 2; i++) adamStep(p, g, s, h, i);
    } },
    // AdamW: for each parameter, first param *= 1 - lr * weight_decay, then Adam's step.
    { id: "AdamW", uses: ["beta1", "beta2", "weight_decay"], step(p, g, s, h) {
      adamCount(s, h);
      for (let i = 0; i < 2; i++) {
        p[i] = p[i] * (1 - h.lr * h.weight_decay);
        adamStep(p, g, s, h, i);
      }
    } },
  ];
  const BY_ID = Object.fromEntries(OPTIMIZERS.map((o) => [o.id, o]));

  const HYPER = {
    momentum: { label: "α（Momentum, Nesterov）", min: 0, max: 0.99, step: 0.01 },
    decay_rate: { label: "ρ（RMSprop の減衰率）", min: 0, max: 0.999, step: 0.001 },
    beta1: { label: "β₁（Adam, AdamW）", min: 0, max: 0.999, step: 0.001 },
    beta2: { label: "β₂（Adam, AdamW）", min: 0, max: 0.9999, step: 0.0001 },
    weight_decay: { label: "λ（AdamW の重み減衰）", min: 0, max: 0.5, step: 0.001, zero: true },
  };
  // Check like zerodl.optimizers.check_hyperparameter (and check_weight_decay, for AdamW's
  // lr and λ: field is the control's name, st the current settings): a message, or "" when fine.
  function problem(name, value, field, st) {
    if (!Number.isFinite(value)) return "数を入力してください";
    if (st && (field === "lr-AdamW" || field === "weight_decay")) {
      const lr = field === "lr-AdamW" ? value : st.lr.AdamW;
      const wd = field === "weight_decay" ? value : st.hyper.weight_decay;
      if (value >= 0 && lr * wd >= 1) return "AdamW の学習率 × λ は 1 未満にしてください（1 回ごとに W を 1 − ηλ 倍するので、0 や負の倍率になります）";
    }
    if (name === "lr" || name === "kappa") return value > 0 ? "" : "正の数を入力してください";
    if (name === "weight_decay") return value >= 0 ? "" : "0 以上の数を入力してください";
    if (name === "steps") return Number.isInteger(value) && value >= 1 && value <= MAX_STEPS ? "" : `1 から ${MAX_STEPS} の整数を入力してください`;
    if (name in HYPER) return value >= 0 && value < 1 ? "" : "0 以上 1 未満の数を入力してください";
    return "";
  }

  // The book's figure 6-8 (書籍の 6.1.7 節): 30 steps from (-7, 2); RMSprop as in chapter 7.
  const FIGURE_6_8 = {
    fn: "book", kappa: 20, steps: 30, start: [-7, 2],
    hyper: { momentum: 0.9, decay_rate: 0.99, beta1: 0.9, beta2: 0.999, weight_decay: 0.01 },
    lr: { SGD: 0.95, Momentum: 0.1, Nesterov: 0.1, AdaGrad: 1.5, RMSprop: 0.1, Adam: 0.3, AdamW: 0.3 },
    on: ["SGD", "Momentum", "AdaGrad", "Adam"],
  };

  /** The points visited: [[x0, y0], [x1, y1], ...], steps + 1 of them. */
  function run(o) {
    const fn = FUNCTIONS[o.fn || "book"];
    const opt = BY_ID[o.optimizer];
    if (!fn || !opt) throw new Error(`unknown function ${o.fn} or optimizer ${o.optimizer}`);
    const kappa = o.kappa ?? 20;
    const h = Object.assign({}, FIGURE_6_8.hyper, o);
    const steps = Math.min(Math.max(0, Math.floor(o.steps ?? 30)), MAX_STEPS);
    const p = [Number(o.start[0]), Number(o.start[1])];
    const s = { v: [0, 0], h: [0, 0], m: [0, 0], t: 0, lrT: 0 };
    const path = [[p[0], p[1]]];
    for (let k = 0; k < steps; k++) {
      opt.step(p, fn.grad(p[0], p[1], kappa), s, h);
      path.push([p[0], p[1]]);
    }
    return path;
  }

  // --- small DOM helpers ------------------------------------------------------------
  const SVG = "http://www.w3.org/2000/svg";
  function el(tag, attrs = {}, ...children) {
    const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === false || v == null) continue;
      if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    e.append(...children);
    return e;
  }
  const fmt = (v) => {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "inf" : "−inf";
    const a = Math.abs(v);
    const text = a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : v.toFixed(a >= 100 ? 1 : 4);
    return text.replace("-", "−");
  };
  const nice = (span) => {
    const raw = span / 4, e = 10 ** Math.floor(Math.log10(raw)), r = raw / e;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * e;
  };

  // Clip the segment a-b to the box [x0, x1] x [y0, y1] (Liang–Barsky); null if outside.
  function clip(a, b, box) {
    let t0 = 0, t1 = 1;
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const sides = [[-dx, a[0] - box[0]], [dx, box[1] - a[0]], [-dy, a[1] - box[2]], [dy, box[3] - a[1]]];
    for (const [p, q] of sides) {
      if (!Number.isFinite(p) || !Number.isFinite(q)) return null;
      if (p === 0) { if (q < 0) return null; continue; }
      const r = q / p;
      if (p < 0) { if (r > t1) return null; if (r > t0) t0 = r; }
      else { if (r < t0) return null; if (r < t1) t1 = r; }
    }
    return [[a[0] + t0 * dx, a[1] + t0 * dy], [a[0] + t1 * dx, a[1] + t1 * dy], t0 > 0, t1 < 1];
  }

  // Contour lines by marching squares on a grid of the function's values.
  function contours(fn, kappa, sx, sy) {
    const [x0, x1, y0, y1] = fn.view, NX = 96, NY = 60;
    const xs = Array.from({ length: NX + 1 }, (_, i) => x0 + ((x1 - x0) * i) / NX);
    const ys = Array.from({ length: NY + 1 }, (_, j) => y0 + ((y1 - y0) * j) / NY);
    const z = ys.map((y) => xs.map((x) => fn.f(x, y, kappa)));
    const out = [];
    const pt = (x, y) => `${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`;
    for (const level of fn.levels) {
      for (let j = 0; j < NY; j++) {
        for (let i = 0; i < NX; i++) {
          const c = [z[j][i], z[j][i + 1], z[j + 1][i + 1], z[j + 1][i]];
          const X = [xs[i], xs[i + 1], xs[i + 1], xs[i]], Y = [ys[j], ys[j], ys[j + 1], ys[j + 1]];
          const cross = [];
          for (let e = 0; e < 4; e++) {
            const a = c[e] - level, b = c[(e + 1) % 4] - level;
            if ((a < 0) !== (b < 0)) {
              const t = a / (a - b), n = (e + 1) % 4;
              cross.push(pt(X[e] + t * (X[n] - X[e]), Y[e] + t * (Y[n] - Y[e])));
            }
          }
          for (let k = 0; k + 1 < cross.length; k += 2) out.push(`M${cross[k]}L${cross[k + 1]}`);
        }
      }
    }
    return out.join("");
  }

  // --- one playground ---------------------------------------------------------------
  let counter = 0;
  const PAD = { l: 38, r: 8, t: 8, b: 26 };

  function mount(root) {
    if (root.dataset.mounted) return;
    root.dataset.mounted = "1";
    const uid = `pg${++counter}`;
    // The drawing is sized in CSS pixels (redrawn when the width changes), so its text
    // stays legible on a phone instead of shrinking with a fixed viewBox.
    let W = 600, H = 360;
    const compact = root.hasAttribute("data-compact");
    const st = JSON.parse(JSON.stringify(FIGURE_6_8));
    st.on = new Set(st.on);
    const controls = {}; // name -> {set(value)} to show a value set from the code (reset)
    root.textContent = "";

    // A number with a slider (linear or log) and a typed field; both labelled.
    function numeric(name, label, opt, get, set) {
      const id = `${uid}-${name}`;
      const toRange = (v) => (opt.log ? Math.log10(v) : v);
      const range = el("input", { type: "range", min: toRange(opt.min), max: toRange(opt.max),
        step: opt.log ? 0.01 : opt.step, "aria-label": `${label}（スライダー）`, "data-pg": `${name}-range` });
      const box = el("input", { type: "number", id, step: "any", inputmode: "decimal", "data-pg": name });
      const err = el("span", { class: "pg-error", id: `${id}-err`, "aria-live": "polite" });
      box.setAttribute("aria-describedby", err.id);
      const show = (v) => { box.value = String(v); range.value = String(toRange(v)); };
      const accept = (v, from) => {
        const why = problem(opt.check || name, v, name, st);
        err.textContent = why;
        box.setCustomValidity(why);
        if (why) return;
        set(v);
        if (from !== box) box.value = String(v);
        if (from !== range) range.value = String(toRange(v));
        update();
      };
      range.addEventListener("input", () => {
        let v = Number(range.value);
        v = opt.log ? Number((10 ** v).toPrecision(2)) : v;
        accept(opt.integer ? Math.round(v) : v, range);
      });
      box.addEventListener("input", () => accept(box.value.trim() === "" ? NaN : Number(box.value), box));
      controls[name] = { set: show, range };
      show(get());
      return el("div", { class: "pg-field" }, el("label", { for: id, text: label }), range, box, err);
    }
    const details = (title, ...children) =>
      el("details", { class: "pg-section example", open: !compact }, el("summary", { text: title }), ...children);

    // The plot.
    const svg = el("svg:svg", { class: "pg-plot", role: "group",
      "aria-label": "等高線と最適化の道筋。クリックまたはタップした点から始まります" });
    const gContour = el("svg:path", { class: "pg-contour" });
    const gAxes = el("svg:g", { class: "pg-axes" });
    const gPaths = el("svg:g");
    const gMarks = el("svg:g");
    const handle = el("svg:g", { class: "pg-handle", tabindex: 0, role: "button", "data-pg": "handle" },
      el("svg:circle", { r: 16, class: "pg-hit" }), el("svg:circle", { r: 6 }));
    const bg = el("svg:rect", { x: PAD.l, y: PAD.t, class: "pg-bg" });
    svg.append(bg, gContour, gAxes, gPaths, gMarks, handle);

    const legend = el("ul", { class: "pg-legend", "data-pg": "legend" });

    // Controls: the problem.
    const fnSelect = el("select", { id: `${uid}-fn`, "data-pg": "fn" },
      ...Object.entries(FUNCTIONS).map(([k, f]) => el("option", { value: k, text: f.label })));
    fnSelect.addEventListener("change", () => {
      st.fn = fnSelect.value;
      st.start = FUNCTIONS[st.fn].start.slice();
      showStart();
      redrawField();
      update();
    });
    const kappaField = numeric("kappa", "条件数 κ", { min: 1, max: 1000, log: true }, () => st.kappa,
      (v) => { st.kappa = v; redrawField(); });
    const startX = numeric("x0", "開始点 x", { min: -10, max: 10, step: 0.1, check: "start" }, () => st.start[0],
      (v) => { st.start[0] = v; });
    const startY = numeric("y0", "開始点 y", { min: -5, max: 5, step: 0.1, check: "start" }, () => st.start[1],
      (v) => { st.start[1] = v; });
    const reset = el("button", { type: "button", class: "md-button", "data-pg": "reset", text: "書籍の図 6-8 の設定に戻す" });
    reset.addEventListener("click", () => {
      const d = FIGURE_6_8;
      Object.assign(st, { fn: d.fn, kappa: d.kappa, steps: d.steps, start: d.start.slice() });
      Object.assign(st.hyper, d.hyper);
      Object.assign(st.lr, d.lr);
      st.on = new Set(d.on);
      fnSelect.value = st.fn;
      controls.kappa.set(st.kappa);
      controls.steps.set(st.steps);
      for (const k in st.hyper) controls[k].set(st.hyper[k]);
      for (const id in st.lr) controls[`lr-${id}`].set(st.lr[id]);
      root.querySelectorAll("[data-pg^='on-']").forEach((c) => { c.checked = st.on.has(c.dataset.pg.slice(3)); });
      root.querySelectorAll(".pg-error").forEach((e) => { e.textContent = ""; });
      root.querySelectorAll("input").forEach((e) => e.setCustomValidity(""));
      redrawField();
      update();
    });
    const problemBox = details("関数・開始点・回数",
      el("div", { class: "pg-field" }, el("label", { for: fnSelect.id, text: "関数" }), fnSelect),
      kappaField, startX, startY,
      numeric("steps", "更新の回数", { min: 1, max: 300, step: 1, integer: true }, () => st.steps, (v) => { st.steps = v; }));

    // Controls: the optimizers, each with its own learning rate (log slider).
    const rows = OPTIMIZERS.map((o, n) => {
      const check = el("input", { type: "checkbox", id: `${uid}-on-${o.id}`, "data-pg": `on-${o.id}` });
      check.checked = st.on.has(o.id);
      check.addEventListener("change", () => { check.checked ? st.on.add(o.id) : st.on.delete(o.id); update(); });
      const field = numeric(`lr-${o.id}`, `${o.id} の学習率`, { min: 1e-4, max: 100, log: true, check: "lr" },
        () => st.lr[o.id], (v) => { st.lr[o.id] = v; });
      field.firstChild.classList.add("pg-sr");
      return el("div", { class: "pg-opt", style: `--c: var(--pg-c${n})` },
        el("label", { for: check.id, class: "pg-name" }, check, el("span", { class: "pg-swatch", "aria-hidden": "true" }), o.id), field);
    });
    const optBox = details("手法と学習率", el("p", { class: "pg-hint", text: "学習率のスライダーは対数目盛りです。数値は入力もできます。" }), ...rows);
    const hyperBox = details("ハイパーパラメータ", ...Object.entries(HYPER).map(([k, h]) =>
      numeric(k, h.label, h, () => st.hyper[k], (v) => { st.hyper[k] = v; })));

    root.append(el("div", { class: "pg-figure" }, svg, legend),
      el("div", { class: "pg-controls" }, optBox, problemBox, hyperBox, el("p", {}, reset)));

    // Geometry of the current view.
    let sx, sy, box;
    function showStart() { controls.x0.set(st.start[0]); controls.y0.set(st.start[1]); }
    function redrawField() {
      const fn = FUNCTIONS[st.fn];
      const [x0, x1, y0, y1] = fn.view;
      box = fn.view;
      W = Math.round(Math.min(Math.max(root.clientWidth || 600, 300), 800));
      H = Math.round(W * (W < 500 ? 0.75 : 0.56));
      svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
      bg.setAttribute("width", W - PAD.l - PAD.r);
      bg.setAttribute("height", H - PAD.t - PAD.b);
      sx = (x) => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
      sy = (y) => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
      kappaField.hidden = st.fn !== "quad";
      for (const [name, lo, hi] of [["x0", x0, x1], ["y0", y0, y1]]) {
        Object.assign(controls[name].range, { min: lo, max: hi, step: (hi - lo) / 200 });
      }
      showStart();
      gContour.setAttribute("d", contours(fn, st.kappa, sx, sy));
      gAxes.textContent = "";
      const tick = (x, y, text, anchor) => gAxes.append(el("svg:text", { x, y, "text-anchor": anchor, text }));
      for (const [lo, hi, horizontal] of [[x0, x1, true], [y0, y1, false]]) {
        const d = nice(hi - lo);
        for (let v = Math.ceil(lo / d) * d; v <= hi + 1e-9; v += d) {
          const label = fmtTick(v);
          if (horizontal) tick(sx(v), H - 8, label, "middle");
          else tick(PAD.l - 5, sy(v) + 4, label, "end");
        }
      }
      gAxes.append(el("svg:text", { x: W - PAD.r - 2, y: H - PAD.b - 5, "text-anchor": "end", class: "pg-axis-name", text: "x" }),
        el("svg:text", { x: PAD.l + 5, y: PAD.t + 14, class: "pg-axis-name", text: "y" }));
      for (const [mx, my, name] of fn.marks) {
        gAxes.append(el("svg:path", { class: "pg-mark", d: `M${sx(mx) - 6} ${sy(my)}h12M${sx(mx)} ${sy(my) - 6}v12` },
          el("svg:title", { text: `${name} (${mx}, ${my})` })));
      }
    }
    const fmtTick = (v) => String(Math.round(v * 1e6) / 1e6).replace("-", "−");

    // Compute every chosen optimizer's path, draw it, and publish it for tests.
    function update() {
      const fn = FUNCTIONS[st.fn];
      const [bx0, bx1, by0, by1] = box;
      const inside = (p) => p[0] >= bx0 && p[0] <= bx1 && p[1] >= by0 && p[1] <= by1;
      const f0 = fn.f(st.start[0], st.start[1], st.kappa);
      const paths = {};
      gPaths.textContent = "";
      gMarks.textContent = "";
      legend.textContent = "";
      OPTIMIZERS.forEach((o, n) => {
        if (!st.on.has(o.id)) return;
        const path = run(Object.assign({ fn: st.fn, optimizer: o.id, lr: st.lr[o.id], steps: st.steps,
          start: st.start, kappa: st.kappa }, st.hyper, { lr: st.lr[o.id] }));
        paths[o.id] = path;
        let d = "", penUp = true, exit = null, last = null, broken = false;
        for (let k = 1; k < path.length && !broken; k++) {
          const a = path[k - 1], b = path[k];
          if (!b.every((v) => Number.isFinite(v) && Math.abs(v) < FAR)) { broken = true; break; }
          const c = clip(a, b, box);
          if (!c) { penUp = true; continue; }
          if (penUp || c[2]) d += `M${sx(c[0][0]).toFixed(1)} ${sy(c[0][1]).toFixed(1)}`;
          d += `L${sx(c[1][0]).toFixed(1)} ${sy(c[1][1]).toFixed(1)}`;
          penUp = c[3];
          if (c[3]) exit = c[1];
          last = c[1];
        }
        const end = path[path.length - 1];
        const fEnd = fn.f(end[0], end[1], st.kappa);
        const diverged = broken || !(Number.isFinite(fEnd)) || (!inside(end) && fEnd > f0);
        const g = el("svg:g", { class: "pg-run", "data-optimizer": o.id, style: `--c: var(--pg-c${n})` },
          el("svg:path", { class: "pg-path", d: d || "M0 0", "stroke-dasharray": n % 2 ? "7 3" : null }));
        if (path.length <= 151) {
          for (const p of path) if (inside(p)) g.append(el("svg:circle", { class: "pg-dot", r: 2.5, cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1) }));
        }
        gPaths.append(g);
        if (diverged) {
          const at = exit || last || st.start;
          // A cross where the path last left the plot (kept inside it), and the word.
          const px = Math.min(Math.max(sx(at[0]), PAD.l + 8), W - PAD.r - 50);
          const py = Math.min(Math.max(sy(at[1]), PAD.t + 12), H - PAD.b - 10);
          gMarks.append(el("svg:g", { class: "pg-diverged", "data-optimizer": o.id, style: `--c: var(--pg-c${n})` },
            el("svg:path", { d: `M${px - 5} ${py - 5}l10 10m0 -10l-10 10` }),
            el("svg:text", { x: px + 9, y: py + 5, text: "発散" })));
        }
        const status = diverged ? "発散" : inside(end) ? "" : "（図の外）";
        legend.append(el("li", { style: `--c: var(--pg-c${n})`, "data-optimizer": o.id, "data-status": diverged ? "diverged" : "ok" },
          el("span", { class: "pg-swatch", "aria-hidden": "true" }),
          el("span", { class: "pg-name", text: `${o.id}（η = ${st.lr[o.id]}）` }),
          el("span", { text: `${st.steps} 回後 (${fmt(end[0])}, ${fmt(end[1])})、f = ${fmt(fEnd)} ${status}` })));
      });
      if (!legend.childElementCount) legend.append(el("li", { text: "手法を 1 つ以上選んでください。" }));
      // Read by tests/test_playground.py; inf and NaN as the strings "Infinity", "-Infinity", "NaN".
      root.dataset.paths = JSON.stringify(paths, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v));
      const [hx, hy] = st.start;
      handle.setAttribute("transform", `translate(${Math.min(Math.max(sx(hx), PAD.l), W - PAD.r)} ${Math.min(Math.max(sy(hy), PAD.t), H - PAD.b)})`);
      handle.setAttribute("aria-label", `開始点 (${fmt(hx)}, ${fmt(hy)})。矢印キーで動かせます`);
    }

    // Start point: click or tap on the plot, drag the handle, or arrow keys on it.
    function toData(evt) {
      const p = new DOMPoint(evt.clientX, evt.clientY).matrixTransform(svg.getScreenCTM().inverse());
      const [x0, x1, y0, y1] = box;
      const x = x0 + ((p.x - PAD.l) / (W - PAD.l - PAD.r)) * (x1 - x0);
      const y = y0 + ((H - PAD.b - p.y) / (H - PAD.t - PAD.b)) * (y1 - y0);
      const round = (v, span) => Number(v.toFixed(Math.max(0, 3 - Math.floor(Math.log10(span)))));
      return [round(Math.min(Math.max(x, x0), x1), x1 - x0), round(Math.min(Math.max(y, y0), y1), y1 - y0)];
    }
    function moveStart(p) { st.start = p; showStart(); update(); }
    let dragging = null;
    svg.addEventListener("click", (evt) => { if (!handle.contains(evt.target)) moveStart(toData(evt)); });
    handle.addEventListener("pointerdown", (evt) => {
      dragging = evt.pointerId;
      handle.setPointerCapture(evt.pointerId);
      evt.preventDefault();
    });
    handle.addEventListener("pointermove", (evt) => { if (dragging === evt.pointerId) moveStart(toData(evt)); });
    const stop = () => { dragging = null; };
    handle.addEventListener("pointerup", stop);
    handle.addEventListener("pointercancel", stop);
    handle.addEventListener("keydown", (evt) => {
      const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
      if (!(evt.key in dirs)) return;
      evt.preventDefault();
      const [x0, x1, y0, y1] = box;
      const k = evt.shiftKey ? 10 : 1;
      const sxp = (x1 - x0) / 100, syp = (y1 - y0) / 100;
      const r = (v) => Number(v.toFixed(6));
      moveStart([r(st.start[0] + dirs[evt.key][0] * k * sxp), r(st.start[1] + dirs[evt.key][1] * k * syp)]);
    });

    fnSelect.value = st.fn;
    redrawField();
    update();
    if (window.ResizeObserver) {
      new ResizeObserver(() => {
        const w = Math.round(Math.min(Math.max(root.clientWidth || 600, 300), 800));
        if (Math.abs(w - W) > 8) { redrawField(); update(); }
      }).observe(root);
    }
  }

  // The playground page's widget is mounted at once: the page's script tag follows it and is not
  // deferred, so it is drawn in the first frame and nothing below it moves. A compact copy inside a
  // chapter is computed only when the reader comes near it, in an idle moment: the chapter loads
  // without that work.
  function mountLater(root) {
    if (root.dataset.mounted || root.dataset.waiting) return;
    root.dataset.waiting = "1";
    const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 1));
    const go = () => idle(() => mount(root), { timeout: 500 });
    if (!window.IntersectionObserver) return go();
    const near = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { near.disconnect(); go(); }
    }, { rootMargin: "600px 0px" });
    near.observe(root);
  }
  function mountAll() {
    document.querySelectorAll(".zerodl-playground").forEach((root) =>
      (root.hasAttribute("data-compact") ? mountLater(root) : mount(root)));
  }
  window.zerodlPlayground = { run, mountAll, mount, functions: FUNCTIONS, optimizers: OPTIMIZERS.map((o) => o.id), figure68: FIGURE_6_8 };
  mountAll();  // those already parsed (the script follows its widget)
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  // mkdocs-material's instant navigation swaps the page without reloading scripts.
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(mountAll);
})();
