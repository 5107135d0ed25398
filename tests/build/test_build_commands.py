"""The maturin command line and environment each matrix target gets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from kk_build import build, toolchain
from kk_common import matrix


def host_toolchain() -> toolchain.Toolchain:
    return toolchain.choose(toolchain.host_triple())


def test_every_target_gets_its_triple_and_glibc_floor() -> None:
    tc = host_toolchain()
    for target in matrix.load().values():
        cmd = build.maturin_command(target, tc, Path("/out"))
        assert cmd[cmd.index("--target") + 1] == target.rust_triple
        assert "--zig" in cmd and "--release" in cmd
        if target.glibc_floor:
            major, minor = target.glibc_floor
            assert cmd[cmd.index("--compatibility") + 1] == f"manylinux_{major}_{minor}"
        else:
            assert "--compatibility" not in cmd


def test_build_std_args_follow_the_toolchain(tmp_path: Path) -> None:
    target = next(iter(matrix.load().values()))
    tc = host_toolchain()
    fake = toolchain.Toolchain(kind="build-std", rustc=tc.rustc, cargo_args=(toolchain.BUILD_STD_ARG,))
    assert build.maturin_command(target, fake, tmp_path)[-1] == toolchain.BUILD_STD_ARG
    plain = toolchain.Toolchain(kind="prebuilt-std", rustc=tc.rustc)
    assert toolchain.BUILD_STD_ARG not in build.maturin_command(target, plain, tmp_path)


def test_env_remaps_paths_and_pins_the_toolchain(tmp_path: Path) -> None:
    tc = host_toolchain()
    env = build.build_env(tc, tmp_path / "target", "1234")
    flags = env["CARGO_ENCODED_RUSTFLAGS"].split("\x1f")
    assert f"--remap-path-prefix={matrix.REPO_ROOT}=/kimi-kernel" in flags
    assert f"--remap-path-prefix={tmp_path / 'target'}=/target" in flags
    assert env["SOURCE_DATE_EPOCH"] == "1234"
    assert env["RUSTC"] == str(tc.rustc.rustc)
    assert env["CARGO_TARGET_DIR"] == str(tmp_path / "target")
    path = env["PATH"].split(":")
    assert path[0] == str(build.VENV_BIN) and path[1] == str(tc.rustc.bin_dir)


def test_link_stubs_are_empty_archives(tmp_path: Path) -> None:
    tc = host_toolchain()
    stubbed = toolchain.Toolchain(kind=tc.kind, rustc=tc.rustc, link_stub_dir_needed=True)
    flags = build.rustflags(stubbed, tmp_path)
    stub_dir = Path(flags[flags.index("-L") + 1].removeprefix("native="))
    for name in build.STUB_ARCHIVES:
        assert (stub_dir / name).read_bytes() == b"!<arch>\n"
    plain = toolchain.Toolchain(kind=tc.kind, rustc=tc.rustc, link_stub_dir_needed=False)
    assert "-L" not in build.rustflags(plain, tmp_path)


def test_source_date_epoch_defaults_to_last_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    expected = subprocess.run(
        ["git", "-C", str(matrix.REPO_ROOT), "log", "-1", "--format=%ct"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert build.source_date_epoch() == expected
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99")
    assert build.source_date_epoch() == "99"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError, match="digits only"):
        build.source_date_epoch()


def test_the_sdist_must_carry_the_wheel_data_dir(tmp_path: Path) -> None:
    """A maturin sdist without `[tool.maturin] data` cannot build a wheel: named, with the fix."""
    import io
    import tarfile

    from kk_build.build import sdist_missing_data

    root = tmp_path / "proj"
    (root / "python" / "wheel-data" / "scripts").mkdir(parents=True)
    (root / "python" / "wheel-data" / "scripts" / "tool").write_text("#!/bin/sh\n")
    (root / "pyproject.toml").write_text('[tool.maturin]\ndata = "python/wheel-data"\n')

    def sdist(names: list[str]) -> Path:
        path = tmp_path / f"p-{len(names)}.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            for name in names:
                info = tarfile.TarInfo(f"p-1.0/{name}")
                info.size = 1
                tar.addfile(info, io.BytesIO(b"x"))
        return path

    assert sdist_missing_data(sdist(["pyproject.toml"]), root) == ["python/wheel-data/scripts/tool"]
    assert sdist_missing_data(sdist(["pyproject.toml", "python/wheel-data/scripts/tool"]), root) == []
