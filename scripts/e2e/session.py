"""The body of `nox -s e2e`, kept here so that noxfile.py only registers it.

It installs the tools the runners need into the session's venv, builds the wheels that dist/
lacks (through `nox -s wheels -- TARGET...`), then runs `python -m scripts.e2e` there.
Positional arguments select targets: `nox -s e2e -- linux-aarch64`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from scripts.e2e.matrix import REPO_ROOT, load_matrix
from scripts.e2e.wheel import find_wheel

# What the runners import or call, installed in the e2e session's venv.
E2E_REQUIREMENTS = ("uv", "lief>=0.15", "ziglang", "pip")


def missing_wheels(names: list[str]) -> list[str]:
    dist = REPO_ROOT / "dist"
    targets = [t for t in load_matrix() if not names or t.name in names]
    return [t.name for t in targets if find_wheel(dist, t) is None]


def run(session: Any) -> None:
    """`nox -s e2e [-- TARGET...]`: prove each wheel in dist/ on its platform."""
    names = [a for a in session.posargs if not a.startswith("-")]
    options = [a for a in session.posargs if a.startswith("-")]
    session.install(*E2E_REQUIREMENTS)
    missing = missing_wheels(names)
    if missing:
        session.log(
            f"e2e: dist/ lacks wheels for {missing}: building them with nox -s wheels"
        )
        session.run(
            sys.executable,
            "-m",
            "nox",
            "--noxfile",
            str(REPO_ROOT / "noxfile.py"),
            "-s",
            "wheels",
            "--",
            *missing,
            external=True,
        )
    env = {
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
        )
    }
    session.run("python", "-m", "scripts.e2e", *options, *names, env=env)
