"""kagent's MCP server children never outlive it (issue 16): started by `kagent --wire` from
`--mcp-config`, they are gone (checked in /proc, as `ps` would) after kagent's stdin closes,
after SIGTERM, after SIGKILL (a crash: the children see their stdin close), and a cancelled
MCP call leaves the servers serving until kagent exits."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest
from kk_common.sandbox import Sandbox, scripted_config
from kk_common.wire_client import WireClient, is_event

from . import kernels
from .mcp_catalogue import TWO_SERVERS, mcp_args
from .tools_catalogue import DONE, tc


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pids: list[int], seconds: float = 15.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def start(tmp: Path, scripts: list[str]) -> WireClient:
    sb = Sandbox(tmp)
    sb.write_scripts(scripts)
    sb.write_config(scripted_config(sb.scripts_path))
    argv = kernels.kagent().argv(
        "-w", str(sb.work), "--config-file", str(sb.config_path), "--yolo", *mcp_args(TWO_SERVERS)
    )
    client = WireClient(argv, env=sb.env(), cwd=sb.work, stderr_path=tmp / "stderr.txt")
    client.exchange("initialize", {"protocol_version": "1.10"}, timeout=60)
    return client


def server_pids(client: WireClient) -> list[int]:
    """Both servers' pids, from a turn that calls their `pid` tools."""
    ex = client.exchange("prompt", {"user_input": "pids"}, timeout=90)
    assert ex.result == {"status": "finished"}, ex
    outputs = [e["payload"]["return_value"]["output"] for e in ex.events if e.get("type") == "ToolResult"]
    pids = [int(o[0]["text"]) for o in outputs]
    assert len(pids) == 2 and all(alive(p) for p in pids), outputs
    return pids


PID_SCRIPTS = [tc("c1", "kk_pid", {}), tc("c2", "k2_pid", {}), DONE]


@pytest.mark.parametrize("ending", ["close_stdin", "sigterm", "sigkill"])
def test_no_mcp_server_outlives_kagent(ending: str, tmp_path: Path) -> None:
    client = start(tmp_path, PID_SCRIPTS)
    try:
        pids = server_pids(client)
        if ending == "close_stdin":
            client.close_stdin()
        else:
            client.signal(signal.SIGTERM if ending == "sigterm" else signal.SIGKILL)
        client.wait(timeout=30)
        assert wait_gone(pids) == [], f"MCP servers outlived kagent ({ending}): {pids}"
    finally:
        client.terminate()


def test_a_cancelled_mcp_call_leaves_the_servers_serving(tmp_path: Path) -> None:
    scripts = [tc("c1", "kk_sleep", {"seconds": 60}), *PID_SCRIPTS]
    client = start(tmp_path, scripts)
    try:
        prompt_id = client.request("prompt", {"user_input": "sleep"})
        client.recv_until(lambda m: is_event(m, "ToolCall"), timeout=90)
        time.sleep(0.5)  # the call reaches the server
        client.exchange("cancel", {}, timeout=30)
        done = [m for m in client.stray_responses if m.get("id") == prompt_id]
        result = done[0].get("result") if done else client.pump(prompt_id, timeout=30).result
        assert result == {"status": "cancelled"}, result
        pids = server_pids(client)  # both still answer
        client.close_stdin()
        client.wait(timeout=30)
        assert wait_gone(pids) == [], pids
    finally:
        client.terminate()


def _error_text(stderr: str) -> str:
    """What a refused start says: its words, without the program's name, the usage and hint
    lines, and the frame and line breaks of click's error panel (kimi-cli draws one, kagent
    writes `Error: ...`). The lines after a fatal error point to each program's own log and
    tools (`See logs: <its log>`; kimi-cli's `Run with --debug ...`, flags kagent has not):
    not part of the message."""
    words = []
    hints = ("Usage:", "Try ", "To resume", "See logs:", "Run with --debug")
    for line in stderr.splitlines():
        text = line.strip(" │╭╮╰╯─\t")
        if text and text != "Error" and not text.startswith(hints):
            words.append(text.removeprefix("Error: "))
    return re.sub(r"\b(kimi|kagent)\b", "<cmd>", " ".join(" ".join(words).split()))


def test_mcp_config_errors_are_worded_as_kimi_cli_words_them(tmp_path: Path) -> None:
    bad_file = tmp_path / "bad.json"
    bad_file.write_text("{nope", encoding="utf-8")
    cases = {
        "inline_json": ("--mcp-config", "{nope"),
        "inline_server": ("--mcp-config", json.dumps({"mcpServers": {"x": {"args": []}}})),
        "inline_types": (
            "--mcp-config",
            json.dumps({"mcpServers": {"x": {"url": "http://h", "headers": {"h": 1}, "auth": 3}}}),
        ),
        "inline_list": ("--mcp-config", "[1]"),
        "file_json": ("--mcp-config-file", str(bad_file)),
        "file_missing": ("--mcp-config-file", str(tmp_path / "missing.json")),
    }
    for label, flags in cases.items():
        seen = {}
        for name, kernel in (("oracle", kernels.oracle()), ("kagent", kernels.kagent())):
            sb = Sandbox(tmp_path / f"{label}-{name}")
            sb.write_scripts([DONE])
            sb.write_config(scripted_config(sb.scripts_path))
            argv = kernel.argv("-w", str(sb.work), "--config-file", str(sb.config_path), *flags)
            err = tmp_path / f"{label}-{name}.txt"
            # wide enough that click's panel does not fold the message
            env = {**sb.env(), "COLUMNS": "400"}
            client = WireClient(argv, env=env, cwd=sb.work, stderr_path=err)
            seen[name] = (client.wait(timeout=60), _error_text(client.stderr_text()))
        assert seen["oracle"][0] != 0 and seen["oracle"][1], (label, seen)
        assert seen["kagent"] == seen["oracle"], (label, seen)
