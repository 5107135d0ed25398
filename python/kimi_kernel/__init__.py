"""kimi_kernel: run kimi-cli's agent turns in the native kagent kernel."""

from __future__ import annotations

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("kimi-kernel")
except _metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = ["__version__"]
