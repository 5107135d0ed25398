"""The two kernels the bench compares, and the kimi-cli front end used for the soul overhead.

- ``kagent``: the Rust kernel, ``kagent --wire``.
- ``python``: kimi-cli 1.51.0's own kernel, ``kimi --wire`` (the oracle).
- ``kimi-kernel --kernel rust|python --wire``: kimi-cli's wire server with WireBackedSoul
  (driving kagent) or with kimi-cli's KimiSoul.

Binaries come from explicit paths, else the environment contract of tests/README.md
(``KAGENT_BIN``), else the bin dir of the running interpreter (the bench venv), else PATH.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

KAGENT = "kagent"
PYTHON = "python"
KERNELS = (KAGENT, PYTHON)
# what --kernel of kimi-kernel calls each of them
KIMI_KERNEL_FLAG = {KAGENT: "rust", PYTHON: "python"}


class KernelMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Binaries:
    kagent: Path
    kimi: Path
    kimi_kernel: Path

    def wire_argv(self, kernel: str) -> list[str]:
        """The kernel itself in Wire mode."""
        binary = self.kagent if kernel == KAGENT else self.kimi
        return [str(binary), "--wire"]

    def soul_argv(self, kernel: str) -> list[str]:
        """kimi-cli's wire server with WireBackedSoul (kagent) or KimiSoul (python)."""
        return [str(self.kimi_kernel), "--kernel", KIMI_KERNEL_FLAG[kernel], "--wire"]


def _exe(name: str) -> str:
    return name + (".exe" if os.name == "nt" else "")


def find(name: str, explicit: str | None = None, env_var: str | None = None) -> Path:
    tried: list[str] = []
    for candidate in (explicit, os.environ.get(env_var) if env_var else None):
        if candidate:
            if Path(candidate).is_file():
                return Path(candidate).resolve()
            tried.append(f"{candidate} (missing)")
    beside = Path(sys.executable).parent / _exe(name)
    if beside.is_file():
        return beside
    tried.append(str(beside))
    found = shutil.which(name)
    if found:
        return Path(found)
    tried.append(f"{name} on PATH")
    raise KernelMissing(f"cannot find {name}; tried: {', '.join(tried)}")


def locate(kagent: str | None = None, kimi: str | None = None, kimi_kernel: str | None = None) -> Binaries:
    return Binaries(
        kagent=find("kagent", kagent, "KAGENT_BIN"),
        kimi=find("kimi", kimi, "KIMI_ORACLE_BIN"),
        kimi_kernel=find("kimi-kernel", kimi_kernel),
    )
