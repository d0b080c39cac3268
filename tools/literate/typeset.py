"""Math typeset at build time: the page's TeX becomes MathML, so no page needs math JavaScript.

KaTeX (``tools/katex/katex.min.js``) runs inside an embedded V8 (the ``mini-racer`` package,
no Node) and writes MathML only (``output: "mathml"``): browsers lay MathML out natively and
screen readers read it; the TeX stays in the ``<annotation>`` for copying. KaTeX's HTML output
would need its stylesheet and fonts (40–65 kB gzip a page) and five to ten DOM nodes per symbol.

Math is written as in the chapters: ``$…$`` in a line (not after a letter/digit, content not
starting or ending with a space, closing ``$`` not followed by a digit) and ``$$…$$`` on lines of
their own or in a line. Fenced code and code spans are left alone; ``\\$`` is a dollar sign.
The MathML comes out on one line with every ASCII punctuation character of its text written as
a character reference, so no Markdown extension (emphasis, emoji, tables, …) can change it.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

KATEX = Path(__file__).resolve().parent.parent / "katex" / "katex.min.js"

_UNTRUSTED = "#cc0001"  # KaTeX shows a command it may not run (trust: false) in errorColor
_HELPER = """
function zerodlTypeset(tex, display) {
  try {
    return JSON.stringify({html: katex.renderToString(tex, {
      displayMode: display, output: "mathml", throwOnError: true, strict: "error", trust: false,
      errorColor: "UNTRUSTED"})});
  } catch (e) {
    return JSON.stringify({error: String(e.message || e)});
  }
}
""".replace("UNTRUSTED", _UNTRUSTED)


class MathError(Exception):
    """A formula KaTeX cannot typeset; the message names the page, the line and what to fix."""


_lock = threading.Lock()
_context: list = []
_memo: dict[tuple[str, bool], str] = {}


def _katex():
    if not _context:
        try:
            from py_mini_racer import MiniRacer
        except ImportError:
            raise MathError('math is typeset at build time with the mini-racer package: pip install -e ".[docs]"') from None
        context = MiniRacer()
        context.eval(KATEX.read_text(encoding="utf-8"))
        context.eval(_HELPER)
        _context.append(context)
    return _context[0]


def version() -> str:
    with _lock:
        return str(_katex().eval("katex.version"))


_PUNCT = re.compile(r"(&#?\w+;)|([!-%'-/:-@\[-`{-~])")
_TAG = re.compile(r"(<[^<>]*>)")


def _inert(markup: str) -> str:
    """KaTeX's markup with the punctuation of its text as character references."""
    parts = _TAG.split(markup)
    for i in range(0, len(parts), 2):  # text between tags
        parts[i] = _PUNCT.sub(lambda m: m.group(1) or f"&#{ord(m.group(2))};", parts[i])
    return "".join(parts)


_RELATIONS = {"=", "<", ">", "\\approx", "\\leftarrow", "\\rightarrow", "\\to", "\\le", "\\leq", "\\ge",
              "\\geq", "\\ne", "\\neq", "\\sim", "\\equiv", "\\propto", "\\Rightarrow", "\\mapsto"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|.", re.S)


def line_pieces(tex: str) -> list[str]:
    """An inline formula cut after each relation (=, ≈, ←, …) outside braces and \\left…\\right: a
    browser does not break a line inside a <math>, so each piece is its own (as TeX breaks after a
    relation). A formula a piece of which does not stand alone stays whole."""
    pieces, start, depth = [], 0, 0
    for m in _TOKEN.finditer(tex):
        token = m.group()
        if token in ("{", "\\left", "\\begin"):
            depth += 1
        elif token in ("}", "\\right", "\\end"):
            depth -= 1
        elif depth == 0 and token in _RELATIONS and tex[m.end():].strip():
            pieces.append(tex[start:m.end()].strip())
            start = m.end()
    pieces.append(tex[start:].strip())
    return [p for p in pieces if p]


def to_mathml(tex: str, display: bool) -> str:
    """``tex`` as one line of MathML (raises MathError with KaTeX's message); an inline formula
    as pieces a line may break between."""
    key = (tex, display)
    if key in _memo:
        return _memo[key]
    pieces = [] if display else line_pieces(tex)
    if len(pieces) > 1:
        try:
            _memo[key] = "<wbr>".join(_one(piece, False) for piece in pieces)
            return _memo[key]
        except MathError:
            pass
    _memo[key] = _one(tex, display)
    return _memo[key]


def _one(tex: str, display: bool) -> str:
    key = (tex, display, "one")
    if key not in _memo:
        with _lock:
            answer = json.loads(_katex().call("zerodlTypeset", tex, display))
        if "error" not in answer and f'mathcolor="{_UNTRUSTED}"' in answer["html"]:
            answer["error"] = "a command that links or adds HTML (\\href, \\url, \\html…) is not allowed on the site"
        if "error" in answer:
            raise MathError(f"{answer['error']}\n  the formula: {tex}")
        markup = _inert(answer["html"]).replace("\n", " ")
        _memo[key] = f'<span class="katex-display">{markup}</span>' if display else markup
    return _memo[key]


_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_INLINE = re.compile(r"\$(?![\s$])((?:\\.|[^\\$])+?)(?<![\s\\])\$(?![\d$])", re.S)
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")


def _spans(text: str):
    """(start, end, tex, display) of each formula in ``text`` (prose, no fences); tex None for ``\\$``."""
    i = 0
    while i < len(text):
        c = text[i]
        if text.startswith("\\$", i):
            yield i, i + 2, None, False
            i += 2
        elif c == "\\":
            i += 2
        elif c == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            close = re.compile(r"(?<!`)" + "`" * run + r"(?!`)").search(text, i + run)
            i = close.end() if close else i + run
        elif text.startswith("$$", i):
            end = text.find("$$", i + 2)
            if end < 0:
                raise MathError(f"a $$ opened here is never closed: {text[i:i + 40]!r}")
            yield i, end + 2, text[i + 2:end].strip(), True
            i = end + 2
        elif c == "$":
            m = None if i and _ASCII_WORD.match(text[i - 1]) else _INLINE.match(text, i)
            if m and "\n\n" not in m.group(1):
                yield i, m.end(), m.group(1), False
                i = m.end()
            else:
                i += 1
        else:
            i += 1


def _prose(text: str, where: str, first_line: int) -> str:
    out, last, at = [], 0, 0
    try:
        for start, end, tex, display in _spans(text):
            at = start
            out.append(text[last:start])
            out.append("&#36;" if tex is None else to_mathml(tex, display))
            last = end
    except MathError as exc:
        line = first_line + text.count("\n", 0, at)
        raise MathError(f"{where}, line {line}: {exc}\n  fix the TeX (what KaTeX supports: "
                        "https://katex.org/docs/supported.html)") from None
    out.append(text[last:])
    return "".join(out)


def markdown(text: str, where: str) -> str:
    """``text`` (Markdown) with every formula outside code as MathML; ``where`` names it in errors."""
    out: list[str] = []
    prose: list[str] = []
    fence, start = None, 1
    for number, line in enumerate(text.split("\n"), 1):
        m = _FENCE.match(line)
        if fence is None and not m:
            prose.append(line)
            continue
        if fence is None:  # a fence opens: what came before is prose
            if prose:
                out.append(_prose("\n".join(prose), where, start))
            prose, fence = [], m.group(1)
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip().strip(fence[0]):
            fence, start = None, number + 1
        out.append(line)
    if prose:
        out.append(_prose("\n".join(prose), where, start))
    return "\n".join(out)
