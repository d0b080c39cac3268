# Generated from docs/01-gradient-descent.md, docs/02-sgd-minibatch.md, docs/03-backprop.md, docs/04-momentum.md, docs/05-adagrad-rmsprop.md, docs/06-adam.md, docs/appendix-mnist.md, docs/appendix-robustness.md, docs/appendix-speed.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

"""zerodl: code written in the zerodl chapters (docs/); see the modules below."""
