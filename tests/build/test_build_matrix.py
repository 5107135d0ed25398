from __future__ import annotations

from pathlib import Path

import pytest
from kk_common import matrix
from kk_common.matrix import MatrixError

GOOD = """
[targets.a]
rust_triple = "x-unknown-linux-gnu"
zig_target = "x-unknown-linux-gnu.2.17"
wheel_tag = "manylinux_2_17_x86_64.manylinux2014_x86_64"
binary = "kagent"
arch = "x86_64"
format = "elf"
e2e = "native"
gh_runner = "r"

[targets.b]
rust_triple = "y-apple-darwin"
zig_target = "y-apple-darwin"
wheel_tag = "macosx_11_0_arm64"
binary = "kagent"
arch = "arm64"
format = "macho"
e2e = "inspect-only"
gh_runner = "m"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "platform-matrix.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_real_matrix_loads_and_is_consistent() -> None:
    targets = matrix.load()
    assert len(targets) >= 1
    for key, t in targets.items():
        assert t.key == key
        assert t.format in ("elf", "macho", "pe")
        if t.format == "elf":
            assert t.glibc_floor is not None and t.zig_glibc == t.glibc_floor
        if t.format == "macho":
            assert t.macos_min is not None


def test_parsed_fields(tmp_path: Path) -> None:
    targets = matrix.load(write(tmp_path, GOOD))
    assert list(targets) == ["a", "b"]
    assert targets["a"].glibc_floor == (2, 17)
    assert targets["a"].zig_glibc == (2, 17)
    assert targets["a"].platform_tags == {
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
    }
    assert targets["b"].macos_min == (11, 0)
    assert targets["b"].glibc_floor is None


def test_select_subset_and_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert [t.key for t in matrix.select([], path)] == ["a", "b"]
    assert [t.key for t in matrix.select(["b", "b"], path)] == ["b"]
    with pytest.raises(
        MatrixError, match=r"unknown target\(s\) nope; platform-matrix.toml has: a, b"
    ):
        matrix.select(["nope"], path)


def test_missing_field_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace('binary = "kagent"\narch = "arm64"', 'arch = "arm64"')
    )
    with pytest.raises(
        MatrixError, match=r"\[targets.b\] lacks string field\(s\) binary"
    ):
        matrix.load(path)


def test_glibc_disagreement_is_caught(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD.replace("x-unknown-linux-gnu.2.17", "x-unknown-linux-gnu.2.28")
    )
    with pytest.raises(
        MatrixError, match="disagrees with the wheel tag's manylinux floor"
    ):
        matrix.load(path)


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match="restore it from git"):
        matrix.load(tmp_path / "absent.toml")


def test_all_but_host_leaves_out_only_the_host() -> None:
    from kk_build import cli, toolchain

    everything = [t.key for t in cli.select([], all_but_host=False)]
    rest = [t.key for t in cli.select([], all_but_host=True)]
    assert everything == list(matrix.load())
    assert rest == [k for k in everything if k != toolchain.host_target().key]
    assert len(rest) == len(everything) - 1


def test_unknown_e2e_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match=r"\[targets.b\] e2e 'emulate' is not one of"):
        matrix.load(
            write(tmp_path, GOOD.replace('e2e = "inspect-only"', 'e2e = "emulate"'))
        )


def test_matches_wheel_compares_platform_tag_sets(tmp_path: Path) -> None:
    a = matrix.load(write(tmp_path, GOOD))["a"]
    assert a.matches_wheel(
        "kimi_kernel-1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
    )
    assert not a.matches_wheel("kimi_kernel-1.0-py3-none-manylinux_2_17_x86_64.whl")
    assert not a.matches_wheel("not-a-wheel.whl")
