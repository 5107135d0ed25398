"""The built host wheel, installed the ways users install it, finds its own kagent every time,
even with another `kagent` earlier on PATH."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import pytest

from runtime._kk import Missing, wheel_path, write_exe

PROBE = (
    "import json, sys, kimi_kernel; from kimi_kernel.core._locate import locate; r = locate(); "
    "print(json.dumps({'path': str(r.path), 'source': r.source, 'prefix': sys.prefix, "
    "'module': kimi_kernel.__file__, "
    "'searched': [str(s) for s in r.searched]}))"
)
PYVER = f"python{sys.version_info.major}.{sys.version_info.minor}"
E2E_REQUIREMENTS = Path(__file__).resolve().parents[2] / "ci" / "requirements-e2e.txt"


def base_python() -> str:
    exe = (
        Path(sys.base_prefix)
        / "bin"
        / f"python{sys.version_info.major}.{sys.version_info.minor}"
    )
    if not exe.exists():
        exe = Path(sys.base_prefix) / "bin" / "python3"
    if not exe.exists():
        raise Missing(f"no base interpreter under {sys.base_prefix}/bin")
    return str(exe)


@functools.cache
def uv() -> list[str]:
    """uv from the test venv or PATH; else installed from PyPI (its ordinary client) for
    this run (the version e2e pins), so the uv install modes are always exercised, never
    skipped."""
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which(
        "uv"
    )
    if found:
        return [found]
    pins = [
        line.strip()
        for line in E2E_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if line.startswith("uv==")
    ]
    if len(pins) != 1:
        raise Missing(
            f"{E2E_REQUIREMENTS} must pin uv exactly once (uv==X.Y.Z), found {pins}"
        )
    pin = pins[0]
    target = Path(tempfile.mkdtemp(prefix="kk-uv-"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), pin],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    exe = target / "bin" / "uv"
    if proc.returncode != 0 or not exe.exists():
        raise Missing(
            f"uv is needed for the uv install modes and pip could not get it: {proc.stderr}"
        )
    return [str(exe)]


def wheel_kagent_sha256(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(".data/scripts/kagent")]
        assert names, f"{wheel} has no .data/scripts/kagent"
        return hashlib.sha256(zf.read(names[0])).hexdigest()


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture()
def decoy_env(tmp_path: Path) -> dict[str, str]:
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    write_exe(decoy / "kagent", "#!/bin/sh\necho I am the wrong kagent\n")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KIMI_", "PYTHON", "UV_"))
    }
    env["PATH"] = f"{decoy}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path / "home")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_BREAK_SYSTEM_PACKAGES"] = "1"
    env["UV_CACHE_DIR"] = os.environ.get("UV_CACHE_DIR") or str(
        Path.home() / ".cache" / "uv"
    )
    return env


def run(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    proc = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=600, cwd=cwd, check=False
    )
    assert proc.returncode == 0, (
        f"{argv} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    )
    return proc.stdout


def probe(python: str, env: dict[str, str], cwd: Path) -> dict[str, object]:
    out = run([python, "-c", PROBE], env, cwd)
    found = json.loads(out.strip().splitlines()[-1])
    assert isinstance(found, dict), out
    return found


def check(found: dict[str, object], expected: Path) -> None:
    assert found["source"] == "package", found
    assert Path(str(found["path"])) == expected, found
    assert sha256(str(found["path"])) == wheel_kagent_sha256(wheel_path()), (
        f"{found['path']} is not the kagent shipped in {wheel_path()}"
    )


def pip_install(env: dict[str, str], *args: str, python: str | None = None) -> None:
    target = ["--python", python] if python else []
    run(
        [
            sys.executable,
            "-m",
            "pip",
            *target,
            "install",
            "-q",
            "--no-deps",
            "--ignore-installed",
            *args,
            str(wheel_path()),
        ],
        env,
    )


def test_venv(tmp_path: Path, decoy_env: dict[str, str]) -> None:
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], decoy_env)
    python = str(venv / "bin" / "python")
    pip_install(decoy_env, python=python)
    check(probe(python, decoy_env, tmp_path), venv / "bin" / "kagent")


def test_pip_user(tmp_path: Path, decoy_env: dict[str, str]) -> None:
    env = {**decoy_env, "PYTHONUSERBASE": str(tmp_path / "userbase")}
    pip_install(env, "--user", python=base_python())
    check(probe(base_python(), env, tmp_path), tmp_path / "userbase" / "bin" / "kagent")


def test_pip_prefix(tmp_path: Path, decoy_env: dict[str, str]) -> None:
    prefix = tmp_path / "prefix"
    pip_install(decoy_env, "--prefix", str(prefix))
    purelib = sysconfig.get_path(
        "purelib", vars={"base": str(prefix), "platbase": str(prefix)}
    )
    env = {**decoy_env, "PYTHONPATH": purelib}
    check(probe(sys.executable, env, tmp_path), prefix / "bin" / "kagent")


def test_pip_target(tmp_path: Path, decoy_env: dict[str, str]) -> None:
    target = tmp_path / "target"
    pip_install(decoy_env, "--target", str(target))
    env = {**decoy_env, "PYTHONPATH": str(target)}
    # pip --target leaves the script out of RECORD: the locator falls back to <target>/bin.
    check(probe(sys.executable, env, tmp_path), target / "bin" / "kagent")


def test_venv_with_system_site_packages(
    tmp_path: Path, decoy_env: dict[str, str]
) -> None:
    """kimi-kernel comes from outside the venv (the base interpreter's user site)."""
    env = {**decoy_env, "PYTHONUSERBASE": str(tmp_path / "userbase")}
    pip_install(env, "--user", python=base_python())
    venv = tmp_path / "ssp"
    run(
        [
            base_python(),
            "-m",
            "venv",
            "--system-site-packages",
            "--without-pip",
            str(venv),
        ],
        env,
    )
    found = probe(str(venv / "bin" / "python"), env, tmp_path)
    check(found, tmp_path / "userbase" / "bin" / "kagent")
    assert Path(str(found["prefix"])) == venv


def test_uv_tool_install(tmp_path: Path, decoy_env: dict[str, str]) -> None:
    env = {
        **decoy_env,
        "UV_TOOL_DIR": str(tmp_path / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "toolbin"),
    }
    run([*uv(), "tool", "install", "--python", sys.executable, str(wheel_path())], env)
    tool_python = tmp_path / "tools" / "kimi-kernel" / "bin" / "python"
    check(
        probe(str(tool_python), env, tmp_path),
        tmp_path / "tools" / "kimi-kernel" / "bin" / "kagent",
    )


def test_uv_run_with(tmp_path: Path, decoy_env: dict[str, str]) -> None:
    # The base interpreter has no kimi-kernel, so uv must build an environment --with it.
    argv = [
        *uv(),
        "run",
        "--no-project",
        "--python",
        base_python(),
        "--with",
        str(wheel_path()),
    ]
    out = run([*argv, "python", "-c", PROBE], decoy_env, tmp_path)
    found = json.loads(out.strip().splitlines()[-1])
    # uv layers a cached environment holding the --with packages over the interpreter:
    # kagent is in *that* environment's bin, which no install-scheme guess would find.
    layer = Path(str(found["module"])).parents[
        4
    ]  # <layer>/lib/pythonX.Y/site-packages/...
    check(found, layer / "bin" / "kagent")
    assert layer != Path(sys.prefix)
