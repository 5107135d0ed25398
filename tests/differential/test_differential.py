"""Differential suite: every scenario on the oracle and on kagent, normalized, compared.

Each scenario runs once on the oracle (the reference) and once per subject plan:
all-kagent, plus mixed plans for the session-continuation scenarios (oracle writes a
session and kagent continues it, and the other way round).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import kernels
from .catalogue import SCENARIOS
from .compare import describe_failure, diff_runs
from .runner import Run, run_scenario
from .scenario import Scenario

_REFERENCE: dict[str, Run] = {}


def _plans() -> list[tuple[str, tuple[str, ...]]]:
    cases: list[tuple[str, tuple[str, ...]]] = []
    for name, scenario in SCENARIOS.items():
        cases.append((name, ("kagent",) * len(scenario.phases)))
        for plan in scenario.cross_plans:
            cases.append((name, plan))
    return cases


def _reference(scenario: Scenario, tmp_root: Path) -> Run:
    if scenario.name not in _REFERENCE:
        run = run_scenario(
            scenario, ("oracle",) * len(scenario.phases), tmp_root / "oracle"
        )
        _REFERENCE[scenario.name] = run
    return _REFERENCE[scenario.name]


@pytest.mark.parametrize(
    ("name", "plan"), _plans(), ids=[f"{n}[{'+'.join(p)}]" for n, p in _plans()]
)
def test_scenario(
    name: str, plan: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> None:
    kernels.oracle()  # fail loudly (never skip) when a kernel is missing
    kernels.kagent()
    scenario = SCENARIOS[name]
    reference = _reference(scenario, tmp_path_factory.mktemp(f"ref-{name}"))
    assert not reference.panics(), reference.panics()
    subject = run_scenario(scenario, plan, tmp_path_factory.mktemp(f"sub-{name}"))
    panics = subject.panics()
    assert not panics, "kernel panicked:\n" + "\n".join(panics)
    diff = diff_runs(reference, subject)
    assert not diff, describe_failure(reference, subject, diff)


def test_catalogue_is_large_enough() -> None:
    assert len(SCENARIOS) >= 25
