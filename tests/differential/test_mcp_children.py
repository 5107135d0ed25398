"""kagent's MCP server children never outlive it (issue 16): started by `kagent --wire` from
`--mcp-config`, they are gone (checked in /proc, as `ps` would) after kagent's stdin closes,
after SIGTERM, after SIGKILL (a crash: the children see their stdin close), and a cancelled
MCP call leaves the servers serving until kagent exits."""

from __future__ import annotations

import json
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


def test_mcp_config_errors_are_worded_as_kimi_cli_words_them(tmp_path: Path) -> None:
    sb = Sandbox(tmp_path)
    sb.write_scripts([DONE])
    sb.write_config(scripted_config(sb.scripts_path))
    results = {}
    for label, text in {"json": "{nope", "server": json.dumps({"mcpServers": {"x": {"args": []}}})}.items():
        argv = kernels.kagent().argv(
            "-w", str(sb.work), "--config-file", str(sb.config_path), "--mcp-config", text
        )
        client = WireClient(argv, env=sb.env(), cwd=sb.work, stderr_path=tmp_path / f"{label}.txt")
        results[label] = (client.wait(timeout=30), client.stderr_text())
    code, err = results["json"]
    assert code == 2 and "Error: Invalid value for --mcp-config: Invalid JSON: " in err, err
    code, err = results["server"]
    assert code == 1 and "Invalid MCP config: mcpServers.x" in err, err
