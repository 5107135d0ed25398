"""The lint stage of `nox -s tests`: ruff and mypy over python/, scripts/, tests/ and noxfile.py.

Both read their settings from pyproject.toml ([tool.ruff], [tool.mypy]) and run from the test
venv, where the host wheel pulled kimi-cli 1.51: mypy checks our use of kimi-cli's types
against the real package. Like the cargo checks, every step runs even after one fails.
"""

from __future__ import annotations

import os
from pathlib import Path

from kk_common.matrix import REPO_ROOT

from kk_build.build import LOG_DIR
from kk_build.progress import StageError, run_steps


def steps(python: Path) -> dict[str, list[str]]:
    """Step name -> command; the paths and rules live in pyproject.toml."""
    return {
        "ruff check": [str(python), "-m", "ruff", "check", "--no-cache", "."],
        "mypy": [str(python), "-m", "mypy"],
    }


def run_all(python: Path) -> list[StageError]:
    """Run every lint step with the test venv's ``python``; return the failures."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH", "MYPYPATH")}
    outputs, failures = run_steps(
        "lint", steps(python), env=env, cwd=REPO_ROOT,
        log=lambda name: LOG_DIR / f"lint-{name.split()[0]}.log",
    )
    for name, out in outputs.items():
        last = out.strip().splitlines()[-1:] or ["(no output)"]
        print(f"[lint] {name}: {last[0]}", flush=True)
    return failures
