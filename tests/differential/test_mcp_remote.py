"""Remote MCP servers on 127.0.0.1 (issue 16), oracle vs kagent: over streamable HTTP, one
server takes the OAuth token `kimi mcp auth` stored (written here by kimi-cli's own token
storage into the sandbox's share dir, so both kernels read the same files), one a bearer
header from the config; one server speaks the older SSE transport (chosen from its /sse URL,
as kimi-cli chooses it) with a bearer header too; an OAuth server without stored tokens is
skipped as unauthorized. Every server (tests/mcp/kk_mcp_server.py, fastmcp) refuses requests
without its token. Then: a stored token that has expired is refreshed (the
refresh_token grant at the server's /token, the only way to the token the server accepts) and
written back where and as kimi-cli reads it, by both kernels alike."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kk_common.sandbox import Sandbox

from . import kernels
from .mcp_catalogue import SERVER, mcp_args, without_mcp_loading
from .scenario import Phase, Scenario
from .scenario_check import check_against_oracle
from .steps import initialize
from .tools_catalogue import DONE, approve, approved_turn, tc

OAUTH_TOKEN = "kk-oauth-token-1"
HEADER_TOKEN = "kk-header-token-2"
SSE_TOKEN = "kk-sse-token-3"


def start_http(tmp: Path, prefix: str, token: str, mode: str = "http") -> tuple[subprocess.Popen[bytes], str]:
    port_file = tmp / f"{prefix}port"
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), mode, str(port_file), token],
        env={**os.environ, "KK_MCP_PREFIX": prefix},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not port_file.exists() or not port_file.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the HTTP MCP server did not start (exit {proc.poll()})")
        time.sleep(0.05)
    path = "sse" if mode == "sse" else "mcp"
    return proc, f"http://127.0.0.1:{port_file.read_text()}/{path}"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    tmp = tmp_path_factory.mktemp("mcp-http")
    oauth, oauth_url = start_http(tmp, "w_", OAUTH_TOKEN)
    header, header_url = start_http(tmp, "h_", HEADER_TOKEN)
    sse, sse_url = start_http(tmp, "s_", SSE_TOKEN, mode="sse")
    try:
        yield oauth_url, header_url, sse_url
    finally:
        for proc in (oauth, header, sse):
            proc.terminate()
            proc.wait(timeout=10)


def store_oauth_token(url: str, expired: bool = False) -> object:
    """Write the token as `kimi mcp auth` stores it (kimi-cli's own storage code); `expired`:
    one that has expired, with its refresh token and the OAuth client."""

    def mutate(sandbox: Sandbox) -> None:
        from kimi_cli.mcp_oauth import create_mcp_oauth_token_storage
        from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
        from pydantic import AnyUrl

        saved = os.environ.get("KIMI_SHARE_DIR")
        os.environ["KIMI_SHARE_DIR"] = str(sandbox.share)
        try:
            storage = create_mcp_oauth_token_storage(url)
            token = (
                # stored with its expiry one second from now (a token without expires_in, or
                # with 0, never expires for the provider)
                OAuthToken(
                    access_token="kk-stale", token_type="Bearer", expires_in=1, refresh_token="kk-refresh-1"
                )
                if expired
                else OAuthToken(access_token=OAUTH_TOKEN, token_type="Bearer", expires_in=3600)
            )
            client = OAuthClientInformationFull(
                client_id="kk-client",
                client_secret="kk-secret",
                token_endpoint_auth_method="client_secret_post",
                redirect_uris=[AnyUrl("http://127.0.0.1:1/callback")],
            )

            async def store() -> None:
                await storage.set_tokens(token)
                await storage.set_client_info(client)

            asyncio.run(store())
            if expired:
                time.sleep(1.5)
        finally:
            if saved is None:
                os.environ.pop("KIMI_SHARE_DIR", None)
            else:
                os.environ["KIMI_SHARE_DIR"] = saved

    return mutate


def read_stored_tokens(share: Path, url: str) -> tuple[Any, float | None]:
    """The tokens and expiry stored in `share`, read by kimi-cli's own storage code."""
    from kimi_cli.mcp_oauth import create_mcp_oauth_token_storage

    saved = os.environ.get("KIMI_SHARE_DIR")
    os.environ["KIMI_SHARE_DIR"] = str(share)
    try:
        storage = create_mcp_oauth_token_storage(url)

        async def read() -> tuple[Any, float | None]:
            return await storage.get_tokens(), await storage.get_token_expiry()

        return asyncio.run(read())
    finally:
        if saved is None:
            os.environ.pop("KIMI_SHARE_DIR", None)
        else:
            os.environ["KIMI_SHARE_DIR"] = saved


def test_remote_mcp_servers(servers: tuple[str, str, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    kernels.oracle()
    kernels.kagent()
    oauth_url, header_url, sse_url = servers
    config = {
        "web": {"url": oauth_url, "auth": "oauth"},
        "hdr": {
            "url": header_url,
            "transport": "http",
            "headers": {"Authorization": f"Bearer {HEADER_TOKEN}"},
        },
        "old": {"url": sse_url, "headers": {"Authorization": f"Bearer {SSE_TOKEN}"}},
        "nologin": {"url": oauth_url.replace("/mcp", "/elsewhere"), "auth": "oauth"},
    }
    scenario = Scenario(
        "mcp_remote_http",
        (
            Phase(
                (
                    initialize(),
                    *approved_turn("p1", approve(), approve(), approve(), approve(), approve()),
                ),
                (
                    tc("c1", "w_echo", {"text": "over http"}),
                    tc("c2", "h_structured", {"n": 2}),
                    tc("c3", "w_fail", {"why": "remote"}),
                    tc("c4", "s_echo", {"text": "over sse"}),
                    tc("c5", "s_structured", {"n": 5}),
                    DONE,
                ),
                mcp_args(config),
                timeout=90.0,
                mutate=store_oauth_token(oauth_url),  # type: ignore[arg-type]
            ),
        ),
    )
    subject = check_against_oracle(
        scenario, ("kagent",), tmp_path_factory, without_mcp_loading, check_panics=False
    )
    transcript = "\n".join(subject.normalized())
    assert "kk-echo: over http" in transcript and "n is 2" in transcript, transcript
    assert "kk-echo: over sse" in transcript and "n is 5" in transcript, transcript


def test_expired_oauth_token_is_refreshed(
    servers: tuple[str, str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    kernels.kagent()
    oauth_url = servers[0]
    scenario = Scenario(
        "mcp_oauth_refresh",
        (
            Phase(
                (initialize(), *approved_turn("p1", approve())),
                (tc("c1", "w_echo", {"text": "refreshed"}), DONE),
                mcp_args({"web": {"url": oauth_url, "auth": "oauth"}}),
                timeout=90.0,
                mutate=store_oauth_token(oauth_url, expired=True),  # type: ignore[arg-type]
            ),
        ),
    )
    subject = check_against_oracle(
        scenario, ("kagent",), tmp_path_factory, without_mcp_loading, check_panics=False
    )
    transcript = "\n".join(subject.normalized())
    assert "kk-echo: refreshed" in transcript, transcript
    refreshed, expiry = read_stored_tokens(subject.sandbox.share, oauth_url)
    assert refreshed is not None and refreshed.access_token == OAUTH_TOKEN, refreshed
    assert refreshed.refresh_token == "kk-refresh-2", refreshed
    assert expiry is not None and expiry > time.time() + 3000, expiry
