"""nox sessions of kimi-kernel: thin wrappers; the logic lives in scripts/ (one import root, tested).

Each session installs its pinned tools into its own venv and runs `python -m <package>` there with
PYTHONPATH=scripts; no session imports scripts/ into nox's interpreter or calls nox again.

  nox -s wheels [-- TARGET...]   all (or some) platform-matrix.toml wheels + sdist into dist/
  nox -s tests [-- PYTEST ARGS]  cargo fmt/clippy/test, host wheel, Python>=3.12 venv, ruff + mypy,
                                 pytest tests/ (README's test command, ci/run-tests.sh, runs this,
                                 then e2e)
  nox -s reproducible [-- TARGET] two builds (the second from a copy of the checkout at another
                                 path), same SOURCE_DATE_EPOCH, byte-identical (default host)
  nox -s verify [-- WHEEL...]    re-verify wheels in dist/
  nox -s e2e [-- TARGET...]      run/inspect each dist/ wheel on its platform (scripts/kk_e2e)
  nox -s bench [-- BENCH ARGS]   kagent vs kimi-cli's Python kernel -> dist/bench.json (scripts/kk_bench)
  nox -s fuzz [-- --seconds N]   kagent's cargo-fuzz targets, N s each, per-target runs and crashes
                                 (scripts/kk_fuzz; needs cargo-fuzz, stable toolchain via
                                 RUSTC_BOOTSTRAP=1; not part of CI, which replays the found crashes)
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
SCRIPTS_ENV = {"PYTHONPATH": str(ROOT / "scripts")}
BUILD_REQS = str(ROOT / "ci" / "requirements-build.txt")

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["wheels"]


def _kk_build(session: nox.Session, *args: str) -> None:
    session.install("-r", BUILD_REQS)
    session.run("python", "-m", "kk_build", *args, env=SCRIPTS_ENV)


@nox.session
def wheels(session: nox.Session) -> None:
    """Build + verify the wheels of the given targets (default: all) and the sdist."""
    _kk_build(session, "wheels", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """cargo checks, host wheel, ruff + mypy, pytest, reproducibility (ci/run-tests.sh: then e2e)."""
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
    # The build tools too: the wheels dist/ lacks are built first (`--build-missing`).
    session.install("-r", str(ROOT / "ci" / "requirements-e2e.txt"), "-r", BUILD_REQS)
    session.run("python", "-m", "kk_e2e", "--build-missing", *session.posargs, env=SCRIPTS_ENV)


@nox.session
def bench(session: nox.Session) -> None:
    """kagent against kimi-cli 1.51's `kimi --wire`, alternating, medians: scripts/kk_bench."""
    session.install("-r", str(ROOT / "ci" / "requirements-bench.txt"))
    session.run("python", "-m", "kk_bench.session", *session.posargs, env=SCRIPTS_ENV)


@nox.session
def fuzz(session: nox.Session) -> None:
    """Fuzz every kagent parser for a fixed time and report per target: scripts/kk_fuzz."""
    session.run("python", "-m", "kk_fuzz", *session.posargs, env=SCRIPTS_ENV)
