"""Every KimiCLI.create keyword is forwarded to kagent or refused, never dropped
(kimi_kernel.host.kimi_private.CREATE_KEYWORDS). Ralph mode (`--max-ralph-iterations N`, or
[loop_control] max_ralph_iterations in the config) runs on kagent under `auto` and `rust`:
the flag is forwarded, the config reaches kagent with the config file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from runtime._kk import Sandbox, context_records, make_sandbox, require_installed, run_kk

require_installed()

# Ralph mode runs the prompt, then asks the model whether to go on (a decision)
RALPH_SCRIPTS = ["text: first ralph pass", "text: <choice>STOP</choice>", "text: spare"]


def assert_ralph_ran(session: Path) -> None:
    """The Ralph loop asked its decision (the prompt again, as an automated loop), once:
    the model chose STOP."""
    text = json.dumps(context_records(session))
    assert text.count("automated loop") == 1, text[-2000:]
    assert "spare" not in text, text[-2000:]


def kagent_argv(sb: Sandbox) -> list[str]:
    return re.findall(r"started kagent pid=\d+: (.*)", sb.log())


def notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kimi-kernel:")]


def test_auto_runs_ralph_mode_on_kagent(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", RALPH_SCRIPTS)
    proc = run_kk(sb, "--kernel", "auto", "--print", "-p", "hi", "--max-ralph-iterations", "1")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert notices(proc.stderr) == [], proc.stderr
    assert "first ralph pass" in proc.stdout, proc.stdout
    assert_ralph_ran(sb.only_session())
    argv = kagent_argv(sb)
    assert len(argv) == 1 and " --max-ralph-iterations 1" in argv[0], sb.log()[-2000:]


def test_rust_runs_unbounded_ralph_mode_until_the_model_stops(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", RALPH_SCRIPTS)
    proc = run_kk(sb, "--kernel", "rust", "--print", "-p", "hi", "--max-ralph-iterations", "-1")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert_ralph_ran(sb.only_session())
    argv = kagent_argv(sb)
    assert len(argv) == 1 and " --max-ralph-iterations -1" in argv[0], sb.log()[-2000:]


def test_auto_runs_ralph_mode_from_the_config_on_kagent(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", RALPH_SCRIPTS)
    sb.config.write_text(
        sb.config.read_text(encoding="utf-8") + "[loop_control]\nmax_ralph_iterations = 2\n",
        encoding="utf-8",
    )
    proc = run_kk(sb, "--kernel", "auto", "--print", "-p", "hi")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert notices(proc.stderr) == [], proc.stderr
    assert "first ralph pass" in proc.stdout, proc.stdout
    assert_ralph_ran(sb.only_session())
    argv = kagent_argv(sb)
    # kagent reads [loop_control] from the config file itself
    assert len(argv) == 1 and "--max-ralph-iterations" not in argv[0], argv
    assert f"--config-file {sb.config}" in argv[0], argv


def test_ralph_zero_is_the_default_and_not_refused(tmp_path: Path) -> None:
    """0 is kimi-cli's own default (no Ralph mode): nothing to refuse. With a kagent that
    cannot start, the rust error is about kagent, not about Ralph mode."""
    sb = make_sandbox(tmp_path / "sb", ["text: never"])
    proc = run_kk(
        sb,
        "--kernel",
        "rust",
        "--print",
        "-p",
        "hi",
        "--max-ralph-iterations",
        "0",
        env=sb.env(KIMI_KERNEL_BIN=str(tmp_path / "no-such-kagent")),
    )
    assert proc.returncode == 1, proc
    assert "kimi-kernel: the rust kernel was requested (--kernel)" in proc.stderr, proc.stderr
    assert "Ralph" not in proc.stderr, proc.stderr


def test_every_forwarded_keyword_reaches_kagents_command_line(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from kimi_kernel.host import kimi_private
    from kimi_kernel.host._hook import make_launcher, missing_features

    values: dict[str, object] = {
        "config": tmp_path / "config.toml",
        "model_name": "echo",
        "thinking": True,
        "yolo": True,
        "afk": True,
        "runtime_afk": True,
        "plan_mode": True,
        "skills_dirs": [tmp_path / "skills"],
        "max_steps_per_turn": 5,
        "max_retries_per_step": 2,
        "agent_file": tmp_path / "spec.yaml",
        "max_ralph_iterations": 3,
        "mcp_configs": [{"mcpServers": {"kk": {"command": "kk-server", "args": ["stdio"]}}}],
    }
    forwarded = {k for k, v in kimi_private.CREATE_KEYWORDS.items() if v.how == "flag"}
    assert forwarded == set(values), forwarded ^ set(values)
    assert missing_features(dict(values)) is None
    session = SimpleNamespace(work_dir=tmp_path, id="s-1")
    profile = tmp_path / "profile.json"
    args = make_launcher(session, dict(values), profile=profile).args
    for keyword in sorted(forwarded):
        flag = kimi_private.CREATE_KEYWORDS[keyword].detail.split()[0]
        assert flag in args, (keyword, flag, args)
    assert args[args.index("--max-steps-per-turn") + 1] == "5"
    assert args[args.index("--max-retries-per-step") + 1] == "2"
    assert args[args.index("--agent-file") + 1] == str(tmp_path / "spec.yaml")
    assert args[args.index("--max-ralph-iterations") + 1] == "3"
    assert args[args.index("--profile") + 1] == str(profile)
    # the MCP servers kimi-cli loaded reach kagent as they were read
    assert json.loads(args[args.index("--mcp-config") + 1]) == values["mcp_configs"][0]  # type: ignore[index]
    # MCP servers over SSE run on kagent too
    for sse in ({"url": "http://127.0.0.1:9/mcp", "transport": "sse"}, {"url": "http://127.0.0.1:9/sse/"}):
        assert missing_features({"mcp_configs": [{"mcpServers": {"old": sse}}]}) is None
    assert missing_features({"mcp_configs": [{"mcpServers": {"new": {"url": "http://h/mcp"}}}]}) is None
    unknown = missing_features({"turbo_mode": True})
    assert unknown is not None and "turbo_mode" in str(unknown)
