"""Differential suite for tools, approvals, questions and external tools (oracle vs kagent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import kernels
from .compare import describe_failure
from .reference import diff_with_oracle
from .runner import run_scenario
from .tools_catalogue import (
    REJECT_EVERY_SIDE_EFFECT,
    SIDE_EFFECT_FILES,
    TOOL_SCENARIOS,
)


def _without_slash_commands(lines: list[str]) -> list[str]:
    """Drop ``slash_commands`` from initialize results: the listed skills belong to the core
    suite's initialize scenarios, not to the tool scenarios."""
    out: list[str] = []
    for line in lines:
        if line.startswith("< ") and '"slash_commands"' in line:
            msg = json.loads(line[2:])
            result = msg.get("result")
            if isinstance(result, dict):
                result.pop("slash_commands", None)
            line = "< " + json.dumps(msg, ensure_ascii=False)
        out.append(line)
    return out


def _plans() -> list[tuple[str, tuple[str, ...]]]:
    """All-kagent for every scenario, plus its mixed plans (session continuation)."""
    cases: list[tuple[str, tuple[str, ...]]] = []
    for name in sorted(TOOL_SCENARIOS):
        scenario = TOOL_SCENARIOS[name]
        cases.append((name, ("kagent",) * len(scenario.phases)))
        cases.extend((name, plan) for plan in scenario.cross_plans)
    return cases


def _case_id(name: str, plan: tuple[str, ...]) -> str:
    # all-kagent keeps the bare name (existing test ids stay the same)
    return name if set(plan) == {"kagent"} else f"{name}[{'+'.join(plan)}]"


@pytest.mark.parametrize(
    ("name", "plan"), _plans(), ids=[_case_id(n, p) for n, p in _plans()]
)
def test_tool_scenario(
    name: str, plan: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> None:
    kernels.oracle()  # fail loudly (never skip) when a kernel is missing
    kernels.kagent()
    scenario = TOOL_SCENARIOS[name]
    subject = run_scenario(scenario, plan, tmp_path_factory.mktemp(f"sub-{name}"))
    panics = subject.panics()
    assert not panics, "kernel panicked:\n" + "\n".join(panics)
    diff = diff_with_oracle(
        scenario,
        subject.normalized(),
        "+".join(plan),
        tmp_path_factory.mktemp(name),
        view=_without_slash_commands,
    )
    assert not diff, describe_failure(subject, diff)


def test_tool_catalogue_is_large_enough() -> None:
    assert len(TOOL_SCENARIOS) >= 40


@pytest.mark.parametrize("kernel", ["oracle", "kagent"])
def test_rejected_side_effects_leave_no_trace(kernel: str, tmp_path: Path) -> None:
    """Shell, WriteFile (create, append, outside the work dir) and StrReplaceFile, each
    rejected: no command ran and no file changed.  Run on the oracle too, to show the
    scenario really asks for each of them."""
    kernels.by_name(kernel)
    scenario = TOOL_SCENARIOS[REJECT_EVERY_SIDE_EFFECT]
    run = run_scenario(scenario, (kernel,), tmp_path / "run")
    transcript = "\n".join(run.normalized())
    assert transcript.count('"type": "ApprovalRequest"') == 5, transcript
    assert transcript.count('"response": "reject"') >= 5
    assert '"status": "finished"' in transcript
    work = run.sandbox.work
    files = sorted(
        p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file()
    )
    assert files == sorted(SIDE_EFFECT_FILES), files
    for rel, content in SIDE_EFFECT_FILES.items():
        assert (work / rel).read_text(encoding="utf-8") == content
    outside = sorted(p.name for p in run.sandbox.root.iterdir() if p.is_file())
    assert "ran_outside.txt" not in outside and "outside.txt" not in outside, outside
