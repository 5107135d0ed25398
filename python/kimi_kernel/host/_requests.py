"""kagent's requests in a turn (approvals, external tool calls, questions, hook requests):
made visible to kimi-cli's UI, answered there, and the answer sent back to kagent."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from kimi_cli import logger
from kimi_cli.wire.types import (
    ApprovalRequest,
    ApprovalResponse,
    HookRequest,
    HookResponse,
    QuestionRequest,
    QuestionResponse,
    ToolCallRequest,
    ToolResult,
)

from kimi_kernel.core._client import KagentClient, KagentError
from kimi_kernel.host import kimi_private

# how long a relayed HookRequest waits for a UI that takes no messages (UI gone)
UI_STALL = 2.0


def turn_approval_source() -> Any:
    """The approval source of this turn, made (as KimiSoul.run does) when there is none;
    returns the one it made, so the turn's leftover approvals can be withdrawn."""
    from kimi_cli.approval_runtime import (
        ApprovalSource,
        get_current_approval_source_or_none,
        set_current_approval_source,
    )

    if get_current_approval_source_or_none() is not None:
        return None
    source = ApprovalSource(kind="foreground_turn", id=uuid.uuid4().hex)
    set_current_approval_source(source)
    return source


async def taken_by_ui(wire: Any) -> None:
    """Wait until the UI side (kimi-cli's Wire server) has taken every message sent on
    `wire` so far: it forwards each one to its client as it takes it."""
    if kimi_private.ui_backlog(wire) is None:
        return
    loop = asyncio.get_running_loop()
    left, since = -1, loop.time()
    while (now := kimi_private.ui_backlog(wire) or 0) > 0:
        if now != left:
            left, since = now, loop.time()
        elif loop.time() - since > UI_STALL:  # nobody is taking them: stop waiting
            return
        await asyncio.sleep(0)


class RequestRelay:
    """Announces kagent's requests to kimi-cli and answers kagent with what the UI said.

    `approval_runtime` is the session's (kimi-cli's ApprovalRuntime, or None);
    `wire_server()` is kimi-cli's WireServer whose client initialized (kimi-kernel --wire),
    or None; asked each time (a client may initialize while a turn runs)."""

    def __init__(self, approval_runtime: Any, wire_server: Callable[[], Any]) -> None:
        self.approval_runtime = approval_runtime
        self.wire_server = wire_server

    def approvals_published(self) -> bool:
        """True when kimi-cli's approval runtime announces approval answers on the root wire
        hub (as `resolve()` does for the requests `announce` creates there): kagent's own
        ApprovalResponse event would then reach the UI a second time."""
        return kimi_private.approvals_announced(self.approval_runtime)

    def withdraw(self, source: Any) -> None:
        """Approvals kagent asked for in this turn and nobody answered: withdraw them."""
        if source is not None and self.approval_runtime is not None:
            self.approval_runtime.cancel_by_source(source.kind, source.id)

    def announce(self, wire: Any, msg: Any) -> None:
        """Make a kagent request visible locally, as KimiSoul's own tools would: approvals
        through kimi-cli's approval runtime (every UI answers those), the rest on the Wire."""
        from kimi_cli.approval_runtime import (
            ApprovalSource,
            get_current_approval_source_or_none,
        )

        runtime = self.approval_runtime
        if isinstance(msg, ApprovalRequest) and runtime is not None:
            source = get_current_approval_source_or_none() or ApprovalSource(
                kind="foreground_turn", id=uuid.uuid4().hex
            )
            runtime.create_request(
                request_id=msg.id,
                sender=msg.sender,
                action=msg.action,
                description=msg.description,
                tool_call_id=msg.tool_call_id,
                display=list(msg.display),
                source=source,
            )
        elif isinstance(msg, (ApprovalRequest, ToolCallRequest, QuestionRequest)):
            wire.soul_side.send(msg)
        # a HookRequest is sent by `relay_hook_request`

    async def relay_hook_request(self, wire: Any, msg: HookRequest) -> bool:
        """Send kagent's HookRequest to the Wire client as kimi-cli's server sends its own
        (registered with the server, which resolves it on the answer, on an error answer,
        or when the turn is cancelled), after every event kagent sent before it. False:
        no client initialized (kagent does not ask then)."""
        from kimi_cli.wire.jsonrpc import JSONRPCRequestMessage

        server = self.wire_server()
        if server is None:
            return False
        await taken_by_ui(wire)
        kimi_private.register_wire_request(server, msg)
        await kimi_private.send_to_wire_client(
            server, JSONRPCRequestMessage(id=msg.id, params=msg)
        )
        return True

    async def answer(
        self,
        client: KagentClient,
        rid: str,
        msg: Any,
        relayed: asyncio.Task[bool] | None = None,
    ) -> None:
        """Wait for the local answer to an announced request and send it back to kagent."""
        try:
            match msg:
                case ApprovalRequest():
                    runtime = self.approval_runtime
                    if runtime is not None:
                        response, feedback = await runtime.wait_for_response(msg.id)
                    else:
                        response, feedback = await msg.wait(), msg.feedback
                    await client.respond(
                        rid,
                        ApprovalResponse(
                            request_id=msg.id, response=response, feedback=feedback
                        ).model_dump(mode="json"),
                    )
                case ToolCallRequest():
                    value = await msg.wait()
                    result = ToolResult(tool_call_id=msg.id, return_value=value)
                    await client.respond(rid, result.model_dump(mode="json"))
                case QuestionRequest():
                    answers = await msg.wait()
                    reply = QuestionResponse(request_id=msg.id, answers=answers)
                    await client.respond(rid, reply.model_dump(mode="json"))
                case HookRequest():
                    action, reason = (
                        await msg.wait()
                        if relayed is not None and await relayed
                        else ("allow", "")
                    )
                    hook_reply = HookResponse(
                        request_id=msg.id, action=action, reason=reason
                    )
                    await client.respond(rid, hook_reply.model_dump(mode="json"))
                case _:
                    await client.respond_error(
                        rid,
                        -32601,
                        f"kimi-kernel does not handle {type(msg).__name__} requests",
                    )
        except asyncio.CancelledError:
            raise
        except KagentError:
            return
        except Exception as e:  # noqa: BLE001 - reported back to kagent as internal error
            logger.exception(
                "kimi-kernel: answering kagent request {rid} failed", rid=rid
            )
            with contextlib.suppress(KagentError):
                await client.respond_error(
                    rid, -32603, f"kimi-kernel failed to answer: {e}"
                )
