"""Locating the two kernels under test: the oracle (`kimi`) and kagent."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ORACLE_ENV = "KIMI_ORACLE_BIN"
KAGENT_ENV = "KAGENT_BIN"


class KernelMissing(AssertionError):
    """A kernel binary needed by the suite is not available (a failure, never a skip)."""


@dataclass(frozen=True)
class Kernel:
    name: str  # "oracle" or "kagent"
    binary: str

    def argv(self, *extra: str) -> list[str]:
        return [self.binary, "--wire", *extra]


def oracle() -> Kernel:
    explicit = os.environ.get(ORACLE_ENV)
    if explicit:
        if not Path(explicit).is_file():
            raise KernelMissing(f"{ORACLE_ENV}={explicit!r} does not exist")
        return Kernel("oracle", explicit)
    beside = Path(sys.executable).parent / "kimi"
    if beside.is_file():
        return Kernel("oracle", str(beside))
    found = shutil.which("kimi")
    if not found:
        raise KernelMissing(
            "the oracle `kimi` (kimi-cli 1.51.0) is not on PATH and "
            f"{ORACLE_ENV} is not set: install kimi-cli==1.51.0 or point {ORACLE_ENV} at it"
        )
    return Kernel("oracle", found)


def kagent() -> Kernel:
    explicit = os.environ.get(KAGENT_ENV)
    if not explicit:
        raise KernelMissing(
            f"{KAGENT_ENV} is not set: build kagent "
            "(cargo build --manifest-path kagent/Cargo.toml) and export "
            f"{KAGENT_ENV}=kagent/target/debug/kagent"
        )
    if not Path(explicit).is_file():
        raise KernelMissing(f"{KAGENT_ENV}={explicit!r} does not exist")
    return Kernel("kagent", explicit)


def by_name(name: str) -> Kernel:
    if name == "oracle":
        return oracle()
    if name == "kagent":
        return kagent()
    raise ValueError(f"unknown kernel {name!r}")
