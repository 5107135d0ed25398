"""Differential suite for tools, approvals, questions and external tools (oracle vs kagent)."""

from __future__ import annotations

import json

import pytest

from . import kernels
from .compare import describe_failure, diff_lines
from .reference import reference_lines
from .runner import run_scenario
from .tools_catalogue import TOOL_SCENARIOS


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


@pytest.mark.parametrize("name", sorted(TOOL_SCENARIOS))
def test_tool_scenario(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    kernels.oracle()  # fail loudly (never skip) when a kernel is missing
    kernels.kagent()
    scenario = TOOL_SCENARIOS[name]
    plan = ("kagent",) * len(scenario.phases)
    reference = reference_lines(scenario, tmp_path_factory.mktemp(f"ref-{name}"))
    subject = run_scenario(scenario, plan, tmp_path_factory.mktemp(f"sub-{name}"))
    panics = subject.panics()
    assert not panics, "kernel panicked:\n" + "\n".join(panics)
    diff = diff_lines(
        _without_slash_commands(reference),
        _without_slash_commands(subject.normalized()),
        "oracle",
        "+".join(plan),
    )
    assert not diff, describe_failure(subject, diff)


def test_tool_catalogue_is_large_enough() -> None:
    assert len(TOOL_SCENARIOS) >= 16
