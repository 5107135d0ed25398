"""compare_wheels (the parity lane's check) on wheels holding real binaries."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from kk_e2e.host import host_arch
from kk_e2e.matrix import load_matrix
from kk_release.compare_wheels import compare, payload

HOST = next(t for t in load_matrix() if t.format == "elf" and t.arch == host_arch())


def wheel(path: Path, binary: bytes, extra: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("kimi_kernel/__init__.py", "")
        zf.writestr(f"kimi_kernel-0.1.0.data/scripts/{HOST.binary}", binary)
        zf.writestr("kimi_kernel-0.1.0.dist-info/RECORD", str(path))
        for name in extra:
            zf.writestr(name, "")
    return path


def test_same_files_same_arch_is_parity(tmp_path: Path) -> None:
    elf = Path(sys.executable).resolve().read_bytes()
    zig = wheel(tmp_path / "zig.whl", elf)
    native = wheel(tmp_path / "native.whl", elf)
    assert payload(zig) == {"kimi_kernel/__init__.py", f"scripts/{HOST.binary}"}
    assert compare(HOST, zig, native) == []


def test_extra_files_and_foreign_binaries_are_reported(tmp_path: Path) -> None:
    elf = Path(sys.executable).resolve().read_bytes()
    zig = wheel(tmp_path / "zig.whl", elf)
    native = wheel(
        tmp_path / "native.whl", b"MZ not an elf", extra=("kimi_kernel/extra.py",)
    )
    problems = compare(HOST, zig, native)
    assert any("only in native: ['kimi_kernel/extra.py']" in p for p in problems)
    assert any(p.startswith("native wheel kagent:") for p in problems)


def test_console_script_entry_point_equals_data_script(tmp_path: Path) -> None:
    elf = Path(sys.executable).resolve().read_bytes()
    zig = wheel(tmp_path / "zig.whl", elf)
    with zipfile.ZipFile(zig, "a") as zf:
        zf.writestr(
            "kimi_kernel-0.1.0.dist-info/entry_points.txt",
            "[console_scripts]\nkimi-kernel = kimi_kernel.cli:main\n",
        )
    native = wheel(
        tmp_path / "native.whl", elf, extra=("kimi_kernel-0.1.0.data/scripts/kimi-kernel",)
    )
    assert "scripts/kimi-kernel" in payload(zig)
    assert compare(HOST, zig, native) == []
    bare = wheel(tmp_path / "bare.whl", elf)
    assert any("only in native: ['scripts/kimi-kernel']" in p for p in compare(HOST, bare, native))
