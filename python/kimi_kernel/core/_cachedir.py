"""Where kimi-kernel caches what it derives from the installation (the kimi-cli profile, the
result of the start-up check of kimi-cli's private names): per user, not per share dir, so a
fresh KIMI_SHARE_DIR does not pay for them again. Nothing here imports kimi-cli."""

from __future__ import annotations

import os
from pathlib import Path

from kimi_kernel.core import _hostos

CACHE_DIR_ENV = "KIMI_KERNEL_CACHE_DIR"


def cache_dir() -> Path:
    """$KIMI_KERNEL_CACHE_DIR, else the platform's user cache dir (%LOCALAPPDATA%,
    ~/Library/Caches, $XDG_CACHE_HOME or ~/.cache) + /kimi-kernel."""
    if explicit := os.environ.get(CACHE_DIR_ENV, "").strip():
        return Path(explicit)
    system = _hostos.system()
    if system == "Windows" and (local := os.environ.get("LOCALAPPDATA")):
        base = Path(local)
    elif system == "Darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "kimi-kernel"
