"""kagent reads MCP configs as kimi-cli does: a corpus of documents, each validated by the
oracle's own code (fastmcp's `MCPConfig.model_validate`, which kimi-cli calls, with
kimi-cli's wrapping of its errors) and by a real kagent started with it.

A document kimi-cli refuses must be refused by kagent with the same text; a document it
accepts must start kagent. Which server type a document makes (stdio or remote) is checked
by behaviour (the second test): kagent either spawns the command or calls the URL. A few
documents go through real `kimi` end to end in test_mcp_children.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kk_common.sandbox import Sandbox, scripted_config
from kk_common.wire_client import WireClient

from . import kernels
from .test_mcp_children import _error_text
from .tools_catalogue import DONE

# Each a document as the user would write it: types wrong in every field kimi-cli's model
# has, unions (auth, sse_read_timeout), servers without a type, documents of the wrong shape.
CORPUS: list[Any] = [
    {"mcpServers": {"x": {"args": []}}},
    {"mcpServers": {"x": {"command": "a", "args": "x"}}},
    {"mcpServers": {"x": {"command": "a", "args": [1, "b", None]}}},
    {"mcpServers": {"x": {"command": "a", "env": []}}},
    {"mcpServers": {"x": {"command": "a", "cwd": 3, "timeout": 1.5, "keep_alive": 2}}},
    {"mcpServers": {"x": {"command": "a", "timeout": "soon", "keep_alive": 0.5}}},
    {"mcpServers": {"x": {"command": "a", "transport": "http", "type": "sse"}}},
    {"mcpServers": {"x": {"command": "a", "description": 1, "icon": [], "authentication": 3}}},
    {"mcpServers": {"x": {"command": ["npx", "server"]}}},
    {"mcpServers": {"x": {"url": 3}}},
    {"mcpServers": {"x": {"url": "http://a", "transport": "foo"}}},
    {"mcpServers": {"x": {"url": "http://a", "headers": {"h": 1, "g": "ok", "f": None}}}},
    {"mcpServers": {"x": {"url": "http://a", "headers": ["h"]}}},
    {"mcpServers": {"x": {"url": "http://a", "auth": 3}}},
    {"mcpServers": {"x": {"url": "http://a", "auth": {"token": "t"}}}},
    {"mcpServers": {"x": {"url": "http://a", "sse_read_timeout": "x"}}},
    {"mcpServers": {"x": {"url": "http://a", "sse_read_timeout": "5"}}},
    {"mcpServers": {"x": {"url": "http://a", "sse_read_timeout": ""}}},
    {"mcpServers": {"x": {"url": "http://a", "sse_read_timeout": [1]}}},
    {"mcpServers": {"x": {"url": "http://a", "sse_read_timeout": 1e300}}},
    {"mcpServers": {"x": {"url": "http://a", "timeout": "1.5"}}},
    {"mcpServers": {"x": 5}},
    {"mcpServers": {"x": None, "y": "server", "z": [1]}},
    {"mcpServers": {"ok": {"command": "a"}, "bad": {"command": 1}}},
    {"mcpServers": []},
    {"mcpServers": None},
    {"mcpServers": "x"},
    {"srv": {"command": "a"}, "other": 3},
    {"srv": {"url": 1}},
    ["mcpServers"],
    [1],
    "mcpServers",
    "servers",
    None,
    3,
    2.5,
    True,
    # accepted: kimi-cli starts with these (the servers fail to connect, or are ignored)
    {"mcpServers": {"x": {"command": "a", "url": "http://a"}}},
    {"mcpServers": {"x": {"command": "a", "timeout": "30", "keep_alive": "yes"}}},
    {"mcpServers": {"x": {"command": "a", "env": {"K": 1}, "tools": {}}}},
    {"mcpServers": {"x": {"url": "http://a", "sse_read_timeout": "01:00:00", "auth": "tok"}}},
    {"mcpServers": {"x": {"url": "http://a", "sse_read_timeout": "P1D", "extra": [1]}}},
    {"mcpServers": {"x": {"command": "a", "include_tags": 3}}},
    {"nothing": {"here": 1}},
    {},
]


def oracle_verdict(doc: Any) -> str | None:
    """What kimi-cli says about `doc` (None: it accepts it), by its own code path: fastmcp's
    model, kimi-cli's `Invalid MCP config: {e}` for a ValidationError, the bare exception
    text otherwise (kimi-cli does not catch those as config errors)."""
    import pydantic
    from fastmcp.mcp_config import MCPConfig

    try:
        MCPConfig.model_validate(doc)
    except pydantic.ValidationError as e:
        return f"Invalid MCP config: {e}"
    except Exception as e:  # noqa: BLE001 - the text kimi-cli shows for any other
        return str(e)
    return None


def _kagent_run(tmp_path: Path, label: str, doc: Any) -> tuple[int | None, str]:
    sb = Sandbox(tmp_path / label)
    sb.write_scripts([DONE])
    sb.write_config(scripted_config(sb.scripts_path))
    kagent = kernels.kagent()
    argv = kagent.argv(
        "-w", str(sb.work), "--config-file", str(sb.config_path), "--mcp-config", json.dumps(doc)
    )
    err = tmp_path / f"{label}.txt"
    client = WireClient(argv, env={**sb.env(), "COLUMNS": "400"}, cwd=sb.work, stderr_path=err)
    # an accepted config leaves kagent serving until its stdin ends (exit 0); a refused one
    # ends it before it reads a line
    client.close_stdin()
    code = client.wait(timeout=60)
    return (None if code == 0 else code), client.stderr_text()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_document_is_judged_as_kimi_cli_judges_it(tmp_path: Path) -> None:
    mismatches: list[tuple[Any, str, int | None, str]] = []
    for i, doc in enumerate(CORPUS):
        want = oracle_verdict(doc)
        code, stderr = _kagent_run(tmp_path, f"doc{i}", doc)
        if want is None:
            if code is not None:
                mismatches.append((doc, "kimi-cli accepts it; kagent exited", code, stderr))
            continue
        got = _error_text(stderr)
        if code in (None, 0) or _flat(got) != _flat(want):
            mismatches.append((doc, want, code, got))
    assert not mismatches, "\n\n".join(
        f"{json.dumps(d)}\n  kimi-cli: {w}\n  kagent ({c}): {g}" for d, w, c, g in mismatches
    )


@pytest.mark.parametrize(
    ("entry", "spawned"),
    [
        # a tie of fields goes to the stdio member, first in fastmcp's union
        ({"command": "{marker}", "url": "{url}"}, True),
        # more of the remote member's own fields: it is a remote server
        ({"command": "{marker}", "url": "{url}", "headers": {}}, False),
        # a command that is no string leaves only the remote member
        ({"command": 3, "url": "{url}"}, False),
    ],
)
def test_the_server_type_is_the_one_kimi_cli_picks(
    entry: dict[str, Any], spawned: bool, tmp_path: Path
) -> None:
    """Both kernels' choice, by what each does: spawn the command or call the URL."""
    import http.server
    import threading

    calls: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            calls.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_GET = do_POST  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    marker = tmp_path / "spawned"
    script = tmp_path / "server.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    script.chmod(0o755)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/mcp"
    text = json.dumps(entry).replace("{marker}", str(script)).replace("{url}", url)
    doc = {"mcpServers": {"x": json.loads(text)}}
    assert oracle_verdict(doc) is None
    from fastmcp.mcp_config import MCPConfig, StdioMCPServer

    oracle_spawns = isinstance(MCPConfig.model_validate(doc).mcpServers["x"], StdioMCPServer)
    assert oracle_spawns == spawned, "the case no longer shows fastmcp's choice"
    try:
        sb = Sandbox(tmp_path / "sb")
        sb.write_scripts([DONE])
        sb.write_config(scripted_config(sb.scripts_path))
        argv = kernels.kagent().argv(
            "-w", str(sb.work), "--config-file", str(sb.config_path), "--mcp-config", json.dumps(doc)
        )
        client = WireClient(argv, env=sb.env(), cwd=sb.work)
        try:
            client.exchange("initialize", {"protocol_version": "1.9"}, timeout=30)
            client.exchange("mcp_status", {"wait": True}, timeout=60)
        finally:
            client.close_stdin()
            client.wait(timeout=60)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert marker.exists() == spawned, (marker.exists(), calls)
    assert bool(calls) == (not spawned), calls
