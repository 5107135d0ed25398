"""Wheel and binary checks against real binaries: the host wheel under test (KK_HOST_WHEEL,
exported by `nox -s tests`) and small Mach-O / PE / ELF programs linked here by zig."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from kk_build.verify import CheckFailed, elf, macho, pe
from kk_build.verify import wheel as verify_wheel
from kk_common import matrix
from support.build_host import host_target, host_wheel

HELLO = '#include <stdio.h>\nint main(void){puts("hi");return 0;}\n'
FOREIGN = "int foreign(void);\nint main(void){return foreign();}\n"
LIB = "int foreign(void){return 0;}\n"


def zig_cc(tmp: Path, zig_target: str, src: str, out: str, *extra: str) -> bytes:
    (tmp / "prog.c").write_text(src, encoding="utf-8")
    cmd = [sys.executable, "-m", "ziglang", "cc", "-target", zig_target, "-o", str(tmp / out),
           str(tmp / "prog.c"), *extra]
    subprocess.run(cmd, check=True, cwd=tmp, capture_output=True)
    return (tmp / out).read_bytes()


def auditwheel() -> str:
    found = shutil.which("auditwheel")
    assert found, "auditwheel not on PATH (the nox session venv provides it)"
    return found


def rewrite(src: Path, dst: Path, edit: dict[str, tuple[str, int] | None]) -> Path:
    """Copy a wheel, renaming/re-moding (name -> (new name, mode)) or dropping (None) members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in edit:
                change = edit[info.filename]
                if change is None:
                    continue
                new = zipfile.ZipInfo(change[0], info.date_time)
                new.external_attr = change[1] << 16
                zout.writestr(new, data)
            else:
                zout.writestr(info, data)
    return dst


def binary_member(wheel: Path, target: matrix.Target) -> str:
    with zipfile.ZipFile(wheel) as zf:
        return next(n for n in zf.namelist() if n.endswith("/scripts/" + target.binary))


def test_host_wheel_passes_every_check() -> None:
    target = host_target()
    report = verify_wheel.check(host_wheel(), target, auditwheel())
    assert report.binary_size > 0
    assert report.binary_path.endswith("/scripts/" + target.binary)


def test_non_executable_binary_fails(tmp_path: Path) -> None:
    target, wheel = host_target(), host_wheel()
    member = binary_member(wheel, target)
    bad = rewrite(wheel, tmp_path / wheel.name, {member: (member, 0o100644)})
    with pytest.raises(CheckFailed, match="executable"):
        verify_wheel.check_structure(bad, target)


def test_second_binary_fails(tmp_path: Path) -> None:
    target, wheel = host_target(), host_wheel()
    member = binary_member(wheel, target)
    bad = tmp_path / wheel.name
    shutil.copy(wheel, bad)
    with zipfile.ZipFile(bad, "a") as zf:
        info = zipfile.ZipInfo("kimi_kernel/" + target.binary)
        info.external_attr = 0o100755 << 16
        zf.writestr(info, b"x")
    with pytest.raises(CheckFailed, match="one-binary"):
        verify_wheel.check_structure(bad, target)
    assert member


def test_missing_package_fails(tmp_path: Path) -> None:
    target, wheel = host_target(), host_wheel()
    bad = rewrite(wheel, tmp_path / wheel.name, {"kimi_kernel/__init__.py": None})
    with pytest.raises(CheckFailed, match="python-package"):
        verify_wheel.check_structure(bad, target)


def test_wrong_tag_fails(tmp_path: Path) -> None:
    target, wheel = host_target(), host_wheel()
    other = next(t for t in matrix.load().values() if t.platform_tags != target.platform_tags)
    renamed = tmp_path / wheel.name.replace(wheel.name.split("-")[-1], other.wheel_tag + ".whl")
    shutil.copy(wheel, renamed)
    with pytest.raises(CheckFailed, match="wheel-tag"):
        verify_wheel.check_structure(renamed, target)


def test_elf_checks_on_the_host_binary() -> None:
    target, wheel = host_target(), host_wheel()
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(binary_member(wheel, target))
    floor = target.glibc_floor
    assert floor is not None
    assert elf.check_binary(data, target.arch, floor)["max_glibc"] <= f"{floor[0]}.{floor[1]}"
    wrong = "aarch64" if target.arch != "aarch64" else "x86_64"
    with pytest.raises(CheckFailed, match="elf-machine"):
        elf.check_binary(data, wrong, floor)
    highest = elf.glibc_versions(data)[-1]
    with pytest.raises(CheckFailed, match="glibc-floor"):
        elf.check_binary(data, target.arch, (highest[0], highest[1] - 1))


def test_elf_needing_new_glibc_fails(tmp_path: Path) -> None:
    """zig links against the glibc version it is told: 2.34 moved symbols to new versions."""
    src = "#include <stdlib.h>\nint main(void){return (int)(arc4random() & 1u);}\n"
    data = zig_cc(tmp_path, "x86_64-linux-gnu.2.38", src, "new")
    assert elf.glibc_versions(data)[-1] > (2, 17)
    with pytest.raises(CheckFailed, match="glibc-floor"):
        elf.check_binary(data, "x86_64", (2, 17))


def test_macho_checks(tmp_path: Path) -> None:
    data = zig_cc(tmp_path, "aarch64-macos.11.0", HELLO, "hello")
    details = macho.check_binary(data, "arm64", (11, 0))
    assert details["libraries"] == "/usr/lib/libSystem.B.dylib"
    with pytest.raises(CheckFailed, match="macho-arch"):
        macho.check_binary(data, "x86_64", (11, 0))
    with pytest.raises(CheckFailed, match="macho-minos"):
        macho.check_binary(data, "arm64", (10, 15))


def test_macho_foreign_library_fails(tmp_path: Path) -> None:
    zig_cc(tmp_path, "aarch64-macos.11.0", LIB, "libforeign.dylib", "-shared")
    data = zig_cc(tmp_path, "aarch64-macos.11.0", FOREIGN, "uses", "-L.", "-lforeign")
    with pytest.raises(CheckFailed, match="macho-system-libs"):
        macho.check_binary(data, "arm64", (11, 0))


def test_pe_checks(tmp_path: Path) -> None:
    data = zig_cc(tmp_path, "x86_64-windows-gnu", HELLO, "hello.exe")
    details = pe.check_binary(data, "x86_64")
    assert "kernel32.dll" in details["imports"].lower()
    with pytest.raises(CheckFailed, match="pe-machine"):
        pe.check_binary(data, "aarch64")


def test_pe_foreign_dll_fails(tmp_path: Path) -> None:
    zig_cc(tmp_path, "x86_64-windows-gnu", LIB.replace("int", "__declspec(dllexport) int", 1),
           "foreign.dll", "-shared", "-Wl,--out-implib,libforeign.a")
    data = zig_cc(tmp_path, "x86_64-windows-gnu", FOREIGN, "uses.exe", "-L.", "-lforeign")
    with pytest.raises(CheckFailed, match=r"pe-imports.*foreign\.dll"):
        pe.check_binary(data, "x86_64")


def test_system_dll_allow_list() -> None:
    assert pe.is_system_dll("KERNEL32.dll")
    assert pe.is_system_dll("api-ms-win-core-synch-l1-2-0.dll")
    assert not pe.is_system_dll("vcruntime140.dll")
    assert not pe.is_system_dll("libgcc_s_seh-1.dll")
