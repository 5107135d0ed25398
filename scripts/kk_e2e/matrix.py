"""The e2e and release scripts' view of platform-matrix.toml (loaded by kk_build.matrix)."""

from __future__ import annotations

from pathlib import Path

from kk_build.matrix import (
    E2E_MODES,
    MATRIX_PATH,
    REPO_ROOT,
    MatrixError,
    Target,
    load,
)

__all__ = [
    "E2E_MODES",
    "MATRIX_PATH",
    "REPO_ROOT",
    "MatrixError",
    "Target",
    "load_matrix",
]


def load_matrix(path: Path = MATRIX_PATH) -> list[Target]:
    """Every target, in file order."""
    return list(load(path).values())


def target_by_name(name: str, path: Path = MATRIX_PATH) -> Target:
    targets = load(path)
    if name not in targets:
        raise MatrixError(
            f"unknown target {name!r}; platform-matrix.toml lists {sorted(targets)}"
        )
    return targets[name]
