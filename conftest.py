"""Loaded by every pytest run of this project, also `pytest docs/NN-x.md` alone.

The chapters' code blocks are tests that share the site's one execution
(tools/literate/pytest_pages.py). The fixtures for the tests in tests/ are in
tests/conftest.py.
"""

import os
from pathlib import Path

pytest_plugins = ["literate.pytest_pages"]

# Tests never download MNIST: use the shared copy beside the project if there is one.
_SHARED_MNIST = Path(__file__).resolve().parent.parent / "shared" / "data" / "mnist"
if _SHARED_MNIST.is_dir():
    os.environ.setdefault("ZERODL_DATA_DIR", str(_SHARED_MNIST))
