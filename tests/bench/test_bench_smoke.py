"""A small real run of the bench: kagent from KAGENT_BIN (tests/README.md contract), the Python
kernel `kimi` and `kimi-kernel` from the test venv. One round, no timing assertions: it proves
that every measure drives both kernels to the end and that the report is produced from it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from kk_bench import __main__ as bench_main
from kk_bench import kernels, measures
from kk_bench.kernels import KAGENT, PYTHON
from kk_common.sandbox import Sandbox


@pytest.fixture(scope="module")
def bins() -> kernels.Binaries:
    if not os.environ.get("KAGENT_BIN"):
        pytest.fail("KAGENT_BIN is not set: point it at a kagent binary (see tests/README.md)")
    return kernels.locate()


def test_main_startup_and_shell_both_kernels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"
    code = bench_main.main(
        ["--rounds", "1", "--only", "startup,shell20", "--dist", str(tmp_path / "dist"), "--out", str(out)]
    )
    assert code == 0
    data = json.loads(out.read_text())
    for metric in ("ready_ms", "turn_ms", "turn_warm_ms", "rss_mb", "shell20_ms", "shell20_rss_mb"):
        entry = data["metrics"][metric]
        assert entry[KAGENT]["n"] == entry[PYTHON]["n"] == 1, metric
        assert entry[KAGENT]["median"] > 0 and entry[PYTHON]["median"] > 0, metric
        assert entry["ratio_python_over_kagent"] is not None
    assert {t["metric"] for t in data["targets"]} == {"ready_ms", "rss_mb", "turn_ms"}
    assert "replay_ms" not in data["metrics"] and data["soul_overhead"] is None
    table = capsys.readouterr().out
    assert "| spawn -> `initialize` response (ms) |" in table and "| target | wheel |" in table


def test_replay_and_soul_kagent(bins: kernels.Binaries, tmp_path: Path) -> None:
    session = measures.make_replay_session(bins, Sandbox(tmp_path / "replay"))
    assert session.events == measures.REPLAY_EVENTS
    wire = next(session.pristine_share.glob(f"sessions/*/{session.session_id}/wire.jsonl"))
    lines = wire.read_text().splitlines()
    assert json.loads(lines[0])["type"] == "metadata" and len(lines) == 1 + measures.REPLAY_EVENTS
    stamps = [json.loads(line)["timestamp"] for line in lines[1:]]
    assert stamps == sorted(stamps)
    # replay() itself fails unless the kernel answers events == 1000 after 1000 event messages
    got = measures.replay(bins, KAGENT, Sandbox(tmp_path / "replay"), session)
    assert got["replay_ms"] > 0 and got["replay_rss_mb"] > 0
    got = measures.soul(bins, KAGENT, Sandbox(tmp_path / "soul"))
    assert got["soul_events"] >= measures.SOUL_PARTS and got["soul_us_per_event"] > 0


@pytest.mark.parametrize("kernel", [KAGENT, PYTHON])
def test_mcp_rows_both_kernels(bins: kernels.Binaries, kernel: str, tmp_path: Path) -> None:
    # mcp() itself fails unless the kernel answers the MCP call through the real server
    got = measures.mcp(bins, kernel, Sandbox(tmp_path / "mcp"))
    assert got["mcp_ready_ms"] > 0 and got["mcp_call_ms"] > 0


def test_door_both_commands(bins: kernels.Binaries, tmp_path: Path) -> None:
    """`kimi-kernel` and `kimi` through every door measure: print turn, tree RSS (kimi-kernel's
    counts kagent too), wire ready, --version, shell to its input box in a pty."""
    from kk_bench import door, report

    got = {name: door.door(bins, name, Sandbox(tmp_path / name)) for name in (KAGENT, PYTHON)}
    for name, metrics in got.items():
        assert set(metrics) == {row.metric for row in report.DOOR_ROWS}, name
        assert all(v > 0 for v in metrics.values()), (name, metrics)
