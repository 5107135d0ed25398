"""The running OS and CPU as `platform.system()` and `platform.machine()` name them, read from
`os.uname()` where there is one: importing `platform` is a measurable part of the Wire exec's
start (core._door), which needs both names (the kagent binary's format check, the cache dir,
the profile key)."""

from __future__ import annotations

import os
import sys


def system() -> str:
    """"Linux", "Darwin", "Windows", ... (platform.system())."""
    if sys.platform == "win32":
        return "Windows"
    if hasattr(os, "uname"):
        return os.uname().sysname
    import platform

    return platform.system()


def machine() -> str:
    """"x86_64", "aarch64", "arm64", "AMD64", ... (platform.machine())."""
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform

    return platform.machine()
