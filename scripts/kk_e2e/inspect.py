"""Structural checks of a kagent binary as e2e table rows: architecture for every format, and
for Mach-O (which nothing here can execute) linked libraries, minimum OS and code signature.
The header facts come from kk_common.binfmt, the same reader the build verification uses."""

from __future__ import annotations

from pathlib import Path

from kk_common import binfmt
from kk_common.arch import known
from kk_common.matrix import Target

from kk_e2e.results import Check

MACOS_MIN_OS = (11, 0)


def check_arch(binary: Path, target: Target) -> Check:
    try:
        names = binfmt.machine_names(binary, target.format)
    except binfmt.BinaryFormatError as exc:
        return Check("arch", False, str(exc))
    if len(names) != 1:
        return Check("arch", False, f"expected a thin {target.arch} Mach-O, found slices {names}")
    got = names[0]
    ok = known(got) is not None and known(got) == known(target.arch)
    return Check("arch", ok, f"{target.format} {got} (want {target.arch})")


def macho_checks(binary: Path) -> list[Check]:
    """Linked libraries, minimum macOS and code signature of a thin Mach-O binary."""
    try:
        facts = binfmt.macho_facts(binary)
    except binfmt.BinaryFormatError as exc:
        return [Check("macho parse", False, str(exc))]
    libs, foreign = facts.libraries, facts.foreign_libraries
    checks = [
        Check(
            "linked libs",
            bool(libs) and not foreign,
            f"non-system: {foreign}" if foreign else f"system only: {libs}",
        )
    ]
    if facts.minos is None:
        checks.append(Check("minimum OS", False, "no LC_BUILD_VERSION / LC_VERSION_MIN_MACOSX"))
    else:
        shown = ".".join(str(x) for x in facts.minos)
        ok = facts.minos[:2] <= MACOS_MIN_OS
        checks.append(Check("minimum OS", ok, f"minos {shown} (need <= 11.0)"))
    size = facts.signature_size
    checks.append(
        Check(
            "code signature",
            size > 0,
            f"LC_CODE_SIGNATURE, {size} bytes"
            if size > 0
            else "no LC_CODE_SIGNATURE: arm64 macOS refuses to run unsigned code",
        )
    )
    return checks
