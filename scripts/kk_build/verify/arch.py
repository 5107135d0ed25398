"""Normalised machine architecture names, so binary headers and wheel tags compare."""

from __future__ import annotations

_ALIASES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "aarch64",
}


def normalise(name: str) -> str:
    try:
        return _ALIASES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown architecture name {name!r}; add it to kk_build/verify/arch.py") from None


def of_platform_tag(tag: str) -> str:
    """The architecture a wheel platform tag ends with (manylinux_2_17_x86_64 -> x86_64)."""
    for alias in sorted(_ALIASES, key=len, reverse=True):
        if tag.lower().endswith("_" + alias):
            return _ALIASES[alias]
    raise ValueError(f"platform tag {tag!r} ends with no known architecture")
