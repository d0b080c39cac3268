# Generated from docs/01-gradient-descent.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

"""zerodl: code written in the zerodl chapters (docs/); see the modules below."""
