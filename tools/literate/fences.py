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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FILE_MARKER = re.compile(r"^#\|\s*file:\s*(?P<path>\S+)\s*$")
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<info>[^`]*)$")


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


def python_blocks(text: str) -> list[Block]:
    """Return the plain ```python blocks of ``text`` in order."""
    lines = text.split("\n")
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
            raise ValueError(f"line {i + 1}: code fence {ticks}{info} is never closed")
        if info == "python":
            body = [_dedent(line, len(indent)) for line in lines[i + 1 : j]]
            code = "\n".join(body) + "\n" if body else ""
            first = body[0] if body else ""
            marker = FILE_MARKER.match(first.strip())
            blocks.append(
                Block(i, j, indent, ticks, code, marker.group("path") if marker else None)
            )
        i = j + 1
    return blocks


def _dedent(line: str, n: int) -> str:
    """Remove at most ``n`` leading spaces (as pytest-codeblocks does)."""
    stripped = line.lstrip(" ")
    return line[min(n, len(line) - len(stripped)) :]
