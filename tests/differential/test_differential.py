"""Differential suite: every scenario on the oracle and on kagent, normalized, compared.

Each scenario runs once on the oracle (the reference) and once per subject plan:
all-kagent, plus mixed plans for the session-continuation scenarios (oracle writes a
session and kagent continues it, and the other way round).
"""

from __future__ import annotations

import pytest

from . import kernels
from .catalogue import SCENARIOS
from .compare import describe_failure
from .known_differences import SCENARIO_RUNS
from .reference import diff_with_oracle
from .runner import run_scenario


def _plans() -> list[tuple[str, tuple[str, ...]]]:
    cases: list[tuple[str, tuple[str, ...]]] = []
    for name, scenario in SCENARIOS.items():
        cases.append((name, ("kagent",) * len(scenario.phases)))
        for plan in scenario.cross_plans:
            cases.append((name, plan))
    return cases


def _compared_plans() -> list[tuple[str, tuple[str, ...]]]:
    return [(n, p) for n, p in _plans() if (n, "+".join(p)) not in SCENARIO_RUNS]


def test_known_differences_name_real_runs() -> None:
    runs = {(n, "+".join(p)) for n, p in _plans()}
    stale = sorted(set(SCENARIO_RUNS) - runs)
    assert not stale, f"known_differences.py names runs that do not exist: {stale}"


@pytest.mark.parametrize(
    ("name", "plan"),
    _compared_plans(),
    ids=[f"{n}[{'+'.join(p)}]" for n, p in _compared_plans()],
)
def test_scenario(
    name: str, plan: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory
) -> None:
    kernels.oracle()  # fail loudly (never skip) when a kernel is missing
    kernels.kagent()
    scenario = SCENARIOS[name]
    subject = run_scenario(scenario, plan, tmp_path_factory.mktemp(f"sub-{name}"))
    panics = subject.panics()
    assert not panics, "kernel panicked:\n" + "\n".join(panics)
    diff = diff_with_oracle(
        scenario, subject.normalized(), "+".join(plan), tmp_path_factory.mktemp(name)
    )
    assert not diff, describe_failure(subject, diff)


def test_catalogue_is_large_enough() -> None:
    assert len(SCENARIOS) >= 25
