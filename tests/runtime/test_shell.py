"""The interactive shell of kimi-cli, in a pty, with turns on kagent: type a prompt, approve
the tool in kimi-cli's approval modal, see the answer, exit."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from runtime._kk import (
    assert_gone,
    kk_argv,
    make_sandbox,
    oracle_kagent,
    require_installed,
    tool_call,
)
from runtime._pty import Pty

require_installed()


def test_shell_prompt_approval_answer(tmp_path: Path) -> None:
    sb = make_sandbox(
        tmp_path,
        [
            tool_call("tc-1", "Shell", {"command": "echo hi-from-shell"})
            + "\nusage: input_other=9 output=4",
            "text: Shell said hi\nusage: input_other=20 output=3",
        ],
    )
    env = sb.env(
        KIMI_KERNEL_BIN=str(oracle_kagent(tmp_path / "bin")),
        TERM="xterm-256color",
        COLUMNS="120",
        LINES="40",
    )
    argv = kk_argv(
        "--kernel", "rust", "--config-file", str(sb.config), "--work-dir", str(sb.work)
    )
    term = Pty(argv, env, tmp_path)
    try:
        at = term.expect(r"Session")
        # the banner names the kernel (here the oracle's Wire server stands in for kagent)
        # and offers no other product
        at = term.expect(r"Kernel: rust \(Kimi Code CLI 1\.51\.0, pid \d+\)", since=0)
        assert "/upgrade" not in term.screen(), term.screen()[-3000:]
        time.sleep(2)  # let prompt_toolkit take the terminal
        term.type("run the echo")
        at = term.expect(r"Shell is requesting approval to run command", since=at)
        at = term.expect(r"Approve once", since=at)
        os.write(term.master, b"\r")  # [1] Approve once
        at = term.expect(r"Used Shell \(echo hi-from-shell\)", since=at)
        at = term.expect(r"Shell said hi", since=at)
        [pid] = sb.kagent_pids()
        # /upgrade would install another product: it says how to update kimi-kernel instead
        term.type("/upgrade")
        at = term.expect(r"/upgrade is not available under kimi-kernel", since=at)
        term.expect(r"uv tool upgrade kimi-kernel", since=at)
        assert "Proceed with installation" not in term.screen()
        term.type("/exit")
        code = term.wait_exit(120)
        assert code == 0, (
            f"shell did not exit cleanly ({code}):\n{term.screen()[-2000:]}"
        )
        assert "Bye!" in term.screen()
        goodbye = term.screen().split("Bye!")[-1]
        assert "/upgrade" not in goodbye and "install" not in goodbye
        assert "To resume this session: kimi-kernel -r " in term.screen(), term.screen()[-2000:]
    finally:
        term.close()
    assert_gone(pid)
    users = [
        line
        for line in (sb.only_session() / "context.jsonl").read_text().splitlines()
        if '"role":"user"' in line.replace(" ", "")
    ]
    assert len(users) == 1 and "run the echo" in users[0]


def test_shell_survives_kagent_dying_mid_turn_under_auto(tmp_path: Path) -> None:
    """auto: kagent killed while its turn waits for an approval; the turn ends with the
    notice, the shell stays open, and the next message runs on the Python kernel on top of
    the context kagent wrote."""
    sb = make_sandbox(
        tmp_path,
        ["text: Answer from the Python kernel\nusage: input_other=30 output=5"],
        scripts_in_config=False,
    )
    kagent_scripts = tmp_path / "kagent-scripts.json"
    kagent_scripts.write_text(
        json.dumps(
            [tool_call("tc-1", "Shell", {"command": "echo never"}) + "\nusage: input_other=9 output=4"]
        ),
        encoding="utf-8",
    )
    env = sb.env(
        KIMI_KERNEL_BIN=str(oracle_kagent(tmp_path / "bin", kagent_scripts)),
        TERM="xterm-256color",
        COLUMNS="120",
        LINES="40",
    )
    argv = kk_argv(
        "--kernel", "auto", "--config-file", str(sb.config), "--work-dir", str(sb.work)
    )
    term = Pty(argv, env, tmp_path)
    try:
        at = term.expect(r"Session")
        time.sleep(2)
        term.type("run the echo")
        at = term.expect(r"Approve once", since=at)
        [pid] = sb.kagent_pids()
        # kagent runs the session: kimi-cli's Python agent (tools, MCP) is not built
        assert "building the Python agent" not in sb.log()
        os.kill(pid, signal.SIGKILL)
        at = term.expect(r"continuing on the Python kernel", since=at)
        time.sleep(2)
        assert term.proc.poll() is None, f"the shell exited:\n{term.screen()[-2000:]}"
        term.type("and now?")
        term.expect(r"Answer from the Python kernel", since=at)
        assert term.proc.poll() is None
        # built once, for the Python kernel's first turn
        assert sb.log().count("kimi-kernel: building the Python agent for the Python kernel") == 1
        term.type("/exit")
        assert term.wait_exit(120) == 0, term.screen()[-2000:]
    finally:
        term.close()
    users = [
        json.loads(line)["content"]
        for line in (sb.only_session() / "context.jsonl").read_text().splitlines()
        if '"role":"user"' in line.replace(" ", "")
    ]
    assert users == ["run the echo", "and now?"], users
