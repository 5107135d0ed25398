"""Reference (all-oracle) transcripts, optionally cached on disk between test runs.

Set KDIFF_REFERENCE_CACHE=<dir> to reuse oracle transcripts while iterating on kagent;
the cache key covers the harness sources, the scenario and the oracle binary, so any
change to a scenario or to the harness re-runs the oracle.  `nox -s tests` points it at a dir
it empties before each run, so that its pytest-xdist workers share one oracle run per scenario
and nothing is carried over from an earlier run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import kernels
from .compare import diff_lines
from .runner import Run, run_scenario
from .scenario import Scenario

CACHE_ENV = "KDIFF_REFERENCE_CACHE"
ORACLE_VERSION = "1.51.0"
_HERE = Path(__file__).resolve().parent
_KK_COMMON = _HERE.parents[1] / "scripts" / "kk_common"
_MCP_SERVER = _HERE.parent / "mcp" / "kk_mcp_server.py"  # the MCP scenarios' real server
_MEMO: dict[str, list[str]] = {}


def _harness_sources() -> list[Path]:
    """Every harness and catalogue module (not the tests), the shared sandbox and Wire client
    and the MCP test server: a change to any of them re-runs the oracle."""
    own = sorted(p for p in _HERE.glob("*.py") if not p.name.startswith("test_"))
    return own + [_KK_COMMON / "sandbox.py", _KK_COMMON / "wire_client.py", _MCP_SERVER]


def _key(scenario: Scenario) -> str:
    h = hashlib.sha256()
    for path in _harness_sources():
        h.update(path.name.encode())
        h.update(path.read_bytes())
    h.update(scenario.name.encode())
    h.update(kernels.oracle().binary.encode())
    return h.hexdigest()[:24]


def _check_version(run: Run) -> None:
    for phase in run.phases:
        for direction, msg in phase.lines:
            if direction != "<" or not isinstance(msg, dict):
                continue
            result: Any = msg.get("result")
            if isinstance(result, dict) and isinstance(result.get("server"), dict):
                version = result["server"].get("version")
                assert version == ORACLE_VERSION, (
                    f"the oracle must be kimi-cli {ORACLE_VERSION}, got {version!r}"
                )


def reference_lines(scenario: Scenario, tmp_root: Path) -> list[str]:
    if scenario.name in _MEMO:
        return _MEMO[scenario.name]
    cache_dir = os.environ.get(CACHE_ENV)
    cache_file = (
        Path(cache_dir) / f"{scenario.name}-{_key(scenario)}.json"
        if cache_dir
        else None
    )
    if cache_file is not None and cache_file.is_file():
        lines = [
            str(line) for line in json.loads(cache_file.read_text(encoding="utf-8"))
        ]
    else:
        lines = fresh_reference_lines(scenario, tmp_root)
        if cache_file is not None:
            # written whole, then renamed: pytest-xdist workers read this dir concurrently
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            partial = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.partial")
            partial.write_text(json.dumps(lines), encoding="utf-8")
            os.replace(partial, cache_file)
    _MEMO[scenario.name] = lines
    return lines


def fresh_reference_lines(scenario: Scenario, tmp_root: Path) -> list[str]:
    """A new oracle run of the scenario (no memo, no cache)."""
    run = run_scenario(scenario, ("oracle",) * len(scenario.phases), tmp_root)
    panics = run.panics()
    assert not panics, panics
    _check_version(run)
    return run.normalized()


def diff_with_oracle(
    scenario: Scenario,
    subject: list[str],
    subject_name: str,
    tmp_root: Path,
    view: Callable[[list[str]], list[str]] = list,
) -> str:
    """The diff of ``subject`` against the oracle's transcript ('' when they are equal).

    The oracle is racy in a few places (the order of its asyncio tasks and thread hops
    under load, e.g. a StatusUpdate around a HookResolved): kagent must equal one of its
    runs, so a mismatch is checked against up to two fresh oracle runs before it counts.
    ``view`` selects what is compared (applied to both sides).
    """
    reference = reference_lines(scenario, tmp_root / "ref")
    seen = [reference]
    diff = diff_lines(view(reference), view(subject), "oracle", subject_name)
    for attempt in range(2):
        if not diff:
            break
        other = fresh_reference_lines(scenario, tmp_root / f"ref{attempt + 2}")
        if other not in seen:
            seen.append(other)
            diff = diff_lines(view(other), view(subject), "oracle", subject_name)
    return diff
