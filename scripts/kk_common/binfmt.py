"""Facts from a kagent binary's headers with lief, for ELF, PE and Mach-O alike.

Build verification (kk_build.verify) and e2e inspection (kk_e2e.inspect) both judge these facts
against a platform-matrix.toml target; they differ only in how they report (an exception vs a
table row). The runtime reads headers on its own (python/kimi_kernel/_binfmt.py, no lief).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lief

lief.logging.disable()

# Libraries every macOS has; a kagent linking anything else would not start on a clean Mac.
MACOS_SYSTEM_PREFIXES = ("/usr/lib/", "/System/Library/")


class BinaryFormatError(ValueError):
    """The bytes are not a binary of the expected format; the message says which."""


@dataclass(frozen=True)
class MachOFacts:
    libraries: list[str]
    minos: tuple[int, ...] | None  # LC_BUILD_VERSION minos, else LC_VERSION_MIN_MACOSX
    signature_size: int  # bytes of LC_CODE_SIGNATURE data, 0 when unsigned

    @property
    def foreign_libraries(self) -> list[str]:
        return [lib for lib in self.libraries if not lib.startswith(MACOS_SYSTEM_PREFIXES)]


def enum_name(value: object) -> str:
    """lief's enum member name (``Header.MACHINE_TYPES.X86_64`` -> ``X86_64``)."""
    return str(value).rsplit(".", 1)[-1]


def _source(binary: bytes | Path) -> Any:
    return str(binary) if isinstance(binary, Path) else list(binary)


def _name(binary: bytes | Path) -> str:
    return binary.name if isinstance(binary, Path) else "the binary"


def _macho_slices(binary: bytes | Path) -> list[Any]:
    fat = lief.MachO.parse(_source(binary))
    if fat is None or fat.size == 0:
        raise BinaryFormatError(f"{_name(binary)} is not a Mach-O file")
    slices = [fat.at(i) for i in range(fat.size)]
    if any(s is None for s in slices):
        raise BinaryFormatError(f"{_name(binary)}: lief could not read every Mach-O slice")
    return slices


def machine_names(binary: bytes | Path, fmt: str) -> list[str]:
    """lief's machine/CPU name of each slice: one for ELF and PE, one per slice for Mach-O."""
    if fmt == "elf":
        elf = lief.ELF.parse(_source(binary))
        if elf is None:
            raise BinaryFormatError(f"{_name(binary)} is not an ELF file")
        return [enum_name(elf.header.machine_type)]
    if fmt == "pe":
        pe = lief.PE.parse(_source(binary))
        if pe is None:
            raise BinaryFormatError(f"{_name(binary)} is not a PE file")
        return [enum_name(pe.header.machine)]
    if fmt == "macho":
        return [enum_name(s.header.cpu_type) for s in _macho_slices(binary)]
    raise BinaryFormatError(f"unknown binary format {fmt!r} (platform-matrix.toml: elf, macho, pe)")


def macho_facts(binary: bytes | Path) -> MachOFacts:
    """Linked libraries, minimum macOS and signature size of a thin Mach-O binary."""
    slices = _macho_slices(binary)
    if len(slices) != 1:
        raise BinaryFormatError(f"{_name(binary)}: not a thin Mach-O binary ({len(slices)} slices)")
    macho = slices[0]
    minos: tuple[int, ...] | None = None
    build_version = macho.build_version if macho.has_build_version else None
    version_min = macho.version_min if macho.has_version_min else None
    if build_version is not None:
        minos = tuple(build_version.minos)
    elif version_min is not None:
        minos = tuple(version_min.version)
    signature = macho.code_signature if macho.has_code_signature else None
    return MachOFacts(
        libraries=[lib.name for lib in macho.libraries],
        minos=minos,
        signature_size=signature.data_size if signature is not None else 0,
    )


def pe_imports(binary: bytes | Path) -> list[str]:
    """The DLLs a PE binary imports, sorted."""
    pe = lief.PE.parse(_source(binary))
    if pe is None:
        raise BinaryFormatError(f"{_name(binary)} is not a PE file")
    names = {imp.name.decode("utf-8", "replace") if isinstance(imp.name, bytes) else imp.name
             for imp in pe.imports}
    return sorted(names)
