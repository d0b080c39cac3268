"""The literate machinery of zerodl.

``fences``   finds the Python code blocks of a Markdown chapter;
``tangle``   writes the ``#| file:`` blocks into ``src/zerodl`` (and checks drift);
``execute``  runs a page's blocks at build time and captures output and figures.

``tools/hooks.py`` plugs ``execute`` and the notebook export into MkDocs.
"""
