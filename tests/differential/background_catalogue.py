"""Differential scenarios for background tasks: ``Shell(run_in_background=true)``, the
notifications of ended tasks, ``TaskList``/``TaskOutput``/``TaskStop``, and what happens to
a task still running when the session ends.

Task ids are random, and the scripted model cannot read them from a tool result: a later
phase (the session resumed) gets them through ``{task:<description>}`` in its scripts,
filled in from the session's ``tasks/*/spec.json`` before the process starts.  The oracle
runs each command under a worker process it starts first, so a scenario waits (an ``Act``
that watches ``runtime.json``) instead of guessing how long that takes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kk_common.sandbox import Sandbox

from .scenario import Phase, Scenario
from .steps import Act, Expect, Resp, Step, initialize, prompt
from .tools_catalogue import APPROVAL_PENDING, DONE, approve, tc

TERMINAL = {"completed", "failed", "killed", "lost"}
WAIT_S = 30.0


def bg(tc_id: str, command: str, description: str, **extra: Any) -> str:
    args = {"command": command, "run_in_background": True, "description": description}
    return tc(tc_id, "Shell", {**args, **extra})


def task_files(sandbox: Sandbox) -> list[Path]:
    return [
        task
        for session in sandbox.session_dirs()
        for task in sorted((session / "tasks").glob("*"))
        if (task / "spec.json").is_file()
    ]


def wait_tasks(done: Callable[[str], bool], label: str) -> Act:
    """Wait until every task's status satisfies ``done`` (at most ``WAIT_S``)."""

    def action(sandbox: Sandbox) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            statuses = []
            for task in task_files(sandbox):
                try:
                    runtime = json.loads((task / "runtime.json").read_text("utf-8"))
                except (OSError, ValueError):
                    statuses.append("")
                    continue
                statuses.append(runtime.get("status", ""))
            if statuses and all(done(s) for s in statuses):
                return
            time.sleep(0.05)
        raise AssertionError(f"background tasks not {label} after {WAIT_S}s")

    return Act(f"wait until the background tasks are {label}", action)


ENDED = wait_tasks(lambda s: s in TERMINAL, "ended")
RUNNING = wait_tasks(lambda s: s == "running", "running")


def with_task_ids(scripts: tuple[str, ...]) -> Callable[[Sandbox], None]:
    """Write ``scripts`` with ``{task:<description>}`` replaced by that task's id."""

    def mutate(sandbox: Sandbox) -> None:
        ids = {}
        for task in task_files(sandbox):
            spec = json.loads((task / "spec.json").read_text("utf-8"))
            ids[spec["description"]] = spec["id"]
        out = []
        for script in scripts:
            for description, task_id in ids.items():
                script = script.replace("{task:" + description + "}", task_id)
            out.append(script)
        sandbox.write_scripts(out)

    return mutate


def resumed(*steps: Step, scripts: tuple[str, ...], args: tuple[str, ...] = ()) -> Phase:
    return Phase(
        (initialize(), *steps),
        scripts,
        ("-S", "{session}", *args),
        mutate=with_task_ids(scripts),
    )


BACKGROUND_SCENARIOS: list[Scenario] = [
    # success, failure and timeout; their notifications in the next turn; bad input
    Scenario(
        "tool_background_shell_ends",
        (
            Phase(
                (
                    initialize(),
                    prompt("go", id="p1", wait=False),
                    APPROVAL_PENDING,
                    # "run background command" for the session: the next two do not ask
                    approve("approve_for_session"),
                    Expect(Resp("p1")),
                    ENDED,
                    prompt("what happened?", id="p2"),
                ),
                # the tasks end 2 s apart (bad, slow, ok): the order of their notifications
                # and of TaskList (latest update first) must not depend on how fast the
                # oracle's worker processes start on a loaded machine
                (
                    bg("c1", "sleep 4; echo out; echo err >&2", "ok task"),
                    bg("c2", "echo bad; exit 3", "bad task"),
                    bg("c3", "echo slow; sleep 30", "slow task", timeout=2),
                    DONE,
                    tc("c4", "TaskList", {}),
                    tc("c5", "TaskList", {"active_only": False, "limit": 2}),
                    tc("c6", "TaskOutput", {"task_id": "bash-00000000"}),
                    tc("c7", "TaskStop", {"task_id": "nope"}),
                    tc("c8", "TaskOutput", {"task_id": 5, "block": "x", "timeout": -1}),
                    tc("c9", "TaskStop", {}),
                    tc("c10", "TaskList", {"limit": 0, "active_only": "all"}),
                    DONE,
                ),
            ),
            # the session resumed: the ended tasks by id
            resumed(
                prompt("look", id="p3"),
                scripts=(
                    tc("c11", "TaskOutput", {"task_id": "{task:ok task}"}),
                    tc(
                        "c12",
                        "TaskOutput",
                        {"task_id": "{task:bad task}", "block": True, "timeout": 5},
                    ),
                    tc("c13", "TaskOutput", {"task_id": "{task:slow task}"}),
                    tc("c14", "TaskStop", {"task_id": "{task:ok task}"}),
                    DONE,
                ),
                args=("--yolo",),
            ),
        ),
        # the session continues on the other kernel: same files, same notifications
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    ),
    # /compact while a task runs: the compacted context ends with the still-active tasks
    Scenario(
        "tool_background_compaction",
        (
            Phase(
                (
                    initialize(),
                    prompt("go", id="p1"),
                    RUNNING,
                    prompt("more", id="p2"),
                    prompt("/compact", id="p3"),
                ),
                (
                    bg("c1", "echo started; sleep 30", "long task"),
                    DONE,
                    "text: second answer",
                    "text: compacted summary\nusage: input_other=50 output=10",
                ),
                ("--yolo",),
            ),
        ),
    ),
    # a task still running when the session ends is stopped (no process left behind)
    Scenario(
        "tool_background_session_end",
        (
            Phase(
                (
                    initialize(),
                    prompt("go", id="p1"),
                    RUNNING,
                ),
                (bg("c1", "echo started; sleep 30", "long task"), DONE),
                ("--yolo",),
            ),
        ),
    ),
]
