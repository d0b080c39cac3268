"""The literate machinery of zerodl, in stages: tangle → render → lay out → check.

``pages``  the blocks and chains of a page (pytest-codeblocks' extractor);
``tangle`` the ``#| file:`` blocks into ``src/zerodl`` (and the drift check);
``render`` every page run once, cached, into Markdown with outputs, figures and notebooks;
``run``    one page in processes of its own (``figures`` is its matplotlib backend);
``typeset``  the math as MathML at build time (KaTeX in an embedded V8);
``highlight``  a Pygments filter: fewer elements per code block;
``notebooks``  the notebook downloads and the experiments' notebooks;
``pytest_pages``  the chapters' blocks as tests of that one run;
``sitecheck``, ``svg``, ``config``, ``atomic``  small helpers.
``tools/hooks.py`` lets MkDocs lay out what ``render`` made.
"""
