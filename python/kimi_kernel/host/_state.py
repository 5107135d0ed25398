"""What a WireBackedSoul knows about its kagent: the process, the mode, the client's init."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kimi_kernel.core._client import KagentClient
from kimi_kernel.core._launch import KernelLauncher
from kimi_kernel.host._agent import PythonAgentRecipe
from kimi_kernel.host._mcp_status import McpStatusRelay
from kimi_kernel.host._status import StatusMirror


@dataclass
class KernelState:
    launcher: KernelLauncher
    strict: bool  # rust: no fallback to the Python kernel
    client: KagentClient | None
    fell_back: bool = False
    status: StatusMirror = field(default_factory=StatusMirror)
    mcp: McpStatusRelay = field(init=False)
    turn_running: bool = False
    # what the Wire client's `initialize`s asked for (kimi-kernel --wire), forwarded to
    # kagent; kept to initialize a restarted kagent the same way
    client_initialized: bool = False
    capabilities: dict[str, Any] = field(default_factory=dict)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    wire_server: Any = None  # kimi-cli's WireServer whose client initialized
    # the soul's agent has no tools (host._agent): how to build the Python one on fallback
    python_agent: PythonAgentRecipe | None = None

    def __post_init__(self) -> None:
        self.mcp = McpStatusRelay(self.status)

    def live_client(self) -> KagentClient | None:
        """kagent's client while kagent runs this session's turns (not after a fallback)."""
        client = self.client
        if self.fell_back or client is None or not client.alive:
            return None
        return client
