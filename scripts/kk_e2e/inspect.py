"""Structural checks of a kagent binary with lief: architecture for every format, and for
Mach-O (which nothing here can execute) linked libraries, minimum OS and code signature."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lief

from kk_e2e.matrix import Target
from kk_e2e.results import Check

# Names lief gives each architecture, per binary format.
ARCH_NAMES: dict[tuple[str, str], str] = {
    ("elf", "x86_64"): "X86_64",
    ("elf", "aarch64"): "AARCH64",
    ("pe", "x86_64"): "AMD64",
    ("pe", "aarch64"): "ARM64",
    ("macho", "arm64"): "ARM64",
    ("macho", "x86_64"): "X86_64",
}
MACOS_SYSTEM_PREFIXES = ("/usr/lib/", "/System/Library/")
MACOS_MIN_OS = (11, 0)


def _enum_name(value: Any) -> str:
    return str(value).rsplit(".", 1)[-1]


def check_arch(binary: Path, target: Target) -> Check:
    want = ARCH_NAMES.get((target.format, target.arch))
    if want is None:
        return Check(
            "arch", False, f"no lief name known for {target.format}/{target.arch}"
        )
    got: str
    if target.format == "elf":
        elf = lief.ELF.parse(str(binary))
        if elf is None:
            return Check("arch", False, f"{binary.name} is not an ELF file")
        got = _enum_name(elf.header.machine_type)
    elif target.format == "pe":
        pe = lief.PE.parse(str(binary))
        if pe is None:
            return Check("arch", False, f"{binary.name} is not a PE file")
        got = _enum_name(pe.header.machine)
    else:
        fat = lief.MachO.parse(str(binary))
        if fat is None:
            return Check("arch", False, f"{binary.name} is not a Mach-O file")
        cpus = [_enum_name(b.header.cpu_type) for b in fat]
        if len(cpus) != 1:
            return Check(
                "arch", False, f"expected a thin {want} Mach-O, found slices {cpus}"
            )
        got = cpus[0]
    return Check("arch", got == want, f"{target.format} {got} (want {want})")


def macho_checks(binary: Path) -> list[Check]:
    """Linked libraries, minimum macOS and code signature of a thin Mach-O binary."""
    fat = lief.MachO.parse(str(binary))
    if fat is None or fat.size != 1:
        return [Check("macho parse", False, f"{binary.name}: not a thin Mach-O binary")]
    macho = fat.at(0)
    if macho is None:
        return [Check("macho parse", False, f"{binary.name}: no Mach-O slice")]
    checks: list[Check] = []

    libs = [lib.name for lib in macho.libraries]
    foreign = [lib for lib in libs if not lib.startswith(MACOS_SYSTEM_PREFIXES)]
    checks.append(
        Check(
            "linked libs",
            bool(libs) and not foreign,
            f"non-system: {foreign}" if foreign else f"system only: {libs}",
        )
    )

    minos: list[int] | None = None
    build_version, version_min = macho.build_version, macho.version_min
    if macho.has_build_version and build_version is not None:
        minos = list(build_version.minos)
    elif macho.has_version_min and version_min is not None:
        minos = list(version_min.version)
    if minos is None:
        checks.append(
            Check("minimum OS", False, "no LC_BUILD_VERSION / LC_VERSION_MIN_MACOSX")
        )
    else:
        ok = tuple(minos[:2]) <= MACOS_MIN_OS
        shown = ".".join(str(x) for x in minos)
        checks.append(Check("minimum OS", ok, f"minos {shown} (need <= 11.0)"))

    signature = macho.code_signature if macho.has_code_signature else None
    size = signature.data_size if signature is not None else 0
    signed = size > 0
    checks.append(
        Check(
            "code signature",
            signed,
            f"LC_CODE_SIGNATURE, {size} bytes"
            if signed
            else "no LC_CODE_SIGNATURE: arm64 macOS refuses to run unsigned code",
        )
    )
    return checks
