"""Architecture names: one table for binary headers (lief's names), wheel platform tags, the
host's `platform.machine()` and Debian's package architectures, so that they all compare."""

from __future__ import annotations

import platform

# Every spelling we meet -> the name platform-matrix.toml's `arch` uses.
_ALIASES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "aarch64",
}
# Debian's name for an architecture, where it differs from the ELF/Rust one.
_DEBIAN = {"aarch64": "arm64", "x86_64": "amd64"}


def normalise(name: str) -> str:
    try:
        return _ALIASES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown architecture name {name!r}; add it to kk_common/arch.py") from None


def known(name: str) -> str | None:
    """``normalise(name)``, or None for a name the table does not know."""
    return _ALIASES.get(name.lower())


def of_platform_tag(tag: str) -> str:
    """The architecture a wheel platform tag ends with (manylinux_2_17_x86_64 -> x86_64)."""
    for alias in sorted(_ALIASES, key=len, reverse=True):
        if tag.lower().endswith("_" + alias):
            return _ALIASES[alias]
    raise ValueError(f"platform tag {tag!r} ends with no known architecture")


def host_arch() -> str:
    """This machine's architecture (an unknown one as `platform.machine()` spells it, lowercased)."""
    machine = platform.machine().lower()
    return _ALIASES.get(machine, machine)


def debian_arch(arch: str) -> str:
    """Debian's architecture name (``libc6-<it>-cross``) for a matrix ``arch``."""
    return _DEBIAN.get(arch, arch)
