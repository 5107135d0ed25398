"""Runs where kagent does not yet match the oracle, each with the reason seen in its diff.

These runs are NOT part of the passing suite and are not claimed as done: issue 2 stays
open until this table is empty. The suite checks that every entry names a real run, so a
renamed or removed scenario cannot hide here.
"""

from __future__ import annotations

# (scenario name, plan) -> reason. The plan is the '+'-joined list of kernels per phase.
SCENARIO_RUNS: dict[tuple[str, str], str] = {}

# bad-input case name -> reason (kagent runs only).
BAD_INPUT_CASES: dict[str, str] = {}
