"""WireBackedSoul: a kimi-cli KimiSoul whose turns run in a `kagent --wire` child process."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import sys
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from kimi_cli import logger
from kimi_cli.soul import (
    LLMNotSet,
    LLMNotSupported,
    MaxStepsReached,
    StatusSnapshot,
    get_wire_or_none,
)
from kimi_cli.soul.context import Context
from kimi_cli.soul.kimisoul import KimiSoul
from kimi_cli.wire.serde import deserialize_wire_message
from kimi_cli.wire.types import (
    ApprovalRequest,
    ApprovalResponse,
    ContentPart,
    HookRequest,
    HookResponse,
    QuestionRequest,
    QuestionResponse,
    StatusUpdate,
    ToolCallRequest,
    ToolResult,
)
from kosong.chat_provider import ChatProviderError

from kimi_kernel._client import (
    KagentClient,
    KagentError,
    KagentExited,
    KagentProtocolError,
    KagentRPCError,
)
from kimi_kernel._launch import KernelLauncher

CANCEL_GRACE = 10.0


class KagentTurnError(RuntimeError):
    """A turn could not complete on kagent (shown to the user as the turn's error)."""


def _log(level: str, message: str) -> None:
    logger.log(level, "{message}", message=message)


def notice(text: str) -> None:
    """One line on the user's terminal even when kimi-cli has redirected fd 2 to its log."""
    from kimi_cli.utils.logging import open_original_stderr

    line = text.rstrip() + "\n"
    with open_original_stderr() as stream:
        if stream is not None:
            stream.write(line.encode("utf-8", errors="replace"))
            stream.flush()
            return
    sys.stderr.write(line)
    sys.stderr.flush()


@dataclass
class _KernelState:
    launcher: KernelLauncher
    strict: bool
    client: KagentClient | None
    fell_back: bool = False
    status: dict[str, Any] = field(default_factory=dict)
    turn_running: bool = False
    # what the Wire client's `initialize`s asked for (kimi-kernel --wire), forwarded to
    # kagent; kept to initialize a restarted kagent the same way
    client_initialized: bool = False
    capabilities: dict[str, Any] = field(default_factory=dict)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    wire_server: Any = None  # kimi-cli's WireServer whose client initialized


class WireBackedSoul(KimiSoul):
    """Turns run in kagent; everything else (slash commands, config, UI glue) stays KimiSoul's.

    Made from an existing KimiSoul by `adopt`, so every object that already holds the soul
    (tools bound to it, the CLI instance) keeps working with the same identity.
    """

    _kk: _KernelState

    @classmethod
    def adopt(
        cls,
        soul: KimiSoul,
        *,
        launcher: KernelLauncher,
        client: KagentClient,
        strict: bool,
    ) -> WireBackedSoul:
        soul.__class__ = cls
        assert isinstance(soul, WireBackedSoul)
        soul._kk = _KernelState(launcher=launcher, strict=strict, client=client)
        return soul

    # ---- introspection -----------------------------------------------------------------
    @property
    def kernel(self) -> str:
        """ "rust" while kagent runs the turns, "python" after a fallback."""
        return "python" if self._kk.fell_back else "rust"

    @property
    def kagent_client(self) -> KagentClient | None:
        return self._kk.client

    @property
    def status(self) -> StatusSnapshot:
        base = super().status
        st = self._kk.status
        if self._kk.fell_back or not st:
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
        return dataclasses.replace(base, **changes)

    def steer(self, content: str | list[ContentPart]) -> None:
        client = self._kk.client
        if self._kk.fell_back or client is None or not self._kk.turn_running:
            super().steer(content)
            return
        payload = (
            content
            if isinstance(content, str)
            else [p.model_dump(mode="json") for p in content]
        )
        task = asyncio.get_running_loop().create_task(
            client.request("steer", {"user_input": payload})
        )
        task.add_done_callback(_log_task_error("steer"))

    # ---- plan mode: kimi-cli's UIs toggle it on the soul; kagent must hear of it --------
    async def toggle_plan_mode_from_manual(self) -> bool:
        enabled = await super().toggle_plan_mode_from_manual()
        await self.sync_plan_mode()
        return enabled

    async def set_plan_mode_from_manual(self, enabled: bool) -> bool:
        result = await super().set_plan_mode_from_manual(enabled)
        await self.sync_plan_mode()
        return result

    async def sync_plan_mode(self) -> None:
        """Tell kagent the plan mode the Python side has (no-op after a fallback).

        `silent`: kimi-cli's side already reported the change to its client and recorded it
        in wire.jsonl (and saved state.json); kagent only adopts it, so nothing is doubled."""
        client = self._kk.client
        if self._kk.fell_back or client is None or not client.alive:
            return
        try:
            await client.request(
                "set_plan_mode",
                {"enabled": self.plan_mode, "silent": True},
                timeout=30,
            )
        except (KagentError, TimeoutError) as e:
            logger.warning("kimi-kernel: set_plan_mode on kagent failed: {e}", e=e)

    # ---- the turn ----------------------------------------------------------------------
    async def run(
        self,
        user_input: str | list[ContentPart],
        *,
        skip_user_prompt_hook: bool = False,
    ) -> None:
        st = self._kk
        if st.fell_back:
            await super().run(user_input, skip_user_prompt_hook=skip_user_prompt_hook)
            return
        client = st.client
        if client is None or not client.alive:
            if (
                not st.strict
            ):  # auto: kagent is gone (e.g. stopped after a stuck cancel)
                st.fell_back = True
                notice(
                    "kimi-kernel: kagent is not running; continuing on the Python kernel."
                )
                await self._reload_context()
                await super().run(
                    user_input, skip_user_prompt_hook=skip_user_prompt_hook
                )
                return
            client = await self._restart_kagent()
        self._silence_python_wire_recorder()
        try:
            await self._turn_on_kagent(client, user_input)
        except (KagentExited, KagentProtocolError) as e:
            await KernelLauncher.stop(client)
            st.client = None
            await self._reload_context()
            if st.strict:
                raise KagentTurnError(
                    f"kagent failed during this turn: {e}. The kernel is 'rust' (strict), so "
                    "there is no fallback; fix kagent or run with --kernel python or auto."
                ) from e
            st.fell_back = True
            notice(
                f"kimi-kernel: kagent failed mid-turn ({e}); continuing on the Python kernel."
            )
            raise KagentTurnError(
                f"kagent failed during this turn: {e}. This session continues on the Python "
                "kernel from the same context; send your message again."
            ) from e
        finally:
            await self._reload_context()
            self._adopt_plan_mode()

    def _adopt_plan_mode(self) -> None:
        """kagent's EnterPlanMode / ExitPlanMode and its `/plan` switch plan mode inside a
        turn and save it to state.json: take it over, so that a later toggle from the UI
        starts from kagent's mode and plan file (not a stale one)."""
        from kimi_cli.session_state import load_session_state

        session = self._runtime.session
        try:
            saved = load_session_state(session.dir)
        except Exception:  # noqa: BLE001 - keep the old view rather than fail the turn
            logger.exception("kimi-kernel: could not read the state kagent saved")
            return
        state = session.state
        if (saved.plan_mode, saved.plan_session_id, saved.plan_slug) == (
            self.plan_mode,
            state.plan_session_id,
            state.plan_slug,
        ):
            return
        state.plan_mode = saved.plan_mode
        state.plan_session_id = saved.plan_session_id
        state.plan_slug = saved.plan_slug
        self._plan_mode = saved.plan_mode
        self._plan_session_id = saved.plan_session_id
        self._pending_plan_activation_injection = False
        if saved.plan_session_id is not None and saved.plan_slug is not None:
            from kimi_cli.tools.plan.heroes import seed_slug_cache

            seed_slug_cache(saved.plan_session_id, saved.plan_slug)

    async def _restart_kagent(self) -> KagentClient:
        """rust (strict): a turn after kagent died starts a fresh kagent on the same session."""
        st = self._kk
        try:
            client = await st.launcher.start()
        except (KagentError, OSError) as e:
            raise KagentTurnError(
                f"kagent could not be restarted: {e}. The kernel is 'rust' (strict); fix "
                "kagent or run with --kernel python or auto."
            ) from e
        st.client = client
        if st.client_initialized:
            await self._initialize_kagent(client, st.hooks)
        return client

    def _silence_python_wire_recorder(self) -> None:
        """kagent appends this turn to wire.jsonl itself; the Python Wire must not do it twice."""
        wire = get_wire_or_none()
        recorder = getattr(wire, "_recorder", None) if wire is not None else None
        if recorder is None:
            return

        async def _skip(_msg: object) -> None:
            return None

        recorder._record = _skip

    async def _reload_context(self) -> None:
        """kagent wrote the turn into context.jsonl; make the Python side see the same history."""
        fresh = Context(self._context.file_backend)
        try:
            await fresh.restore()
        except Exception:  # noqa: BLE001 - keep the old view rather than fail the turn
            logger.exception("kimi-kernel: could not reload the context kagent wrote")
            return
        self._context = fresh

    async def _turn_on_kagent(
        self, client: KagentClient, user_input: str | list[ContentPart]
    ) -> None:
        st = self._kk
        loop = asyncio.get_running_loop()
        answering: set[asyncio.Task[None]] = set()
        # kagent's messages are read by a task started outside this turn: capture the turn's
        # Wire and context (current wire, approval source) and use them explicitly.
        wire = get_wire_or_none()
        if wire is None:
            raise KagentTurnError(
                "no Wire is set for this turn (run() called outside run_soul)"
            )
        turn_context = contextvars.copy_context()
        source = turn_context.run(self._turn_approval_source)

        def on_event(params: dict[str, Any]) -> None:
            try:
                msg = deserialize_wire_message(params)
            except Exception as e:  # noqa: BLE001 - pydantic/ValueError; logged, not fatal
                logger.error(
                    "kimi-kernel: cannot decode kagent event {p}: {e}", p=params, e=e
                )
                return
            if isinstance(msg, ApprovalResponse) and self._approvals_published():
                return  # kimi-cli's approval runtime has published this answer itself
            if isinstance(msg, StatusUpdate):
                st.status.update(
                    {
                        k: v
                        for k, v in msg.model_dump(mode="json").items()
                        if v is not None
                    }
                )
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
                    gate = loop.create_task(self._relay_hook_request(wire, msg))
                else:
                    # shown to the UI right away, in kagent's order relative to its events
                    turn_context.run(self._announce, wire, msg)
                task = loop.create_task(
                    self._answer(client, rid, msg, gate), context=turn_context
                )
            answering.add(task)
            task.add_done_callback(answering.discard)
            if gate is not None:  # kagent's later messages wait until the client has it
                return asyncio.ensure_future(asyncio.wait([gate]))
            return None

        payload: Any = (
            user_input
            if isinstance(user_input, str)
            else [p.model_dump(mode="json") for p in user_input]
        )
        client.on_event, client.on_request = on_event, on_request
        st.turn_running = True
        prompt = loop.create_task(client.request("prompt", {"user_input": payload}))
        try:
            try:
                result = await asyncio.shield(prompt)
            except asyncio.CancelledError:
                await self._cancel_on_kagent(client, prompt)
                raise
        except KagentRPCError as e:
            if e.code == -32001:
                raise LLMNotSet() from e
            if e.code == -32002:
                raise _llm_not_supported(self._runtime.llm, e.rpc_message) from e
            if e.code == -32003:
                raise ChatProviderError(e.rpc_message) from e
            raise KagentTurnError(str(e)) from e
        finally:
            st.turn_running = False
            client.on_event = client.on_request = None
            for task in list(answering):
                task.cancel()
            if source is not None and self._runtime.approval_runtime is not None:
                # approvals kagent asked for in this turn and nobody answered: withdraw them
                self._runtime.approval_runtime.cancel_by_source(source.kind, source.id)
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

    # ---- the Wire client's initialize (kimi-kernel --wire) ---------------------------
    async def forward_initialize(self, server: Any, params: Any) -> None:
        """kimi-cli's Wire server has handled its client's `initialize`; kagent gets the same
        one: the client's hook subscriptions (kagent sends their HookRequests, relayed by
        `_relay_hook_request`), its capabilities, and the external tools kimi-cli accepted. From then
        on kagent reports hook activity, as the Python kernel does once initialized."""
        st = self._kk
        if st.fell_back or st.client is None or not st.client.alive:
            return
        hooks = [h.model_dump(mode="json") for h in params.hooks or ()]
        # as kimi-cli's server: an initialize without capabilities keeps the previous ones
        if params.capabilities is not None:
            st.capabilities = params.capabilities.model_dump(mode="json")
        st.client_initialized = True
        st.wire_server = server
        st.hooks.extend(hooks)
        try:
            await self._initialize_kagent(st.client, hooks)
        except KagentError as e:
            logger.warning("kimi-kernel: initialize on kagent failed: {e}", e=e)

    async def _initialize_kagent(
        self, client: KagentClient, hooks: list[dict[str, Any]]
    ) -> None:
        from kimi_cli.soul.toolset import WireExternalTool

        from kimi_kernel._client import PROTOCOL_VERSION, initialize

        st = self._kk
        tools = [
            {"name": t.name, "description": t.description, "parameters": t.parameters}
            for t in self._agent.toolset.tools
            if isinstance(t, WireExternalTool)
        ]
        params: dict[str, Any] = {
            "protocol_version": PROTOCOL_VERSION,
            "capabilities": st.capabilities,
            "hooks": hooks,
        }
        if tools:
            params["external_tools"] = tools
        result = await initialize(client, params, timeout=60)
        rejected = (result.get("external_tools") or {}).get("rejected") or []
        if rejected:
            logger.warning(
                "kimi-kernel: kagent rejected external tools: {r}", r=rejected
            )

    @staticmethod
    def _turn_approval_source() -> Any:
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

    def client_gone(self) -> None:
        """kimi-cli's Wire client closed its input mid-turn: kagent gets the same EOF, and
        ends the turn the way kimi-cli does then (pending requests answered with errors,
        TurnEnd recorded, nothing more on stdout). Nothing else is forwarded to it after."""
        client = self._kk.client
        if self._kk.turn_running and client is not None and client.alive:
            client.close_stdin()

    async def _cancel_on_kagent(
        self, client: KagentClient, prompt: asyncio.Task[Any]
    ) -> None:
        """Forward the cancel; wait for kagent to close the turn, or stop kagent if it won't."""
        if client.stdin_closed:  # client_gone: kagent ends the turn on EOF and exits
            with contextlib.suppress(KagentError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(prompt), timeout=CANCEL_GRACE)
            if not prompt.done():
                prompt.cancel()
            with contextlib.suppress(BaseException):
                await prompt
            return
        try:
            await asyncio.wait_for(client.request("cancel", {}), timeout=CANCEL_GRACE)
            await asyncio.wait_for(asyncio.shield(prompt), timeout=CANCEL_GRACE)
        except (KagentError, TimeoutError) as e:
            logger.warning(
                "kimi-kernel: kagent did not end the turn on cancel ({e}); stopping it",
                e=e,
            )
            await KernelLauncher.stop(client)
            self._kk.client = None
        if not prompt.done():
            prompt.cancel()
        with contextlib.suppress(BaseException):
            await prompt

    def _approvals_published(self) -> bool:
        """True when kimi-cli's approval runtime announces approval answers on the root wire
        hub (as `resolve()` does for the requests `_announce` creates there): kagent's own
        ApprovalResponse event would then reach the UI a second time."""
        runtime = self._runtime.approval_runtime
        return getattr(runtime, "_root_wire_hub", None) is not None

    def _announce(self, wire: Any, msg: Any) -> None:
        """Make a kagent request visible locally, as KimiSoul's own tools would: approvals
        through kimi-cli's approval runtime (every UI answers those), the rest on the Wire."""
        from kimi_cli.approval_runtime import (
            ApprovalSource,
            get_current_approval_source_or_none,
        )

        runtime = self._runtime.approval_runtime
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
        # a HookRequest is sent by `_relay_hook_request`

    async def _relay_hook_request(self, wire: Any, msg: HookRequest) -> bool:
        """Send kagent's HookRequest to the Wire client as kimi-cli's server sends its own
        (registered with the server, which resolves it on the answer, on an error answer,
        or when the turn is cancelled), after every event kagent sent before it. False:
        no client initialized (kagent does not ask then)."""
        from kimi_cli.wire.jsonrpc import JSONRPCRequestMessage

        server = self._kk.wire_server
        if server is None:
            return False
        await _taken_by_ui(wire)
        server._pending_requests[msg.id] = msg
        await server._send_msg(JSONRPCRequestMessage(id=msg.id, params=msg))
        return True

    async def _answer(
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
                    runtime = self._runtime.approval_runtime
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


async def _taken_by_ui(wire: Any) -> None:
    """Wait until the UI side (kimi-cli's Wire server) has taken every message sent on
    `wire` so far: it forwards each one to its client as it takes it."""
    raw = getattr(wire, "_raw_queue", None)
    if raw is None:
        return
    loop = asyncio.get_running_loop()
    left, since = -1, loop.time()
    while (now := sum(q.qsize() for q in list(raw._queues))) > 0:
        if now != left:
            left, since = now, loop.time()
        elif loop.time() - since > 2.0:  # nobody is taking them (UI gone): stop waiting
            return
        await asyncio.sleep(0)


def _llm_not_supported(llm: Any, message: str) -> LLMNotSupported:
    """kagent's -32002 as kimi-cli's own exception (its Wire server answers it with -32002),
    keeping kagent's message, which names the model and the missing capabilities."""
    exc = LLMNotSupported.__new__(LLMNotSupported)
    Exception.__init__(exc, message)
    exc.llm = llm
    exc.capabilities = []
    return exc


def _log_task_error(what: str) -> Any:
    def _done(task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        if (exc := task.exception()) is not None:
            logger.warning(
                "kimi-kernel: {what} to kagent failed: {e}", what=what, e=exc
            )

    return _done
