"""Where kimi-kernel caches what it derives from the installation (the kimi-cli profile, the
result of the start-up check of kimi-cli's private names): per user, not per share dir, so a
fresh KIMI_SHARE_DIR does not pay for them again. Nothing here imports kimi-cli."""

from __future__ import annotations

import os

from kimi_kernel.core import _hostos

TYPE_CHECKING = False  # typing and pathlib are not imported at run time (core._door)
if TYPE_CHECKING:
    from pathlib import Path

CACHE_DIR_ENV = "KIMI_KERNEL_CACHE_DIR"


def cache_root() -> str:
    """$KIMI_KERNEL_CACHE_DIR, else the platform's user cache dir (%LOCALAPPDATA%,
    ~/Library/Caches, $XDG_CACHE_HOME or ~/.cache) + /kimi-kernel."""
    if explicit := os.environ.get(CACHE_DIR_ENV, "").strip():
        return explicit
    home = os.path.expanduser("~")
    system = _hostos.system()
    if system == "Windows" and (local := os.environ.get("LOCALAPPDATA")):
        base = local
    elif system == "Darwin":
        base = os.path.join(home, "Library", "Caches")
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        base = xdg if xdg and os.path.isabs(xdg) else os.path.join(home, ".cache")
    return os.path.join(base, "kimi-kernel")


def cache_dir() -> Path:
    """cache_root() as a Path."""
    from pathlib import Path

    return Path(cache_root())
