"""Differential suite for the Agent tool (subagents) (oracle vs kagent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import kernels
from .runner import run_scenario
from .scenario_check import case_id, check_against_oracle, kernel_plans
from .subagent_catalogue import SUBAGENT_CANCEL, SUBAGENT_SCENARIOS


@pytest.mark.parametrize(
    ("name", "plan"),
    kernel_plans(SUBAGENT_SCENARIOS),
    ids=[case_id(n, p) for n, p in kernel_plans(SUBAGENT_SCENARIOS)],
)
def test_subagent_scenario(
    name: str, plan: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> None:
    check_against_oracle(SUBAGENT_SCENARIOS[name], plan, tmp_path_factory)


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
