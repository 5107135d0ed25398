"""Find a target's wheel in dist/, check its layout, and unpack its kagent binary."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from kk_e2e.matrix import Target
from kk_e2e.results import Check


class WheelError(RuntimeError):
    pass


def find_wheel(dist: Path, target: Target) -> Path | None:
    matches = sorted(
        (w for w in dist.glob("*.whl") if target.matches_wheel(w.name)),
        key=lambda p: p.stat().st_mtime,
    )
    return matches[-1] if matches else None


def wheel_version(wheel: Path) -> str:
    parts = wheel.name.split("-")
    if len(parts) < 5:
        raise WheelError(
            f"{wheel.name} is not a wheel file name (name-version-py-abi-plat.whl)"
        )
    return parts[1]


def binary_members(zf: zipfile.ZipFile, target: Target) -> list[zipfile.ZipInfo]:
    return [
        i
        for i in zf.infolist()
        if i.filename.split("/")[-1] == target.binary and ".data/scripts/" in i.filename
    ]


def check_layout(wheel: Path, target: Target) -> Check:
    """The wheel holds kimi_kernel and exactly one kagent binary, executable on Unix."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        bins = binary_members(zf, target)
        problems: list[str] = []
        if "kimi_kernel/__init__.py" not in names:
            problems.append("no kimi_kernel/__init__.py")
        if len(bins) != 1:
            problems.append(
                f"expected exactly one {target.binary} under *.data/scripts/, found "
                f"{[b.filename for b in bins]}"
            )
        elif target.format != "pe":
            mode = bins[0].external_attr >> 16
            if not mode & stat.S_IXUSR:
                problems.append(
                    f"{bins[0].filename} lacks the exec bit (mode {oct(mode)})"
                )
        shims = [n for n in names if n.lower().endswith("bcryptprimitives.dll")]
        if shims:
            problems.append(f"the wine test shim leaked into the wheel: {shims}")
    if problems:
        return Check("wheel layout", False, "; ".join(problems))
    return Check("wheel layout", True, f"kimi_kernel + {bins[0].filename}")


def extract_binary(wheel: Path, target: Target, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        bins = binary_members(zf, target)
        if len(bins) != 1:
            raise WheelError(
                f"{wheel.name}: expected one {target.binary}, found {[b.filename for b in bins]}"
            )
        out = dest / target.binary
        out.write_bytes(zf.read(bins[0]))
    out.chmod(0o755)
    return out
