"""A real MCP server (fastmcp) for the MCP tests, over stdio, streamable HTTP or SSE.

Tools: `kk_echo` (text), `kk_image` (a 1x1 PNG), `kk_audio`, `kk_blob` (an embedded image
resource), `kk_structured` (structured content), `kk_fail` (an isError result), `kk_sleep`
(hangs past a short call timeout), `kk_crash` (the process dies mid-call), `kk_pid` (the
server's process id, for the orphan checks), and tools with hand-written input schemas for
the clients' argument checks (kosong's `jsonschema.validate`): `kk_schema` (2020-12 keywords),
`kk_draft7` (a draft-07 `$schema`), `kk_badschema` (a pattern Python cannot compile). With
$KK_MCP_SCHEMAS (a JSON file: a list of input schemas) the server has `<prefix>s<i>` instead,
one tool per schema; each answers `valid: <arguments as JSON>`.

Usage: kk_mcp_server.py stdio | kk_mcp_server.py http|sse PORT_FILE [BEARER_TOKEN]
(http and sse bind 127.0.0.1 on a free port and write the port to PORT_FILE once listening;
http serves /mcp, sse serves the event stream at /sse). With a token, requests without it are
refused, and POST /token is an OAuth token endpoint granting it for the refresh_token grant of
refresh token `kk-refresh-1` by client `kk-client` (secret `kk-secret`, in the form).
$KK_MCP_PREFIX replaces the `kk_` of the tool names; $KK_MCP_START_DELAY (seconds) delays
the start (so a kernel's first turn surely waits for it).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from typing import Any

from fastmcp import FastMCP
from fastmcp.tools import Tool, ToolResult
from mcp.types import AudioContent, BlobResourceContents, EmbeddedResource, ImageContent
from pydantic import AnyUrl

PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


# a hand-written 2020-12 input schema with many validation keywords (it passes the 2020-12
# metaschema, which kimi-cli checks every tool's schema against when it connects)
SCHEMA_2020: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{2}$"},
        "count": {"type": "integer", "minimum": 1, "maximum": 10, "multipleOf": 2},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "tags": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "uniqueItems": True,
            "maxItems": 3,
            "contains": {"const": "main"},
        },
        "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
        "mode": {"enum": ["fast", "slow"]},
        "kind": {"oneOf": [{"type": "string", "maxLength": 3}, {"type": "integer"}]},
        "extra": {
            "type": "object",
            "patternProperties": {"^x-": {"type": "string"}},
            "additionalProperties": False,
            "propertyNames": {"maxLength": 8},
        },
        "shape": {
            "type": "object",
            "if": {"properties": {"type": {"const": "circle"}}},
            "then": {"required": ["r"]},
            "else": {"required": ["w", "h"]},
        },
        "note": {"not": {"type": "null"}, "anyOf": [{"type": "string", "minLength": 2}, {"type": "boolean"}]},
        "at": {"$ref": "#/$defs/position"},
        # lookaheads and a backreference: Python's re, not a DFA
        "pin": {"type": "string", "pattern": "^(?=.*\\d)(?!.*(.)\\1)\\w{4,}$"},
    },
    "required": ["code"],
    "dependentRequired": {"ratio": ["count"]},
    "dependentSchemas": {"mode": {"required": ["kind"]}},
    "unevaluatedProperties": False,
    "$defs": {"position": {"type": "integer", "minimum": 0, "maximum": 99}},
}

# a draft-07 schema: `$ref` siblings ignored, `dependencies`, `definitions`
SCHEMA_DRAFT7: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "t": {"type": "array", "items": {"type": "integer"}},
        "p": {"$ref": "#/definitions/P", "minimum": 100},
    },
    "dependencies": {"t": ["p"]},
    "definitions": {"P": {"type": "integer"}},
}

# a pattern Python's `re` refuses (`(?<name>...)`): kosong's check raises SchemaError
SCHEMA_BAD: dict[str, Any] = {"type": "object", "properties": {"p": {"type": "string", "pattern": "(?<n>x)"}}}


class SchemaTool(Tool):
    """A tool with an explicit input schema (`parameters`) that echoes its arguments."""

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        return ToolResult(content="valid: " + json.dumps(arguments, sort_keys=True))


def schema_tools(prefix: str, schemas: list[dict[str, Any]]) -> FastMCP:
    mcp = FastMCP("kk-schemas", dereference_schemas=False)
    for i, schema in enumerate(schemas):
        mcp.add_tool(SchemaTool(name=f"{prefix}s{i}", description=f"schema {i}", parameters=schema))
    return mcp


def build(prefix: str) -> FastMCP:
    """The server; every tool name starts with `prefix` (two servers need distinct names)."""
    schemas_file = os.environ.get("KK_MCP_SCHEMAS")
    if schemas_file:
        with open(schemas_file, encoding="utf-8") as f:
            return schema_tools(prefix, json.load(f))
    mcp = FastMCP("kk-test", dereference_schemas=False)

    @mcp.tool(name=prefix + "echo")
    def kk_echo(text: str) -> str:
        """Echo `text` back, prefixed."""
        return f"kk-echo: {text}"

    @mcp.tool(name=prefix + "image")
    def kk_image() -> ImageContent:
        """A tiny PNG image."""
        return ImageContent(type="image", data=base64.b64encode(PNG_1X1).decode(), mimeType="image/png")

    @mcp.tool(name=prefix + "audio")
    def kk_audio() -> AudioContent:
        """A few bytes of audio."""
        return AudioContent(type="audio", data=base64.b64encode(b"RIFF0000").decode(), mimeType="audio/wav")

    @mcp.tool(name=prefix + "blob")
    def kk_blob() -> EmbeddedResource:
        """An embedded image resource."""
        blob = BlobResourceContents(
            uri=AnyUrl("kk://pixel.png"), mimeType="image/png", blob=base64.b64encode(PNG_1X1).decode()
        )
        return EmbeddedResource(type="resource", resource=blob)

    @mcp.tool(name=prefix + "structured")
    def kk_structured(n: int) -> ToolResult:
        """Structured content next to a text block."""
        return ToolResult(content=f"n is {n}", structured_content={"n": n, "double": 2 * n})

    @mcp.tool(name=prefix + "fail")
    def kk_fail(why: str) -> str:
        """Always fails with `why`."""
        raise ValueError(f"kk_fail failed: {why}")

    @mcp.tool(name=prefix + "sleep")
    async def kk_sleep(seconds: float) -> str:
        """Sleep, then answer."""
        await asyncio.sleep(seconds)
        return "slept"

    @mcp.tool(name=prefix + "crash")
    def kk_crash() -> str:
        """The server process dies during the call."""
        os._exit(3)

    @mcp.tool(name=prefix + "pid")
    def kk_pid() -> str:
        """The server's process id."""
        return str(os.getpid())

    for name, schema in (("schema", SCHEMA_2020), ("draft7", SCHEMA_DRAFT7), ("badschema", SCHEMA_BAD)):
        mcp.add_tool(
            SchemaTool(
                name=prefix + name,
                description=f"Arguments checked against a {name} schema.",
                parameters=schema,
            )
        )
    return mcp


def main() -> None:
    mode, rest = sys.argv[1], sys.argv[2:]
    prefix = os.environ.get("KK_MCP_PREFIX", "kk_")
    time.sleep(float(os.environ.get("KK_MCP_START_DELAY", "0")))
    mcp = build(prefix)
    if mode == "stdio":
        mcp.run(show_banner=False)
        return
    port_file, token = rest[0], (rest[1] if len(rest) > 1 else None)
    import socket

    import uvicorn

    app = mcp.http_app(path="/sse", transport="sse") if mode == "sse" else mcp.http_app(path="/mcp")
    if token:
        from urllib.parse import parse_qs

        from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response

        async def token_endpoint(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            wanted = {
                "grant_type": "refresh_token",
                "refresh_token": "kk-refresh-1",
                "client_id": "kk-client",
                "client_secret": "kk-secret",
            }
            if form != wanted:
                return JSONResponse({"error": "invalid_grant", "got": form}, status_code=400)
            granted = {"access_token": token, "token_type": "bearer", "expires_in": 3600}
            return JSONResponse({**granted, "refresh_token": "kk-refresh-2"})

        app.add_route("/token", token_endpoint, methods=["POST"])

        async def require_bearer(request: Request, call_next: RequestResponseEndpoint) -> Response:
            if request.url.path != "/token" and request.headers.get("authorization") != f"Bearer {token}":
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            return await call_next(request)

        app.add_middleware(BaseHTTPMiddleware, dispatch=require_bearer)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning")
    server = uvicorn.Server(config)

    async def serve() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.02)
        with open(port_file, "w", encoding="utf-8") as f:
            f.write(str(port))
        await task

    asyncio.run(serve())


if __name__ == "__main__":
    main()
