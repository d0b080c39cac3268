"""The caches that make `mkdocs serve`'s rebuild cheap (tools/literate/rebuild.py) give
what the uncached code gives. (The whole site: test_site_build's second build.)"""

from __future__ import annotations

import markdown

from literate import rebuild


def test_memo_computes_once_per_kind_and_parts():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert rebuild.memo("test-kind", compute, "a", 1) == 1
    assert rebuild.memo("test-kind", compute, "a", 1) == 1
    assert rebuild.memo("test-kind", compute, "a", 2) == 2
    assert rebuild.memo("other-kind", compute, "a", 1) == 3


def test_highlighted_code_is_the_same_from_the_cache():
    from pymdownx.highlight import Highlight

    rebuild.cache_highlighting()
    rebuild.cache_highlighting()  # patching twice is harmless
    assert Highlight.highlight.__wrapped__.__name__ == "highlight"
    source = "```python\nimport numpy as np\nx = np.arange(3)  # a comment\n```\n\n```text\nplain\n```\n"
    extensions = ["pymdownx.highlight", "pymdownx.superfences"]
    first = markdown.markdown(source, extensions=extensions)
    again = markdown.markdown(source, extensions=extensions)
    Highlight.highlight, patched = Highlight.highlight.__wrapped__, Highlight.highlight
    try:
        uncached = markdown.markdown(source, extensions=extensions)
    finally:
        Highlight.highlight = patched
    assert first == again == uncached
    assert '<span class="kn">import</span>' in uncached


def test_templates_get_a_bytecode_cache_shared_by_builds():
    import jinja2

    envs = [rebuild.cache_templates(jinja2.Environment(loader=jinja2.DictLoader({"t": "{{ x * 2 }}"}))) for _ in range(2)]
    assert envs[0].bytecode_cache is envs[1].bytecode_cache
    assert [env.get_template("t").render(x=21) for env in envs] == ["42", "42"]
