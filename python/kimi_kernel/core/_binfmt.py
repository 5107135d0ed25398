"""Read an executable's header and tell which OS format and CPU it was built for."""

from __future__ import annotations

import collections
import os
import struct
import sys

from kimi_kernel.core import _hostos

# typing is not imported at run time: the Wire exec's start would pay for it, and more for
# a typing.NamedTuple (it compiles each string annotation); mypy reads TYPE_CHECKING by name
TYPE_CHECKING = False

# ELF e_machine values.
_ELF_MACHINES = {
    3: "x86",
    62: "x86_64",
    40: "arm",
    183: "aarch64",
    243: "riscv64",
    21: "ppc64",
}
# Mach-O cputype values (CPU_ARCH_ABI64 = 0x01000000).
_MACHO_CPUS = {7: "x86", 0x01000007: "x86_64", 12: "arm", 0x0100000C: "aarch64"}
# PE/COFF Machine values.
_PE_MACHINES = {0x14C: "x86", 0x8664: "x86_64", 0x1C0: "arm", 0xAA64: "aarch64"}

_KIND_NAMES = {"elf": "ELF", "macho": "Mach-O", "pe": "PE"}

_MACHINE_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "x86_64": "x86_64",
    "arm64": "aarch64",
    "aarch64": "aarch64",
    "i386": "x86",
    "i686": "x86",
    "x86": "x86",
}


if TYPE_CHECKING:
    from typing import NamedTuple

    class _BinaryFormatFields(NamedTuple):
        kind: str
        arches: tuple[str, ...] = ()
else:
    _BinaryFormatFields = collections.namedtuple("BinaryFormat", "kind arches", defaults=((),))


class BinaryFormat(_BinaryFormatFields):
    """What a file's header says: `kind` is elf, macho, pe, script or unknown."""

    __slots__ = ()

    def describe(self) -> str:
        if self.kind in ("elf", "macho", "pe"):
            return f"{_KIND_NAMES[self.kind]} executable for {'/'.join(self.arches) or 'unknown CPU'}"
        if self.kind == "script":
            return "script"
        return "file of unknown format"


def host_arch() -> str:
    """The running machine's CPU, in the names used by `BinaryFormat.arches`."""
    machine = _hostos.machine().lower()
    return _MACHINE_ALIASES.get(machine, machine)


def host_kind() -> str:
    """The executable format this OS runs natively."""
    if sys.platform == "darwin":
        return "macho"
    if sys.platform == "win32":
        return "pe"
    return "elf"


def read_format(path: str | os.PathLike[str]) -> BinaryFormat:
    """Parse the header of `path` (raises OSError if it cannot be read)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head.startswith(b"#!"):
            return BinaryFormat("script")
        if head.startswith(b"\x7fELF") and len(head) >= 20:
            endian = "<" if head[5] == 1 else ">"
            (machine,) = struct.unpack_from(endian + "H", head, 18)
            return BinaryFormat(
                "elf", (_ELF_MACHINES.get(machine, f"e_machine {machine}"),)
            )
        magic = head[:4]
        if magic in (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe") and len(head) >= 8:
            (cpu,) = struct.unpack_from("<I", head, 4)
            return BinaryFormat("macho", (_MACHO_CPUS.get(cpu, f"cputype {cpu:#x}"),))
        if magic in (b"\xfe\xed\xfa\xcf", b"\xfe\xed\xfa\xce") and len(head) >= 8:
            (cpu,) = struct.unpack_from(">I", head, 4)
            return BinaryFormat("macho", (_MACHO_CPUS.get(cpu, f"cputype {cpu:#x}"),))
        if magic == b"\xca\xfe\xba\xbe" and len(head) >= 8:
            (count,) = struct.unpack_from(">I", head, 4)
            if 0 < count < 16:  # a Java class file has a large number here
                f.seek(8)
                arches = []
                for _ in range(count):
                    entry = f.read(20)
                    if len(entry) < 20:
                        break
                    (cpu,) = struct.unpack_from(">I", entry, 0)
                    arches.append(_MACHO_CPUS.get(cpu, f"cputype {cpu:#x}"))
                return BinaryFormat("macho", tuple(arches))
        if head.startswith(b"MZ") and len(head) >= 64:
            (pe_offset,) = struct.unpack_from("<I", head, 0x3C)
            f.seek(pe_offset)
            pe = f.read(6)
            if len(pe) == 6 and pe[:4] == b"PE\0\0":
                (machine,) = struct.unpack_from("<H", pe, 4)
                return BinaryFormat(
                    "pe", (_PE_MACHINES.get(machine, f"machine {machine:#x}"),)
                )
    return BinaryFormat("unknown")


def incompatibility(fmt: BinaryFormat) -> str | None:
    """Why this machine cannot run a file of format `fmt`, or None if it can."""
    if fmt.kind in ("script", "unknown"):
        return None
    want_kind, want_arch = host_kind(), host_arch()
    if fmt.kind != want_kind or want_arch not in fmt.arches:
        return (
            f"wrong architecture: built for {'/'.join(fmt.arches) or 'an unknown CPU'} "
            f"({_KIND_NAMES[fmt.kind]}), but this machine is {want_arch} "
            f"({_KIND_NAMES[want_kind]})"
        )
    return None
