"""No process of a background task outlives kagent: when its input ends or it gets SIGTERM
while a task runs (a shell with a child of its own), the task is stopped as kimi-cli stops
it (``killed``, "CLI session ended") and its whole process group is gone.

The oracle's side of the same ending (the files it leaves) is the differential scenario
``tool_background_session_end``; here the processes themselves are checked."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

# tools_catalogue first: it is the module that pulls background_catalogue in
from . import kernels, tools_catalogue
from .background_catalogue import RUNNING, bg
from .runner import run_scenario
from .scenario import Phase, Scenario
from .steps import CloseStdin, Signal, Step, initialize, prompt

# a shell that has a child of its own (not just an exec'd sleep)
COMMAND = "sleep 30 & sleep 30; wait"


def group_gone(pgid: int, within_s: float = 5.0) -> bool:
    """Whether the group has no process left (killed members need a moment to be reaped)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize(
    "ending",
    [CloseStdin(), Signal(signal.SIGTERM)],
    ids=["stdin_eof", "sigterm"],
)
def test_kagent_leaves_no_task_process(ending: Step, tmp_path: Path) -> None:
    kernels.kagent()
    scenario = Scenario(
        "background_orphans",
        (
            Phase(
                (initialize(), prompt("go", id="p1"), RUNNING, ending),
                (bg("c1", COMMAND, "two sleeps"), tools_catalogue.DONE),
                ("--yolo",),
            ),
        ),
    )
    run = run_scenario(scenario, ("kagent",), tmp_path)
    assert not run.panics()
    runtimes = sorted(run.sandbox.share.rglob("tasks/*/runtime.json"))
    assert len(runtimes) == 1, runtimes
    runtime = json.loads(runtimes[0].read_text(encoding="utf-8"))
    assert runtime["status"] == "killed", runtime
    assert runtime["failure_reason"] == "CLI session ended"
    assert runtime["child_pgid"] == runtime["child_pid"]
    assert group_gone(runtime["child_pgid"]), "a process of the task outlived kagent"
