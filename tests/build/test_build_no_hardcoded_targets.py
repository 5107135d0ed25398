"""Targets are listed only in platform-matrix.toml: build code and workflows must read it."""

from __future__ import annotations

import ast
import importlib
import re
import sys
from pathlib import Path

from kk_build import matrix

ROOT = matrix.REPO_ROOT
SCANNED = ("noxfile.py", "scripts", "ci", ".github/workflows", ".ci")
TEXT_SUFFIXES = {".py", ".txt", ".yml", ".yaml", ".toml", ".sh", ".cfg", ".ini", ".json", ".md", ""}


def target_names(targets: dict[str, matrix.Target]) -> set[str]:
    names: set[str] = set()
    for t in targets.values():
        names |= {t.key, t.rust_triple, t.zig_target, t.wheel_tag, *t.platform_tags}
    return names


def python_code_lines(text: str) -> dict[int, str]:
    """Line number -> the string literals on it, docstrings and comments left out: a
    docstring example is not a target hard-coded in the program."""
    tree = ast.parse(text)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    lines: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            lines[node.lineno] = lines.get(node.lineno, "") + " " + node.value
        elif isinstance(node, ast.Name | ast.Attribute | ast.arg):
            ident = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else node.arg
            lines[node.lineno] = lines.get(node.lineno, "") + " " + ident
    return lines


def text_lines(text: str) -> dict[int, str]:
    """Line number -> the line without its '#' comment."""
    return {no: re.sub(r"(^|\s)#.*$", "", line) for no, line in enumerate(text.splitlines(), 1)}


def generated_in_sync(root: Path) -> set[Path]:
    """Workflows generated from platform-matrix.toml by scripts/kk_release/workflows.py, when
    its own check says they are in sync: they read the matrix, through the generator."""
    if root != ROOT:
        return set()
    scripts = str(root / "scripts")
    sys.path.insert(0, scripts)
    try:
        workflows = importlib.import_module("kk_release.workflows")
    except ImportError:
        return set()
    finally:
        sys.path.remove(scripts)
    if workflows.check():
        return set()
    return {root / ".github" / "workflows" / name for name in workflows.rendered()}


def scan(root: Path, names: set[str]) -> list[str]:
    """'file:line: name' for every mention of a target name in the scanned paths."""
    pattern = re.compile(
        "|".join(rf"(?<![\w.-]){re.escape(n)}(?![\w-])" for n in sorted(names, key=len, reverse=True))
    )
    hits: list[str] = []
    exempt = generated_in_sync(root)
    for rel in SCANNED:
        base = root / rel
        files = [base] if base.is_file() else sorted(base.rglob("*")) if base.is_dir() else []
        for f in files:
            if not f.is_file() or "__pycache__" in f.parts or f.suffix not in TEXT_SUFFIXES:
                continue
            if f in exempt:
                continue
            try:
                text = f.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            lines = python_code_lines(text) if f.suffix == ".py" else text_lines(text)
            for no, line in sorted(lines.items()):
                for m in pattern.finditer(line):
                    hits.append(f"{f.relative_to(root)}:{no}: {m.group(0)}")
    return hits


def test_no_file_names_a_target_on_its_own() -> None:
    hits = scan(ROOT, target_names(matrix.load()))
    assert not hits, "these name a target instead of reading platform-matrix.toml:\n" + "\n".join(hits)


def test_scanner_finds_a_planted_target(tmp_path: Path) -> None:
    targets = matrix.load()
    some = next(iter(targets.values()))
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "bad.py").write_text(f'TRIPLE = "{some.rust_triple}"\n', encoding="utf-8")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "x.yml").write_text(
        f"runs-on: x\nwith:\n  target: {some.key}\n", encoding="utf-8"
    )
    (tmp_path / "noxfile.py").write_text(
        f'"""Docstring may say {some.key}."""\n# so may a comment: {some.key}\nTAG = "{next(iter(some.platform_tags))}"\n',
        encoding="utf-8",
    )
    hits = scan(tmp_path, target_names(targets))
    assert any(h.startswith("scripts/bad.py:1:") for h in hits), hits
    assert any(h.startswith(".github/workflows/x.yml:3:") for h in hits), hits
    assert any(h.startswith("noxfile.py:3:") for h in hits), hits
    assert not any(h.startswith(("noxfile.py:1:", "noxfile.py:2:")) for h in hits), hits


def test_scanner_ignores_longer_names(tmp_path: Path) -> None:
    targets = matrix.load()
    some = next(iter(targets.values()))
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "ok.txt").write_text(f"{some.key}-extra and x{some.key}\n", encoding="utf-8")
    assert scan(tmp_path, target_names(targets)) == []
