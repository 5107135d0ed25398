"""Differential suite for the Agent tool (subagents) (oracle vs kagent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import kernels
from .compare import describe_failure
from .reference import diff_with_oracle
from .runner import run_scenario
from .subagent_catalogue import SUBAGENT_CANCEL
from .subagent_catalogue import SUBAGENT_SCENARIOS as TOOL_SCENARIOS


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
def test_subagent_scenario(
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



def test_cancel_of_the_parent_turn_stops_its_subagent(tmp_path: Path) -> None:
    """The parent turn is cancelled while its subagent waits for an approval: the approval
    is withdrawn, the instance is `killed`, its context and wire stop where the cancel came
    (no step after it), and the next turn of the parent gets its own script."""
    kernels.kagent()
    run = run_scenario(SUBAGENT_CANCEL, ("kagent",), tmp_path / "run")
    transcript = "\n".join(run.normalized())
    assert '"id": "p1", "result": {"status": "cancelled"}' in transcript, transcript
    assert '"id": "p2", "result": {"status": "finished"}' in transcript, transcript
    assert '"response": "reject"' in transcript
    [session] = run.sandbox.session_dirs()
    [instance] = (session / "subagents").iterdir()
    meta = json.loads((instance / "meta.json").read_text(encoding="utf-8"))
    assert meta["status"] == "killed"
    assert meta["subagent_type"] == "coder"
    context = [
        json.loads(line)
        for line in (instance / "context.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    # the step that asked stays unanswered in memory only: nothing after the user prompt
    assert [r["role"] for r in context][-2:] == ["user", "_checkpoint"], context
    wire = (instance / "wire.jsonl").read_text(encoding="utf-8")
    assert '"ToolResult"' not in wire and '"TurnEnd"' not in wire, wire
    output = (instance / "output").read_text(encoding="utf-8")
    assert output.endswith("[stage] cancelled\n"), output
    parent = [
        json.loads(line)
        for line in (session / "context.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert {"role": "assistant", "content": "next turn"} in parent, parent
