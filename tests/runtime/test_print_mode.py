"""kimi-cli's print mode through kimi-kernel: a turn run by kagent looks and persists exactly
like the same turn run by the Python kernel.

The kagent here is kimi-cli's own Wire server (`kimi --wire`, the reference implementation
of the protocol), so these tests pin down the proxy itself; test_packaged_kagent.py runs the
real kagent binary."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
from pathlib import Path

from runtime._kk import (
    HELLO,
    assert_gone,
    context_records,
    make_sandbox,
    oracle_kagent,
    require_installed,
    run_kk,
)

require_installed()


def turn(
    tmp: Path, kernel: str, *extra: str, packaged: bool = False
) -> tuple[str, list[dict[str, object]], list[str], list[int]]:
    """One print-mode turn; kagent is the oracle stand-in, or the packaged one."""
    sb = make_sandbox(tmp, [HELLO])
    env = (
        sb.env()
        if packaged
        else sb.env(KIMI_KERNEL_BIN=str(oracle_kagent(tmp / "bin")))
    )
    proc = run_kk(sb, "--kernel", kernel, "--print", "-p", "Say hello", *extra, env=env)
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}\n{sb.log()[-3000:]}"
    )
    session = sb.only_session()
    wire_types = [
        json.loads(line)["message"]["type"]
        for line in (session / "wire.jsonl").read_text().splitlines()
        if '"message"' in line
    ]
    records = [r for r in context_records(session) if r.get("role") != "_system_prompt"]
    return proc.stdout, records, wire_types, sb.kagent_pids()


def test_text_output_same_as_python_kernel(tmp_path: Path) -> None:
    rust_out, rust_ctx, rust_wire, pids = turn(tmp_path / "rust", "rust")
    py_out, py_ctx, py_wire, py_pids = turn(tmp_path / "py", "python")
    assert "Hello from the kernel" in rust_out
    assert rust_out == py_out
    assert rust_ctx == py_ctx
    # kagent records the turn in wire.jsonl; the Python side must not record it a second time
    assert rust_wire == py_wire
    assert rust_wire.count("TurnBegin") == 1
    assert len(pids) == 1 and py_pids == []
    assert_gone(pids[0])  # normal exit: kagent reaped, no orphan, no zombie


def test_stream_json_output(tmp_path: Path) -> None:
    out, ctx, _wire, pids = turn(tmp_path, "rust", "--output-format", "stream-json")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert lines, out
    assert lines[-1]["role"] == "assistant"
    assert lines[-1]["content"] == "Hello from the kernel"
    assert ctx[-2] == {"role": "assistant", "content": "Hello from the kernel"}
    assert_gone(pids[0])


def test_exit_codes_of_provider_failures_are_kimi_clis(tmp_path: Path) -> None:
    """The packaged kagent: a retryable provider failure (503, a lost connection; no retries
    left) exits 75 under rust as on the Python kernel, a 400 exits 1; same as the oracle."""
    cases = {"503 overloaded": 75, "connection": 75, "400 bad request": 1}
    for i, (error, expected) in enumerate(cases.items()):
        sb = make_sandbox(tmp_path / f"case{i}", [f"error: {error}"] * 3)
        args = ("--print", "-p", "hi", "--max-retries-per-step", "1")
        rust = run_kk(sb, "--kernel", "rust", *args, env=sb.env())
        assert rust.returncode == expected, (error, rust.returncode, rust.stdout, rust.stderr)
        assert "started kagent pid=" in sb.log(), "the turn must run on kagent"
        if i == 0:  # one oracle run pins the expectation itself
            oracle = subprocess.run(
                ["kimi", *args, "--config-file", str(sb.config), "--work-dir", str(sb.work)],
                env=sb.env(), capture_output=True, text=True, timeout=240, check=False,
            )
            assert oracle.returncode == expected, oracle


def test_verbose_print_names_the_kernel(tmp_path: Path) -> None:
    """--print --verbose: one stderr line says which kernel ran the session."""
    sb = make_sandbox(tmp_path, [HELLO])
    rust = run_kk(sb, "--kernel", "rust", "--print", "--verbose", "-p", "hi", env=sb.env())
    assert rust.returncode == 0, rust
    assert re.search(r"^kimi-kernel: kernel rust \(kagent \d+\.\d+\.\d+, pid \d+\)$", rust.stderr, re.M), (
        rust.stderr
    )
    py = run_kk(sb, "--kernel", "python", "--print", "--verbose", "-p", "hi", env=sb.env())
    assert py.returncode == 0, py
    assert "kimi-kernel: kernel python (kimi-cli's KimiSoul)\n" in py.stderr, py.stderr
    quiet = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", env=sb.env())
    assert "kimi-kernel: kernel" not in quiet.stderr, quiet.stderr


def _background_agent_scripts(share: Path) -> list[str]:
    """The parent launches a background agent and waits (in the same step) until the agent
    runs its command, so the scripted queue is the agent's meanwhile; the parent's turn then
    ends while the agent sleeps 2 s; its summary comes after."""

    def tc(tc_id: str, name: str, args: dict[str, object]) -> str:
        return "tool_call: " + json.dumps(
            {"id": tc_id, "name": name, "arguments": json.dumps(args)}
        )

    started = (
        f"until grep -qsF '[tool] Shell' {share}/sessions/*/*/subagents/*/output;"
        " do sleep 0.05; done"
    )
    launch = {"description": "look around", "prompt": "wait", "run_in_background": True}
    return [
        tc("c1", "Agent", launch) + "\n" + tc("c2", "Shell", {"command": started}),
        tc("s1", "Shell", {"command": "sleep 2"}),
        "text: launched",
        "text: " + "The agent slept well. " * 10,
        "text: the agent said it slept",
    ]


def test_print_waits_for_a_background_agent_as_the_python_kernel(tmp_path: Path) -> None:
    """kagent runs the agent; kimi-cli's print mode must wait for it (not take it for lost,
    as its own task manager would an agent task it does not run), then run the turn on its
    notification, as `kimi --print` does."""
    outputs = {}
    for kernel in ("rust", "python"):
        root = tmp_path / kernel
        sb = make_sandbox(root, _background_agent_scripts(root / "share"))
        # wide: paths in the output are not wrapped, so that each sandbox's can be replaced
        env = sb.env(COLUMNS="10000")
        proc = run_kk(sb, "--kernel", kernel, "--yolo", "--print", "-p", "go", env=env)
        assert proc.returncode == 0, f"{kernel}: exit {proc.returncode}\n{proc.stderr}"
        [task] = (sb.only_session() / "tasks").iterdir()
        runtime = json.loads((task / "runtime.json").read_text())
        assert runtime["status"] == "completed", (kernel, runtime)
        shown = proc.stdout.replace(str(root), "<ROOT>")
        shown = re.sub(r"\b(a[0-9a-f]{8}|agent-[0-9a-z]{8}|n[0-9a-f]{8})\b", "<ID>", shown)
        shown = re.sub(r"\d{2}:\d{2}:\d{2}|\d{10}\.\d+|[0-9a-f-]{36}", "<T>", shown)
        outputs[kernel] = shown
    assert "the agent said it slept" in outputs["rust"]
    diff = difflib.unified_diff(
        outputs["python"].splitlines(), outputs["rust"].splitlines(), "python", "rust", lineterm=""
    )
    assert outputs["rust"] == outputs["python"], "\n".join(diff)
