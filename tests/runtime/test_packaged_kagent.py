"""The kagent that ships in the installed wheel (KAGENT_BIN), found and driven with no
KIMI_KERNEL_BIN: doctor sees it as the package's, and a print-mode turn on it matches the
Python kernel's turn."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
from pathlib import Path

from runtime._kk import (
    BIN_DIR,
    HELLO,
    assert_gone,
    context_records,
    kagent_bin,
    make_sandbox,
    require_installed,
    run_kk,
    tool_call,
)
from runtime.test_print_mode import turn

require_installed()


def test_doctor_finds_the_packaged_kagent_and_it_answers(tmp_path: Path) -> None:
    expected = kagent_bin()
    sb = make_sandbox(tmp_path, [])
    proc = subprocess.run(
        [
            str(BIN_DIR / "kimi-kernel"),
            "doctor",
            "--json",
            "--config-file",
            str(sb.config),
        ],
        env=sb.env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc
    report = json.loads(proc.stdout)
    assert (report["source"], Path(report["binary"])) == ("package", expected), report
    assert str(report["version"]).startswith("kagent "), report
    assert report["handshake"]["ok"] is True, report["handshake"]
    assert report["handshake"]["protocol_version"] == "1.10"


def test_print_turn_on_packaged_kagent_matches_python(tmp_path: Path) -> None:
    kagent_bin()
    out, ctx, wire, pids = turn(tmp_path / "rust", "rust", packaged=True)
    py_out, py_ctx, py_wire, _ = turn(tmp_path / "py", "python")
    assert out == py_out
    assert ctx == py_ctx
    assert wire == py_wire
    assert len(pids) == 1
    assert_gone(pids[0])


def unattended_write(
    root: Path, kernel: str, *extra: str
) -> tuple[str, list[dict[str, object]], dict[str, object]]:
    """A print-mode turn whose WriteFile needs an approval nobody can give."""
    sb = make_sandbox(
        root,
        [
            tool_call("w1", "WriteFile", {"path": "out.txt", "content": "unattended"}),
            "text: written",
        ],
    )
    proc = run_kk(
        sb, "--kernel", kernel, "--print", "-p", "write it", *extra, timeout=120
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    assert (sb.work / "out.txt").read_text() == "unattended"
    session = sb.only_session()
    state = json.loads((session / "state.json").read_text())
    records = [r for r in context_records(session) if r.get("role") != "_system_prompt"]
    return proc.stdout, records, state["approval"]


def test_print_mode_runs_approval_tools_unattended_like_python(tmp_path: Path) -> None:
    """kimi-cli's print mode is invocation-only afk: kagent must auto-approve (not wait for
    an answer nobody gives) and must not save afk into the session."""
    kagent_bin()
    out, ctx, approval = unattended_write(tmp_path / "rust", "rust")
    _py_out, py_ctx, py_approval = unattended_write(tmp_path / "py", "python")
    assert "written" in out
    assert ctx == py_ctx
    assert approval == py_approval
    assert approval["afk"] is False


def test_afk_flag_is_saved_in_the_session_like_python(tmp_path: Path) -> None:
    kagent_bin()
    _out, ctx, approval = unattended_write(tmp_path / "rust", "rust", "--afk")
    _py_out, py_ctx, py_approval = unattended_write(tmp_path / "py", "python", "--afk")
    assert ctx == py_ctx
    assert approval == py_approval
    assert approval["afk"] is True


def _skills_section(sb_root: Path, session: Path) -> str:
    prompt = str(
        next(
            r["content"]
            for r in context_records(session)
            if r.get("role") == "_system_prompt"
        )
    )
    start = prompt.index("## Available skills")
    end = prompt.index("## How to use skills")
    return prompt[start:end].replace(str(sb_root), "<SANDBOX>")


def test_packaged_kagent_lists_the_skills_python_lists(tmp_path: Path) -> None:
    """kimi-kernel hands kagent kimi-cli's built-in skills dir: both kernels' system
    prompts name the same files (and the same project skill)."""
    from kimi_cli.skill import get_builtin_skills_dir

    kagent_bin()
    sections = []
    for kernel in ("rust", "python"):
        sb = make_sandbox(tmp_path / kernel, [HELLO])
        skill = sb.work / ".kimi" / "skills" / "proj" / "SKILL.md"
        skill.parent.mkdir(parents=True)
        skill.write_text("---\nname: proj\ndescription: A project skill\n---\nDo it.\n")
        proc = run_kk(sb, "--kernel", kernel, "--print", "-p", "hi", env=sb.env())
        assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-3000:]}"
        sections.append(_skills_section(sb.root, sb.only_session()))
        if kernel == "rust":
            assert sb.kagent_pids(), "the turn did not run on kagent"
    builtin = get_builtin_skills_dir() / "skill-creator" / "SKILL.md"
    assert f"  - Path: {builtin}\n" in sections[0], sections[0]
    assert "- proj\n  - Path: <SANDBOX>/work/.kimi/skills/proj/SKILL.md" in sections[0]
    assert sections[0] == sections[1]


_FLOW_SKILL = """---
name: review
description: Review then decide
type: flow
---
```mermaid
flowchart TD
  B([BEGIN]) --> R[Review the change]
  R --> D{Ship it?}
  D -->|yes| E([END])
  D -->|no| R
```
"""


def test_packaged_kagent_runs_a_flow_skill_like_python(tmp_path: Path) -> None:
    """`kimi-kernel --print -p /flow:review`: both kernels walk the flowchart the same way
    (task turn, a decision answered without a choice, re-asked, then END)."""
    kagent_bin()
    contexts = []
    for kernel in ("rust", "python"):
        sb = make_sandbox(
            tmp_path / kernel,
            [
                "text: looks fine",
                "text: I would ship",
                "text: <choice>yes</choice>",
            ],
        )
        skill = sb.work / ".kimi" / "skills" / "review" / "SKILL.md"
        skill.parent.mkdir(parents=True)
        skill.write_text(_FLOW_SKILL)
        proc = run_kk(
            sb, "--kernel", kernel, "--print", "-p", "/flow:review", env=sb.env()
        )
        assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-3000:]}"
        if kernel == "rust":
            assert sb.kagent_pids(), "the turn did not run on kagent"
        contexts.append(
            [
                (r["role"], r["content"])
                for r in context_records(sb.only_session())
                if r.get("role") in ("user", "assistant")
            ]
        )
    # kimi-cli's wording, as the profile exports it (one branch line, repeated per branch)
    from kimi_kernel.host._profile import messages

    exported = messages()
    branch_line = next(line for line in exported["flow.decision"].split("\n") if "{branch}" in line)
    decision = exported["flow.decision"].replace("{label}", "Ship it?").replace(
        branch_line, branch_line.replace("{branch}", "yes") + "\n" + branch_line.replace("{branch}", "no")
    )
    retry = exported["flow.invalid_choice"]
    assert contexts[0] == [
        ("user", "Review the change"),
        ("assistant", "looks fine"),
        ("user", decision),
        ("assistant", "I would ship"),
        ("user", decision + retry),
        ("assistant", "<choice>yes</choice>"),
    ], contexts[0]
    assert contexts[0] == contexts[1]


def hooked_turn(root: Path, kernel: str) -> tuple[list[str], list[str]]:
    """A print-mode turn with config hooks: the events they ran for, and wire.jsonl's types."""
    sb = make_sandbox(root, ["text: hooked"])
    with sb.config.open("a", encoding="utf-8") as f:
        for event in ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"):
            f.write(
                f'[[hooks]]\nevent = "{event}"\ncommand = "echo {event} >> hooks.log"\n'
            )
    proc = run_kk(sb, "--kernel", kernel, "--print", "-p", "hook me", timeout=120)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{sb.log()[-2000:]}"
    ran = (sb.work / "hooks.log").read_text().split()
    wire = [
        json.loads(line)["message"]["type"]
        for line in (sb.only_session() / "wire.jsonl").read_text().splitlines()
        if '"message"' in line
    ]
    return ran, wire


def test_print_mode_config_hooks_run_once_and_are_not_reported_like_python(
    tmp_path: Path,
) -> None:
    """Each hook runs once (kagent runs them all, kimi-cli's engine none), and, as kimi-cli
    reports hook activity only to an initialized Wire client, nothing of it is recorded."""
    kagent_bin()
    ran, wire = hooked_turn(tmp_path / "rust", "rust")
    py_ran, py_wire = hooked_turn(tmp_path / "py", "python")
    assert ran == py_ran == ["SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"]
    assert wire == py_wire
    assert "HookTriggered" not in wire


def test_kagent_on_a_terminal_says_what_it_is_for(tmp_path: Path) -> None:
    """`kagent` typed at a terminal (no --wire) prints a one-line hint and keeps serving;
    with --wire or a pipe on stdin it prints nothing; its log lines carry readable times."""
    share = tmp_path / "share"
    env = {**os.environ, "KIMI_SHARE_DIR": str(share)}
    for args, hinted in (([], True), (["--wire"], False)):
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [str(kagent_bin()), *args], stdin=slave, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=env, cwd=tmp_path,
        )
        os.close(slave)
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 10 if hinted else 1)
        line = proc.stderr.readline().decode() if ready else ""
        assert proc.poll() is None  # still serving after the hint
        os.write(master, b"\x04")  # Ctrl-D: end of input
        assert proc.wait(timeout=30) == 0
        os.close(master)
        if hinted:
            assert "to chat, run `kimi-kernel`" in line and line.count("\n") == 1, line
        else:
            assert line == "", line
    piped = subprocess.run(
        [str(kagent_bin())], input=b"", capture_output=True, env=env, cwd=tmp_path, timeout=30
    )
    assert piped.returncode == 0 and b"kimi-kernel" not in piped.stderr, piped
    log = (share / "logs" / "kagent.log").read_text(encoding="utf-8").splitlines()
    assert log and all(
        re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z \| ", line) for line in log
    ), log[:3]
