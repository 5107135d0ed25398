"""The MCP servers' start-up status, asked of kagent, for kimi-cli's shell.

kimi-cli's shell shows MCP servers through its soul: `/mcp` and the prompt's MCP line call
`start_background_mcp_loading`, read `status.mcp_status` (many times a second while servers
connect) and await `wait_for_background_mcp_loading`. On kagent the servers run in kagent,
so the soul asks kagent with its `mcp_status` request (kagent/README.md) and keeps the latest
answer in the StatusMirror, where `status` finds it without waiting."""

from __future__ import annotations

import asyncio
from typing import Any

from kimi_cli import logger

from kimi_kernel.core._client import KagentClient, KagentError
from kimi_kernel.host._status import StatusMirror

# how often the shell's view is refreshed while servers connect (its own redraw is 8 Hz)
POLL_SECONDS = 0.1


class McpStatusRelay:
    """Asks kagent for the snapshot; polls it into `mirror` while the start-up runs."""

    def __init__(self, mirror: StatusMirror) -> None:
        self.mirror = mirror
        self._poll: asyncio.Task[None] | None = None

    async def start(self, client: KagentClient) -> bool:
        """Whether kagent has MCP servers; while they still connect, keep the snapshot fresh."""
        snapshot = await self._ask(client, wait=False)
        if snapshot is None:
            return False
        if snapshot.get("loading") and (self._poll is None or self._poll.done()):
            self._poll = asyncio.get_running_loop().create_task(self._follow(client))
        return True

    async def wait(self, client: KagentClient) -> None:
        """Until kagent's servers finished starting (each connected or failed)."""
        await self._ask(client, wait=True)

    async def _follow(self, client: KagentClient) -> None:
        while client.alive:
            await asyncio.sleep(POLL_SECONDS)
            snapshot = await self._ask(client, wait=False)
            if snapshot is None or not snapshot.get("loading"):
                return

    async def _ask(self, client: KagentClient, *, wait: bool) -> dict[str, Any] | None:
        try:
            result = await client.request("mcp_status", {"wait": wait})
        except KagentError as e:
            # a kernel without the request (another Wire server standing in for kagent), or
            # one that died: the shell then shows no MCP servers, as kimi-cli does without any
            logger.debug("kimi-kernel: kagent's mcp_status failed: {e}", e=e)
            return None
        snapshot = result.get("mcp_status") if isinstance(result, dict) else None
        if isinstance(snapshot, dict):
            self.mirror.record_mcp(snapshot)
            return snapshot
        return None
