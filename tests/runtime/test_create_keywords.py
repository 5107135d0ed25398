"""Every KimiCLI.create keyword is forwarded to kagent or refused, never dropped
(kimi_kernel.host.kimi_private.CREATE_KEYWORDS). kagent does not run Ralph mode yet: a
session with Ralph mode (`--max-ralph-iterations N`, N != 0, or [loop_control]
max_ralph_iterations in the config) stays on the Python kernel under `auto` (one notice, Ralph
honoured), and is a clear error under `rust`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from runtime._kk import context_records, make_sandbox, require_installed, run_kk

require_installed()

NOTICE = "kimi-kernel: kagent unavailable (kagent does not run Ralph mode yet ("
# Ralph mode runs the prompt, then asks the model whether to go on (a decision)
RALPH_SCRIPTS = ["text: first ralph pass", "text: <choice>STOP</choice>", "text: spare"]


def assert_ralph_ran(session: Path) -> None:
    """kimi-cli's Ralph loop asked its decision (the prompt again, as an automated loop)."""
    text = json.dumps(context_records(session))
    assert "automated loop" in text, text[-2000:]


def notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kimi-kernel:")]


def test_auto_keeps_ralph_mode_on_the_python_kernel(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", RALPH_SCRIPTS)
    proc = run_kk(
        sb,
        "--kernel",
        "auto",
        "--print",
        "-p",
        "hi",
        "--max-ralph-iterations",
        "1",
        env=sb.env(KIMI_KERNEL_BIN=sys.executable),  # would be refused anyway: never started
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert notices(proc.stderr) == [
        NOTICE + "--max-ralph-iterations 1); --kernel python runs it); using the Python kernel."
    ], proc.stderr
    assert "first ralph pass" in proc.stdout, proc.stdout
    assert_ralph_ran(sb.only_session())
    assert sb.kagent_pids() == []


def test_rust_refuses_ralph_mode_naming_the_option_and_the_fix(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", ["text: never"])
    proc = run_kk(
        sb, "--kernel", "rust", "--print", "-p", "hi", "--max-ralph-iterations", "-1"
    )
    assert proc.returncode == 1, proc
    assert (
        "kimi-kernel: the rust kernel was requested (--kernel) but kagent cannot run this "
        "session: kagent does not run Ralph mode yet (--max-ralph-iterations -1); "
        "--kernel python runs it\nUse --kernel python or --kernel auto"
    ) in proc.stderr, proc.stderr
    assert "never" not in proc.stdout
    assert sb.kagent_pids() == []


def test_auto_keeps_ralph_mode_from_the_config_on_the_python_kernel(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path / "sb", RALPH_SCRIPTS)
    sb.config.write_text(
        sb.config.read_text(encoding="utf-8") + "[loop_control]\nmax_ralph_iterations = 2\n",
        encoding="utf-8",
    )
    proc = run_kk(
        sb,
        "--kernel",
        "auto",
        "--print",
        "-p",
        "hi",
        env=sb.env(KIMI_KERNEL_BIN=sys.executable),
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert notices(proc.stderr) == [
        NOTICE + "max_ralph_iterations = 2 in [loop_control] of the config); --kernel python "
        "runs it); using the Python kernel."
    ], proc.stderr
    assert "first ralph pass" in proc.stdout, proc.stdout
    assert_ralph_ran(sb.only_session())
    assert sb.kagent_pids() == []


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
        "mcp_configs": [{"mcpServers": {"kk": {"command": "kk-server", "args": ["stdio"]}}}],
    }
    forwarded = {k for k, v in kimi_private.CREATE_KEYWORDS.items() if v.how == "flag"}
    assert forwarded == set(values), forwarded ^ set(values)
    assert missing_features(dict(values)) is None
    session = SimpleNamespace(work_dir=tmp_path, id="s-1")
    args = make_launcher(session, dict(values)).args
    for keyword in sorted(forwarded):
        flag = kimi_private.CREATE_KEYWORDS[keyword].detail.split()[0]
        assert flag in args, (keyword, flag, args)
    assert args[args.index("--max-steps-per-turn") + 1] == "5"
    assert args[args.index("--max-retries-per-step") + 1] == "2"
    # the MCP servers kimi-cli loaded reach kagent as they were read
    assert json.loads(args[args.index("--mcp-config") + 1]) == values["mcp_configs"][0]  # type: ignore[index]
    # what is refused is named, never dropped
    refused = missing_features({"max_ralph_iterations": 3})
    assert refused is not None and "--max-ralph-iterations 3" in str(refused)
    unknown = missing_features({"turbo_mode": True})
    assert unknown is not None and "turbo_mode" in str(unknown)
