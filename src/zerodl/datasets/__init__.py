# Generated from docs/appendix-mnist.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

"""zerodl.datasets: code written in the zerodl chapters (docs/); see the modules below."""
