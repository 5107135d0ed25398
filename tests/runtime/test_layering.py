"""kimi_kernel's layering, read from its source (AST): `core` never imports kimi-cli (nor
kosong, nor `host`), and kimi-cli's private names are touched in `host.kimi_private` only."""

from __future__ import annotations

import ast
from pathlib import Path

from runtime._kk import require_installed

require_installed()

import kimi_kernel  # noqa: E402
from kimi_kernel.host import kimi_private  # noqa: E402

PACKAGE = Path(kimi_kernel.__file__).resolve().parent
FORBIDDEN_IN_CORE = ("kimi_cli", "kosong", "kimi_kernel.host")


def modules(under: Path) -> list[Path]:
    found = sorted(under.rglob("*.py"))
    assert found, f"no modules under {under}"
    return found


def imported_names(path: Path) -> list[tuple[int, str]]:
    """Every module an import statement in `path` names, relative ones made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = ".".join(("kimi_kernel", *path.relative_to(PACKAGE).parent.parts))
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.append((node.lineno, module))
            names += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return names


def is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_core_never_imports_kimi_cli() -> None:
    offending = [
        f"{path.relative_to(PACKAGE)}:{line}: {name}"
        for path in modules(PACKAGE / "core")
        for line, name in imported_names(path)
        if any(is_under(name, bad) for bad in FORBIDDEN_IN_CORE)
    ]
    assert offending == [], offending


def test_the_import_walk_sees_kimi_cli_imports() -> None:
    """The check above can fail: the host's modules do import kimi-cli (lazily, too)."""
    hook = imported_names(PACKAGE / "host" / "_hook.py")
    assert any(is_under(name, "kimi_cli") for _, name in hook), hook
    soul = imported_names(PACKAGE / "host" / "_soul.py")
    assert any(is_under(name, "kimi_cli.soul.kimisoul") for _, name in soul), soul


PRIVATE_NAMES = sorted(
    {
        need.name
        for need in kimi_private.NEEDS
        if need.kind in ("attribute", "method") and need.name.startswith("_")
    }
)


def test_private_kimi_cli_names_are_reached_through_one_module() -> None:
    assert "_soul" in PRIVATE_NAMES and "_raw_queue" in PRIVATE_NAMES, PRIVATE_NAMES
    door = PACKAGE / "host" / "kimi_private.py"
    offending: list[str] = []
    for path in modules(PACKAGE):
        if path == door:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = None
            if isinstance(node, ast.Attribute) and node.attr in PRIVATE_NAMES:
                name = node.attr
            elif isinstance(node, ast.Attribute) and node.attr == "__class__" and isinstance(
                node.ctx, ast.Store
            ):
                name = "__class__ (class swap)"
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in PRIVATE_NAMES
            ):
                name = f"{node.value!r} (getattr)"
            if name is not None:
                line = getattr(node, "lineno", 0)
                offending.append(f"{path.relative_to(PACKAGE)}:{line}: {name}")
    assert offending == [], offending


def test_the_bundled_skills_dir_found_without_import_is_kimi_clis() -> None:
    """The Wire exec path finds kimi-cli's skills without importing kimi-cli; it must be the
    directory kimi-cli itself names."""
    from kimi_cli.skill import get_builtin_skills_dir
    from kimi_kernel.host._skills_dir import bundled_skills_dir

    assert bundled_skills_dir() == str(get_builtin_skills_dir())
