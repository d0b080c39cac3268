// Render the math with the KaTeX copy served by this site (docs/assets/katex).
// document$ fires on every page load.
//  - chapters: pymdownx.arithmatex marks math up as .arithmatex with \( \) and \[ \];
//  - notebook pages (mkdocs-jupyter): markdown cells keep the notebook's $ and $$.
document$.subscribe(({ body }) => {
  for (const element of body.querySelectorAll(".arithmatex")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    });
  }
  for (const element of body.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown")) {
    renderMathInElement(element, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "$", right: "$", display: false },
      ],
      ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code"],
      throwOnError: false,
    });
  }
});
