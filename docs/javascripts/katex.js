// Render the math that pymdownx.arithmatex marked up, with the KaTeX copy
// served by this site (docs/assets/katex). document$ fires on every page load.
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
});
