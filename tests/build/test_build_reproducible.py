"""Reproducibility across checkout paths: the SBOM's checkout path is normalized, RECORD kept
right, and the second build's source is a copy of the work tree at another path."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest
from kk_build import reproducible, sbom
from kk_build.verify import CheckFailed
from kk_build.verify.wheel import check_record
from kk_common.matrix import REPO_ROOT

DIST_INFO = "kimi_kernel-0.1.0.dist-info"


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def fake_wheel(path: Path, checkout: Path) -> Path:
    members = {
        "kimi_kernel/__init__.py": b"",
        f"{DIST_INFO}/sboms/kagent.cyclonedx.json":
            (
                f'{{"bom-ref": "path+file://{checkout}/kagent#0.1.0", '
                f'"x": "path+file://{checkout}/kagent#0.1.0 bin"}}'
            ).encode(),
    }
    record = "".join(f"{n},{_hash(d)},{len(d)}\n" for n, d in members.items()) + f"{DIST_INFO}/RECORD,,\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [*members.items(), (f"{DIST_INFO}/RECORD", record.encode())]:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 2, 3, 4, 6))
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_two_checkout_paths_give_the_same_wheel_after_normalizing(tmp_path: Path) -> None:
    a = fake_wheel(tmp_path / "a.whl", Path("/work/one"))
    b = fake_wheel(tmp_path / "b.whl", Path("/tmp/kk-repro-x/a-much-longer-checkout-name"))
    assert a.read_bytes() != b.read_bytes()
    expected = [f"{DIST_INFO}/RECORD", f"{DIST_INFO}/sboms/kagent.cyclonedx.json"]
    assert sbom.normalize(a, Path("/work/one")) == expected
    sbom.normalize(b, Path("/tmp/kk-repro-x/a-much-longer-checkout-name"))
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert b"path+file:///kimi-kernel/kagent#0.1.0" in zf.read(f"{DIST_INFO}/sboms/kagent.cyclonedx.json")
        assert [i.date_time for i in zf.infolist()] == [(2026, 1, 2, 3, 4, 6)] * 3
        check_record(zf)
    before = a.read_bytes()
    assert sbom.normalize(a, Path("/work/one")) == []  # nothing left to rewrite: untouched
    assert a.read_bytes() == before


def test_record_check_catches_a_stale_hash(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path / "w.whl", Path("/src"))
    with zipfile.ZipFile(wheel) as zf:
        check_record(zf)
    stale = tmp_path / "stale.whl"
    with zipfile.ZipFile(wheel) as zf, zipfile.ZipFile(stale, "w") as out:
        for info in zf.infolist():
            data = zf.read(info)
            out.writestr(info, data + b" " if "sboms" in info.filename else data)
    with zipfile.ZipFile(stale) as zf, pytest.raises(CheckFailed, match="record"):
        check_record(zf)


def test_the_copy_is_the_work_tree_at_another_path(tmp_path: Path) -> None:
    names = reproducible.source_files()
    assert "pyproject.toml" in names and "kagent/Cargo.toml" in names
    assert not any(n.startswith(("build/", "dist/", ".nox/", ".git/")) for n in names)
    assert "tests/build/test_build_reproducible.py" in names  # new files count before a commit
    with pytest.raises(ValueError, match="another path"):
        reproducible.copy_checkout(REPO_ROOT)
    tracked = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "kagent/src"],
                             capture_output=True, text=True, check=True).stdout.split()
    copy = tmp_path / "copy"
    sources = [n for n in names if n.startswith("kagent/src/")]
    assert set(tracked) <= set(sources)
    for name in sources[:3]:
        copy_one = copy / name
        copy_one.parent.mkdir(parents=True, exist_ok=True)
    reproducible.copy_checkout(copy)
    for name in sources:
        assert (copy / name).read_bytes() == (REPO_ROOT / name).read_bytes()


def test_against_dist_picks_the_one_host_wheel_or_names_the_fix(tmp_path: Path) -> None:
    """ci/run-tests.sh's background check compares with the host wheel of dist/: it must find
    exactly that one wheel among the other targets' and say how to get it when it is missing."""
    from kk_build import cli, toolchain
    from kk_common import matrix

    host = toolchain.host_target()
    others = [t for t in matrix.load().values() if t.key != host.key]
    for t in others:
        (tmp_path / f"kimi_kernel-0.1.0-py3-none-{'.'.join(sorted(t.platform_tags))}.whl").touch()
    with pytest.raises(matrix.MatrixError, match=rf"exactly one {host.key} wheel .* found none; "
                       rf"build it first \(`nox -s wheels -- {host.key}`\)"):
        cli._host_wheel_in(tmp_path)
    wheel = tmp_path / f"kimi_kernel-0.1.0-py3-none-{'.'.join(sorted(host.platform_tags))}.whl"
    wheel.touch()
    assert cli._host_wheel_in(tmp_path) == wheel
