"""A session with MCP servers configured runs on kagent under `auto` and `rust` (issue 16):
kimi-kernel passes the servers kimi-cli loaded (--mcp-config-file here) to kagent, which
starts them, and the model's MCP tool call is answered by the real fastmcp server
(tests/mcp/kk_mcp_server.py); kimi-cli's own soul starts no second copy of the server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from runtime._kk import make_sandbox, require_installed, run_kk, tool_call

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
