"""A session with MCP servers configured needs an MCP client, which kagent does not have yet:
under `auto` it stays on the Python kernel (one notice line, MCP tools kept), under `rust` it
is a clear error. A real stdio MCP server (fastmcp, installed with kimi-cli) is used."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from runtime._kk import make_sandbox, require_installed, run_kk, tool_call

require_installed()

SERVER = """\
from fastmcp import FastMCP

mcp = FastMCP("kk-test")


@mcp.tool
def kk_ping() -> str:
    return "pong from the kk-test MCP server"


mcp.run(show_banner=False)
"""


def mcp_config(tmp: Path) -> Path:
    server = tmp / "server.py"
    server.write_text(SERVER, encoding="utf-8")
    conf = tmp / "mcp.json"
    conf.write_text(
        json.dumps({"mcpServers": {"kk": {"command": sys.executable, "args": [str(server)]}}}),
        encoding="utf-8",
    )
    return conf


def test_auto_keeps_mcp_sessions_on_the_python_kernel(tmp_path: Path) -> None:
    conf = mcp_config(tmp_path)
    sb = make_sandbox(
        tmp_path / "sb", [tool_call("m1", "kk_ping", {}), "text: the server said pong"]
    )
    proc = run_kk(
        sb, "--kernel", "auto", "--print", "-p", "ping", "--mcp-config-file", str(conf),
        env=sb.env(KIMI_KERNEL_BIN=sys.executable),  # would be refused anyway: never started
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert proc.stderr.count("kimi-kernel: kagent unavailable (kagent does not run MCP servers yet") == 1
    assert "pong from the kk-test MCP server" in proc.stdout, proc.stdout
    assert sb.kagent_pids() == []


def test_rust_refuses_mcp_sessions_with_a_clear_error(tmp_path: Path) -> None:
    conf = mcp_config(tmp_path)
    sb = make_sandbox(tmp_path / "sb", ["text: never"])
    proc = run_kk(sb, "--kernel", "rust", "--print", "-p", "ping", "--mcp-config-file", str(conf))
    assert proc.returncode == 1, proc
    assert (
        "kimi-kernel: the rust kernel was requested (--kernel) but kagent cannot run this session: "
        "kagent does not run MCP servers yet (1 configured through --mcp-config-file, "
        "--mcp-config or the global mcp.json)\nUse --kernel python or --kernel auto"
    ) in proc.stderr, proc.stderr
    assert sb.kagent_pids() == []
