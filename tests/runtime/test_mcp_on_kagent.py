"""A session with MCP servers configured runs on kagent under `auto` and `rust` (issue 16):
kimi-kernel passes the servers kimi-cli loaded (--mcp-config-file here) to kagent, which
starts them, and the model's MCP tool call is answered by the real fastmcp server
(tests/mcp/kk_mcp_server.py); kimi-cli's own soul starts no second copy of the server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from kk_common.wire_client import WireClient

from runtime._kk import kk_argv, make_sandbox, require_installed, run_kk, tool_call

require_installed()

SERVER = Path(__file__).resolve().parent.parent / "mcp" / "kk_mcp_server.py"


def mcp_config(tmp: Path) -> Path:
    conf = tmp / "mcp.json"
    server = {"command": sys.executable, "args": [str(SERVER), "stdio"]}
    conf.write_text(json.dumps({"mcpServers": {"kk": server}}), encoding="utf-8")
    return conf


@pytest.mark.parametrize("kernel", ["auto", "rust"])
def test_mcp_sessions_run_on_kagent(kernel: str, tmp_path: Path) -> None:
    conf = mcp_config(tmp_path)
    sb = make_sandbox(tmp_path / "sb", [tool_call("m1", "kk_pid", {}), "text: the server answered"])
    proc = run_kk(sb, "--kernel", kernel, "--print", "-p", "ping", "--mcp-config-file", str(conf), "--yolo")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert "kagent unavailable" not in proc.stderr, proc.stderr
    assert len(sb.kagent_pids()) == 1, sb.log()[-2000:]
    assert "the server answered" in proc.stdout, proc.stdout
    # the tool result is the pid of the one server process, a child of kagent's
    context = next((sb.share / "sessions").glob("*/*/context.jsonl")).read_text(encoding="utf-8")
    results = [json.loads(line) for line in context.splitlines() if json.loads(line).get("role") == "tool"]
    assert len(results) == 1, context
    pid = str(results[0]["content"])
    assert pid.isdigit(), results
    kagent_log = (sb.share / "logs" / "kagent.log").read_text(encoding="utf-8")
    assert "Connected MCP server: kk" in kagent_log
    assert "Connected MCP server" not in sb.log(), "kimi-cli's soul started the server too"
    assert not Path(f"/proc/{pid}").exists(), f"MCP server {pid} outlived the session"


def test_mcp_tool_call_with_approval_through_kimi_kernel_wire(tmp_path: Path) -> None:
    """`kimi-kernel --kernel rust --wire` with kimi-cli's Wire server in front of kagent
    (KIMI_KERNEL_WIRE=proxy; without it kagent serves the client itself, test_wire_proxy): the
    MCP call's approval request reaches the Wire client through kimi-cli's server, and the
    approved call is answered by the server."""
    conf = mcp_config(tmp_path)
    sb = make_sandbox(
        tmp_path / "sb", [tool_call("m1", "kk_echo", {"text": "via kimi-kernel"}), "text: done"]
    )
    argv = kk_argv(
        "--kernel",
        "rust",
        "--wire",
        "--config-file",
        str(sb.config),
        "--work-dir",
        str(sb.work),
        "--mcp-config-file",
        str(conf),
    )
    env = sb.env(KIMI_KERNEL_WIRE="proxy")
    with WireClient(argv, env=env, cwd=sb.root, stderr_path=tmp_path / "stderr.txt") as client:
        client.exchange("initialize", {"protocol_version": "1.10"}, timeout=240)
        ex = client.exchange(
            "prompt",
            {"user_input": "echo"},
            timeout=120,
            on_request=lambda p: {"request_id": p["payload"]["id"], "response": "approve"},
        )
        assert ex.result == {"status": "finished"}, (ex, client.stderr_tail())
        assert [r["payload"]["action"] for r in ex.requests] == ["mcp:kk_echo"], ex.requests
        results = [e["payload"]["return_value"] for e in ex.events if e.get("type") == "ToolResult"]
        assert results and results[0]["output"] == [{"type": "text", "text": "kk-echo: via kimi-kernel"}]
        client.close_stdin()
        client.wait(timeout=60)
    assert len(sb.kagent_pids()) == 1, sb.log()[-2000:]


def test_mcp_list_names_kimi_kernels_mcp_auth(tmp_path: Path) -> None:
    """`kimi-kernel mcp list` is kimi-cli's own, except that a server waiting for OAuth is
    told to run the command the user has."""
    sb = make_sandbox(tmp_path, ["text: unused"])
    (sb.share / "mcp.json").write_text(
        json.dumps({"mcpServers": {"remote": {"url": "http://127.0.0.1:9/mcp", "auth": "oauth"}}}),
        encoding="utf-8",
    )
    import subprocess

    from runtime._kk import kimi_exe

    ours = subprocess.run(kk_argv("mcp", "list"), env=sb.env(), capture_output=True, text=True, timeout=120)
    theirs = subprocess.run(
        [str(kimi_exe()), "mcp", "list"], env=sb.env(), capture_output=True, text=True, timeout=120
    )
    assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
    assert "[authorization required - run: kimi mcp auth remote]" in theirs.stdout, theirs.stdout
    assert "[authorization required - run: kimi-kernel mcp auth remote]" in ours.stdout, ours.stdout
    assert ours.stdout.replace("kimi-kernel mcp auth", "kimi mcp auth") == theirs.stdout
