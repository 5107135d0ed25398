"""kimi-cli's Python agent (its tools, plugins, MCP servers) is what kagent replaces: on the
rust path it is never built; when the session moves to the Python kernel it is built then
(host._agent). The shell's mid-session fallback is in test_shell.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

from runtime import fakes
from runtime._kk import HELLO, kk_argv, make_sandbox, require_installed, run_kk

require_installed()

PY_ANSWER = "Hello from the kernel"
WITHOUT_TOOLS = "kimi-kernel: the agent without the Python tools and MCP servers"
BUILDING = "kimi-kernel: building the Python agent for the Python kernel"
# kimi-cli's toolset logs this once it built an agent's tools
TOOLS_LOADED = "kimi_cli.soul.toolset:load_tools"


def test_the_python_agent_is_built_only_for_the_python_kernel(tmp_path: Path) -> None:
    # rust, the packaged kagent: kimi-cli never loads the agent's tools
    sb = make_sandbox(tmp_path / "rust", [HELLO])
    # the profile is built (by the tools' own code) before, not in the run looked at
    subprocess.run(kk_argv("profile"), env=sb.env(), check=True, capture_output=True, timeout=240)
    rust = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", env=sb.env())
    assert rust.returncode == 0, rust
    assert PY_ANSWER in rust.stdout
    log = sb.log()
    assert "started kagent pid=" in log and WITHOUT_TOOLS in log, log[-3000:]
    assert BUILDING not in log and TOOLS_LOADED not in log, log[-3000:]
    context = (sb.only_session() / "context.jsonl").read_text(encoding="utf-8")
    assert '"role": "_system_prompt"' in context or '"role":"_system_prompt"' in context

    # auto, kagent cannot start: the Python agent is built at once and answers
    sb = make_sandbox(tmp_path / "auto", [HELLO])
    env = sb.env(KIMI_KERNEL_BIN=str(fakes.exits_at_startup(tmp_path / "bin")))
    auto = run_kk(sb, "--kernel", "auto", "--print", "-p", "hi", env=env)
    assert auto.returncode == 0, auto
    assert PY_ANSWER in auto.stdout
    assert "kimi-kernel: kagent unavailable (" in auto.stderr, auto.stderr
    log = sb.log()
    assert log.index(WITHOUT_TOOLS) < log.index(BUILDING) < log.index(TOOLS_LOADED), log[-3000:]
    assert log.count(BUILDING) == 1
