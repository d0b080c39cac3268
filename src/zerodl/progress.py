# Generated from docs/02-sgd-minibatch.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["progress"]


# --- from docs/02-sgd-minibatch.md ---
"""A progress bar for long loops, shown only where someone is watching."""

import sys


def progress(iterable, desc=None, total=None):
    """``iterable`` with a tqdm progress bar on stderr where someone is watching (a notebook's
    kernel, or a terminal); ``iterable`` itself elsewhere (tests, the site's build) and when
    tqdm is not installed."""
    watched = "ipykernel" in sys.modules or (hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    if not watched:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=desc, total=total, leave=False, file=sys.stderr, dynamic_ncols=True)
