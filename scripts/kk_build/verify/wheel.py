"""Check one built wheel against its platform-matrix.toml target."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kk_common.arch import normalise, of_platform_tag
from kk_common.matrix import Target

from kk_build import console_script
from kk_build.verify import CheckFailed

PACKAGE = "kimi_kernel"


@dataclass(frozen=True)
class WheelReport:
    binary_path: str
    binary_size: int
    details: dict[str, str]


def platform_tags_of(wheel: Path) -> frozenset[str]:
    """Platform tags from a wheel file name: name-version-py-abi-PLATFORM.whl."""
    parts = wheel.name.removesuffix(".whl").split("-")
    if len(parts) < 5:
        raise CheckFailed("wheel-name", f"{wheel.name} is not a wheel file name")
    return frozenset(parts[-1].split("."))


def _binary_entry(zf: zipfile.ZipFile, target: Target) -> zipfile.ZipInfo:
    hits = [
        info
        for info in zf.infolist()
        if PurePosixPath(info.filename).name == target.binary
        and PurePosixPath(info.filename).parent.name == "scripts"
        and ".data" in PurePosixPath(info.filename).parts[0]
    ]
    stem = PurePosixPath(target.binary).stem
    named = [i.filename for i in zf.infolist() if PurePosixPath(i.filename).stem == stem]
    if len(hits) != 1 or len(named) != 1:
        raise CheckFailed(
            "one-binary",
            f"expected exactly one {target.binary} under *.data/scripts/, found {named}",
        )
    return hits[0]


def _check_console_scripts(zf: zipfile.ZipFile) -> None:
    """Every script of [tool.kimi-kernel.console-scripts] is an entry point, not a data script."""
    wanted = console_script.declared()
    ep = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
    have = console_script.parse_console_scripts(zf.read(ep[0]).decode("utf-8")) if len(ep) == 1 else {}
    data_scripts = {
        PurePosixPath(n).name for n in zf.namelist()
        if len(PurePosixPath(n).parts) == 3 and PurePosixPath(n).parts[1] == "scripts"
        and PurePosixPath(n).parts[0].endswith(".data")
    }
    if have != wanted or data_scripts & wanted.keys():
        raise CheckFailed(
            "console-script",
            f"entry_points.txt console_scripts are {have} and data scripts {sorted(data_scripts)}; "
            f"expected console scripts {wanted} and no data script of those names "
            "(scripts/kk_build/console_script.py adds them after maturin)",
        )


def check_record(zf: zipfile.ZipFile) -> None:
    """Every member is in RECORD with its sha256 and size (the SBOM is rewritten after maturin)."""
    record = next((n for n in zf.namelist() if n.endswith(".dist-info/RECORD")), None)
    if record is None:
        raise CheckFailed("record", "no .dist-info/RECORD")
    listed: dict[str, tuple[str, str]] = {}
    for row in csv.reader(io.StringIO(zf.read(record).decode("utf-8"))):
        if row:
            listed[row[0]] = (row[1], row[2]) if len(row) >= 3 else ("", "")
    for info in zf.infolist():
        if info.filename == record or info.is_dir():
            continue
        data = zf.read(info)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        if listed.get(info.filename) != (f"sha256={digest}", str(len(data))):
            raise CheckFailed("record", f"{info.filename}: RECORD says {listed.get(info.filename)}, "
                                        f"content has sha256={digest},{len(data)}")


def check_structure(wheel: Path, target: Target) -> tuple[zipfile.ZipInfo, bytes]:
    tags = platform_tags_of(wheel)
    if tags != target.platform_tags:
        raise CheckFailed(
            "wheel-tag", f"{wheel.name} has platform tags {sorted(tags)}, matrix says {target.wheel_tag}"
        )
    with zipfile.ZipFile(wheel) as zf:
        bad = zf.testzip()
        if bad is not None:
            raise CheckFailed("zip-integrity", f"corrupt member {bad}")
        names = zf.namelist()
        if f"{PACKAGE}/__init__.py" not in names:
            raise CheckFailed("python-package", f"{PACKAGE}/__init__.py missing from the wheel")
        sboms = [n for n in names if "/sboms/" in n]
        if not sboms:
            raise CheckFailed("sbom", "maturin's SBOM (*.dist-info/sboms/) missing from the wheel")
        for name in sboms:
            leak = re.search(rb"path\+file://(?!/kimi-kernel/)[^\"#]*", zf.read(name))
            if leak:
                raise CheckFailed("sbom-path", f"{name} records a checkout path: {leak.group().decode()}")
        _check_console_scripts(zf)
        entry = _binary_entry(zf, target)
        mode = entry.external_attr >> 16
        if not stat.S_ISREG(mode) or mode & 0o111 != 0o111:
            raise CheckFailed(
                "executable", f"{entry.filename} has unix mode {oct(mode)}, needs to be 0o755-ish"
            )
        data = zf.read(entry)
        check_record(zf)
    return entry, data


def check(wheel: Path, target: Target, auditwheel: str) -> WheelReport:
    """All checks for ``target``'s format; raises CheckFailed naming the failed check."""
    entry, data = check_structure(wheel, target)
    tag_archs = {of_platform_tag(t) for t in target.platform_tags}
    if tag_archs != {normalise(target.arch)}:
        raise CheckFailed("tag-arch", f"wheel tag archs {tag_archs} != target arch {target.arch}")
    details: dict[str, str]
    if target.format == "elf":
        from kk_build.verify import elf

        floor = target.glibc_floor
        if floor is None:
            raise CheckFailed("wheel-tag", f"ELF target {target.key} has no manylinux_X_Y tag")
        details = elf.check_binary(data, target.arch, floor)
        details["auditwheel"] = elf.check_auditwheel(wheel, floor, target.arch, auditwheel)
    elif target.format == "macho":
        from kk_build.verify import macho

        minimum = target.macos_min
        if minimum is None:
            raise CheckFailed("wheel-tag", f"Mach-O target {target.key} has no macosx_X_Y tag")
        details = macho.check_binary(data, target.arch, minimum)
    elif target.format == "pe":
        from kk_build.verify import pe

        details = pe.check_binary(data, target.arch)
    else:
        raise CheckFailed("format", f"unknown binary format {target.format!r}")
    return WheelReport(binary_path=entry.filename, binary_size=entry.file_size, details=details)
