"""Scenarios of the differential suite through `kimi-kernel --kernel rust --wire` (kimi-cli's
Wire server in front of the packaged kagent) give the oracle's transcript and files.

A few representative scenarios only (each costs an oracle run and a proxy run); the full
catalogue runs against kagent directly in tests/differential. (external_tool_call goes
through the proxy too, but its StatusUpdate/ToolCallRequest order is racy in the oracle
itself, so a transcript comparison of it is not a fair test here.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from differential import kernels
from differential.catalogue import SCENARIOS
from differential.compare import describe_failure, diff_lines
from differential.reference import reference_lines
from differential.runner import run_scenario

from runtime._kk import BIN_DIR, kagent_bin, require_installed, write_exe

require_installed()

PROXIED = ["two_turns", "multi_step_unknown_tool", "max_steps_reached"]


@pytest.fixture()
def proxy_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kagent_bin()  # the packaged kagent is what the proxy drives: fail loudly if missing
    wrapper = write_exe(
        tmp_path / "kimi-kernel-rust",
        f'#!/bin/sh\nunset KIMI_KERNEL_BIN\nexec "{BIN_DIR / "kimi-kernel"}" --kernel rust "$@"\n',
    )
    real = kernels.by_name

    def by_name(name: str) -> kernels.Kernel:
        return kernels.Kernel("proxy", str(wrapper)) if name == "proxy" else real(name)

    monkeypatch.setattr(kernels, "by_name", by_name)


@pytest.mark.parametrize("name", PROXIED)
def test_scenario_through_the_proxy(
    name: str, proxy_kernel: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    scenario = SCENARIOS[name]
    reference = reference_lines(scenario, tmp_path_factory.mktemp(f"ref-{name}"))
    plan = ("proxy",) * len(scenario.phases)
    subject = run_scenario(scenario, plan, tmp_path_factory.mktemp(f"proxy-{name}"))
    diff = diff_lines(reference, subject.normalized(), "oracle", "+".join(plan))
    assert not diff, describe_failure(subject, diff)
