"""Find the Python code blocks of a Markdown chapter.

The rules match what pytest-codeblocks collects, so that the three consumers
(tests, tangle, build) see the same blocks:

* a block opens with a line whose stripped text is three or more backticks
  followed by exactly ``python`` (no attributes, no ``py``);
* it may be indented (e.g. inside an admonition); that indentation is removed
  from its lines;
* it closes at the first line that, stripped of leading spaces, starts with as
  many backticks as opened it.

Fences with any other info string are skipped as a whole, so a ```python line
shown inside a ````markdown example is not taken for code.

What the three consumers would read differently, or a writer surely did not
mean, is an error naming the line (:class:`FenceError`): a fence that is never
closed, a fence indented with a tab, an export marker that is misspelt
(``#| File:``, ``# | file:``) or not on the block's first line; and
(:func:`read_page`) a file that is not UTF-8 or starts with a byte order mark.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

FILE_MARKER = re.compile(r"^#\|\s*file:\s*(?P<path>\S+)\s*$")
_LOOKS_LIKE_MARKER = re.compile(r"^\s*#\s*\|\s*file\s*:", re.IGNORECASE)
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<info>[^`]*)$")
_TAB_FENCE = re.compile(r"^ *\t[ \t]*(`{3,}|~{3,})")
MARKER_HELP = "write exactly '#| file: src/zerodl/<module>.py' as the block's first line"


class FenceError(ValueError):
    """A Markdown file whose code blocks cannot be read unambiguously (the message names the line)."""


def read_page(path: Path, name: str | None = None) -> str:
    """The text of a Markdown file, which must be UTF-8 without a byte order mark."""
    name = name or str(path)
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        raise FenceError(f"{name}, line 1: the file starts with a byte order mark (BOM); save it as UTF-8 without BOM")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FenceError(
            f"{name}, line {line}: byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8"
        ) from None


@dataclass(frozen=True)
class Block:
    """One ```python block of a Markdown file."""

    start: int  # index of the opening fence line (0-based)
    end: int  # index of the closing fence line (0-based)
    indent: str  # leading white space of the fence
    ticks: str  # the backticks that opened it
    code: str  # the code, dedented, ending with a newline
    target: str | None  # path after "#| file:", if the first line has one

    @property
    def lineno(self) -> int:
        """1-based line number of the opening fence (as pytest-codeblocks reports it)."""
        return self.start + 1

    @property
    def body(self) -> str:
        """The code without its ``#| file:`` line."""
        if self.target is None:
            return self.code
        return self.code.split("\n", 1)[1] if "\n" in self.code else ""


def python_blocks(text: str, name: str | None = None) -> list[Block]:
    """Return the plain ```python blocks of ``text`` in order.

    ``name`` (the file's path) prefixes the line in error messages.
    """
    where = f"{name}, " if name else ""
    if text.startswith("\ufeff"):
        raise FenceError(f"{where}line 1: the text starts with a byte order mark (BOM); save it as UTF-8 without BOM")
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if _TAB_FENCE.match(line):
            raise FenceError(f"{where}line {number}: a code fence indented with a tab; indent it with spaces")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if m is None:
            i += 1
            continue
        indent, ticks, info = m.group("indent"), m.group("ticks"), m.group("info").strip()
        j = i + 1
        while j < len(lines) and not lines[j].lstrip().startswith(ticks):
            j += 1
        if j == len(lines):
            raise FenceError(f"{where}line {i + 1}: code fence {ticks}{info} is never closed")
        if info == "python":
            body = [_dedent(line, len(indent)) for line in lines[i + 1 : j]]
            code = "\n".join(body) + "\n" if body else ""
            first = body[0] if body else ""
            marker = FILE_MARKER.match(first.strip())
            if marker is None and _LOOKS_LIKE_MARKER.match(first):
                raise FenceError(f"{where}line {i + 2}: misspelt export marker {first.strip()!r}; {MARKER_HELP}")
            for k, line in enumerate(body[1:], i + 3):
                if _LOOKS_LIKE_MARKER.match(line):
                    raise FenceError(
                        f"{where}line {k}: export marker {line.strip()!r} is not on the block's first line; {MARKER_HELP}"
                    )
            blocks.append(
                Block(i, j, indent, ticks, code, marker.group("path") if marker else None)
            )
        i = j + 1
    return blocks


def _dedent(line: str, n: int) -> str:
    """Remove at most ``n`` leading spaces (as pytest-codeblocks does)."""
    stripped = line.lstrip(" ")
    return line[min(n, len(line) - len(stripped)) :]
