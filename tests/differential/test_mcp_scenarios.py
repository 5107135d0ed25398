"""Differential suite for MCP servers (oracle vs kagent), scenarios in mcp_catalogue.py."""

from __future__ import annotations

import pytest

from .mcp_catalogue import MCP_SCENARIOS, view_for
from .scenario_check import case_id, check_against_oracle, kernel_plans


@pytest.mark.parametrize(
    ("name", "plan"),
    kernel_plans(MCP_SCENARIOS),
    ids=[case_id(n, p) for n, p in kernel_plans(MCP_SCENARIOS)],
)
def test_mcp_scenario(name: str, plan: tuple[str, ...], tmp_path_factory: pytest.TempPathFactory) -> None:
    check_against_oracle(MCP_SCENARIOS[name], plan, tmp_path_factory, view_for(name))
