"""`kimi-kernel --wire`. By default (rust/auto) it is kagent itself (the front door execs it);
with KIMI_KERNEL_WIRE=proxy it is kimi-cli's Wire server in front of kagent: approvals cross
both hops, cancel reaches kagent, kagent dying mid-turn falls back to the Python kernel with
the context intact, and no exit path leaves a kagent process behind."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from kk_common.wire_client import WireClient, is_request, is_response_to

from runtime._kk import (
    HELLO,
    assert_gone,
    context_records,
    kagent_bin,
    kill,
    kk_wire,
    make_sandbox,
    oracle_kagent,
    process_state,
    require_installed,
    tool_call,
    wait_for,
    write_scripts,
)

require_installed()

# what only the proxy does (fallback mid-turn, restart under rust) needs it in front of kagent
PROXY = {"KIMI_KERNEL_WIRE": "proxy"}
T = 240.0  # generous: kimi-cli starts slowly on a loaded 2-core machine
SHELL = (
    tool_call("tc-1", "Shell", {"command": "echo hi-from-shell"})
    + "\nusage: input_other=9 output=4"
)
SHELL2 = (
    tool_call("tc-2", "Shell", {"command": "echo second"})
    + "\nusage: input_other=12 output=4"
)


def initialize(client: WireClient) -> dict[str, Any]:
    resp, _ = client.call("initialize", {"protocol_version": "1.10"}, timeout=T)
    result = resp.get("result")
    assert isinstance(result, dict), resp
    return result


def prompt_until_approval(client: WireClient, text: str) -> tuple[str, dict[str, Any]]:
    pid = client.request("prompt", {"user_input": text})
    seen = client.recv_until(lambda m: is_request(m, "ApprovalRequest"), timeout=T)
    return pid, seen[-1]


def approve(client: WireClient, request: dict[str, Any]) -> None:
    payload = request["params"]["payload"]
    client.respond(request["id"], {"request_id": payload["id"], "response": "approve"})


def finish(
    client: WireClient, prompt_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seen = client.recv_until(lambda m: is_response_to(m, prompt_id), timeout=T)
    return seen[-1], seen


def texts(messages: list[dict[str, Any]]) -> str:
    return "".join(
        m["params"]["payload"].get("text", "")
        for m in messages
        if m.get("method") == "event" and m["params"]["type"] == "ContentPart"
    )


def test_approval_then_kagent_dies_then_python_continues(tmp_path: Path) -> None:
    sb = make_sandbox(
        tmp_path,
        ["text: Answer from the Python kernel\nusage: input_other=30 output=5"],
        scripts_in_config=False,
    )
    kagent_scripts = write_scripts(
        tmp_path / "kagent-scripts.json",
        [SHELL, "text: Shell said hi\nusage: input_other=20 output=3", SHELL2],
    )
    env = sb.env(KIMI_KERNEL_BIN=str(oracle_kagent(tmp_path / "bin", kagent_scripts)), **PROXY)
    with kk_wire(sb, "--kernel", "auto", env=env) as client:
        initialize(client)
        [kagent_pid] = sb.kagent_pids()

        # turn 1 on kagent: its approval request reaches this client through kimi-cli's
        # approval runtime, and the answer goes back to kagent
        p1, request = prompt_until_approval(client, "run the echo")
        assert request["params"]["payload"]["sender"] == "Shell"
        approve(client, request)
        resp, seen = finish(client, p1)
        assert resp.get("result") == {"status": "finished"}, resp
        assert "Shell said hi" in texts(seen)
        assert any(
            m.get("method") == "event"
            and m["params"]["type"] == "ToolResult"
            and "hi-from-shell" in json.dumps(m["params"]["payload"])
            for m in seen
        ), seen

        # turn 2: kagent dies while waiting for an approval
        p2, _request = prompt_until_approval(client, "run another")
        kill(kagent_pid)
        resp, _ = finish(client, p2)
        assert "error" in resp, resp
        message = resp["error"]["message"]
        assert (
            "kagent failed during this turn: kagent closed stdout: (pid " in message
        ), message
        assert "was killed by SIGKILL" in message, message
        assert (
            "This session continues on the Python kernel from the same context"
            in message
        )
        assert_gone(
            kagent_pid
        )  # reaped by the proxy, which is still running: no zombie

        # turn 3 runs on the Python kernel, on top of what kagent wrote
        p3 = client.request("prompt", {"user_input": "and now?"})
        resp, seen = finish(client, p3)
        assert resp.get("result") == {"status": "finished"}, resp
        assert texts(seen) == "Answer from the Python kernel"
        assert sb.kagent_pids() == [kagent_pid]  # not restarted under auto
        client.close_stdin()
        assert client.wait(timeout=T) == 0

    records = context_records(sb.only_session())
    users = [r["content"] for r in records if r.get("role") == "user"]
    assert users == ["run the echo", "run another", "and now?"], records
    assert [r.get("role") for r in records].count("_system_prompt") == 1
    assistants = [r for r in records if r.get("role") == "assistant"]
    assert assistants[1]["content"] == "Shell said hi"
    assert assistants[-1]["content"] == "Answer from the Python kernel"
    assert "continuing on the Python kernel" in client.stderr_text()


def test_cancel_reaches_kagent_and_ctrl_c_leaves_no_kagent(tmp_path: Path) -> None:
    sb = make_sandbox(
        tmp_path, [SHELL, "text: after cancel\nusage: input_other=9 output=2"]
    )
    env = sb.env(KIMI_KERNEL_BIN=str(oracle_kagent(tmp_path / "bin")), **PROXY)
    with kk_wire(sb, "--kernel", "rust", env=env) as client:
        initialize(client)
        [kagent_pid] = sb.kagent_pids()
        p1, _request = prompt_until_approval(client, "run the echo")
        cancel = client.request("cancel", {})
        seen = client.recv_until(lambda m: is_response_to(m, p1), timeout=T)
        assert seen[-1].get("result") == {"status": "cancelled"}, seen[-1]
        assert any(is_response_to(m, cancel) for m in client.received)
        assert process_state(kagent_pid) not in (None, "Z"), (
            "cancel must not kill kagent"
        )
        # the next turn still runs on the same kagent
        p2 = client.request("prompt", {"user_input": "hello again"})
        resp, seen = finish(client, p2)
        assert resp.get("result") == {"status": "finished"}, resp
        assert texts(seen) == "after cancel"
        assert sb.kagent_pids() == [kagent_pid]
        # Ctrl-C on the UI process
        client.signal(signal.SIGINT)
        client.wait(timeout=T)
    assert_gone(kagent_pid)


def test_crash_of_the_ui_process_takes_kagent_down(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [SHELL])
    env = sb.env(KIMI_KERNEL_BIN=str(oracle_kagent(tmp_path / "bin")), **PROXY)
    with kk_wire(sb, "--kernel", "rust", env=env) as client:
        initialize(client)
        [kagent_pid] = sb.kagent_pids()
        prompt_until_approval(client, "run the echo")  # mid-turn
        client.signal(signal.SIGKILL)
        client.wait(timeout=30)
    assert_gone(kagent_pid)


def test_strict_kernel_reports_a_dead_kagent_restarts_it_and_ui_exit_cleans_up(
    tmp_path: Path,
) -> None:
    sb = make_sandbox(tmp_path, [SHELL])
    env = sb.env(KIMI_KERNEL_BIN=str(oracle_kagent(tmp_path / "bin")), **PROXY)
    with kk_wire(sb, "--kernel", "rust", env=env) as client:
        initialize(client)
        [first] = sb.kagent_pids()
        p1, _ = prompt_until_approval(client, "run the echo")
        kill(first)
        resp, _ = finish(client, p1)
        message = resp["error"]["message"]
        assert "kagent failed during this turn: kagent closed stdout" in message, (
            message
        )
        assert "The kernel is 'rust' (strict), so there is no fallback" in message, (
            message
        )
        # strict means no Python fallback: the next turn starts a new kagent on the session
        prompt_until_approval(client, "try again")
        [_, second] = sb.kagent_pids()
        assert second != first
        client.close_stdin()  # the UI goes away with a turn in flight
        wait_for(
            lambda: client.proc.poll() is not None,
            T,
            "kimi-kernel to exit on stdin EOF",
        )
    assert_gone(first)
    assert_gone(second)


def test_plan_mode_switched_by_a_kagent_tool_is_taken_over(tmp_path: Path) -> None:
    """kagent's EnterPlanMode switches plan mode inside a turn; the Python side adopts it, so
    a later `set_plan_mode` starts from kagent's mode and plan file, as kimi-cli's would."""
    sb = make_sandbox(
        tmp_path, [tool_call("tc-1", "EnterPlanMode", {}), "text: planning"]
    )
    home = tmp_path / "home"
    home.mkdir()
    env = sb.env(KIMI_KERNEL_BIN=str(kagent_bin()), HOME=str(home))
    state_file: Path | None = None
    with kk_wire(sb, "--kernel", "rust", env=env) as client:
        resp, _ = client.call(
            "initialize",
            {
                "protocol_version": "1.10",
                "capabilities": {"supports_question": True, "supports_plan_mode": True},
            },
            timeout=T,
        )
        assert "result" in resp, resp
        p1 = client.request("prompt", {"user_input": "plan it"})
        seen = client.recv_until(lambda m: is_request(m, "QuestionRequest"), timeout=T)
        question = seen[-1]["params"]["payload"]
        assert question["questions"][0]["question"] == "Enter plan mode?", question
        client.respond(
            seen[-1]["id"],
            {"request_id": question["id"], "answers": {"Enter plan mode?": "Yes"}},
        )
        resp, seen = finish(client, p1)
        assert resp.get("result") == {"status": "finished"}, resp
        assert texts(seen) == "planning"
        state_file = sb.only_session() / "state.json"
        entered = json.loads(state_file.read_text(encoding="utf-8"))
        assert entered["plan_mode"] is True, entered
        slug = entered["plan_slug"]
        assert slug and (home / ".kimi" / "plans").is_dir(), entered

        # already on: nothing changes, the plan file stays kagent's
        resp, _ = client.call("set_plan_mode", {"enabled": True}, timeout=T)
        assert resp.get("result") == {"status": "ok", "plan_mode": True}, resp
        again = json.loads(state_file.read_text(encoding="utf-8"))
        assert (again["plan_mode"], again["plan_slug"]) == (True, slug), again

        # off: both sides leave plan mode
        resp, _ = client.call("set_plan_mode", {"enabled": False}, timeout=T)
        assert resp.get("result") == {"status": "ok", "plan_mode": False}, resp
        client.close_stdin()
        assert client.wait(timeout=T) == 0
    off = json.loads(state_file.read_text(encoding="utf-8"))
    assert (off["plan_mode"], off["plan_slug"], off["plan_session_id"]) == (
        False,
        None,
        None,
    ), off


def test_kagent_offers_what_the_wire_client_supports(tmp_path: Path) -> None:
    """A Wire client without questions and plan mode: kagent learns it (kimi-cli hides
    AskUserQuestion and the plan tools then), so a plan tool called anyway answers as
    kimi-cli's does for such a client."""
    sb = make_sandbox(
        tmp_path, [tool_call("tc-1", "EnterPlanMode", {}), "text: no plan then"]
    )
    home = tmp_path / "home"
    home.mkdir()
    env = sb.env(KIMI_KERNEL_BIN=str(kagent_bin()), HOME=str(home))
    with kk_wire(sb, "--kernel", "rust", env=env) as client:
        initialize(client)
        p1 = client.request("prompt", {"user_input": "plan it"})
        resp, seen = finish(client, p1)
        assert resp.get("result") == {"status": "finished"}, resp
        assert not [m for m in seen if is_request(m)], seen
        [result] = [
            m["params"]["payload"]["return_value"]
            for m in seen
            if m.get("method") == "event" and m["params"]["type"] == "ToolResult"
        ]
        assert result["is_error"] is True, result
        assert result["message"] == (
            "The connected client does not support plan mode. Do NOT call this tool again."
        ), result
        client.close_stdin()
        assert client.wait(timeout=T) == 0


def _exe_of(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/exe")


def test_wire_is_kagent_itself_unless_the_proxy_is_asked_for(tmp_path: Path) -> None:
    """rust and auto: the Wire client talks to kagent directly (the process it started has
    become kagent; kimi-cli never loaded); the session is kagent's, resumable with -S.
    KIMI_KERNEL_WIRE=proxy puts kimi-cli's Wire server back in front. Sessions with MCP
    servers take the exec path: kagent reads their configs and starts them."""
    sb = make_sandbox(tmp_path, [HELLO, HELLO])
    kagent = str(kagent_bin().resolve())
    for kernel in ("rust", "auto"):
        env = sb.env(KIMI_KERNEL_BIN=kagent)
        with kk_wire(sb, "--kernel", kernel, env=env) as client:
            result = initialize(client)
            # kimi-cli's identity, kagent's own only for a client that asks (kernel_info)
            assert result["server"]["name"] == "Kimi Code CLI", result
            assert "kernel" not in result, result
            assert _exe_of(client.proc.pid) == kagent
            p1 = client.request("prompt", {"user_input": f"hi on {kernel}"})
            resp, seen = finish(client, p1)
            assert resp.get("result") == {"status": "finished"}, resp
            assert texts(seen) == "Hello from the kernel"
            client.close_stdin()
            assert client.wait(timeout=T) == 0
            assert "To resume this session: kimi-kernel -r " in client.stderr_text()
        assert not (sb.share / "logs" / "kimi.log").exists()  # kimi-cli never ran
    sessions = sorted(p.parent for p in sb.share.glob("sessions/*/*/context.jsonl"))
    assert len(sessions) == 2, sessions
    users = [
        str(r["content"])
        for s in sessions
        for r in context_records(s)
        if r.get("role") == "user"
    ]
    assert sorted(users) == ["hi on auto", "hi on rust"], users

    # -S resumes a session on the exec path
    resumed = sessions[0].name
    write_scripts(sb.scripts, [HELLO])
    with kk_wire(sb, "--kernel", "rust", "-S", resumed, env=sb.env(KIMI_KERNEL_BIN=kagent)) as client:
        initialize(client)
        resp, _ = finish(client, client.request("prompt", {"user_input": "again"}))
        assert resp.get("result") == {"status": "finished"}, resp
        client.close_stdin()
        assert client.wait(timeout=T) == 0
    users = [str(r["content"]) for r in context_records(sessions[0]) if r.get("role") == "user"]
    assert users[-1] == "again", users

    with kk_wire(sb, "--kernel", "auto", env=sb.env(KIMI_KERNEL_BIN=kagent, **PROXY)) as client:
        initialize(client)
        assert _exe_of(client.proc.pid) != kagent
        assert len(sb.kagent_pids()) >= 1  # the proxy started kagent as its child
        client.close_stdin()
        assert client.wait(timeout=T) == 0

    # MCP servers (the global mcp.json, --mcp-config-file, --mcp-config) take the exec path
    # too: kagent reads the configs and starts the servers itself
    from runtime.test_mcp_on_kagent import mcp_config

    server = json.loads(mcp_config(tmp_path).read_text(encoding="utf-8"))["mcpServers"]["kk"]
    (sb.share / "mcp.json").write_text(json.dumps({"mcpServers": {"g": server}}), encoding="utf-8")
    inline = json.dumps({"mcpServers": {"i": server}})
    for flags, tool in (((), "kk_echo"), (("--mcp-config-file", str(tmp_path / "mcp.json")), "kk_echo"),
                        (("--mcp-config", inline), "kk_echo")):
        write_scripts(sb.scripts, [tool_call("m1", tool, {"text": "exec'd"}), "text: done"])
        with kk_wire(sb, "--kernel", "auto", "--yolo", *flags, env=sb.env(KIMI_KERNEL_BIN=kagent)) as client:
            initialize(client)
            assert _exe_of(client.proc.pid) == kagent, flags
            resp, seen = finish(client, client.request("prompt", {"user_input": "echo"}))
            assert resp.get("result") == {"status": "finished"}, (flags, resp)
            outputs = [
                m["params"]["payload"]["return_value"]["output"]
                for m in seen
                if m.get("method") == "event" and m["params"].get("type") == "ToolResult"
            ]
            assert outputs == [[{"type": "text", "text": "kk-echo: exec'd"}]], (flags, outputs)
            client.close_stdin()
            assert client.wait(timeout=T) == 0


def test_an_inline_config_takes_the_exec_path_too(tmp_path: Path) -> None:
    """`--wire --config TEXT` (as kimi-cli's e2e suite and SDKs start it): kagent is handed the
    text and serves the client; with --config-file as well, kimi-cli's parser words the clash."""
    import subprocess
    import sys

    sb = make_sandbox(tmp_path, [HELLO])
    kagent = str(kagent_bin().resolve())
    text = sb.config.read_text(encoding="utf-8")
    argv = [sys.executable, "-m", "kimi_kernel", "--wire", "--config", text, "-w", str(sb.work)]
    for kernel in ("auto", "rust"):
        with WireClient([*argv, "--kernel", kernel], env=sb.env(KIMI_KERNEL_BIN=kagent), cwd=sb.root,
                        stderr_path=sb.root / "kimi-kernel.stderr") as client:
            initialize(client)
            assert _exe_of(client.proc.pid) == kagent, kernel
            resp, seen = finish(client, client.request("prompt", {"user_input": "hi"}))
            assert resp.get("result") == {"status": "finished"}, resp
            assert texts(seen) == "Hello from the kernel", seen
            client.close_stdin()
            assert client.wait(timeout=T) == 0
    both = subprocess.run([*argv, "--config-file", str(sb.config)], env=sb.env(KIMI_KERNEL_BIN=kagent),
                          capture_output=True, text=True, timeout=T, cwd=sb.root, check=False)
    assert both.returncode == 2 and "Cannot combine --config, --config-file" in both.stderr, both.stderr


def test_under_auto_a_kagent_that_cannot_start_hands_the_client_to_the_python_kernel(
    tmp_path: Path,
) -> None:
    """Under auto the exec'd kagent carries `--fallback-argv` (this command line again, on the
    usual path): a config it cannot run (a provider kagent lacks) is logged and the same
    process, same pipes, becomes kimi-cli's Wire server, whose hook moves the session to the
    Python kernel with a notice. Under rust there is no fallback: kagent reports it and exits."""
    import sys

    from kimi_kernel.core._door import wire_exec_argv
    from kimi_kernel.core._select import Selection

    sb = make_sandbox(tmp_path, [HELLO])
    kagent = str(kagent_bin().resolve())
    env = sb.env(KIMI_KERNEL_BIN=kagent)
    args = ["--wire", "--config-file", str(sb.config), "-w", str(sb.work)]
    auto, rust = Selection("auto", "flag", "--kernel"), Selection("rust", "flag", "--kernel")
    argv = wire_exec_argv(args, auto, env)
    assert argv is not None and argv[0] == kagent, argv
    fallback = json.loads(argv[argv.index("--fallback-argv") + 1])
    assert fallback == {
        "argv": [sys.executable, "-P", "-m", "kimi_kernel", *args],
        "env": {"KIMI_KERNEL_WIRE": "proxy"},
    }, fallback
    strict = wire_exec_argv(args, rust, env)
    assert strict is not None and "--fallback-argv" not in strict, strict

    sb.config.write_text(
        'default_model = "g"\n[models.g]\nprovider = "g"\nmodel = "g"\nmax_context_size = 1000\n'
        '[providers.g]\ntype = "gemini"\nbase_url = "http://127.0.0.1:9"\napi_key = "k"\n',
        encoding="utf-8",
    )
    kagent_log = sb.share / "logs" / "kagent.log"
    with kk_wire(sb, "--kernel", "auto", env=env) as client:
        initialize(client)
        # the process kagent was exec'd into is Python again: kimi-cli's Wire server
        assert _exe_of(client.proc.pid) != kagent
        client.close_stdin()
        assert client.wait(timeout=T) == 0
    assert "kagent cannot start this session (Unsupported provider type `gemini`" in (
        kagent_log.read_text(encoding="utf-8")
    )
    stderr = (sb.root / "kimi-kernel.stderr").read_text(encoding="utf-8")
    assert "using the Python kernel" in stderr and "gemini" in stderr, stderr

    kagent_log.unlink()
    sessions = sb.sessions()
    with kk_wire(sb, "--kernel", "rust", env=env) as client:
        assert client.wait(timeout=T) == 1
    stderr = (sb.root / "kimi-kernel.stderr").read_text(encoding="utf-8")
    assert "Unsupported provider type `gemini`: kagent supports" in stderr, stderr
    assert "fallback" not in kagent_log.read_text(encoding="utf-8")
    assert sb.sessions() == sessions  # kagent opens no session for a start it cannot make


# what the Wire exec must not import before it execs kagent: each costs a measurable part of
# the start (README "Front door"); the bench's `--wire` row is the sum
HEAVY_ON_THE_EXEC_PATH = (
    "typing", "pathlib", "platform", "uuid", "dataclasses", "subprocess", "importlib.metadata",
    "hashlib", "asyncio", "tomllib", "kimi_cli",
)


def test_the_wire_exec_imports_nothing_heavy_before_it_execs_kagent(tmp_path: Path) -> None:
    """`kimi-kernel --wire` under auto with the packaged kagent (no KIMI_KERNEL_BIN) and a
    cached profile: `python -X importtime` lists what was imported before the exec."""
    import subprocess
    import sys

    sb = make_sandbox(tmp_path, [HELLO])
    env = sb.env()
    argv = [sys.executable, "-X", "importtime", "-m", "kimi_kernel", "--kernel", "auto", "--wire",
            "--config-file", str(sb.config), "-w", str(sb.work)]
    request = json.dumps({"jsonrpc": "2.0", "id": "1", "method": "initialize",
                          "params": {"protocol_version": "1.10"}}) + "\n"
    for _ in range(2):  # the first run may write the profile (and import what that needs)
        done = subprocess.run(argv, input=request, env=env, capture_output=True, text=True,
                              timeout=T, cwd=sb.root, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout.splitlines()[0])["id"] == "1", done.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "kimi_kernel.core._door" in imported, done.stderr[-3000:]
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY_ON_THE_EXEC_PATH
                   or m in HEAVY_ON_THE_EXEC_PATH)
    assert heavy == [], heavy
    assert not (sb.share / "logs" / "kimi.log").exists()  # kagent served it: kimi-cli never ran
