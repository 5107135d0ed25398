"""WireBackedSoul: a kimi-cli KimiSoul whose turns run in a `kagent --wire` child process.

The soul only composes the parts, each with one job: `_turn` (a turn relayed from kagent to
the Wire), `_requests` (kagent's approvals, tool calls, questions and hook requests),
`_plan` (plan mode on both sides), `_status` (kagent's status numbers), `_mcp_status`
(kagent's MCP servers, for the shell), `_lifecycle`
(initialize forwarding, restart under rust, fallback under auto)."""

from __future__ import annotations

import asyncio
from typing import Any

from kimi_cli import logger
from kimi_cli.soul import StatusSnapshot, get_wire_or_none
from kimi_cli.soul.context import Context
from kimi_cli.soul.kimisoul import KimiSoul
from kimi_cli.wire.types import ContentPart

from kimi_kernel.core._client import (
    KagentClient,
    KagentExited,
    KagentProtocolError,
)
from kimi_kernel.core._launch import KernelLauncher
from kimi_kernel.host import _lifecycle, _plan, kimi_private
from kimi_kernel.host._agent import PythonAgentRecipe, build_python_agent
from kimi_kernel.host._requests import RequestRelay
from kimi_kernel.host._state import KernelState
from kimi_kernel.host._turn import KagentTurnError, TurnRelay, wire_payload

__all__ = ["KagentTurnError", "WireBackedSoul"]


class WireBackedSoul(KimiSoul):
    """Turns run in kagent; everything else (slash commands, config, UI glue) stays KimiSoul's.

    Made from an existing KimiSoul by `adopt`, so every object that already holds the soul
    (tools bound to it, the CLI instance) keeps working with the same identity.
    """

    _kk: KernelState

    @classmethod
    def adopt(
        cls,
        soul: KimiSoul,
        *,
        launcher: KernelLauncher,
        client: KagentClient,
        strict: bool,
        python_agent: PythonAgentRecipe | None = None,
    ) -> WireBackedSoul:
        kimi_private.swap_class(soul, cls)
        assert isinstance(soul, WireBackedSoul)
        soul._kk = KernelState(
            launcher=launcher, strict=strict, client=client, python_agent=python_agent
        )
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
    def on_kagent(self) -> bool:
        """kagent runs this session's turns now (alive, no fallback)."""
        return self._kk.live_client() is not None

    @property
    def status(self) -> StatusSnapshot:
        base = super().status
        return base if self._kk.fell_back else self._kk.status.overlay(base)

    def steer(self, content: str | list[ContentPart]) -> None:
        client = self._kk.client
        if self._kk.fell_back or client is None or not self._kk.turn_running:
            super().steer(content)
            return
        task = asyncio.get_running_loop().create_task(
            client.request("steer", {"user_input": wire_payload(content)})
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
        """Tell kagent the plan mode the Python side has (no-op after a fallback)."""
        if (client := self._kk.live_client()) is not None:
            await _plan.push_plan_mode(client, self.plan_mode)

    # ---- MCP servers: kagent runs them; the shell's /mcp and prompt line ask for them ----
    async def start_background_mcp_loading(self) -> bool:
        if (client := self._kk.live_client()) is None:
            return await super().start_background_mcp_loading()
        return await self._kk.mcp.start(client)

    async def wait_for_background_mcp_loading(self) -> None:
        if (client := self._kk.live_client()) is None:
            await super().wait_for_background_mcp_loading()
            return
        await self._kk.mcp.wait(client)

    # ---- the turn ----------------------------------------------------------------------
    async def run(
        self,
        user_input: str | list[ContentPart],
        *,
        skip_user_prompt_hook: bool = False,
    ) -> None:
        st = self._kk
        if st.fell_back:
            await self._python_agent()
            await super().run(user_input, skip_user_prompt_hook=skip_user_prompt_hook)
            return
        client = st.client
        if client is None or not client.alive:
            if _lifecycle.fall_back_when_gone(st):
                await self._reload_context()
                await self._python_agent()
                await super().run(user_input, skip_user_prompt_hook=skip_user_prompt_hook)
                return
            client = await _lifecycle.restart_kagent(st, self.agent.toolset)
        wire = get_wire_or_none()
        if wire is not None:  # kagent appends this turn to wire.jsonl itself
            kimi_private.silence_wire_recorder(wire)
        try:
            if wire is None:
                raise KagentTurnError(
                    "no Wire is set for this turn (run() called outside run_soul)"
                )
            await self._turn_relay().run(client, wire, user_input)
        except (KagentExited, KagentProtocolError) as e:
            await KernelLauncher.stop(client)
            st.client = None
            await self._reload_context()
            failure = _lifecycle.turn_failure(st, e)
            if st.fell_back and getattr(self.runtime, "ui_mode", None) == "shell":
                # the shell ends a turn that raised anything unknown by exiting; the notice
                # is on screen and the next message runs on the Python kernel
                return
            raise failure from e
        finally:
            await self._reload_context()
            _plan.adopt_saved_plan(self)

    async def _python_agent(self) -> None:
        """The session is on the Python kernel now: build the agent kagent replaced, once."""
        if (wanted := self._kk.python_agent) is not None:
            await build_python_agent(self, wanted, at_start=False)
            self._kk.python_agent = None

    def _turn_relay(self) -> TurnRelay:
        runtime = self.runtime
        requests = RequestRelay(runtime.approval_runtime, lambda: self._kk.wire_server)
        return TurnRelay(self._kk, requests, runtime.llm)

    async def _reload_context(self) -> None:
        """kagent wrote the turn into context.jsonl; make the Python side see the same history."""
        fresh = Context(self.context.file_backend)
        try:
            await fresh.restore()
        except Exception:  # noqa: BLE001 - keep the old view rather than fail the turn
            logger.exception("kimi-kernel: could not reload the context kagent wrote")
            return
        kimi_private.replace_soul_context(self, fresh)

    # ---- the Wire client (kimi-kernel --wire) ------------------------------------------
    async def forward_initialize(self, server: Any, params: Any) -> None:
        """The Wire client's `initialize`, handled by kimi-cli's server, goes to kagent too."""
        await _lifecycle.forward_initialize(self._kk, server, params, self.agent.toolset)

    def client_gone(self) -> None:
        """kimi-cli's Wire client closed its input mid-turn: kagent gets the same EOF, and
        ends the turn the way kimi-cli does then (pending requests answered with errors,
        TurnEnd recorded, nothing more on stdout). Nothing else is forwarded to it after."""
        client = self._kk.client
        if self._kk.turn_running and client is not None and client.alive:
            client.close_stdin()


def _log_task_error(what: str) -> Any:
    def _done(task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        if (exc := task.exception()) is not None:
            logger.warning("kimi-kernel: {what} to kagent failed: {e}", what=what, e=exc)

    return _done
