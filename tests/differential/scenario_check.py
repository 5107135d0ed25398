"""What the scenario suites share: the plans a catalogue runs (all-kagent, plus each
scenario's session-continuation plans), their test ids, and one run of a scenario checked
against the oracle's transcript."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import pytest

from . import kernels
from .compare import describe_failure
from .reference import diff_with_oracle
from .runner import Run, run_scenario
from .scenario import Scenario

View = Callable[[list[str]], list[str]]


def without_slash_commands(lines: list[str]) -> list[str]:
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


def kernel_plans(scenarios: Mapping[str, Scenario]) -> list[tuple[str, tuple[str, ...]]]:
    """All-kagent for every scenario, plus its mixed plans (session continuation)."""
    cases: list[tuple[str, tuple[str, ...]]] = []
    for name in sorted(scenarios):
        scenario = scenarios[name]
        cases.append((name, ("kagent",) * len(scenario.phases)))
        cases.extend((name, plan) for plan in scenario.cross_plans)
    return cases


def case_id(name: str, plan: tuple[str, ...]) -> str:
    # all-kagent keeps the bare name (existing test ids stay the same)
    return name if set(plan) == {"kagent"} else f"{name}[{'+'.join(plan)}]"


def check_against_oracle(
    scenario: Scenario,
    plan: tuple[str, ...],
    tmp: pytest.TempPathFactory,
    view: View = list,
    *,
    check_panics: bool = True,
    prefix: str = "sub",
) -> Run:
    """Run ``scenario`` on ``plan`` and require its transcript (seen through
    ``without_slash_commands`` and then ``view``) to equal the oracle's."""
    kernels.oracle()  # fail loudly (never skip) when a kernel is missing
    kernels.kagent()
    subject = run_scenario(scenario, plan, tmp.mktemp(f"{prefix}-{scenario.name}"))
    if check_panics:
        panics = subject.panics()
        assert not panics, "kernel panicked:\n" + "\n".join(panics)
    diff = diff_with_oracle(
        scenario,
        subject.normalized(),
        "+".join(plan),
        tmp.mktemp(scenario.name),
        view=lambda lines: view(without_slash_commands(lines)),
    )
    assert not diff, describe_failure(subject, diff)
    return subject
