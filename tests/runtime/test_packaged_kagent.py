"""The kagent that ships in the installed wheel (KAGENT_BIN), found and driven with no
KIMI_KERNEL_BIN: doctor sees it as the package's, and a print-mode turn on it matches the
Python kernel's turn."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from runtime._kk import (
    BIN_DIR,
    assert_gone,
    kagent_bin,
    make_sandbox,
    require_installed,
)
from runtime.test_print_mode import turn

require_installed()


def test_doctor_finds_the_packaged_kagent_and_it_answers(tmp_path: Path) -> None:
    expected = kagent_bin()
    sb = make_sandbox(tmp_path, [])
    proc = subprocess.run(
        [
            str(BIN_DIR / "kimi-kernel"),
            "doctor",
            "--json",
            "--config-file",
            str(sb.config),
        ],
        env=sb.env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc
    report = json.loads(proc.stdout)
    assert (report["source"], Path(report["binary"])) == ("package", expected), report
    assert str(report["version"]).startswith("kagent "), report
    assert report["handshake"]["ok"] is True, report["handshake"]
    assert report["handshake"]["protocol_version"] == "1.10"


def test_print_turn_on_packaged_kagent_matches_python(tmp_path: Path) -> None:
    kagent_bin()
    out, ctx, wire, pids = turn(tmp_path / "rust", "rust", packaged=True)
    py_out, py_ctx, py_wire, _ = turn(tmp_path / "py", "python")
    assert out == py_out
    assert ctx == py_ctx
    assert wire == py_wire
    assert len(pids) == 1
    assert_gone(pids[0])
