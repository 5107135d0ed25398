"""Bad-input matrix: each malformed line gets the exact reply and the kernel keeps serving.

All in-band cases run through one process per kernel: after each case a barrier request
(an unknown method, answered synchronously) proves the process still serves and that
nothing else was written for the case.  The oracle runs the same matrix so the expected
replies stay honest.  A panic ("panicked at" on stderr) fails every case it touches.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from kk_common.sandbox import Sandbox, scripted_config
from kk_common.wire_client import WireClient, WireError

from . import kernels
from .bad_cases import BARRIER_METHOD, CASES, Case, barrier_reply
from .known_differences import BAD_INPUT_CASES
from .runner import PANIC_MARKER, launch

KERNEL_NAMES = ("oracle", "kagent")


@dataclass
class Outcome:
    got: list[Any] = field(default_factory=list)
    barrier: Any = None
    error: str = ""
    stderr: str = ""


def _new_sandbox(root: Path) -> Sandbox:
    sandbox = Sandbox(root)
    sandbox.write_scripts(["text: unused"])
    sandbox.write_config(scripted_config(sandbox.scripts_path))
    return sandbox


def _run_case(client: WireClient, index: int, case: Case) -> Outcome:
    outcome = Outcome()
    barrier_id = f"barrier-{index}"
    client.send_raw(case.line)
    client.send_raw(
        json.dumps({"jsonrpc": "2.0", "id": barrier_id, "method": BARRIER_METHOD})
    )
    msgs = client.recv_until(lambda m: m.get("id") == barrier_id, timeout=20)
    outcome.barrier = msgs[-1]
    outcome.got = msgs[:-1]
    # Replies produced by asynchronous handlers may trail the (synchronous) barrier.
    wanted = {e["id"] for e in case.expect if e.get("id") is not None}
    seen = {m.get("id") for m in outcome.got}
    for _ in wanted - seen:
        late = client.recv(timeout=30)
        if late is None:
            raise WireError(f"stdout closed before the reply to {case.name}")
        outcome.got.append(late)
    return outcome


def _run_matrix(kernel_name: str, cases: list[Case]) -> dict[str, Outcome]:
    kernel = kernels.by_name(kernel_name)
    results: dict[str, Outcome] = {}
    remaining = list(enumerate(cases))
    with tempfile.TemporaryDirectory(prefix=f"kbad-{kernel_name}-") as tmp:
        restarts = 0
        while remaining:
            sandbox = _new_sandbox(Path(tmp) / f"run{restarts}")
            client = launch(kernel, sandbox, tag=str(restarts))
            try:
                while remaining:
                    index, case = remaining[0]
                    try:
                        results[case.name] = _run_case(client, index, case)
                    except WireError as exc:
                        results[case.name] = Outcome(error=f"{exc}")
                        remaining.pop(0)
                        break  # the process is unusable: restart for the rest
                    remaining.pop(0)
            finally:
                client.terminate()
                stderr = client.stderr_text()
                for outcome in results.values():
                    if not outcome.stderr and PANIC_MARKER in stderr:
                        outcome.stderr = stderr
            restarts += 1
    return results


_MATRIX: dict[str, dict[str, Outcome]] = {}


def _outcomes(kernel_name: str) -> dict[str, Outcome]:
    if kernel_name not in _MATRIX:
        cases = [c for c in CASES if kernel_name == "kagent" or not c.kagent_only]
        _MATRIX[kernel_name] = _run_matrix(kernel_name, cases)
    return _MATRIX[kernel_name]


def _params() -> Iterator[Any]:
    for case in CASES:
        for kernel_name in KERNEL_NAMES:
            if case.kagent_only and kernel_name == "oracle":
                continue
            if kernel_name == "kagent" and case.name in BAD_INPUT_CASES:
                continue
            yield pytest.param(kernel_name, case, id=f"{case.name}[{kernel_name}]")


def test_known_bad_input_differences_name_real_cases() -> None:
    stale = sorted(set(BAD_INPUT_CASES) - {c.name for c in CASES})
    assert not stale, (
        f"known_differences.py names bad-input cases that do not exist: {stale}"
    )


def _canon(messages: list[Any]) -> list[str]:
    return sorted(json.dumps(m, sort_keys=True) for m in messages)


@pytest.mark.parametrize(("kernel_name", "case"), list(_params()))
def test_bad_input(kernel_name: str, case: Case) -> None:
    outcome = _outcomes(kernel_name)[case.name]
    assert PANIC_MARKER not in outcome.stderr, f"kernel panicked:\n{outcome.stderr}"
    assert not outcome.error, (
        f"{kernel_name} stopped serving after {case.name}: {outcome.error}"
    )
    assert outcome.barrier == barrier_reply(outcome.barrier["id"]), (
        f"{kernel_name} did not keep serving after {case.name}: {outcome.barrier}"
    )
    assert _canon(outcome.got) == _canon(list(case.expect)), (
        f"{case.name}: expected {list(case.expect)}, got {outcome.got}"
    )
