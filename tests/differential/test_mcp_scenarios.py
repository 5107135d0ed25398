"""Differential suite for MCP servers (oracle vs kagent), scenarios in mcp_catalogue.py."""

from __future__ import annotations

import pytest

from . import kernels
from .compare import describe_failure
from .mcp_catalogue import MCP_SCENARIOS, view_for
from .reference import diff_with_oracle
from .runner import run_scenario
from .test_tools_scenarios import _without_slash_commands


def _plans() -> list[tuple[str, tuple[str, ...]]]:
    cases: list[tuple[str, tuple[str, ...]]] = []
    for name in sorted(MCP_SCENARIOS):
        scenario = MCP_SCENARIOS[name]
        cases.append((name, ("kagent",) * len(scenario.phases)))
        cases.extend((name, plan) for plan in scenario.cross_plans)
    return cases


def _case_id(name: str, plan: tuple[str, ...]) -> str:
    return name if set(plan) == {"kagent"} else f"{name}[{'+'.join(plan)}]"


@pytest.mark.parametrize(("name", "plan"), _plans(), ids=[_case_id(n, p) for n, p in _plans()])
def test_mcp_scenario(name: str, plan: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> None:
    kernels.oracle()
    kernels.kagent()
    scenario = MCP_SCENARIOS[name]
    subject = run_scenario(scenario, plan, tmp_path_factory.mktemp(f"sub-{name}"))
    panics = subject.panics()
    assert not panics, "kernel panicked:\n" + "\n".join(panics)
    view = view_for(name)
    diff = diff_with_oracle(
        scenario,
        subject.normalized(),
        "+".join(plan),
        tmp_path_factory.mktemp(name),
        view=lambda lines: view(_without_slash_commands(lines)),
    )
    assert not diff, describe_failure(subject, diff)
