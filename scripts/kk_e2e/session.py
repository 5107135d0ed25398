"""The body of `nox -s e2e`, kept here so that noxfile.py only registers it.

It installs the tools the runners need into the session's venv, builds the wheels that dist/
lacks (through `nox -s wheels -- TARGET...`), then runs `python -m kk_e2e` there.
Positional arguments select targets: `nox -s e2e -- TARGET...` (names from the matrix).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from kk_e2e.cli import parse_args
from kk_e2e.matrix import REPO_ROOT, load_matrix
from kk_e2e.wheel import find_wheel

# What the runners import or call, installed (pinned) in the e2e session's venv.
E2E_REQUIREMENTS = REPO_ROOT / "ci" / "requirements-e2e.txt"


def missing_wheels(names: list[str], dist: Path) -> list[str]:
    targets = [t for t in load_matrix() if not names or t.name in names]
    return [t.name for t in targets if find_wheel(dist, t) is None]


def run(session: Any) -> None:
    """`nox -s e2e [-- [TARGET...] [--dist DIR] [--keep] [--json FILE] [--native]]`."""
    args = parse_args(list(session.posargs))
    session.install("-r", str(E2E_REQUIREMENTS))
    missing = missing_wheels(args.targets, args.dist)
    if missing:
        if args.dist.resolve() != (REPO_ROOT / "dist").resolve():
            session.error(f"e2e: {args.dist} lacks wheels for {missing}")
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
    pythonpath = [str(REPO_ROOT / "scripts"), os.environ.get("PYTHONPATH", "")]
    env = {"PYTHONPATH": os.pathsep.join(p for p in pythonpath if p)}
    session.run("python", "-m", "kk_e2e", *session.posargs, env=env)
