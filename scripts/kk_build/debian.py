"""Install Debian packages when running as root on Debian; otherwise say what to run."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from kk_build.progress import run

_updated = False


def can_install() -> bool:
    return (
        hasattr(os, "geteuid")
        and os.geteuid() == 0
        and Path("/etc/debian_version").is_file()
        and shutil.which("apt-get") is not None
    )


def installed(package: str) -> bool:
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return proc.returncode == 0 and "install ok installed" in proc.stdout


LOCK_WAIT = ["-o", "DPkg::Lock::Timeout=900"]


def install_command(packages: Sequence[str]) -> list[str]:
    return ["apt-get", *LOCK_WAIT, "install", "-y", "-q", *packages]


def install(packages: Sequence[str], label: str = "host") -> None:
    """apt-get update (once per process) and install ``packages``, waiting on the dpkg lock."""
    global _updated
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _updated:
        run(label, "apt-get update", ["apt-get", *LOCK_WAIT, "update", "-q"], env=env)
        _updated = True
    run(label, f"apt-get install {' '.join(packages)}", install_command(packages), env=env)
