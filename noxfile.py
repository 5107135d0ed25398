"""nox sessions of kimi-kernel: thin wrappers; the logic lives in scripts/kk_build (tested).

  nox -s wheels [-- TARGET...]   all (or some) platform-matrix.toml wheels + sdist into dist/
  nox -s tests [-- PYTEST ARGS]  cargo fmt/clippy/test, host wheel, Python>=3.12 venv, pytest tests/
                                 (README's test command, ci/run-tests.sh, runs this, then e2e)
  nox -s reproducible [-- TARGET] two builds (the second from a copy of the checkout at another
                                 path), same SOURCE_DATE_EPOCH, byte-identical (default host)
  nox -s verify [-- WHEEL...]    re-verify wheels in dist/
  nox -s e2e [-- TARGET...]      run/inspect each dist/ wheel on its platform (scripts/kk_e2e)
  nox -s bench [-- BENCH ARGS]   kagent vs kimi-cli's Python kernel -> dist/bench.json (scripts/kk_bench)
  nox -s lint                    ruff + mypy on python/, scripts/, tests/build/, noxfile.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
SCRIPTS = ROOT / "scripts"
BUILD_REQS = str(ROOT / "ci" / "requirements-build.txt")

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["wheels"]


def _kk_build(session: nox.Session, *args: str) -> None:
    session.install("-r", BUILD_REQS)
    session.run("python", "-m", "kk_build", *args, env={"PYTHONPATH": str(SCRIPTS)})


@nox.session
def wheels(session: nox.Session) -> None:
    """Build + verify the wheels of the given targets (default: all) and the sdist."""
    _kk_build(session, "wheels", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """cargo checks, host wheel, pytest, reproducibility (ci/run-tests.sh runs it, then e2e)."""
    _kk_build(session, "tests", "--", *session.posargs)


@nox.session
def reproducible(session: nox.Session) -> None:
    """Prove byte-identical wheels from two builds (default: the host target)."""
    _kk_build(session, "reproducible", *session.posargs)


@nox.session
def verify(session: nox.Session) -> None:
    """Re-run every wheel check on dist/*.whl (or the given wheels)."""
    _kk_build(session, "verify", *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """Prove each wheel of dist/ on its platform (native, qemu, wine, inspect): scripts/kk_e2e."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    from kk_e2e.session import run

    run(session)


@nox.session
def bench(session: nox.Session) -> None:
    """kagent against kimi-cli 1.51's `kimi --wire`, alternating, medians: scripts/kk_bench."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    from kk_bench.session import run

    run(session)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy."""
    session.install("-r", str(ROOT / "ci" / "requirements-lint.txt"), "-r", BUILD_REQS, "pytest")
    paths = ["noxfile.py", "scripts/kk_build", "scripts/kk_bench", "tests/build", "tests/bench", "python"]
    session.run("ruff", "check", "--line-length", "110", *paths)
    session.run(
        "mypy", "--python-version", "3.12", "--ignore-missing-imports",
        "scripts/kk_build", "scripts/kk_bench", "python/kimi_kernel", env={"MYPYPATH": str(SCRIPTS)},
    )
