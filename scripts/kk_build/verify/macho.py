"""Mach-O (macOS) checks with lief: arch only, system libraries only, minimum OS, signature."""

from __future__ import annotations

import lief

from kk_build.verify import CheckFailed
from kk_build.verify.arch import normalise

lief.logging.disable()

_CPUS = {"ARM64": "aarch64", "X86_64": "x86_64"}
SYSTEM_PREFIXES = ("/usr/lib/", "/System/Library/")


def _enum_name(value: object) -> str:
    return str(value).rsplit(".", 1)[-1]


def check_binary(data: bytes, arch: str, macos_min: tuple[int, int]) -> dict[str, str]:
    fat = lief.MachO.parse(list(data))
    if fat is None or fat.size == 0:
        raise CheckFailed("macho-parse", "lief could not parse the binary as Mach-O")
    slices = [fat.at(i) for i in range(fat.size)]
    binaries = [b for b in slices if b is not None]
    cpus = [_enum_name(b.header.cpu_type) for b in binaries]
    wanted = normalise(arch)
    if len(binaries) != len(slices) or [_CPUS.get(c, c) for c in cpus] != [wanted]:
        raise CheckFailed("macho-arch", f"architectures {cpus}, expected only {arch}")
    binary = binaries[0]
    libs = [lib.name for lib in binary.libraries]
    foreign = [lib for lib in libs if not lib.startswith(SYSTEM_PREFIXES)]
    if foreign:
        raise CheckFailed("macho-system-libs", f"links non-system libraries {foreign}")
    build_version = binary.build_version if binary.has_build_version else None
    version_min = binary.version_min if binary.has_version_min else None
    if build_version is not None:
        minos = tuple(build_version.minos)
    elif version_min is not None:
        minos = tuple(version_min.version)
    else:
        raise CheckFailed("macho-minos", "no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX")
    if minos[:2] > macos_min:
        raise CheckFailed(
            "macho-minos",
            f"minimum macOS {'.'.join(map(str, minos))} > {macos_min[0]}.{macos_min[1]} (wheel tag)",
        )
    signature = binary.code_signature if binary.has_code_signature else None
    if signature is None or signature.data_size == 0:
        raise CheckFailed("macho-codesign", "no LC_CODE_SIGNATURE: arm64 macOS kills unsigned binaries")
    return {
        "machine": wanted,
        "minos": ".".join(map(str, minos)),
        "libraries": ",".join(libs),
    }
