"""Tangle: collect the ``#| file:`` blocks of the chapters into ``src/zerodl``.

Usage (from the project root)::

    python -m literate.tangle            # write src/zerodl (PYTHONPATH=tools)
    python -m literate.tangle --check    # exit 1 with a diff if src/zerodl drifted

Reading order is the ``nav`` of ``mkdocs.yml``, then the position of a block in
its page. Every module gets a header naming the chapters to edit and an
``__all__`` of its public functions and classes (unless its blocks assign
``__all__`` themselves). Package ``__init__.py`` files are generated too,
except ``src/zerodl/__init__.py`` when a page exports it (the top-level
re-exports). Python files in ``src/zerodl`` that no chapter produces are
removed by ``tangle`` and reported by ``--check``.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import posixpath
import sys
from dataclasses import dataclass, field
from pathlib import Path

from literate.atomic import atomic_write
from literate.config import nav_pages
from literate.pages import PageError, fences, read_text

PACKAGE = "src/zerodl"
HEADER = "# Generated from {sources} by tools/literate/tangle.py.\n# Do not edit: change the chapter(s) and run `make tangle`.\n"
INIT_DOC = '"""{doc}"""\n'


class TangleError(Exception):
    """A chapter asks for something the tangle cannot do (message says where)."""


@dataclass
class Module:
    path: str
    sources: list[str] = field(default_factory=list)
    chunks: list[tuple[str, str]] = field(default_factory=list)  # (source, code)


def collect(root: Path) -> dict[str, Module]:
    """Read the chapters and group their exported blocks by target module."""
    docs = root / "docs"
    order = nav_pages(root)
    modules: dict[str, Module] = {}
    for page in order:
        source = f"docs/{page}"
        for block in _blocks(docs / page, source):
            if block.target is None:
                continue
            where = f"{source}:{block.lineno}"
            target = export_path(root, block.target, where)
            module = modules.setdefault(target, Module(target))
            if source not in module.sources:
                module.sources.append(source)
            module.chunks.append((where, block.body))
    _refuse_case_collisions(modules)
    _refuse_unlisted(root, order)
    return modules


def _blocks(path: Path, source: str) -> list:
    """The ```python blocks of a page; unreadable fences are a TangleError naming file and line."""
    try:
        return fences(read_text(path, source), source)
    except PageError as exc:
        raise TangleError(str(exc)) from None


def export_path(root: Path, target: str, where: str) -> str:
    """The module a ``#| file:`` marker names, spelt one way (``src/zerodl/x.py``).

    Normalised (``//``, ``./`` and ``..`` resolved), it must be a ``.py`` file
    inside ``src/zerodl/`` whose folders and name are Python identifiers, and it
    must stay inside ``src/zerodl/`` once symbolic links are resolved.
    """
    refuse = f"{where}: '#| file: {target}' must name a .py module inside {PACKAGE}/ (e.g. {PACKAGE}/layers.py)"
    if "\\" in target or os.path.isabs(target) or target.startswith("/"):
        raise TangleError(refuse)
    path = posixpath.normpath(target)
    if not (path.startswith(PACKAGE + "/") and path.endswith(".py")):
        raise TangleError(refuse)
    parts = path[len(PACKAGE) + 1 : -len(".py")].split("/")
    if not all(part.isidentifier() for part in parts):
        raise TangleError(f"{refuse}; every folder and the file name must be a Python identifier")
    if any(part.startswith("__") for part in parts[:-1]) or (parts[-1].startswith("__") and parts[-1] != "__init__"):
        raise TangleError(f"{refuse}; names with two leading underscores (__pycache__, __main__ …) are Python's own")
    if path.endswith("/__init__.py") and path != PACKAGE + "/__init__.py":
        raise TangleError(f"{where}: only {PACKAGE}/__init__.py may be exported; export to a module instead")
    package = (root / PACKAGE).resolve()
    resolved = (root / path).resolve()
    if resolved != package and package not in resolved.parents:
        raise TangleError(f"{refuse}; {path} leads to {resolved} through a symbolic link")
    return path


def _refuse_case_collisions(modules: dict[str, Module]) -> None:
    """Two modules whose paths differ only in case are one file on Windows and macOS."""
    seen: dict[str, str] = {}
    for path in list(modules) + [f"{PACKAGE}/__init__.py"]:
        other = seen.setdefault(path.casefold(), path)
        if other != path:
            where = (modules.get(path) or modules[other]).chunks[0][0]
            raise TangleError(f"{where}: {path} and {other} differ only in case: on a case-insensitive file system "
                              "(Windows, macOS) they are one file; rename one")


def _refuse_unlisted(root: Path, order: list[str]) -> None:
    listed = set(order)
    for path in sorted((root / "docs").rglob("*.md")):
        rel = path.relative_to(root / "docs").as_posix()
        if rel in listed:
            continue
        if any(b.target for b in _blocks(path, f"docs/{rel}")):
            raise TangleError(
                f"docs/{rel} exports code but is not in the nav of mkdocs.yml; "
                "add it to the nav so its place in the reading order is known"
            )


def render(module: Module) -> str:
    """The text of one generated module."""
    seen_imports: set[str] = set()
    parts: list[str] = []
    public: list[str] = []
    defined: dict[str, str] = {}  # public name -> where it was defined
    own_all = False
    previous = None
    for where, code in module.chunks:
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            raise TangleError(f"{where}: syntax error in exported block: {exc}") from exc
        lines = code.rstrip("\n").split("\n")
        drop: set[int] = set()
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                text = ast.get_source_segment(code, node)
                if text in seen_imports:
                    drop.update(range(node.lineno - 1, node.end_lineno))
                    continue  # the same import again binds nothing new
                seen_imports.add(text)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                own_all = True  # the block lists the module's names itself (e.g. re-exports)
            for name, line, is_def in _bindings(node):
                if name.startswith("_"):
                    continue
                if name in defined and (is_def or name in public):
                    raise TangleError(
                        f"{where}: {name} is already defined in {module.path} by {defined[name]}; "
                        "a later block must not replace it silently (line "
                        f"{line} of the block). Give it another name, or change the first definition"
                    )
                defined.setdefault(name, where)
                if is_def and name not in public:
                    public.append(name)
        kept = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip("\n")
        chapter = where.rsplit(":", 1)[0]
        parts.append(f"# --- from {chapter} ---\n{kept}\n" if chapter != previous else f"{kept}\n")
        previous = chapter
    names = ", ".join(f'"{name}"' for name in public)
    head = HEADER.format(sources=", ".join(module.sources))
    if own_all:
        return head + "\n\n" + "\n\n".join(parts)
    return head + f"\n__all__ = [{names}]\n\n\n" + "\n\n".join(parts)


def _bindings(node: ast.stmt):
    """(name, line, is a def/class) for every name a top-level statement binds, looking into
    if/try/with/for/while bodies (a def there is still a module-level definition)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name, node.lineno, True
        return
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            yield (alias.asname or alias.name).split(".")[0], node.lineno, False
        return
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    elif isinstance(node, (ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                yield sub.id, node.lineno, False
    for field in ("body", "orelse", "finalbody", "handlers"):
        for child in getattr(node, field, []) or []:
            if isinstance(child, ast.ExceptHandler):
                for grandchild in child.body:
                    yield from _bindings(grandchild)
            else:
                yield from _bindings(child)


def expected_files(root: Path) -> dict[str, str]:
    """Everything src/zerodl should contain: {relative path: text}."""
    modules = collect(root)
    files = {path: render(module) for path, module in sorted(modules.items())}
    packages = {PACKAGE}
    for path in modules:
        parent = os.path.dirname(path)
        while parent.startswith(PACKAGE):
            packages.add(parent)
            parent = os.path.dirname(parent)
    for package in sorted(packages):
        dotted = package[len("src/") :].replace("/", ".")
        sources = sorted({s for p, m in modules.items() if p.startswith(package + "/") for s in m.sources})
        head = HEADER.format(sources=", ".join(sources) or "docs/")
        doc = f"{dotted}: code written in the zerodl chapters (docs/); see the modules below."
        files.setdefault(f"{package}/__init__.py", head + "\n" + INIT_DOC.format(doc=doc))  # unless exported
    return files


def actual_files(root: Path) -> dict[str, str]:
    base = root / PACKAGE
    if not base.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(base.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def diff(root: Path) -> list[str]:
    """Readable differences between src/zerodl and what docs/ produces (empty: in sync)."""
    want, have = expected_files(root), actual_files(root)
    problems: list[str] = []
    for path in sorted(set(want) | set(have)):
        if path not in have:
            problems.append(f"{path}: missing (run `make tangle`)\n")
        elif path not in want:
            problems.append(
                f"{path}: no chapter produces this file (edited by hand or left over);"
                " move its code into a chapter or delete it\n"
            )
        elif want[path] != have[path]:
            problems.append(
                f"{path}: differs from what docs/ produces (edited by hand? run `make tangle`):\n"
                + "".join(
                    difflib.unified_diff(
                        want[path].splitlines(True),
                        have[path].splitlines(True),
                        f"{path} (from docs/)",
                        f"{path} (on disk)",
                    )
                )
            )
    return problems


def write(root: Path) -> list[str]:
    """Bring src/zerodl in line with docs/; return the paths changed."""
    want, have = expected_files(root), actual_files(root)
    changed: list[str] = []
    for path in sorted(set(have) - set(want)):
        if not have[path].startswith("# Generated from "):
            raise TangleError(
                f"{path} was not generated by the tangle; move its code into a chapter "
                "(with '#| file:') or delete it"
            )
    for path, text in want.items():
        if have.get(path) != text:
            atomic_write(root / path, text)
            changed.append(path)
    for path in sorted(set(have) - set(want)):
        (root / path).unlink()
        changed.append(path)
    for directory in sorted((root / PACKAGE).rglob("*"), reverse=True):
        if directory.is_dir() and not any(p for p in directory.iterdir() if p.name != "__pycache__"):
            for leftover in directory.glob("__pycache__/*"):
                leftover.unlink()
            for sub in (directory / "__pycache__", directory):
                if sub.exists():
                    sub.rmdir()
    return changed



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail with a diff if src/zerodl drifted")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: .)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        if args.check:
            problems = diff(root)
            if problems:
                sys.stderr.write("src/zerodl does not match docs/:\n\n" + "\n".join(problems))
                return 1
            print(f"src/zerodl matches docs/ ({len(expected_files(root))} files)")
            return 0
        changed = write(root)
    except TangleError as exc:
        sys.stderr.write(f"tangle: {exc}\n")
        return 2
    for path in changed:
        print(f"tangle: wrote {path}" if (root / path).exists() else f"tangle: removed {path}")
    if not changed:
        print("tangle: src/zerodl already up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
