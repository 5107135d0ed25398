"""kagent runs kimi-cli's default agent only: a session with another agent spec (`--agent
okabe`, `--agent-file`) stays on the Python kernel under `auto` (one notice line, the spec
honoured), is a clear error under `rust`; `--agent default` runs on kagent. kagent itself
refuses such specs at startup (kagent/tests/robustness.rs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kk_common.wire_client import is_response_to

from runtime._kk import kk_wire, make_sandbox, require_installed, run_kk, tool_call

require_installed()

NOTICE = "kimi-kernel: kagent unavailable (kagent runs only the default agent, not the agent spec "


def no_shell_spec(tmp: Path) -> Path:
    """The default agent minus Shell: the Python kernel must answer a Shell call with its
    tool-not-found error, which proves the spec was honoured, not run as the default one."""
    spec = tmp / "agent.yaml"
    spec.write_text(
        "version: 1\nagent:\n  extend: default\n"
        '  exclude_tools: ["kimi_cli.tools.shell:Shell"]\n',
        encoding="utf-8",
    )
    return spec


def test_auto_keeps_custom_agent_specs_on_the_python_kernel(tmp_path: Path) -> None:
    spec = no_shell_spec(tmp_path)
    sb = make_sandbox(
        tmp_path / "sb",
        [
            tool_call("s1", "Shell", {"command": "echo ran-$((40+2))"}),
            "text: done without a shell",
        ],
    )
    proc = run_kk(
        sb,
        "--kernel",
        "auto",
        "--print",
        "-p",
        "hi",
        "--agent-file",
        str(spec),
        env=sb.env(
            KIMI_KERNEL_BIN=sys.executable
        ),  # would be refused anyway: never started
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert (
        proc.stderr.count(
            NOTICE
            + f"{spec} (--agent okabe or --agent-file)); using the Python kernel."
        )
        == 1
    ), proc.stderr
    assert "Tool `Shell` not found" in proc.stdout, proc.stdout
    assert "ran-42" not in proc.stdout, proc.stdout
    assert "done without a shell" in proc.stdout, proc.stdout
    assert sb.kagent_pids() == []


def test_auto_keeps_okabe_on_the_python_kernel(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", ["text: okabe answered"])
    proc = run_kk(sb, "--kernel", "auto", "--print", "-p", "hi", "--agent", "okabe")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert proc.stderr.count(NOTICE) == 1, proc.stderr
    assert "okabe" in proc.stderr.split(NOTICE, 1)[1].splitlines()[0], proc.stderr
    assert "okabe answered" in proc.stdout, proc.stdout
    assert sb.kagent_pids() == []


def test_rust_refuses_custom_agent_specs_with_a_clear_error(tmp_path: Path) -> None:
    spec = no_shell_spec(tmp_path)
    sb = make_sandbox(tmp_path / "sb", ["text: never"])
    proc = run_kk(
        sb, "--kernel", "rust", "--print", "-p", "hi", "--agent-file", str(spec)
    )
    assert proc.returncode == 1, proc
    assert (
        "kimi-kernel: the rust kernel was requested (--kernel) but kagent cannot run this session: "
        f"kagent runs only the default agent, not the agent spec {spec} "
        "(--agent okabe or --agent-file)\nUse --kernel python or --kernel auto"
    ) in proc.stderr, proc.stderr
    assert "never" not in proc.stdout
    assert sb.kagent_pids() == []


def test_rust_runs_the_named_default_agent_on_kagent(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", ["text: the default agent on kagent"])
    proc = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", "--agent", "default")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert "the default agent on kagent" in proc.stdout, proc.stdout
    assert "kimi-kernel:" not in proc.stderr, proc.stderr
    assert len(sb.kagent_pids()) == 1, sb.log()[-2000:]


def test_auto_wire_mode_honours_the_spec_on_the_python_kernel(tmp_path: Path) -> None:
    spec = no_shell_spec(tmp_path)
    sb = make_sandbox(
        tmp_path / "sb",
        [
            tool_call("s1", "Shell", {"command": "echo ran-$((40+2))"}),
            "text: done without a shell",
        ],
    )
    with kk_wire(
        sb, "--kernel", "auto", "--agent-file", str(spec), env=sb.env()
    ) as client:
        resp, _ = client.call("initialize", {"protocol_version": "1.10"}, timeout=240)
        assert "result" in resp, resp
        pid = client.request("prompt", {"user_input": "hi"})
        seen = client.recv_until(lambda m: is_response_to(m, pid), timeout=240)
    results = [
        m["params"]["payload"]
        for m in seen
        if m.get("method") == "event" and m["params"]["type"] == "ToolResult"
    ]
    assert len(results) == 1, seen
    assert "Tool `Shell` not found" in json.dumps(results[0]), results
    assert "ran-42" not in json.dumps(seen)
    stderr = (sb.root / "kimi-kernel.stderr").read_text(encoding="utf-8")
    assert stderr.count(NOTICE) == 1, stderr
    assert sb.kagent_pids() == []
