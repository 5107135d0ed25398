"""Facts about this host and the tools e2e needs: Debian packages, Python, uv, wine, qemu."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

WINE64 = Path("/usr/lib/wine/wine64")
# Debian's name for an architecture, where it differs from the ELF/Rust one.
DEBIAN_ARCH = {"aarch64": "arm64", "x86_64": "amd64"}


def qemu_user(arch: str) -> Path:
    return Path("/usr/bin") / f"qemu-{arch}-static"


def cross_sysroot(arch: str) -> Path:
    """Where Debian's libc6-ARCH-cross puts the target's loader and libc (qemu's -L)."""
    return Path("/usr") / f"{arch}-linux-gnu"


def debian_packages(mode: str, arch: str) -> dict[str, Path]:
    """Debian package -> the file e2e uses from it, for an e2e mode of platform-matrix.toml."""
    if mode.startswith("qemu-"):
        loader = cross_sysroot(arch) / "lib"
        return {
            "qemu-user-static": qemu_user(arch),
            f"libc6-{DEBIAN_ARCH.get(arch, arch)}-cross": loader,
        }
    if mode == "wine":
        return {"wine64": WINE64}
    return {}


class HostError(RuntimeError):
    """Something e2e needs is missing on this host; the message names the fix."""


def is_debian() -> bool:
    return Path("/etc/debian_version").exists()


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def apt_command(packages: list[str]) -> list[str]:
    return ["apt-get", "install", "-y", "--no-install-recommends", *packages]


def ensure_debian_packages(mode: str, arch: str, log: list[str]) -> None:
    """Install the Debian packages `mode` needs when root on Debian, else name the command."""
    wanted = debian_packages(mode, arch)
    missing = [pkg for pkg, probe in wanted.items() if not probe.exists()]
    if not missing:
        return
    cmd = apt_command(missing)
    if not (is_debian() and is_root()):
        raise HostError(
            f"{mode} e2e needs the Debian packages {missing}; install them with: "
            f"sudo apt-get update && sudo {' '.join(cmd)}"
        )
    log.append(f"installing Debian packages for {mode}: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lists = Path("/var/lib/apt/lists")
    if not any(lists.glob("*Packages*")):
        subprocess.run(["apt-get", "update"], check=True, env=env)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        # A stale package list is the usual cause: refresh once and retry.
        subprocess.run(["apt-get", "update"], check=True, env=env)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise HostError(
            f"`{' '.join(cmd)}` failed ({proc.returncode}): {proc.stderr.strip()[-800:]}"
        )
    still = [pkg for pkg, probe in wanted.items() if not probe.exists()]
    if still:
        raise HostError(
            f"after installing {missing}, these still lack their files: {still}"
        )


def host_arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def _python_version(exe: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [exe, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


def find_python(minimum: tuple[int, int] = (3, 12)) -> str:
    """A Python >= minimum for the smoke venvs (kimi-cli 1.51 needs 3.12+).

    Order: KIMI_E2E_PYTHON, the running interpreter, python3.13/python3.12 on PATH, pyenv's
    installs under ~/.pyenv/versions.
    """
    explicit = os.environ.get("KIMI_E2E_PYTHON")
    if explicit:
        found = _python_version(explicit)
        if found is None or found < minimum:
            raise HostError(
                f"KIMI_E2E_PYTHON={explicit!r} is not a runnable Python >= "
                f"{minimum[0]}.{minimum[1]} (got {found}); point it at one"
            )
        return explicit
    candidates: list[str] = [sys.executable]
    for name in ("python3.13", "python3.12", "python3", "python"):
        path = shutil.which(name)
        if path:
            candidates.append(path)
    pyenv = Path.home() / ".pyenv" / "versions"
    if pyenv.is_dir():
        for d in sorted(pyenv.iterdir(), reverse=True):
            candidates.append(str(d / "bin" / "python"))
    for exe in candidates:
        found = _python_version(exe)
        if found is not None and found >= minimum:
            return exe
    raise HostError(
        f"no Python >= {minimum[0]}.{minimum[1]} found (tried {candidates}); "
        "install one or set KIMI_E2E_PYTHON"
    )


def find_uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    exe_dir = Path(sys.executable).parent
    for name in ("uv", "uv.exe"):
        if (exe_dir / name).exists():
            return str(exe_dir / name)
    raise HostError(
        "uv is not installed: `python -m pip install uv` (nox -s e2e installs it)"
    )


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "kimi-kernel-e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path


def venv_bin(venv: Path, name: str) -> Path:
    """An installed executable or script: `name.exe` where it exists on Windows, else `name`."""
    if os.name == "nt":
        exe = venv / "Scripts" / f"{name}.exe"
        return exe if exe.exists() or name == "python" else venv / "Scripts" / name
    return venv / "bin" / name
