"""Fewer elements per code block: a Pygments filter the site's Python lexer runs.

Pygments wraps every token in a ``<span>``; Material colours plain names as plain code and
operators and punctuation only a shade lighter. Those spans were half of a chapter page's
elements (chapter 3: 5,300 of 10,200) and most of its style-and-layout time on a phone. The
filter turns plain names, operators, punctuation and whitespace into plain text, which the HTML
formatter merges into the text around it; keywords, builtins, strings, numbers, comments and
function and class names keep their colours.
"""

from __future__ import annotations

from pygments.filter import Filter
from pygments.token import Name, Operator, Punctuation, Text, Whitespace

PLAIN = frozenset({Name, Operator, Punctuation, Whitespace, Text.Whitespace})


class PlainTokens(Filter):
    def filter(self, lexer, stream):
        for ttype, value in stream:
            yield (Text if ttype in PLAIN else ttype), value


def lexer_options(languages=("python", "py")) -> list[dict]:
    """``extend_pygments_lang`` entries of pymdownx.highlight: each language, its own lexer, the filter."""
    return [{"name": lang, "lang": lang, "options": {"filters": [PlainTokens()]}} for lang in languages]
