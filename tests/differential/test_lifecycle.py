"""Bad input over time: a turn interrupted by the client, by stdin EOF, SIGTERM, SIGKILL.

Each case runs on the oracle and on kagent; each asserts the exact reply where the
protocol defines one, that the session files on disk are whole JSON lines, and that the
session can be picked up again by a fresh process.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest
from kk_common.sandbox import Sandbox, scripted_config
from kk_common.wire_client import WireClient, is_event, is_request, is_response_to

from . import kernels
from .runner import PANIC_MARKER, launch
from .steps import external_tool

KERNEL_NAMES = ("oracle", "kagent")
TOOL_SCRIPT = (
    'tool_call: {"id": "tc-1", "name": "lookup", "arguments": "{}"}\n'
    "usage: input_other=10 output=4"
)


def _sandbox(root: Path, scripts: list[str]) -> Sandbox:
    sandbox = Sandbox(root)
    sandbox.write_scripts(scripts)
    sandbox.write_config(scripted_config(sandbox.scripts_path))
    return sandbox


def _start(
    kernel_name: str, sandbox: Sandbox, *args: str, tag: str = "0"
) -> WireClient:
    client = launch(kernels.by_name(kernel_name), sandbox, *args, tag=tag)
    resp, _ = client.call(
        "initialize",
        {"protocol_version": "1.10", "external_tools": [external_tool("lookup")]},
        timeout=60,
    )
    assert "result" in resp, resp
    return client


def _pending_tool_call(client: WireClient, prompt_id: str = "p1") -> list[Any]:
    """Start a turn whose first step calls the external tool; return once it waits."""
    client.request("prompt", {"user_input": "start"}, id=prompt_id)
    seen: list[Any] = []
    want_request = want_status = True
    while want_request or want_status:
        msg = client.recv(timeout=30)
        assert msg is not None, f"stdout closed mid-turn: {seen}"
        seen.append(msg)
        if is_request(msg, "ToolCallRequest"):
            want_request = False
        if is_event(msg, "StatusUpdate"):
            want_status = False
    return seen


def _tool_answer(msg_id: str) -> dict[str, Any]:
    return {
        "tool_call_id": msg_id,
        "return_value": {
            "is_error": False,
            "output": "ok",
            "message": "",
            "display": [],
        },
    }


def _session_files(sandbox: Sandbox) -> dict[str, bytes]:
    (session,) = sandbox.session_dirs()
    return {
        name: (session / name).read_bytes()
        for name in ("context.jsonl", "wire.jsonl")
        if (session / name).exists()
    }


def _assert_whole_lines(
    name: str, data: bytes, *, allow_torn_tail: bool = False
) -> list[bytes]:
    """Every line is a complete JSON object; returns the complete lines."""
    if not data:
        return []
    lines = data.split(b"\n")
    tail = lines.pop()  # after the final newline: must be empty unless torn
    if tail and not allow_torn_tail:
        raise AssertionError(
            f"{name}: last line is not newline-terminated: {tail[:200]!r}"
        )
    for i, line in enumerate(lines):
        obj = json.loads(line)
        assert isinstance(obj, dict), (
            f"{name} line {i + 1} is not an object: {line[:200]!r}"
        )
    return [line + b"\n" for line in lines]


def _assert_no_panic(client: WireClient) -> None:
    err = client.stderr_text()
    assert PANIC_MARKER not in err, f"kernel panicked:\n{err}"


def _continue_and_prompt(kernel_name: str, sandbox: Sandbox, session_id: str) -> None:
    """A fresh process resumes the session: replay works and a new turn finishes."""
    client = _start(kernel_name, sandbox, "-S", session_id, tag="resume")
    try:
        resp, _ = client.call("replay", timeout=30)
        assert resp.get("result", {}).get("status") == "finished", resp
        resp, seen = client.call("prompt", {"user_input": "again"}, timeout=30)
        assert resp.get("result") == {"status": "finished"}, (resp, seen)
        texts = [
            m["params"]["payload"].get("text")
            for m in seen
            if is_event(m, "ContentPart")
        ]
        assert "resumed fine" in texts, seen
    finally:
        client.terminate()
        _assert_no_panic(client)


@pytest.mark.parametrize("kernel_name", KERNEL_NAMES)
def test_prompt_during_turn(kernel_name: str, tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path, [TOOL_SCRIPT, "text: first done", "text: second done"])
    client = _start(kernel_name, sandbox)
    try:
        seen = _pending_tool_call(client)
        request = next(m for m in seen if is_request(m, "ToolCallRequest"))
        resp, _ = client.call("prompt", {"user_input": "too early"})
        assert resp == {
            "jsonrpc": "2.0",
            "id": resp["id"],
            "error": {
                "code": -32000,
                "message": "An agent turn is already in progress",
                "data": None,
            },
        }
        client.respond(request["id"], _tool_answer(request["id"]))
        done = client.recv_until(lambda m: is_response_to(m, "p1"), timeout=30)
        assert done[-1]["result"] == {"status": "finished"}, done
        resp, _ = client.call("prompt", {"user_input": "now"})
        assert resp["result"] == {"status": "finished"}, resp
    finally:
        client.terminate()
        _assert_no_panic(client)


@pytest.mark.parametrize("kernel_name", KERNEL_NAMES)
def test_cancel_mid_turn_then_prompt(kernel_name: str, tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path, [TOOL_SCRIPT, "text: after cancel"])
    client = _start(kernel_name, sandbox)
    try:
        _pending_tool_call(client)
        resp, seen = client.call("cancel")
        assert resp["result"] == {}, resp
        done = client.recv_until(lambda m: is_response_to(m, "p1"), timeout=30)
        assert done[-1]["result"] == {"status": "cancelled"}, seen + done
        resp, _ = client.call("cancel")
        assert resp["error"]["code"] == -32000, resp
        resp, _ = client.call("prompt", {"user_input": "next"})
        assert resp["result"] == {"status": "finished"}, resp
    finally:
        client.terminate()
        _assert_no_panic(client)


@pytest.mark.parametrize("kernel_name", KERNEL_NAMES)
def test_stdin_closed_mid_turn(kernel_name: str, tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path, [TOOL_SCRIPT])
    client = _start(kernel_name, sandbox)
    _pending_tool_call(client)
    client.close_stdin()
    client.recv_all(timeout=30)
    code = client.wait(timeout=30)
    client.terminate()
    _assert_no_panic(client)
    assert code == 0, f"exit code {code} after stdin EOF"
    for name, data in _session_files(sandbox).items():
        _assert_whole_lines(name, data)
    session_id = sandbox.only_session_id()
    sandbox.write_scripts(["text: resumed fine"])
    _continue_and_prompt(kernel_name, sandbox, session_id)


@pytest.mark.parametrize("kernel_name", KERNEL_NAMES)
def test_sigterm_mid_turn(kernel_name: str, tmp_path: Path) -> None:
    sandbox = _sandbox(tmp_path, [TOOL_SCRIPT])
    client = _start(kernel_name, sandbox)
    _pending_tool_call(client)
    client.signal(signal.SIGTERM)
    client.recv_all(timeout=30)
    client.wait(timeout=30)
    client.terminate()
    _assert_no_panic(client)
    files = _session_files(sandbox)
    assert "wire.jsonl" in files and "context.jsonl" in files, files.keys()
    for name, data in files.items():
        _assert_whole_lines(name, data)
    session_id = sandbox.only_session_id()
    sandbox.write_scripts(["text: resumed fine"])
    _continue_and_prompt(kernel_name, sandbox, session_id)


@pytest.mark.parametrize("kernel_name", KERNEL_NAMES)
def test_sigkill_mid_turn_then_reload(kernel_name: str, tmp_path: Path) -> None:
    sandbox = _sandbox(
        tmp_path, ["text: first turn\nusage: input_other=3 output=2", TOOL_SCRIPT]
    )
    client = _start(kernel_name, sandbox)
    resp, _ = client.call("prompt", {"user_input": "first"})
    assert resp["result"] == {"status": "finished"}, resp
    _pending_tool_call(client, prompt_id="p2")
    client.signal(signal.SIGKILL)
    client.recv_all(timeout=30)
    assert client.wait(timeout=30) == -signal.SIGKILL
    client.terminate()
    before = {
        name: b"".join(_assert_whole_lines(name, data, allow_torn_tail=True))
        for name, data in _session_files(sandbox).items()
    }
    assert before.get("context.jsonl"), "the first turn was not persisted"
    session_id = sandbox.only_session_id()
    sandbox.write_scripts(["text: resumed fine"])
    _continue_and_prompt(kernel_name, sandbox, session_id)
    after = _session_files(sandbox)
    for name, complete in before.items():
        assert after[name].startswith(complete), (
            f"{name}: lines written before SIGKILL changed after reload"
        )
        _assert_whole_lines(name, after[name])


@pytest.mark.parametrize("kernel_name", KERNEL_NAMES)
def test_cancel_replay(kernel_name: str, tmp_path: Path) -> None:
    """`cancel` during a replay: counts match what was sent, whichever wins the race."""
    # thinking and text in turns: each part its own wire.jsonl record (adjacent text chunks
    # would be merged into one), so the replay is long enough for the cancel to land in it
    long_script = "\n".join(f"think: step {i}\ntext: chunk {i}" for i in range(200))
    sandbox = _sandbox(tmp_path, [long_script])
    client = _start(kernel_name, sandbox)
    resp, _ = client.call("prompt", {"user_input": "long"}, timeout=60)
    assert resp["result"] == {"status": "finished"}, resp
    client.terminate()
    session_id = sandbox.only_session_id()
    # what a full replay sends: every record of wire.jsonl
    wire_file = next(d for d in sandbox.session_dirs() if d.name == session_id) / "wire.jsonl"
    recorded = sum('"message"' in line for line in wire_file.read_text().splitlines())
    assert recorded >= 400, recorded
    client = _start(kernel_name, sandbox, "-S", session_id, tag="replay")
    try:
        replay_id = client.request("replay", {})
        cancel_id = client.request("cancel")
        seen = client.recv_until(lambda m: is_response_to(m, replay_id), timeout=60)
        if not any(is_response_to(m, cancel_id) for m in seen):
            seen += client.recv_until(
                lambda m: is_response_to(m, cancel_id), timeout=30
            )
        replay = next(m for m in seen if is_response_to(m, replay_id))
        cancel = next(m for m in seen if is_response_to(m, cancel_id))
        result = replay["result"]
        events = [m for m in seen if m.get("method") == "event"]
        assert result["events"] == len(events), (result, len(events))
        assert result["requests"] == 0, result
        if result["status"] == "cancelled":
            assert cancel["result"] == {}, cancel
            # the oracle can answer `cancelled` when the cancel came after its last event
            assert len(events) <= recorded, (result, recorded)
        else:
            assert result["status"] == "finished", result
            assert len(events) == recorded, (result, recorded)
        # still serving afterwards
        resp, _ = client.call("cancel")
        assert resp["error"]["code"] == -32000, resp
    finally:
        client.terminate()
        _assert_no_panic(client)
