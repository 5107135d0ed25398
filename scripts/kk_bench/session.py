"""`nox -s bench`'s body, run in the session's venv: `python -m kk_bench.session [BENCH ARGS]`.

1. the host target's wheel from dist/ (built with `python -m kk_build wheels HOST`, the code of
   `nox -s wheels`, when dist/ has none; that also records its build seconds in the manifest);
2. build/bench-venv/ with a Python >= 3.12 (scripts/kk_build/pyfind.py) holding that wheel, and
   therefore kagent, kimi-kernel and kimi-cli 1.51 (`kimi`, the Python kernel);
3. `python -m kk_bench` there: results to dist/bench.json, the table to stdout.

Arguments go to `python -m kk_bench` (`nox -s bench -- --rounds 3 --only startup`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kk_build import pyfind, toolchain
from kk_build.verify import CheckFailed
from kk_build.verify.wheel import platform_tags_of
from kk_common.matrix import REPO_ROOT, Target

SCRIPTS = REPO_ROOT / "scripts"
DIST = REPO_ROOT / "dist"
BENCH_VENV = REPO_ROOT / "build" / "bench-venv"


class BenchSetupError(RuntimeError):
    """The bench could not be set up; the message names the fix."""


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


def _run(*cmd: str, env: dict[str, str] | None = None) -> None:
    print(f"[bench] $ {' '.join(cmd)}", flush=True)
    code = subprocess.run(cmd, env=env, check=False).returncode
    if code != 0:
        raise BenchSetupError(f"`{' '.join(cmd)}` exited {code}")


def main(argv: list[str]) -> int:
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    host = toolchain.host_target()
    wheel = host_wheel(DIST, host)
    if wheel is None:
        print(f"[bench] dist/ has no {host.key} wheel: building it with the wheels code", flush=True)
        _run(sys.executable, "-m", "kk_build", "wheels", host.key, env=env)
        wheel = host_wheel(DIST, host)
    if wheel is None:
        raise BenchSetupError(f"building the {host.key} wheel left none in {DIST}")
    print(f"[bench] host wheel {wheel.name}", flush=True)
    bindir = venv_bin(BENCH_VENV)
    vpy = bindir / "python"
    if not vpy.is_file() or pyfind.probe(str(vpy)) is None:
        _run(pyfind.find(), "-m", "venv", "--clear", str(BENCH_VENV))
    pip = [str(vpy), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run(*pip, str(wheel))
    _run(*pip, "--force-reinstall", "--no-deps", str(wheel))
    exe = ".exe" if os.name == "nt" else ""
    cmd = [
        str(vpy), "-m", "kk_bench",
        "--kagent", str(bindir / host.binary),
        "--kimi", str(bindir / f"kimi{exe}"),
        "--kimi-kernel", str(bindir / f"kimi-kernel{exe}"),
        *argv,
    ]
    print(f"[bench] $ {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd, env=env, check=False).returncode


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchSetupError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(1)
