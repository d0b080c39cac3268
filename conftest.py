"""Loaded by every pytest run of this project, also `pytest docs/NN-x.md` alone.

The code-block tests run under the build's conditions, draw every figure and
record what they show (tools/literate/pytest_blocks.py). The fixtures for the
tests in tests/ are in tests/conftest.py.
"""

pytest_plugins = ["literate.pytest_blocks"]

import os
from pathlib import Path

# Tests never download MNIST: use the shared copy beside the project if there is one.
_SHARED_MNIST = Path(__file__).resolve().parent.parent / "shared" / "data" / "mnist"
if _SHARED_MNIST.is_dir():
    os.environ.setdefault("ZERODL_DATA_DIR", str(_SHARED_MNIST))
