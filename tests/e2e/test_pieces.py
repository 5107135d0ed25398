"""The e2e runner's pieces on real files: matrix, wheel layout, the wine shim built with zig,
lief's structural checks, the result table, and the Debian-package message."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import lief
import pytest

from kk_e2e import host
from kk_e2e.inspect import check_arch, macho_checks
from kk_e2e.matrix import load_matrix
from kk_e2e.results import Check, TargetReport, render_table
from kk_e2e.runners import build_wine_shim, run_inspect
from kk_e2e.wheel import check_layout, extract_binary, find_wheel

TARGETS = {t.name: t for t in load_matrix()}


def by_format(fmt: str) -> list[str]:
    return [name for name, t in TARGETS.items() if t.format == fmt]


def make_wheel(
    dist: Path,
    tag: str,
    binary: str,
    *,
    mode: int = 0o755,
    extra: dict[str, bytes] | None = None,
) -> Path:
    wheel = dist / f"kimi_kernel-0.1.0-py3-none-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("kimi_kernel/__init__.py", "")
        info = zipfile.ZipInfo(f"kimi_kernel-0.1.0.data/scripts/{binary}")
        info.external_attr = (stat.S_IFREG | mode) << 16
        zf.writestr(info, b"\x7fELF fake")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return wheel


def test_every_target_finds_its_own_wheel_whatever_the_tag_order(
    tmp_path: Path,
) -> None:
    for t in TARGETS.values():
        reordered = ".".join(reversed(t.wheel_tag.split(".")))
        make_wheel(tmp_path, reordered, t.binary)
    for t in TARGETS.values():
        found = find_wheel(tmp_path, t)
        assert found is not None and t.matches_wheel(found.name)
        others = [o for o in TARGETS.values() if o is not t]
        assert all(not o.matches_wheel(found.name) for o in others)


def test_layout_accepts_a_good_wheel_and_names_each_problem(tmp_path: Path) -> None:
    unix = next(t for t in TARGETS.values() if t.format == "elf")
    good = make_wheel(tmp_path, unix.wheel_tag, unix.binary)
    assert check_layout(good, unix).ok
    assert extract_binary(good, unix, tmp_path / "out").read_bytes() == b"\x7fELF fake"

    (tmp_path / "b").mkdir()
    no_exec = make_wheel(tmp_path / "b", unix.wheel_tag, unix.binary, mode=0o644)
    assert "lacks the exec bit" in check_layout(no_exec, unix).detail

    (tmp_path / "c").mkdir()
    leaked = make_wheel(
        tmp_path / "c",
        unix.wheel_tag,
        unix.binary,
        extra={"kimi_kernel-0.1.0.data/scripts/bcryptprimitives.dll": b"MZ"},
    )
    result = check_layout(leaked, unix)
    assert not result.ok and "shim leaked" in result.detail

    (tmp_path / "d").mkdir()
    two = make_wheel(
        tmp_path / "d",
        unix.wheel_tag,
        unix.binary,
        extra={f"other.data/scripts/{unix.binary}": b"x"},
    )
    assert "expected exactly one" in check_layout(two, unix).detail


def test_wine_shim_builds_with_zig_and_exports_processprng(tmp_path: Path) -> None:
    wine = next(t for t in TARGETS.values() if t.e2e == "wine")
    dll = build_wine_shim(tmp_path, wine)
    pe = lief.PE.parse(str(dll))
    assert pe is not None
    assert [e.name for e in pe.exported_functions] == ["ProcessPrng"]
    assert [i.name.lower() for i in pe.imports] == ["advapi32.dll"]
    for name in by_format("pe"):
        assert check_arch(dll, TARGETS[name]).ok
    for name in by_format("elf"):
        result = check_arch(dll, TARGETS[name])
        assert not result.ok and "not an ELF file" in result.detail


def test_arch_check_reads_real_elf_files() -> None:
    me = Path(sys.executable).resolve()
    elf_targets = [TARGETS[n] for n in by_format("elf")]
    verdicts = {t.arch: check_arch(me, t).ok for t in elf_targets}
    assert verdicts.get(host.host_arch()) is True
    assert [a for a, ok in verdicts.items() if ok] == [host.host_arch()]


def test_table_lists_every_check_and_fails_on_any_failure() -> None:
    good = TargetReport("t1", "native", [Check("a", True, "fine"), Check("b", True)])
    bad = TargetReport(
        "t2", "inspect-only", [Check("c", False, "broken")], note="nothing ran"
    )
    table = render_table([good, bad])
    assert "t1  " in table and "t2  " in table and "broken" in table
    assert "note [t2]: nothing ran" in table
    assert table.splitlines()[-2:] == ["e2e verdict FAIL", "e2e: 2 passed, 1 failed"]
    assert render_table([good]).splitlines()[-2] == "e2e verdict PASS"
    empty = TargetReport("t3", "wine", [])
    assert not empty.ok and "(no checks ran)" in render_table([empty])


def test_missing_debian_packages_name_the_command_when_not_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(
        host, "cross_sysroot", lambda arch: tmp_path / f"{arch}-sysroot"
    )
    monkeypatch.setattr(host, "qemu_user", lambda arch: tmp_path / f"qemu-{arch}")
    monkeypatch.setattr(host, "is_root", lambda: False)
    wanted = (
        r"apt-get install -y --no-install-recommends qemu-user-static libc6-arm64-cross"
    )
    with pytest.raises(host.HostError, match=wanted):
        host.ensure_debian_packages("qemu-aarch64", "aarch64", [])
    (tmp_path / "qemu-aarch64").write_text("")
    (tmp_path / "aarch64-sysroot" / "lib").mkdir(parents=True)
    host.ensure_debian_packages("qemu-aarch64", "aarch64", [])  # present: nothing to do


def _zig_macho(tmp_path: Path, minos: str) -> Path:
    mac = next(t for t in TARGETS.values() if t.format == "macho")
    src = tmp_path / "main.c"
    src.write_text("int main(void) { return 0; }\n")
    out = tmp_path / f"kagent-{minos}"
    arch = mac.rust_triple.split("-")[0]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ziglang",
            "cc",
            "-target",
            f"{arch}-macos.{minos}",
            "-O2",
            "-o",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    return out


def test_inspect_only_passes_a_real_macho_and_says_nothing_ran(tmp_path: Path) -> None:
    mac = next(t for t in TARGETS.values() if t.format == "macho")
    binary = _zig_macho(tmp_path, "11.0")
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = make_wheel(dist, mac.wheel_tag, mac.binary)
    rebuilt = dist / "rebuilt" / wheel.name
    rebuilt.parent.mkdir()
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(rebuilt, "w") as dst:
        for info in src.infolist():
            data = (
                binary.read_bytes()
                if info.filename.endswith(mac.binary)
                else src.read(info)
            )
            dst.writestr(info, data)
    log: list[str] = []
    checks = run_inspect(mac, rebuilt, tmp_path / "work", log, False)
    assert {c.name: c.ok for c in checks} == {
        "wheel layout": True,
        "arch": True,
        "linked libs": True,
        "minimum OS": True,
        "code signature": True,
    }
    assert any("nothing was executed" in line for line in log)


def test_a_too_new_minimum_macos_fails(tmp_path: Path) -> None:
    checks = {c.name: c for c in macho_checks(_zig_macho(tmp_path, "13.0"))}
    assert not checks["minimum OS"].ok
    assert "minos 13.0" in checks["minimum OS"].detail
    assert checks["code signature"].ok and checks["linked libs"].ok


def test_cli_fails_and_names_the_build_command_when_wheels_are_missing(
    tmp_path: Path,
) -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kk_e2e",
            "--dist",
            str(tmp_path),
            "--work",
            str(tmp_path / "w"),
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root / "scripts")},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1
    for name in TARGETS:
        assert f"nox -s wheels -- {name}" in proc.stdout
    assert (
        proc.stdout.strip().splitlines()[-1] == f"e2e: 0 passed, {len(TARGETS)} failed"
    )
