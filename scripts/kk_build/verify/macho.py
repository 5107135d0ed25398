"""Mach-O (macOS) checks with lief: arch only, system libraries only, minimum OS, signature."""

from __future__ import annotations

import lief

from kk_build.verify import CheckFailed
from kk_build.verify.arch import normalise

lief.logging.disable()

_CPUS = {"ARM64": "aarch64", "X86_64": "x86_64"}
SYSTEM_PREFIXES = ("/usr/lib/", "/System/Library/")


def check_binary(data: bytes, arch: str, macos_min: tuple[int, int]) -> dict[str, str]:
    fat = lief.MachO.parse(list(data))
    if fat is None or fat.size == 0:
        raise CheckFailed("macho-parse", "lief could not parse the binary as Mach-O")
    cpus = [fat.at(i).header.cpu_type.__name__ for i in range(fat.size)]
    wanted = normalise(arch)
    if [_CPUS.get(c, c) for c in cpus] != [wanted]:
        raise CheckFailed("macho-arch", f"architectures {cpus}, expected only {arch}")
    binary = fat.at(0)
    libs = [lib.name for lib in binary.libraries]
    foreign = [lib for lib in libs if not lib.startswith(SYSTEM_PREFIXES)]
    if foreign:
        raise CheckFailed("macho-system-libs", f"links non-system libraries {foreign}")
    if binary.has_build_version:
        minos = tuple(binary.build_version.minos)
    elif binary.has_version_min:
        minos = tuple(binary.version_min.version)
    else:
        raise CheckFailed("macho-minos", "no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX")
    if minos[:2] > macos_min:
        raise CheckFailed(
            "macho-minos",
            f"minimum macOS {'.'.join(map(str, minos))} > {macos_min[0]}.{macos_min[1]} (wheel tag)",
        )
    if not binary.has_code_signature or binary.code_signature.data_size == 0:
        raise CheckFailed("macho-codesign", "no LC_CODE_SIGNATURE: arm64 macOS kills unsigned binaries")
    return {
        "machine": wanted,
        "minos": ".".join(map(str, minos)),
        "libraries": ",".join(libs),
    }
