"""ELF (Linux) checks: machine, glibc symbol-version floor, auditwheel's policy verdict."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection
from kk_common import binfmt
from kk_common.arch import known, normalise

from kk_build.verify import CheckFailed


def machine(data: bytes) -> str:
    try:
        raw = binfmt.machine_names(data, "elf")[0]
    except binfmt.BinaryFormatError as exc:
        raise CheckFailed("elf-machine", str(exc)) from None
    got = known(raw)
    if got is None:
        raise CheckFailed("elf-machine", f"unexpected ELF machine {raw}")
    return got


def glibc_versions(data: bytes) -> list[tuple[int, ...]]:
    """Every GLIBC_x.y symbol version the binary requires (from .gnu.version_r)."""
    elf = ELFFile(io.BytesIO(data))
    found: set[tuple[int, ...]] = set()
    for section in elf.iter_sections():
        if not isinstance(section, GNUVerNeedSection):
            continue
        for _verneed, auxes in section.iter_versions():
            for aux in auxes:
                m = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)*)", aux.name)
                if m:
                    found.add(tuple(int(p) for p in m.group(1).split(".")))
    return sorted(found)


def check_binary(data: bytes, arch: str, glibc_floor: tuple[int, int]) -> dict[str, str]:
    got = machine(data)
    if got != normalise(arch):
        raise CheckFailed("elf-machine", f"binary is {got}, target wants {arch}")
    versions = glibc_versions(data)
    if not versions:
        raise CheckFailed("glibc-floor", "no GLIBC symbol versions found: not a glibc binary?")
    highest = versions[-1]
    if highest > glibc_floor:
        raise CheckFailed(
            "glibc-floor",
            f"binary needs GLIBC_{'.'.join(map(str, highest))} > "
            f"{glibc_floor[0]}.{glibc_floor[1]} (the wheel tag's floor)",
        )
    return {"machine": got, "max_glibc": ".".join(map(str, highest))}


def check_auditwheel(wheel: Path, glibc_floor: tuple[int, int], arch: str, auditwheel: str) -> str:
    """Run `auditwheel show` and require it to name the manylinux_X_Y policy of the tag."""
    proc = subprocess.run(
        [auditwheel, "-v", "show", str(wheel)], capture_output=True, text=True, check=False
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise CheckFailed("auditwheel", f"`auditwheel show` exited {proc.returncode}:\n{out}")
    policy = f"manylinux_{glibc_floor[0]}_{glibc_floor[1]}_{normalise(arch)}"
    m = re.search(r'consistent\s+with\s+the\s+following\s+platform\s+tag:\s*"([^"]+)"', out)
    if not m:
        raise CheckFailed("auditwheel", f"could not read the platform tag from:\n{out}")
    if m.group(1) != policy:
        raise CheckFailed("auditwheel", f"auditwheel says {m.group(1)!r}, expected {policy!r}:\n{out}")
    if "requires no external shared libraries" not in out:
        raise CheckFailed("auditwheel", f"wheel needs external shared libraries:\n{out}")
    return m.group(1)
