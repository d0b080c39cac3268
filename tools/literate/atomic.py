"""Write a file so that it is either complete or absent (a temp file beside it, then rename).

The file gets the permissions a new file gets (0666 less the umask), as ``open`` would
give it: another user of a shared checkout can read the package and the cache.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def atomic_write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text if isinstance(text, bytes) else text.encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
