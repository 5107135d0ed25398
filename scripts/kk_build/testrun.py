"""The test entry point: host wheel -> Python >= 3.12 venv with the oracle kimi -> lint, pytest.

Contract with tests/ (see tests/README.md): KAGENT_BIN is the kagent installed from the host
wheel, the venv's bin dir (with the oracle `kimi` of kimi-cli 1.51) leads PATH, and
KK_HOST_WHEEL names the wheel under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kk_common.matrix import REPO_ROOT, Target

from kk_build import pyfind
from kk_build.build import BUILD_DIR, LOG_DIR
from kk_build.progress import StageError, run, stage

TEST_VENV = BUILD_DIR / "test-venv"
REQUIREMENTS = REPO_ROOT / "ci" / "requirements-test.txt"
LINT_REQUIREMENTS = REPO_ROOT / "ci" / "requirements-lint.txt"
PYTEST_NO_TESTS = 5
# pytest-xdist workers: most tests wait on kernels, LLM stand-ins and timers, so three workers
# keep both cores busy (one ran 860 tests in 19 min on an idle 2-core machine, against 26+ min in
# one process). KK_PYTEST_WORKERS overrides it ("0": one process); an explicit -n wins.
DEFAULT_WORKERS = "3"
WORKERS_ENV = "KK_PYTEST_WORKERS"
# Where the oracle's transcripts of this run are shared between the workers (each scenario is
# run on the oracle once per run, not once per worker); emptied before every run, so nothing is
# carried from an earlier run (tests/differential/reference.py).
ORACLE_TRANSCRIPTS = BUILD_DIR / "oracle-transcripts"


def _venv_bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def make_venv(wheel: Path, venv: Path = TEST_VENV) -> Path:
    with stage("tests", "find Python >= 3.12"):
        python = pyfind.find()
    print(f"[tests] test interpreter: {python}", flush=True)
    vpy = _venv_bin(venv) / "python"
    if vpy.is_file() and pyfind.probe(str(vpy)) is None:
        import shutil

        shutil.rmtree(venv)
    with stage("tests", "create venv"):
        if not vpy.is_file():
            run("tests", "create venv", [python, "-m", "venv", str(venv)])
    with stage("tests", "install wheel + kimi-cli + test and lint deps"):
        pip = [str(vpy), "-m", "pip", "install", "-q"]
        reqs = ["-r", str(REQUIREMENTS), "-r", str(LINT_REQUIREMENTS)]
        run("tests", "pip install", [*pip, str(wheel), *reqs],
            log=LOG_DIR / "tests-pip.log")
        run("tests", "pip reinstall wheel", [*pip, "--force-reinstall", "--no-deps", str(wheel)],
            log=LOG_DIR / "tests-pip-wheel.log")
    return venv


def test_env(venv: Path, target: Target, wheel: Path) -> dict[str, str]:
    bindir = _venv_bin(venv)
    kagent = bindir / target.binary
    kimi = bindir / ("kimi.exe" if os.name == "nt" else "kimi")
    for path, what in ((kagent, "kagent from the wheel"), (kimi, "kimi-cli's `kimi` (the oracle)")):
        if not path.is_file():
            raise StageError("tests", "install", f"{what} is not at {path} after installing {wheel.name}")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME",)}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(bindir), env.get("PATH", "")])
    env["KAGENT_BIN"] = str(kagent)
    env["KK_HOST_WHEEL"] = str(wheel)
    env["KK_HOST_TARGET"] = target.key
    return env


def venv_python(venv: Path) -> Path:
    return _venv_bin(venv) / "python"


def worker_args(args: list[str], environ: dict[str, str]) -> list[str]:
    """pytest-xdist's `-n N` unless the arguments choose (`-n`, `--numprocesses`, `-p no:xdist`)."""
    if "no:xdist" in args or any(a.startswith(("-n", "--numprocesses", "--dist")) for a in args):
        return []
    workers = environ.get(WORKERS_ENV, DEFAULT_WORKERS).strip()
    if not workers.isdigit():
        raise StageError("tests", "pytest", f"{WORKERS_ENV}={workers!r}: give a number of "
                         "pytest-xdist workers (0 runs the tests in one process)")
    return ["-n", workers]


def run_pytest(venv: Path, env: dict[str, str], args: list[str]) -> int:
    import shutil

    shutil.rmtree(ORACLE_TRANSCRIPTS, ignore_errors=True)
    ORACLE_TRANSCRIPTS.mkdir(parents=True)
    env = {**env, "KDIFF_REFERENCE_CACHE": str(ORACLE_TRANSCRIPTS)}
    cmd = [str(_venv_bin(venv) / "python"), "-m", "pytest", *worker_args(args, env),
           *(args or ["tests"])]
    print(f"[tests] KAGENT_BIN={env['KAGENT_BIN']}", flush=True)
    print(f"[tests] $ {' '.join(cmd)}", flush=True)
    code = subprocess.run(cmd, env=env, cwd=REPO_ROOT, check=False, stdin=subprocess.DEVNULL).returncode
    if code == PYTEST_NO_TESTS:
        print("[tests] pytest collected no tests (exit 5): the suite must not be empty", file=sys.stderr)
    return code
