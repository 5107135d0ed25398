from __future__ import annotations

import sys
from pathlib import Path

import pytest
from kk_build import pyfind, toolchain
from kk_build.toolchain import Rustc, ToolchainError


def fake_sysroot(root: Path, version: str, src_name: str | None, std_for: str | None) -> Rustc:
    """A real directory tree shaped like a sysroot (no compiler inside)."""
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "cargo").write_text("")
    if std_for:
        lib = root / "lib" / "rustlib" / std_for / "lib"
        lib.mkdir(parents=True)
        (lib / "libstd-0123.rlib").write_bytes(b"")
    if src_name:
        src = root / "src" / src_name / "library" / "std"
        src.mkdir(parents=True)
        (src / "Cargo.toml").write_text("")
        (root / "lib" / "rustlib" / "src").mkdir(parents=True, exist_ok=True)
        (root / "lib" / "rustlib" / "src" / "rust").symlink_to(root / "src" / src_name)
    return Rustc(rustc=root / "bin" / "rustc", sysroot=root, version=version,
                 verbose_version=f"rustc {version}")


def test_prebuilt_std_wins(tmp_path: Path) -> None:
    a = fake_sysroot(tmp_path / "a", "1.95.0", None, "some-triple")
    b = fake_sysroot(tmp_path / "b", "1.96.0", "rustc-1.96.0", None)
    chosen = toolchain.choose("some-triple", [b, a])
    assert chosen.kind == "prebuilt-std" and chosen.rustc is a and chosen.cargo_args == ()


def test_build_std_from_matching_source(tmp_path: Path) -> None:
    b = fake_sysroot(tmp_path / "b", "1.96.0", "rustc-1.96.0", None)
    chosen = toolchain.choose("some-triple", [b])
    assert chosen.kind == "build-std"
    assert chosen.cargo_args == (toolchain.BUILD_STD_ARG,)
    assert chosen.env == {"RUSTC_BOOTSTRAP": "1"}


def test_mismatched_source_is_refused_with_the_fix(tmp_path: Path) -> None:
    c = fake_sysroot(tmp_path / "c", "1.96.0", "rustc-1.90.0", None)
    assert not c.src_matches()
    with pytest.raises(ToolchainError) as info:
        toolchain.choose("some-triple", [c])
    msg = str(info.value)
    assert "no Rust std for some-triple" in msg
    assert "rustup target add some-triple" in msg
    assert "apt-get install -y rustc-web cargo-web rust-web-src" in msg


def test_this_machine_can_build_its_host_target() -> None:
    host = toolchain.host_triple()
    chosen = toolchain.choose(host)
    assert chosen.rustc.cargo.is_file()
    assert chosen.kind in ("prebuilt-std", "build-std")


def test_find_python_runs_a_312_plus() -> None:
    exe = pyfind.find()
    version = pyfind.probe(exe)
    assert version is not None and version >= (3, 12)


def test_probe_rejects_what_does_not_run(tmp_path: Path) -> None:
    assert pyfind.probe(str(tmp_path / "missing-python")) is None
    assert pyfind.probe(sys.executable) == sys.version_info[:2]
