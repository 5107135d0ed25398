"""Mach-O (macOS) checks: arch only, system libraries only, minimum OS, signature."""

from __future__ import annotations

from kk_common import binfmt
from kk_common.arch import known, normalise

from kk_build.verify import CheckFailed


def check_binary(data: bytes, arch: str, macos_min: tuple[int, int]) -> dict[str, str]:
    try:
        cpus = binfmt.machine_names(data, "macho")
    except binfmt.BinaryFormatError as exc:
        raise CheckFailed("macho-parse", str(exc)) from None
    wanted = normalise(arch)
    if [known(c) or c for c in cpus] != [wanted]:
        raise CheckFailed("macho-arch", f"architectures {cpus}, expected only {arch}")
    facts = binfmt.macho_facts(data)
    if facts.foreign_libraries:
        raise CheckFailed("macho-system-libs", f"links non-system libraries {facts.foreign_libraries}")
    minos = facts.minos
    if minos is None:
        raise CheckFailed("macho-minos", "no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX")
    if minos[:2] > macos_min:
        raise CheckFailed(
            "macho-minos",
            f"minimum macOS {'.'.join(map(str, minos))} > {macos_min[0]}.{macos_min[1]} (wheel tag)",
        )
    if facts.signature_size == 0:
        raise CheckFailed("macho-codesign", "no LC_CODE_SIGNATURE: arm64 macOS kills unsigned binaries")
    return {
        "machine": wanted,
        "minos": ".".join(map(str, minos)),
        "libraries": ",".join(facts.libraries),
    }
