"""The body of `nox -s bench`, kept here so that noxfile.py only registers it.

1. the host target's wheel from dist/ (built with `python -m kk_build wheels HOST`, the code of
   `nox -s wheels`, when dist/ has none; that also records its build seconds in the manifest);
2. build/bench-venv/ with a Python >= 3.12 (scripts/kk_build/pyfind.py) holding that wheel, and
   therefore kagent, kimi-kernel and kimi-cli 1.51 (`kimi`, the Python kernel);
3. `python -m kk_bench` there: results to dist/bench.json, the table to stdout.

Arguments after `--` go to `python -m kk_bench` (`nox -s bench -- --rounds 3 --only startup`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kk_build import matrix, pyfind
from kk_build.matrix import REPO_ROOT, Target
from kk_build.verify import CheckFailed
from kk_build.verify.wheel import platform_tags_of

SCRIPTS = REPO_ROOT / "scripts"
DIST = REPO_ROOT / "dist"
BENCH_VENV = REPO_ROOT / "build" / "bench-venv"
BUILD_REQS = REPO_ROOT / "ci" / "requirements-build.txt"


def host_wheel(dist: Path, target: Target) -> Path | None:
    """The newest wheel in ``dist`` whose platform tags are ``target``'s."""
    found: list[Path] = []
    for wheel in dist.glob("*.whl") if dist.is_dir() else []:
        try:
            if platform_tags_of(wheel) == target.platform_tags:
                found.append(wheel)
        except CheckFailed:
            continue
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def venv_bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def run(session: Any) -> None:
    host = matrix.host_target()
    wheel = host_wheel(DIST, host)
    if wheel is None:
        session.log(f"bench: dist/ has no {host.key} wheel: building it with the wheels code")
        session.install("-r", str(BUILD_REQS))
        session.run("python", "-m", "kk_build", "wheels", host.key, env={"PYTHONPATH": str(SCRIPTS)})
        wheel = host_wheel(DIST, host)
    if wheel is None:
        session.error(f"bench: building the {host.key} wheel left none in {DIST}")
        return
    session.log(f"bench: host wheel {wheel.name}")
    bindir = venv_bin(BENCH_VENV)
    vpy = bindir / "python"
    if not vpy.is_file() or pyfind.probe(str(vpy)) is None:
        python = pyfind.find()
        session.run(python, "-m", "venv", "--clear", str(BENCH_VENV), external=True)
    pip = [str(vpy), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    session.run(*pip, str(wheel), external=True)
    session.run(*pip, "--force-reinstall", "--no-deps", str(wheel), external=True)
    exe = ".exe" if os.name == "nt" else ""
    session.run(
        str(vpy),
        "-m",
        "kk_bench",
        "--kagent",
        str(bindir / f"{host.binary}"),
        "--kimi",
        str(bindir / f"kimi{exe}"),
        "--kimi-kernel",
        str(bindir / f"kimi-kernel{exe}"),
        *session.posargs,
        env={"PYTHONPATH": str(SCRIPTS)},
        external=True,
    )
