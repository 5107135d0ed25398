"""One turn on kagent: the prompt, kagent's events relayed to the turn's Wire, its requests
announced and answered (`_requests`), a cancel forwarded, kagent's errors as kimi-cli's."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable
from typing import Any

from kimi_cli import logger
from kimi_cli.soul import LLMNotSet, MaxStepsReached
from kimi_cli.wire.serde import deserialize_wire_message
from kimi_cli.wire.types import ApprovalResponse, ContentPart, HookRequest, StatusUpdate
from kosong.chat_provider import (
    APIConnectionError,
    APIEmptyResponseError,
    APIStatusError,
    APITimeoutError,
    ChatProviderError,
)

from kimi_kernel.core._client import KagentClient, KagentError, KagentRPCError
from kimi_kernel.core._launch import KernelLauncher
from kimi_kernel.host import kimi_private
from kimi_kernel.host._notice import notice
from kimi_kernel.host._requests import RequestRelay, turn_approval_source
from kimi_kernel.host._state import KernelState

CANCEL_GRACE = 5.0


class KagentTurnError(RuntimeError):
    """A turn could not complete on kagent (shown to the user as the turn's error)."""


def wire_payload(user_input: str | list[ContentPart]) -> Any:
    """User input (or a steer) as kagent's JSON-RPC params carry it."""
    if isinstance(user_input, str):
        return user_input
    return [p.model_dump(mode="json") for p in user_input]


_PROVIDER_ERRORS: dict[str, type[ChatProviderError]] = {
    "APIConnectionError": APIConnectionError,
    "APITimeoutError": APITimeoutError,
    "APIEmptyResponseError": APIEmptyResponseError,
}


def provider_error(message: str, data: Any) -> ChatProviderError:
    """kagent's provider error (-32003) as the kosong error kimi-cli would have raised: its
    class and status come in `data` (kagent's extension asked for by our handshake), which
    decide kimi-cli's exit code in print mode."""
    kind = data.get("type") if isinstance(data, dict) else None
    status = data.get("status_code") if isinstance(data, dict) else None
    if kind == "APIStatusError" and isinstance(status, int):
        return APIStatusError(status, message)
    return _PROVIDER_ERRORS.get(str(kind), ChatProviderError)(message)


class TurnRelay:
    """Runs turns of one session on kagent and relays them to kimi-cli's Wire.

    `llm` is the session's LLM (named in kimi-cli's LLMNotSupported)."""

    def __init__(self, state: KernelState, requests: RequestRelay, llm: Any) -> None:
        self.state = state
        self.requests = requests
        self.llm = llm

    async def run(
        self, client: KagentClient, wire: Any, user_input: str | list[ContentPart]
    ) -> None:
        """Run one turn; return when kagent finished or cancelled it. Raises kimi-cli's
        LLMNotSet / LLMNotSupported / ChatProviderError / MaxStepsReached as KimiSoul does,
        KagentTurnError for other errors, KagentExited / KagentProtocolError when kagent
        broke."""
        st = self.state
        loop = asyncio.get_running_loop()
        answering: set[asyncio.Task[None]] = set()
        # kagent's messages are read by a task started outside this turn: capture the turn's
        # context (current wire, approval source) and use it explicitly.
        turn_context = contextvars.copy_context()
        source = turn_context.run(turn_approval_source)
        requests = self.requests

        def on_event(params: dict[str, Any]) -> None:
            try:
                msg = deserialize_wire_message(params)
            except Exception as e:  # noqa: BLE001 - pydantic/ValueError; logged, not fatal
                logger.error(
                    "kimi-kernel: cannot decode kagent event {p}: {e}", p=params, e=e
                )
                return
            if isinstance(msg, ApprovalResponse) and requests.approvals_published():
                return  # kimi-cli's approval runtime has published this answer itself
            if isinstance(msg, StatusUpdate):
                st.status.record(msg)
            wire.soul_side.send(msg)

        def on_request(rid: str, params: dict[str, Any]) -> Awaitable[Any] | None:
            gate = None
            try:
                msg = deserialize_wire_message(params)
            except Exception as e:  # noqa: BLE001 - answered as invalid params
                coro = client.respond_error(
                    rid, -32602, f"kimi-kernel cannot decode request: {e}"
                )
                task = loop.create_task(coro)
            else:
                if isinstance(msg, HookRequest):
                    gate = loop.create_task(requests.relay_hook_request(wire, msg))
                else:
                    # shown to the UI right away, in kagent's order relative to its events
                    turn_context.run(requests.announce, wire, msg)
                task = loop.create_task(
                    requests.answer(client, rid, msg, gate), context=turn_context
                )
            answering.add(task)
            task.add_done_callback(answering.discard)
            if gate is not None:  # kagent's later messages wait until the client has it
                return asyncio.ensure_future(asyncio.wait([gate]))
            return None

        client.on_event, client.on_request = on_event, on_request
        st.turn_running = True
        prompt = loop.create_task(
            client.request("prompt", {"user_input": wire_payload(user_input)})
        )
        try:
            try:
                result = await asyncio.shield(prompt)
            except asyncio.CancelledError:
                await self.cancel(client, prompt)
                raise
        except KagentRPCError as e:
            if e.code == -32001:
                raise LLMNotSet() from e
            if e.code == -32002:
                raise kimi_private.llm_not_supported(self.llm, e.rpc_message) from e
            if e.code == -32003:
                raise provider_error(e.rpc_message, e.data) from e
            raise KagentTurnError(str(e)) from e
        finally:
            st.turn_running = False
            client.on_event = client.on_request = None
            for task in list(answering):
                task.cancel()
            requests.withdraw(source)
            for task in list(answering):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        status = result.get("status") if isinstance(result, dict) else None
        if status == "max_steps_reached":
            raise MaxStepsReached(int(result.get("steps") or 0))
        if status not in ("finished", "cancelled"):
            logger.warning(
                "kimi-kernel: unexpected prompt result from kagent: {r}", r=result
            )

    async def cancel(self, client: KagentClient, prompt: asyncio.Task[Any]) -> None:
        """Forward the cancel; wait for kagent to close the turn, or stop kagent if it won't."""
        if client.stdin_closed:  # client_gone: kagent ends the turn on EOF and exits
            with contextlib.suppress(KagentError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(prompt), timeout=CANCEL_GRACE)
            if not prompt.done():
                prompt.cancel()
            with contextlib.suppress(BaseException):
                await prompt
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CANCEL_GRACE  # one bound for the cancel and the turn's end
        try:
            await asyncio.wait_for(client.request("cancel", {}), timeout=CANCEL_GRACE)
            await asyncio.wait_for(
                asyncio.shield(prompt), timeout=max(0.1, deadline - loop.time())
            )
        except (KagentError, TimeoutError) as e:
            why = str(e) or f"no answer within {CANCEL_GRACE:g} s"
            # on the terminal too: the user pressed Ctrl-C and is waiting for it
            notice(f"kimi-kernel: kagent did not end the turn on cancel ({why}); stopping it")
            logger.warning(
                "kimi-kernel: kagent did not end the turn on cancel ({e}); stopping it",
                e=why,
            )
            await KernelLauncher.stop(client)
            self.state.client = None
        if not prompt.done():
            prompt.cancel()
        with contextlib.suppress(BaseException):
            await prompt
