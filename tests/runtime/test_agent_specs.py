"""Agent specs run on kagent: a session with another agent spec (`--agent okabe`,
`--agent-file`) runs on kagent under `auto` and `rust` alike (no notice, no fall back to the
Python kernel), kagent started with the spec's path and the kimi-cli profile; `--agent
default` runs on kagent with no spec flag (the profile's default agent)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kimi_kernel.core._cachedir import cache_dir
from kk_common.wire_client import is_response_to

from runtime._kk import Sandbox, kk_wire, make_sandbox, require_installed, run_kk, tool_call

require_installed()


def no_shell_spec(tmp: Path) -> Path:
    """The default agent minus Shell: a Shell call must be answered as an unknown tool, which
    proves the spec was honoured, not run as the default one."""
    spec = tmp / "agent.yaml"
    spec.write_text(
        "version: 1\nagent:\n  extend: default\n"
        '  exclude_tools: ["kimi_cli.tools.shell:Shell"]\n',
        encoding="utf-8",
    )
    return spec


def kagent_argv(sb: Sandbox) -> list[str]:
    """The command lines kimi-kernel started kagent with (from kimi-cli's log)."""
    return re.findall(r"started kagent pid=\d+: (.*)", sb.log())


def assert_on_kagent_with(sb: Sandbox, *flags: str) -> None:
    argv = kagent_argv(sb)
    assert len(argv) == 1, sb.log()[-3000:]
    assert " --profile " in argv[0], argv
    profile = argv[0].split(" --profile ", 1)[1].split(" ", 1)[0]
    # the profile is cached per user, not per share dir (host._profile)
    assert Path(profile).is_file() and Path(profile).parent == cache_dir() / "profiles", profile
    for flag in flags:
        assert flag in argv[0], (flag, argv)


def test_auto_runs_a_custom_agent_spec_on_kagent(tmp_path: Path) -> None:
    spec = no_shell_spec(tmp_path)
    sb = make_sandbox(
        tmp_path / "sb",
        [
            tool_call("s1", "Shell", {"command": "echo ran-$((40+2))"}),
            "text: done without a shell",
        ],
    )
    proc = run_kk(sb, "--kernel", "auto", "--print", "-p", "hi", "--agent-file", str(spec))
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert "kimi-kernel:" not in proc.stderr, proc.stderr
    assert "Tool `Shell` not found" in proc.stdout, proc.stdout
    assert "ran-42" not in proc.stdout, proc.stdout
    assert "done without a shell" in proc.stdout, proc.stdout
    assert_on_kagent_with(sb, f"--agent-file {spec}")


def test_auto_runs_okabe_on_kagent(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", ["text: okabe answered"])
    proc = run_kk(sb, "--kernel", "auto", "--print", "-p", "hi", "--agent", "okabe")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert "kimi-kernel:" not in proc.stderr, proc.stderr
    assert "okabe answered" in proc.stdout, proc.stdout
    assert_on_kagent_with(sb, " --agent-file ", "/okabe/agent.yaml")


def test_rust_runs_a_custom_agent_spec(tmp_path: Path) -> None:
    spec = no_shell_spec(tmp_path)
    sb = make_sandbox(
        tmp_path / "sb",
        [tool_call("s1", "Shell", {"command": "echo ran"}), "text: rust ran the spec"],
    )
    proc = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", "--agent-file", str(spec))
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert "Tool `Shell` not found" in proc.stdout, proc.stdout
    assert "rust ran the spec" in proc.stdout, proc.stdout
    assert_on_kagent_with(sb, f"--agent-file {spec}")


def test_rust_runs_the_named_default_agent_on_kagent(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", ["text: the default agent on kagent"])
    proc = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", "--agent", "default")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert "the default agent on kagent" in proc.stdout, proc.stdout
    assert "kimi-kernel:" not in proc.stderr, proc.stderr
    assert_on_kagent_with(sb)
    assert "--agent-file" not in kagent_argv(sb)[0]


def test_auto_wire_mode_runs_the_spec_on_kagent(tmp_path: Path) -> None:
    spec = no_shell_spec(tmp_path)
    sb = make_sandbox(
        tmp_path / "sb",
        [
            tool_call("s1", "Shell", {"command": "echo ran-$((40+2))"}),
            "text: done without a shell",
        ],
    )
    with kk_wire(sb, "--kernel", "auto", "--agent-file", str(spec), env=sb.env()) as client:
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
    assert "kimi-kernel:" not in stderr, stderr
    assert_on_kagent_with(sb, f"--agent-file {spec}")
