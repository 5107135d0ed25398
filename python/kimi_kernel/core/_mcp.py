"""What of a user's MCP configuration kagent cannot run: servers on the SSE transport (rmcp,
kagent's MCP client, has none). kimi-kernel's hook keeps such sessions on the Python kernel
(auto) or refuses them (rust); doctor predicts the same from the global mcp.json. No kimi-cli
import: the configs are plain `{"mcpServers": {...}}` tables (or kimi-cli's models of them)."""

from __future__ import annotations

from typing import Any


def _as_table(conf: Any) -> dict[str, Any]:
    if isinstance(conf, dict):
        return conf
    dump = getattr(conf, "model_dump", None)  # kimi-cli's pydantic model of an MCP config
    return dump(mode="json", exclude_none=True) if callable(dump) else {}


def sse_server_name(mcp_configs: Any) -> str | None:
    """The first configured MCP server that kimi-cli would reach over SSE (its `transport`,
    else a URL path ending in /sse, as fastmcp infers it), or None."""
    for conf in mcp_configs or ():
        servers = _as_table(conf).get("mcpServers") or {}
        if not isinstance(servers, dict):
            continue
        for name, server in servers.items():
            if not isinstance(server, dict) or not isinstance(server.get("url"), str):
                continue
            transport = server.get("transport")
            if transport == "sse" or (
                transport is None and server["url"].split("?")[0].rstrip("/").endswith("/sse")
            ):
                return str(name)
    return None


def sse_refusal(name: str) -> str:
    """What kagent does not run, for the hook's refusal and doctor's prediction."""
    return (
        f"the MCP server `{name}` over SSE (kagent's MCP client has no SSE transport; switch it "
        'to "transport": "http" if the server speaks streamable HTTP)'
    )
