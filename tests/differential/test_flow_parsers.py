"""The flowchart cases kagent's parsers are tested on still carry the oracle's results.

kagent's `cargo test flow::` compares its parsers with `kagent/src/skills/flow/testdata/cases.json`;
this test re-runs kimi-cli's own parsers on the same inputs and requires the file to match,
so neither side can drift (or be edited by hand) unnoticed.
"""

from __future__ import annotations

import json

from .flow_cases import CASES, CASES_FILE, oracle_results, render


def test_cases_file_is_the_oracles_parse() -> None:
    committed = CASES_FILE.read_text(encoding="utf-8")
    assert [c["name"] for c in json.loads(committed)] == [
        name for name, _, _ in CASES
    ], "CASES changed: regenerate with `python -m differential.flow_cases --write`"
    assert committed == render(oracle_results())


def test_cases_cover_successes_errors_and_crashes() -> None:
    results = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    by_parser: dict[str, set[str]] = {}
    for r in results:
        outcome = "error" if "error" in r else "crash" if "crash" in r else "ok"
        by_parser.setdefault(r["parser"], set()).add(outcome)
    assert by_parser["mermaid"] == {"ok", "error"}
    assert by_parser["d2"] == {"ok", "error", "crash"}
    assert by_parser["skill"] == {"ok", "error"}
