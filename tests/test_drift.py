"""src/zerodl is exactly what the chapters produce (the drift check of `make test`)."""

from literate import tangle


def test_src_zerodl_matches_docs(root):
    problems = tangle.diff(root)
    assert not problems, "src/zerodl differs from docs/ (run `make tangle`):\n" + "\n".join(problems)


def test_every_module_names_its_chapters(root):
    for path in sorted((root / "src/zerodl").rglob("*.py")):
        head = path.read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("# Generated from docs/"), f"{path}: missing generated header"
