"""The parts of WireBackedSoul, each driven without kagent: the kagent side is an
InProcessKagent (JSON-RPC in this process), the kimi-cli side is kimi-cli's own Wire,
status and session-state types."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from runtime._kk import require_installed

require_installed()

from kimi_cli.soul import LLMNotSet, MaxStepsReached, StatusSnapshot  # noqa: E402
from kimi_cli.wire import Wire  # noqa: E402
from kimi_cli.wire.jsonrpc import ClientCapabilities, WireHookSubscription  # noqa: E402
from kimi_cli.wire.serde import serialize_wire_message  # noqa: E402
from kimi_cli.wire.types import (  # noqa: E402
    HookRequest,
    StatusUpdate,
    TextPart,
    ToolCallRequest,
)
from kimi_kernel.core._client import KagentError  # noqa: E402
from kimi_kernel.core._launch import KernelLauncher  # noqa: E402
from kimi_kernel.core._locate import Located  # noqa: E402
from kimi_kernel.host import _lifecycle, _plan  # noqa: E402
from kimi_kernel.host._requests import RequestRelay  # noqa: E402
from kimi_kernel.host._state import KernelState  # noqa: E402
from kimi_kernel.host._status import StatusMirror  # noqa: E402
from kimi_kernel.host._turn import KagentTurnError, TurnRelay  # noqa: E402
from kosong.chat_provider import ChatProviderError  # noqa: E402
from kosong.tooling import ToolOk  # noqa: E402

from runtime.inproc_kagent import InProcessKagent  # noqa: E402


def nolog(_level: str, _message: str) -> None:
    return None


def state_for(kagent: InProcessKagent | None, *, strict: bool = False) -> KernelState:
    launcher = KernelLauncher(args=["--wire"], log=nolog)
    return KernelState(
        launcher=launcher, strict=strict, client=kagent.client() if kagent else None
    )


def relay(state: KernelState, wire_server: Any = None) -> TurnRelay:
    return TurnRelay(state, RequestRelay(None, lambda: wire_server), llm=None)


def event(msg: Any) -> dict[str, Any]:
    return {"method": "event", "params": serialize_wire_message(msg)}


async def received(ui: Any, count: int) -> list[Any]:
    return [await asyncio.wait_for(ui.receive(), timeout=10) for _ in range(count)]


# ---- status ---------------------------------------------------------------------------


def test_status_mirror_lays_kagents_latest_numbers_over_the_souls() -> None:
    mirror = StatusMirror()
    base = StatusSnapshot(context_usage=0.01, yolo_enabled=True)
    assert mirror.overlay(base) is base
    mirror.record(StatusUpdate(context_usage=0.5, context_tokens=500, max_context_tokens=1000))
    mirror.record(StatusUpdate(plan_mode=True))  # None fields leave the earlier ones
    shown = mirror.overlay(base)
    assert (shown.context_usage, shown.context_tokens, shown.max_context_tokens) == (
        0.5,
        500,
        1000,
    )
    assert shown.plan_mode is True and shown.yolo_enabled is True


def snapshot(loading: bool, status: str, tools: list[str]) -> dict[str, Any]:
    connected = int(status == "connected")
    servers = [{"name": "kk", "status": status, "tools": tools}]
    return {"loading": loading, "connected": connected, "total": 1, "tools": len(tools), "servers": servers}


def test_the_mcp_status_shown_is_kagents_followed_while_servers_connect() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        base = StatusSnapshot(context_usage=0.0, yolo_enabled=False)
        assert state.client is not None
        starting = asyncio.create_task(state.mcp.start(state.client))
        ask = await kagent.next("mcp_status")
        assert ask["params"] == {"wait": False}
        kagent.answer(ask, {"mcp_status": snapshot(True, "connecting", [])})
        assert await asyncio.wait_for(starting, timeout=10) is True
        shown = state.status.overlay(base).mcp_status
        assert shown is not None and shown.loading and shown.servers[0].status == "connecting"
        # while loading, the relay keeps asking; kagent's next answer is what the UI sees
        connected = {"mcp_status": snapshot(False, "connected", ["kk_echo"])}
        kagent.answer(await kagent.next("mcp_status"), connected)
        waiting = asyncio.create_task(state.mcp.wait(state.client))
        ask = await kagent.next("mcp_status")
        assert ask["params"] == {"wait": True}
        kagent.answer(ask, connected)
        await asyncio.wait_for(waiting, timeout=10)
        shown = state.status.overlay(base).mcp_status
        assert shown is not None and not shown.loading
        assert (shown.connected, shown.total, shown.tools) == (1, 1, 1)
        assert shown.servers[0].tools == ("kk_echo",)

    asyncio.run(scenario())


def test_no_mcp_servers_or_a_kernel_without_the_request_shows_none() -> None:
    async def scenario() -> None:
        for answer in ({"mcp_status": None}, "error"):
            kagent = InProcessKagent()
            state = state_for(kagent)
            assert state.client is not None
            starting = asyncio.create_task(state.mcp.start(state.client))
            ask = await kagent.next("mcp_status")
            if answer == "error":
                kagent.fail(ask, -32601, "Unexpected method received: mcp_status")
            else:
                kagent.answer(ask, answer)
            assert await asyncio.wait_for(starting, timeout=10) is False
            base = StatusSnapshot(context_usage=0.0, yolo_enabled=False)
            assert state.status.overlay(base).mcp_status is None

    asyncio.run(scenario())


# ---- the turn -------------------------------------------------------------------------


def test_a_turn_relays_kagents_events_to_the_wire_in_order() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        wire = Wire()
        ui = wire.ui_side(merge=False)
        turn = asyncio.create_task(relay(state).run(state.client, wire, "hello"))  # type: ignore[arg-type]
        prompt = await kagent.next("prompt")
        assert prompt["params"] == {"user_input": "hello"}
        assert state.turn_running
        kagent.send(event(TextPart(text="Hi from kagent")))
        kagent.send(event(StatusUpdate(context_tokens=42)))
        kagent.answer(prompt, {"status": "finished"})
        await asyncio.wait_for(turn, timeout=10)
        text, status = await received(ui, 2)
        assert text == TextPart(text="Hi from kagent")
        assert isinstance(status, StatusUpdate) and status.context_tokens == 42
        assert state.status.latest["context_tokens"] == 42
        assert not state.turn_running
        assert state.client is not None and state.client.on_event is None

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("code", "raised"),
    [(-32001, LLMNotSet), (-32003, ChatProviderError), (-32099, KagentTurnError)],
)
def test_kagents_turn_errors_become_kimi_clis(code: int, raised: type[Exception]) -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        turn = asyncio.create_task(relay(state).run(state.client, Wire(), "hi"))  # type: ignore[arg-type]
        kagent.fail(await kagent.next("prompt"), code, "the provider said no")
        with pytest.raises(raised) as info:
            await asyncio.wait_for(turn, timeout=10)
        if raised is not LLMNotSet:
            assert "the provider said no" in str(info.value)

    asyncio.run(scenario())


def test_max_steps_reached_is_kimi_clis_max_steps_reached() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        turn = asyncio.create_task(relay(state).run(state.client, Wire(), "hi"))  # type: ignore[arg-type]
        kagent.answer(await kagent.next("prompt"), {"status": "max_steps_reached", "steps": 7})
        with pytest.raises(MaxStepsReached) as info:
            await asyncio.wait_for(turn, timeout=10)
        assert info.value.n_steps == 7

    asyncio.run(scenario())


def test_a_cancelled_turn_is_cancelled_on_kagent() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        turn = asyncio.create_task(relay(state).run(state.client, Wire(), "hi"))  # type: ignore[arg-type]
        prompt = await kagent.next("prompt")
        turn.cancel()
        kagent.answer(await kagent.next("cancel"), {})
        kagent.answer(prompt, {"status": "cancelled"})
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(turn, timeout=10)
        assert state.client is not None and state.client.alive  # kagent ended the turn itself

    asyncio.run(scenario())


# ---- requests -------------------------------------------------------------------------


def test_an_external_tool_call_is_answered_by_the_wire_client() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        wire = Wire()
        ui = wire.ui_side(merge=False)
        turn = asyncio.create_task(relay(state).run(state.client, wire, "hi"))  # type: ignore[arg-type]
        prompt = await kagent.next("prompt")
        call = ToolCallRequest(id="tc1", name="lookup", arguments='{"q": 1}')
        kagent.send(
            {"id": "k1", "method": "request", "params": serialize_wire_message(call)}
        )
        (shown,) = await received(ui, 1)
        assert isinstance(shown, ToolCallRequest) and shown.id == "tc1", shown
        shown.resolve(ToolOk(output="found it"))
        reply = await kagent.next()
        assert reply["id"] == "k1", reply
        assert reply["result"]["tool_call_id"] == "tc1", reply
        assert "found it" in str(reply["result"]["return_value"]), reply
        kagent.answer(prompt, {"status": "finished"})
        await asyncio.wait_for(turn, timeout=10)

    asyncio.run(scenario())


def test_requests_kimi_kernel_cannot_decode_or_relay_are_answered_at_once() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        turn = asyncio.create_task(relay(state).run(state.client, Wire(), "hi"))  # type: ignore[arg-type]
        prompt = await kagent.next("prompt")
        kagent.send({"id": "bad", "method": "request", "params": {"type": "Nope", "payload": {}}})
        bad = await kagent.next()
        assert bad["id"] == "bad" and bad["error"]["code"] == -32602, bad
        assert "cannot decode request" in bad["error"]["message"], bad
        # no Wire client initialized: nobody subscribed to hooks, so kagent's hook runs
        hook = HookRequest(
            id="h1",
            subscription_id="s1",
            event="PreToolUse",
            target="Shell",
            input_data={},
        )
        kagent.send({"id": "k2", "method": "request", "params": serialize_wire_message(hook)})
        allowed = await kagent.next()
        assert allowed["id"] == "k2", allowed
        assert (allowed["result"]["action"], allowed["result"]["reason"]) == ("allow", "")
        kagent.answer(prompt, {"status": "finished"})
        await asyncio.wait_for(turn, timeout=10)

    asyncio.run(scenario())


# ---- plan mode ------------------------------------------------------------------------


def test_plan_mode_is_pushed_to_kagent_silently() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        client = kagent.client()
        push = asyncio.create_task(_plan.push_plan_mode(client, True))
        request = await kagent.next("set_plan_mode")
        assert request["params"] == {"enabled": True, "silent": True}
        kagent.answer(request, {"plan_mode": True})
        await asyncio.wait_for(push, timeout=10)

    asyncio.run(scenario())


def test_the_plan_mode_kagent_saved_is_taken_over(tmp_path: Path) -> None:
    from kimi_cli.session_state import SessionState, save_session_state

    saved = SessionState(plan_mode=True, plan_session_id="plan-1", plan_slug="brave-otter")
    save_session_state(saved, tmp_path)
    session = SimpleNamespace(dir=tmp_path, state=SessionState())
    soul = SimpleNamespace(
        runtime=SimpleNamespace(session=session),
        plan_mode=False,
        _plan_mode=False,
        _plan_session_id=None,
        _pending_plan_activation_injection=True,
    )
    assert _plan.adopt_saved_plan(soul) is True
    assert (soul._plan_mode, soul._plan_session_id) == (True, "plan-1")
    assert soul._pending_plan_activation_injection is False
    assert (session.state.plan_mode, session.state.plan_slug) == (True, "brave-otter")
    soul.plan_mode = True
    assert _plan.adopt_saved_plan(soul) is False  # nothing new


# ---- restart, fallback, initialize ----------------------------------------------------


def test_rust_has_no_fallback_after_kagent_broke(capsys: pytest.CaptureFixture[str]) -> None:
    state = state_for(None, strict=True)
    error = _lifecycle.turn_failure(state, KagentError("kagent exited with code 3"))
    assert "'rust' (strict), so there is no fallback" in str(error)
    assert "kagent exited with code 3" in str(error)
    assert (state.fell_back, state.client) == (False, None)
    assert not _lifecycle.fall_back_when_gone(state)
    assert "kimi-kernel:" not in capsys.readouterr().err


def test_auto_moves_to_the_python_kernel_with_one_notice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    state = state_for(None)
    error = _lifecycle.turn_failure(state, KagentError("kagent exited with code 3"))
    assert "continues on the Python kernel" in str(error)
    assert state.fell_back
    assert capsys.readouterr().err == (
        "kimi-kernel: kagent failed mid-turn (kagent exited with code 3); "
        "continuing on the Python kernel from the same context: send your message again.\n"
    )
    other = state_for(None)
    assert _lifecycle.fall_back_when_gone(other) and other.fell_back
    assert capsys.readouterr().err == (
        "kimi-kernel: kagent is not running; continuing on the Python kernel.\n"
    )


def test_a_restart_that_cannot_start_kagent_says_so(tmp_path: Path) -> None:
    state = state_for(None, strict=True)
    state.launcher.located = Located(path=tmp_path / "gone" / "kagent", source="env")
    with pytest.raises(KagentTurnError) as info:
        asyncio.run(_lifecycle.restart_kagent(state, SimpleNamespace(tools=[])))
    assert str(info.value).startswith("kagent could not be restarted: could not start kagent")
    assert "--kernel python or auto" in str(info.value)


def test_the_wire_clients_initialize_is_forwarded_and_kept() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        server = object()
        params = SimpleNamespace(
            hooks=[WireHookSubscription(id="s1", event="PreToolUse")],
            capabilities=ClientCapabilities(supports_question=True),
        )
        forward = asyncio.create_task(
            _lifecycle.forward_initialize(state, server, params, SimpleNamespace(tools=[]))
        )
        init = await kagent.next("initialize")
        assert init["params"]["capabilities"] == {
            "supports_question": True,
            "supports_plan_mode": False,
        }
        assert [h["id"] for h in init["params"]["hooks"]] == ["s1"]
        assert "external_tools" not in init["params"]
        kagent.answer(init, {"protocol_version": "1.10"})
        await asyncio.wait_for(forward, timeout=10)
        assert state.client_initialized and state.wire_server is server
        assert [h["id"] for h in state.hooks] == ["s1"]

    asyncio.run(scenario())


def test_nothing_reaches_kagent_after_a_fallback() -> None:
    async def scenario() -> None:
        kagent = InProcessKagent()
        state = state_for(kagent)
        state.fell_back = True
        assert state.live_client() is None
        params = SimpleNamespace(hooks=[], capabilities=None)
        await _lifecycle.forward_initialize(state, object(), params, SimpleNamespace(tools=[]))
        assert kagent.received.empty() and not state.client_initialized

    asyncio.run(scenario())
