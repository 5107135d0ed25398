"""Unit tests of the bench's bookkeeping: statistics, alternation, targets, table, sizes, and
the wire driver against a tiny fake kernel. No timing assertions."""

from __future__ import annotations

import json
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from kk_bench import measures, report, runner, sizes
from kk_bench.kernels import KAGENT, PYTHON
from kk_bench.measures import Plan
from kk_bench.session import host_wheel
from kk_bench.stats import Summary, paired_differences, ratio
from kk_bench.wire import Kernel, WireError
from kk_common import matrix
from kk_common.sandbox import Sandbox

# ------------------------------------------------------------------------------ stats


def test_summary_median_low_high() -> None:
    s = Summary.of([5.0, 1.0, 3.0])
    assert (s.n, s.median, s.low, s.high) == (3, 3.0, 1.0, 5.0)
    assert Summary.of([1.0, 2.0, 10.0, 4.0]).median == 3.0
    assert s.to_json()["values"] == [5.0, 1.0, 3.0]


def test_summary_needs_samples() -> None:
    with pytest.raises(ValueError):
        Summary.of([])


def test_ratio_is_python_over_kagent() -> None:
    assert ratio(python=500.0, kagent=10.0) == 50.0
    assert ratio(python=1.0, kagent=4.0) == 0.25
    assert ratio(python=1.0, kagent=0.0) is None


def test_paired_differences() -> None:
    assert paired_differences([3.0, 5.0], [1.0, 7.0]) == [2.0, -2.0]
    with pytest.raises(ValueError):
        paired_differences([1.0], [1.0, 2.0])


# ----------------------------------------------------------------------- alternation


def test_order_alternates() -> None:
    assert runner.order(0) == (KAGENT, PYTHON)
    assert runner.order(1) == (PYTHON, KAGENT)
    assert runner.order(2) == (KAGENT, PYTHON)


def test_run_rounds_alternates_and_collects(tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []

    def fake(measure: str) -> measures.Measure:
        def run(kernel: str, sb: Sandbox) -> measures.Metrics:
            calls.append((measure, kernel))
            assert sb.work.is_dir() and kernel in str(sb.root)
            return {f"{measure}_ms": float(len(calls))}

        return run

    plan = Plan(("a", "b"), {"a": fake("a"), "b": fake("b")})
    samples = runner.run_rounds(plan, 2, tmp_path, log=lambda _: None)
    assert calls == [
        ("a", KAGENT), ("a", PYTHON), ("b", KAGENT), ("b", PYTHON),
        ("a", PYTHON), ("a", KAGENT), ("b", PYTHON), ("b", KAGENT),
    ]  # fmt: skip
    assert samples == {
        "a_ms": {KAGENT: [1.0, 6.0], PYTHON: [2.0, 5.0]},
        "b_ms": {KAGENT: [3.0, 8.0], PYTHON: [4.0, 7.0]},
    }
    with pytest.raises(ValueError):
        runner.run_rounds(plan, 0, tmp_path)


# --------------------------------------------------------------------- report/targets


def _samples(ready: tuple[float, float], rss: float, turn: float) -> dict[str, dict[str, list[float]]]:
    return {
        "ready_ms": {KAGENT: [ready[0]] * 3, PYTHON: [ready[1]] * 3},
        "rss_mb": {KAGENT: [rss, rss + 1, rss - 1], PYTHON: [120.0, 121.0, 119.0]},
        "turn_ms": {KAGENT: [turn, 100.0, 0.1], PYTHON: [10.0, 11.0, 12.0]},
        "soul_us_per_event": {KAGENT: [110.0, 90.0, 300.0], PYTHON: [70.0, 80.0, 100.0]},
        "soul_events": {KAGENT: [204.0] * 3, PYTHON: [204.0] * 3},
    }


def _data(samples: dict[str, dict[str, list[float]]], rows: list[sizes.TargetSize]) -> dict[str, object]:
    return report.build(
        samples, rows, rounds=3, kernels={}, load_before=[1.0, 2.0, 3.0], load_after=None,
        seconds=1.0, created="2026-01-01T00:00:00Z",
    )  # fmt: skip


def test_targets_met_and_missed() -> None:
    data = _data(_samples(ready=(10.0, 500.0), rss=16.0, turn=1.5), [])
    met = {t["metric"]: t for t in data["targets"]}  # type: ignore[attr-defined]
    assert met["ready_ms"]["met"] is True and met["ready_ms"]["value"] == 50.0  # exactly the limit
    assert met["rss_mb"]["met"] is False and met["rss_mb"]["value"] == 16.0
    assert met["turn_ms"]["met"] is True and met["turn_ms"]["value"] == 1.5

    data = _data(_samples(ready=(10.0, 499.0), rss=15.0, turn=2.5), [])
    met = {t["metric"]: t["met"] for t in data["targets"]}  # type: ignore[attr-defined]
    assert met == {"ready_ms": False, "rss_mb": True, "turn_ms": False}


def test_soul_overhead_is_paired_median() -> None:
    data = _data(_samples((1.0, 100.0), 5.0, 1.0), [])
    overhead = data["soul_overhead"]
    assert overhead["us_per_event"]["values"] == [40.0, 10.0, 200.0]  # type: ignore[index]
    assert overhead["us_per_event"]["median"] == 40.0  # type: ignore[index]


def test_missing_targets_are_not_met() -> None:
    data = _data({"ready_ms": {KAGENT: [1.0], PYTHON: []}}, [])
    assert [t["met"] for t in data["targets"]] == [False, False, False]  # type: ignore[attr-defined]
    assert data["soul_overhead"] is None


def test_targets_of_a_measure_left_out_are_not_listed() -> None:
    # an --only mcp run measures neither startup nor the front door: no target is listed
    only_mcp = {"mcp_ready_ms": {KAGENT: [1.0], PYTHON: [2.0]}, "mcp_call_ms": {KAGENT: [1.0], PYTHON: [2.0]}}
    assert _data(only_mcp, [])["targets"] == []


def test_table_and_json() -> None:
    rows = [
        sizes.TargetSize("t-one", "w.whl", 2_500_000, 6_600_000, 312.4),
        sizes.TargetSize("t-two", None, None, None, None),
    ]
    data = _data(_samples(ready=(10.0, 5000.0), rss=5.0, turn=3.0), rows)
    json.dumps(data)  # serialisable as is
    text = report.table(data)
    assert "medians of 3 alternating rounds" in text
    assert "load average before 1.0 2.0 3.0" in text
    assert "| spawn -> `initialize` response (ms) | 10.0 | 5,000 | 500.0x |" in text
    assert "| kagent scripted one-step turn <= 2 ms | 3.00 | NO |" in text
    assert "| kagent ready >= 50x sooner than the Python kernel | 500.0x | yes |" in text
    assert "| WireBackedSoul overhead per event vs KimiSoul (us, 204-event turn) | +40.0 | | |" in text
    assert "| t-one | 2.50 MB | 6.60 MB | 312 |" in text
    assert "| t-two | - | - | - |" in text
    assert "shell20" not in text and "20-step" not in text  # rows without samples are left out


# ----------------------------------------------------------------------------- sizes


def _wheel(dist: Path, target: matrix.Target, binary_bytes: int, name: str = "kimi_kernel") -> Path:
    tags = ".".join(sorted(target.platform_tags))
    path = dist / f"{name}-0.1.0-py3-none-{tags}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}-0.1.0.data/scripts/{target.binary}", b"\0" * binary_bytes)
        zf.writestr(f"{name}/__init__.py", "")
        zf.writestr(f"{name}/{target.binary}", b"decoy, not in .data/scripts")
    return path


def test_sizes_from_dist_and_manifest(tmp_path: Path) -> None:
    targets = matrix.load()
    first, *others = targets.values()
    wheel = _wheel(tmp_path, first, 12345)
    (tmp_path / "manifest.json").write_text(
        json.dumps({"wheels": [{"target": first.key, "file": wheel.name, "build_seconds": 42.5}]})
    )
    (tmp_path / "not-a-wheel.whl").write_text("x")
    rows = {r.target: r for r in sizes.collect(tmp_path, targets)}
    assert list(rows) == list(targets)
    row = rows[first.key]
    assert (row.wheel, row.wheel_bytes, row.binary_bytes, row.build_seconds) == (
        wheel.name, wheel.stat().st_size, 12345, 42.5,
    )  # fmt: skip
    for t in others:
        assert rows[t.key] == sizes.TargetSize(t.key, None, None, None, None)


def test_sizes_without_manifest_or_dist(tmp_path: Path) -> None:
    targets = matrix.load()
    first = next(iter(targets.values()))
    _wheel(tmp_path, first, 7)
    row = sizes.collect(tmp_path, targets)[0]
    assert row.binary_bytes == 7 and row.build_seconds is None
    assert all(r.wheel is None for r in sizes.collect(tmp_path / "missing", targets))


def test_host_wheel_picks_matching_tags(tmp_path: Path) -> None:
    first, second, *_ = matrix.load().values()
    assert host_wheel(tmp_path, first) is None
    mine = _wheel(tmp_path, first, 1)
    _wheel(tmp_path, second, 1)
    assert host_wheel(tmp_path, first) == mine


# ------------------------------------------------------------------------- scripts


def test_shell_script_steps() -> None:
    steps = measures.shell_script(3)
    assert len(steps) == 4 and steps[-1] == "text: done"
    call = json.loads(steps[0].removeprefix("tool_call: "))
    assert call["name"] == "Shell" and json.loads(call["arguments"]) == {"command": "echo 1"}


def test_sandbox_config_names_scripts(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path / "sb")
    sb.write(["text: hi"])
    assert json.loads(sb.scripts_path.read_text()) == ["text: hi"]
    assert json.dumps(str(sb.scripts_path)) in sb.config_path.read_text()
    env = sb.env({"X_EXTRA": "1"})
    assert env["KIMI_SHARE_DIR"] == str(sb.share) and env["X_EXTRA"] == "1"


# ---------------------------------------------------------------- wire driver, fake kernel

FAKE_KERNEL = textwrap.dedent(
    """
    import json, sys
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["method"] == "boom":
            print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -1, "message": "no"}}))
        elif msg["method"] == "quit":
            sys.exit(3)
        else:
            for i in range(3):
                event = {"type": "E", "payload": i}
                print(json.dumps({"jsonrpc": "2.0", "method": "event", "params": event}))
            print(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": {"status": "finished"}}))
        sys.stdout.flush()
    """
)


def _fake(tmp_path: Path) -> Kernel:
    script = tmp_path / "fake.py"
    script.write_text(FAKE_KERNEL)
    return Kernel(
        [sys.executable, str(script)], env={}, cwd=tmp_path, stderr_path=tmp_path / "err", timeout=30
    )


def test_wire_call_events_and_exit(tmp_path: Path) -> None:
    with _fake(tmp_path) as k:
        response, seen, seconds = k.call("prompt", {"user_input": "x"})
        assert response["result"] == {"status": "finished"} and seconds > 0
        assert [m["params"]["payload"] for m in measures.events(seen, "E")] == [0, 1, 2]
        with pytest.raises(WireError, match="error"):
            k.call("boom")
        if sys.platform.startswith("linux"):
            assert (k.cpu_ms() or 0) > 0
        done = k.close()
    assert done.code == 0
    if sys.platform.startswith("linux"):
        assert done.hwm_kib is not None and done.peak_rss_kib == done.hwm_kib > 0


def test_wire_eof_before_response(tmp_path: Path) -> None:
    with _fake(tmp_path) as k:
        with pytest.raises(WireError, match="closed stdout"):
            k.call("quit")
        assert k.close().code == 3


def test_door_targets_are_ratios_of_kimi_over_kimi_kernel() -> None:
    samples = {
        "door_print_ms": {KAGENT: [700.0] * 3, PYTHON: [2100.0] * 3},
        "door_wire_ms": {KAGENT: [50.0] * 3, PYTHON: [2400.0] * 3},
        "door_version_ms": {KAGENT: [120.0] * 3, PYTHON: [110.0] * 3},
        "door_print_rss_mb": {KAGENT: [60.0] * 3, PYTHON: [121.0] * 3},
    }
    data = _data(samples, [])
    met = {t["metric"]: t["met"] for t in data["targets"]}  # type: ignore[attr-defined]
    assert met == {
        "door_print_ms": True, "door_wire_ms": False, "door_version_ms": False,
        "door_shell_ms": False, "door_print_rss_mb": True,
    }  # fmt: skip
    assert "| `--wire`: start -> `initialize` response (ms) | 50.0 | 2,400 | 48.0x |" in report.table(data)
