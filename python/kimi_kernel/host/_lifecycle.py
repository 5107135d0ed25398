"""kagent's life in a session: (re)initializing it as the Wire client asked, restarting it
(rust), and moving the session to the Python kernel when it fails (auto)."""

from __future__ import annotations

from typing import Any

from kimi_cli import logger

from kimi_kernel.core._client import (
    PROTOCOL_VERSION,
    KagentClient,
    KagentError,
    initialize,
)
from kimi_kernel.host._notice import notice
from kimi_kernel.host._state import KernelState
from kimi_kernel.host._turn import KagentTurnError


def external_tools(toolset: Any) -> list[dict[str, Any]]:
    """The Wire client's external tools kimi-cli accepted (kagent gets them too)."""
    from kimi_cli.soul.toolset import WireExternalTool

    return [
        {"name": t.name, "description": t.description, "parameters": t.parameters}
        for t in toolset.tools
        if isinstance(t, WireExternalTool)
    ]


async def initialize_kagent(
    state: KernelState, client: KagentClient, hooks: list[dict[str, Any]], toolset: Any
) -> None:
    """Send kagent the `initialize` the Wire client sent kimi-cli."""
    params: dict[str, Any] = {
        "protocol_version": PROTOCOL_VERSION,
        "capabilities": state.capabilities,
        "hooks": hooks,
    }
    if tools := external_tools(toolset):
        params["external_tools"] = tools
    result = await initialize(client, params, timeout=60)
    rejected = (result.get("external_tools") or {}).get("rejected") or []
    if rejected:
        logger.warning("kimi-kernel: kagent rejected external tools: {r}", r=rejected)


async def forward_initialize(
    state: KernelState, server: Any, params: Any, toolset: Any
) -> None:
    """kimi-cli's Wire server has handled its client's `initialize`; kagent gets the same
    one: the client's hook subscriptions (kagent sends their HookRequests), its
    capabilities, and the external tools kimi-cli accepted."""
    client = state.live_client()
    if client is None:
        return
    hooks = [h.model_dump(mode="json") for h in params.hooks or ()]
    # as kimi-cli's server: an initialize without capabilities keeps the previous ones
    if params.capabilities is not None:
        state.capabilities = params.capabilities.model_dump(mode="json")
    state.client_initialized = True
    state.wire_server = server
    state.hooks.extend(hooks)
    try:
        await initialize_kagent(state, client, hooks, toolset)
    except KagentError as e:
        logger.warning("kimi-kernel: initialize on kagent failed: {e}", e=e)


async def restart_kagent(state: KernelState, toolset: Any) -> KagentClient:
    """rust (strict): a turn after kagent died starts a fresh kagent on the same session."""
    try:
        client = await state.launcher.start()
    except (KagentError, OSError) as e:
        raise KagentTurnError(
            f"kagent could not be restarted: {e}. The kernel is 'rust' (strict); fix "
            "kagent or run with --kernel python or auto."
        ) from e
    state.client = client
    if state.client_initialized:
        await initialize_kagent(state, client, state.hooks, toolset)
    return client


def fall_back_when_gone(state: KernelState) -> bool:
    """auto: kagent is gone before a turn (e.g. stopped after a stuck cancel): the session
    moves to the Python kernel (True). rust: False, kagent is to be restarted."""
    if state.strict:
        return False
    state.fell_back = True
    notice("kimi-kernel: kagent is not running; continuing on the Python kernel.")
    return True


def turn_failure(state: KernelState, e: KagentError) -> KagentTurnError:
    """kagent broke during a turn (it has been stopped): the error the turn ends with.
    auto: the session moves to the Python kernel (one notice); rust: no fallback."""
    state.client = None
    if state.strict:
        return KagentTurnError(
            f"kagent failed during this turn: {e}. The kernel is 'rust' (strict), so "
            "there is no fallback; fix kagent or run with --kernel python or auto."
        )
    state.fell_back = True
    notice(
        f"kimi-kernel: kagent failed mid-turn ({e}); continuing on the Python kernel from "
        "the same context: send your message again."
    )
    return KagentTurnError(
        f"kagent failed during this turn: {e}. This session continues on the Python "
        "kernel from the same context; send your message again."
    )
