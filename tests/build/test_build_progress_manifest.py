from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kk_build import manifest, progress
from kk_build.progress import StageError


def test_stage_lines_carry_target_stage_and_elapsed(capsys: pytest.CaptureFixture[str]) -> None:
    with progress.stage("tgt", "build"):
        pass
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "[tgt] build ..."
    assert err[1].startswith("[tgt] build ok") and err[1].endswith("s")


def test_failed_tool_names_target_stage_and_tail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = "import sys\nfor i in range(100): print('line', i)\nsys.exit(3)\n"
    log = tmp_path / "x.log"
    with pytest.raises(StageError) as info, progress.stage("tgt", "link"):
        progress.run("tgt", "link", [sys.executable, "-c", script], log=log)
    msg = str(info.value)
    assert msg.startswith("[tgt] link FAILED:")
    assert "exited 3" in msg and "line 99" in msg and "line 10\n" not in msg
    assert str(log) in msg and "line 0" in log.read_text()
    assert "[tgt] link FAILED after" in capsys.readouterr().err


def test_other_exceptions_become_stage_errors() -> None:
    with (
        pytest.raises(StageError, match=r"\[t\] verify FAILED: ValueError: boom"),
        progress.stage("t", "verify"),
    ):
        raise ValueError("boom")


def test_missing_tool_is_named() -> None:
    with pytest.raises(StageError, match="no-such-tool-kk not found"):
        progress.run("t", "s", ["no-such-tool-kk"])


def test_manifest_and_sums(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    whl = dist / "a-1-py3-none-any.whl"
    whl.write_bytes(b"wheel bytes")
    sdist = dist / "a-1.tar.gz"
    sdist.write_bytes(b"sdist bytes")
    entry = manifest.Entry(target="t1", file=whl.name, sha256=manifest.sha256(whl), binary="x/scripts/k",
                           binary_size=5, build_seconds=1.5, toolchain="tc")
    sums, man = manifest.write(dist, [entry], [sdist], {"maturin": "1"}, "123")
    check = subprocess.run(
        ["sha256sum", "-c", sums.name], check=False, cwd=dist, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    data = json.loads(man.read_text())
    assert data["source_date_epoch"] == "123"
    assert data["wheels"][0]["target"] == "t1" and data["wheels"][0]["binary_size"] == 5
    assert data["other_files"][0]["file"] == sdist.name

    # A later subset build keeps the other target's entry while its wheel is unchanged.
    whl2 = dist / "b-1-py3-none-any.whl"
    whl2.write_bytes(b"other")
    entry2 = manifest.Entry(target="t2", file=whl2.name, sha256=manifest.sha256(whl2), binary="y",
                            binary_size=1, build_seconds=2.0, toolchain="tc")
    manifest.write(dist, [entry2], [], {}, "123")
    data = json.loads(man.read_text())
    assert [w["target"] for w in data["wheels"]] == ["t1", "t2"]
    whl.write_bytes(b"tampered")
    manifest.write(dist, [entry2], [], {}, "123")
    assert [w["target"] for w in json.loads(man.read_text())["wheels"]] == ["t2"]
