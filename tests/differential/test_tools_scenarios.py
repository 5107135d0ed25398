"""Differential suite for tools, approvals, questions and external tools (oracle vs kagent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import kernels
from .runner import run_scenario
from .scenario_check import case_id, check_against_oracle, kernel_plans
from .tools_catalogue import (
    REJECT_EVERY_SIDE_EFFECT,
    SIDE_EFFECT_FILES,
    TOOL_SCENARIOS,
)


@pytest.mark.parametrize(
    ("name", "plan"),
    kernel_plans(TOOL_SCENARIOS),
    ids=[case_id(n, p) for n, p in kernel_plans(TOOL_SCENARIOS)],
)
def test_tool_scenario(
    name: str, plan: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> None:
    check_against_oracle(TOOL_SCENARIOS[name], plan, tmp_path_factory)


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
