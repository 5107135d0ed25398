"""What kagent reported in its StatusUpdate events, laid over KimiSoul's own status."""

from __future__ import annotations

import dataclasses
from typing import Any

from kimi_cli.soul import StatusSnapshot
from kimi_cli.wire.types import MCPStatusSnapshot, StatusUpdate


class StatusMirror:
    """The latest non-null fields of kagent's StatusUpdates in this session.

    kagent counts the context, switches plan mode inside its turns and runs the MCP servers;
    the UI asks the soul (`soul.status`), so the soul answers with kagent's numbers over its
    own."""

    def __init__(self) -> None:
        self.latest: dict[str, Any] = {}

    def record(self, msg: StatusUpdate) -> None:
        self.latest.update(
            {k: v for k, v in msg.model_dump(mode="json").items() if v is not None}
        )

    def record_mcp(self, snapshot: dict[str, Any]) -> None:
        """kagent's answer to `mcp_status` (host._mcp_status)."""
        self.latest["mcp_status"] = snapshot

    def overlay(self, base: StatusSnapshot) -> StatusSnapshot:
        st = self.latest
        if not st:
            return base
        changes: dict[str, Any] = {}
        if st.get("context_usage") is not None:
            changes["context_usage"] = float(st["context_usage"])
        if st.get("context_tokens") is not None:
            changes["context_tokens"] = int(st["context_tokens"])
        if st.get("max_context_tokens") is not None:
            changes["max_context_tokens"] = int(st["max_context_tokens"])
        if st.get("plan_mode") is not None:
            changes["plan_mode"] = bool(st["plan_mode"])
        if st.get("mcp_status") is not None:
            # kagent runs the MCP servers; kimi-cli's own toolset has none then
            changes["mcp_status"] = MCPStatusSnapshot.model_validate(st["mcp_status"])
        return dataclasses.replace(base, **changes)
