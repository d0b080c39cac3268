"""A chapter's code as pytest-codeblocks reads it: fences, and the chains that run as one test.

The blocks come from pytest-codeblocks' own extractor (``extract_from_buffer``),
so the tangle, the render step and the tests see exactly what pytest-codeblocks
sees: a fence is a line whose stripped text starts with three or more
backticks, any indentation (e.g. inside a ``??? note`` box) is removed, and
``<!--pytest-codeblocks:cont-->`` appends a block to the one before it. Run on
the text without its ``cont`` markers, the same extractor gives every fence on
its own, with the line it opens at; run on the text itself, it gives the chains.

Only ```` ```python ```` fences are code: a ```` ```sh ````/```` ```bash ```` fence would be
run by ``pytest --codeblocks`` as a shell command, so it is refused (write
```` ```console ```` for commands a reader types). Everything a writer surely did not
mean, or that the tools would read differently, is a :class:`PageError` naming
the file and line: a fence never closed or indented with a tab, an export
marker misspelt or not on the block's first line, a ``cont`` marker before a
fence that is not python, pytest marks (every block must run: the site shows
its output), a file that is not UTF-8 or starts with a byte order mark.
Line endings are read as ``\\n`` whatever the checkout wrote (CRLF included).
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

from pytest_codeblocks import extract_from_buffer

FILE_MARKER = re.compile(r"^#\|\s*file:\s*(?P<path>\S+)\s*$")
_LOOKS_LIKE_MARKER = re.compile(r"^\s*#\s*\|\s*file\s*:", re.IGNORECASE)
_CONT = re.compile(r"^\s*<!--[-\s]*pytest-codeblocks:\s*cont\s*-*-->\s*$")
_TAB_FENCE = re.compile(r"^ *\t[ \t]*(`{3,}|~{3,})")
MARKER_HELP = "write exactly '#| file: src/zerodl/<module>.py' as the block's first line"


class PageError(ValueError):
    """A Markdown page whose code cannot be read unambiguously (the message names file and line)."""


@dataclass(frozen=True)
class Fence:
    """One ```python fence of a page."""

    lineno: int  # 1-based line of the opening fence
    end: int  # 1-based line of the closing fence
    indent: str  # the opening fence's indentation
    ticks: str  # the backticks that opened it
    code: str  # the code as written, dedented, each line ending with a newline
    target: str | None  # the path after "#| file:" on its first line, if any

    @property
    def body(self) -> str:
        """The code without its ``#| file:`` line."""
        return self.code.split("\n", 1)[1] if self.target is not None else self.code


@dataclass(frozen=True)
class Chain:
    """What pytest-codeblocks runs as one test: a fence and the ``cont`` fences after it."""

    fences: tuple[Fence, ...]

    @property
    def lineno(self) -> int:
        return self.fences[0].lineno


def read_text(path: Path, name: str | None = None) -> str:
    """The text of a page: UTF-8 without byte order mark, line endings as ``\\n``."""
    name = name or str(path)
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        raise PageError(f"{name}, line 1: the file starts with a byte order mark (BOM); save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PageError(f"{name}, line {line}: byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _extract(text: str, name: str) -> list:
    try:
        return extract_from_buffer(io.StringIO(text))
    except RuntimeError as exc:  # pytest-codeblocks' own words: an unclosed fence, an unknown marker
        lines, i = text.split("\n"), 0
        while i < len(lines):  # where the fence that is never closed opens (its rule: same backticks)
            stripped = lines[i].lstrip()
            if stripped.startswith("```"):
                ticks = stripped[: len(stripped) - len(stripped.lstrip("`"))]
                close = next((j for j in range(i + 1, len(lines)) if lines[j].lstrip().startswith(ticks)), None)
                if close is None:
                    raise PageError(f"{name}, line {i + 1}: code fence {stripped} is never closed") from None
                i = close
            i += 1
        raise PageError(f"{name}: {exc}") from None


def chains(text: str, name: str = "<page>") -> list[Chain]:
    """The page's python tests in order, each the fences it is made of."""
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if _TAB_FENCE.match(line):
            raise PageError(f"{name}, line {number}: a code fence indented with a tab; indent it with spaces")
    plain = "\n".join("" if _CONT.match(line) else line for line in lines)
    single = _extract(plain, name)  # every fence on its own
    for block in single:
        if block.syntax in ("sh", "bash", "zsh"):
            raise PageError(f"{name}, line {block.lineno}: a ```{block.syntax} fence is run as a shell command by "
                            "pytest-codeblocks; show commands for the reader in a ```console fence")
    position = {block.lineno: i for i, block in enumerate(single)}
    result = []
    for block in _extract(text, name):
        i, members = position[block.lineno], []
        while len("".join(m.code for m in members)) < len(block.code):  # the fences cont appended to it
            members.append(single[i])
            i += 1
        if any(m.syntax != "python" for m in members):
            if block.syntax == "python" or len(members) > 1:
                where = members[1].lineno if len(members) > 1 else block.lineno
                raise PageError(f"{name}, line {where}: a cont marker joins a ```python fence to a fence that is "
                                "not python; put the marker directly after the python fence it continues")
            continue
        if block.marks or block.importorskip:
            raise PageError(f"{name}, line {block.lineno}: pytest marks ({block.marks or block.importorskip}) are not "
                            "used on pages: every block runs at build time and the site shows what it printed")
        result.append(Chain(tuple(_fence(m, lines, name) for m in members)))
    return result


def fences(text: str, name: str = "<page>") -> list[Fence]:
    """Every ```python fence of the page in order."""
    return [fence for chain in chains(text, name) for fence in chain.fences]


def _fence(block, lines: list[str], name: str) -> Fence:
    opening = lines[block.lineno - 1]
    indent = opening[: len(opening) - len(opening.lstrip(" "))]
    stripped = opening.strip()
    ticks = stripped[: len(stripped) - len(stripped.lstrip("`"))]
    end = block.lineno + 1  # the closing fence: the first later line starting with as many backticks
    while not lines[end - 1].lstrip().startswith(ticks):
        end += 1
    # the lines as written, dedented as pytest-codeblocks dedents them (it also empties blank lines)
    raw = [line[min(len(indent), len(line) - len(line.lstrip(" "))):] for line in lines[block.lineno:end - 1]]
    code = "".join(line + "\n" for line in raw)
    body = code.split("\n")
    first = body[0] if body else ""
    marker = FILE_MARKER.match(first.strip())
    if marker is None and _LOOKS_LIKE_MARKER.match(first):
        raise PageError(f"{name}, line {block.lineno + 1}: misspelt export marker {first.strip()!r}; {MARKER_HELP}")
    for offset, line in enumerate(body[1:], block.lineno + 2):
        if _LOOKS_LIKE_MARKER.match(line):
            raise PageError(f"{name}, line {offset}: export marker {line.strip()!r} is not on the block's first line; "
                            f"{MARKER_HELP}")
    return Fence(block.lineno, end, indent, ticks, code, marker.group("path") if marker else None)
