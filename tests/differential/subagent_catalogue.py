"""Differential scenarios for the `Agent` tool (subagents) with the real default agent.

The scripted echo provider drives the parent and the subagent from one queue: the parent's
step calls `Agent`, the next scripts are the subagent's steps, then the parent's again.
Each scenario compares the wire transcript and every session file, the subagent
instance's own files included (`subagents/<id>/meta.json`, `context.jsonl`, `wire.jsonl`,
and its `output` and `prompt.txt`).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from kk_common.sandbox import Sandbox

from .scenario import Phase, Scenario
from .steps import (
    LOG_HOOK_STDIN,
    Act,
    Expect,
    Reply,
    Req,
    Resp,
    Signal,
    Step,
    call,
    hook_log_has,
    initialize,
    prompt,
)
from .tools_catalogue import APPROVAL_PENDING, DONE, answer, approve, setup, tc

# a final answer of 200 characters or more: no request for a longer summary
LONG = "text: " + "The file says hello. " * 10
SHORT = "text: hello"
SUBAGENT_FILES = ("share/**/subagents/*/output", "share/**/subagents/*/prompt.txt")


def agent(tc_id: str, **arguments: Any) -> str:
    args = {"description": "look around", "prompt": "Read a.txt and report."}
    args.update(arguments)
    return tc(tc_id, "Agent", args)


def subagent_scenario(
    name: str,
    *steps: Step,
    scripts: tuple[str, ...],
    files: dict[str, str | bytes] | None = None,
    **kwargs: Any,
) -> Scenario:
    return Scenario(
        name,
        (Phase(tuple(steps), scripts, mutate=setup(files or {"a.txt": "hello\n"}, scripts)),),
        record_files=SUBAGENT_FILES,
        **kwargs,
    )


def _resume_scripts(sandbox: Sandbox) -> None:
    """The second phase resumes the instance the first one made: its id goes into the
    scripts (``{agent}``) once it exists."""
    [session] = sandbox.session_dirs()
    [instance] = sorted((session / "subagents").iterdir())
    sandbox.write_scripts(
        [s.replace("{agent}", instance.name) for s in RESUME_SCRIPTS]
    )


def _git_repo(scripts: tuple[str, ...]) -> Callable[[Sandbox], None]:
    """The work dir as a git repository for an explore subagent's `<git-context>`: an origin
    on a public host with credentials in its URL (they must not be shown), a branch of its
    own, three commits of fixed authors and dates (the same hashes in every sandbox) and 23
    dirty files (more than the 20 named)."""
    write_files = setup({"a.txt": "hello\n"}, scripts)

    def mutate(sandbox: Sandbox) -> None:
        import subprocess

        write_files(sandbox)
        env = {
            "GIT_AUTHOR_NAME": "K", "GIT_AUTHOR_EMAIL": "k@example.com",
            "GIT_COMMITTER_NAME": "K", "GIT_COMMITTER_EMAIL": "k@example.com",
            "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
            "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": os.environ["PATH"],
        }

        def git(*args: str) -> None:
            subprocess.run(["git", "-C", str(sandbox.work), *args], env=env, check=True,
                           capture_output=True)

        git("init", "-q", "-b", "main")
        git("remote", "add", "origin", "https://someone:secret@github.com/kimi-kernel/demo.git")
        for n in range(3):
            (sandbox.work / f"c{n}.txt").write_text(f"{n}\n", encoding="utf-8")
            git("add", f"c{n}.txt")
            git("commit", "-q", "-m", f"commit number {n}: " + "long subject " * 20)
        git("checkout", "-q", "-b", "feature/explore")
        for n in range(23):
            (sandbox.work / f"dirty{n:02}.txt").write_text("x\n", encoding="utf-8")

    return mutate


EXPLORE_SCRIPTS = (agent("c1", subagent_type="explore"), LONG, DONE)


# a Shell command that returns 1.5 s after an agent task of the sandbox has ended: both
# kernels send the client a notification within a second while a turn runs, so it arrives
# during this call, never in a race with the end of the turn
WAIT_AGENT_TASKS = (
    "until grep -qsE 'completed|failed|killed' {root}/share/sessions/*/*/tasks/agent-*/runtime.json;"
    " do sleep 0.05; done; sleep 1.5; echo ended"
)
BACKGROUND_SCRIPTS = (
    agent("c1", run_in_background=True, subagent_type="explore")
    + "\n"
    + tc("c2", "Shell", {"command": WAIT_AGENT_TASKS}),
    LONG,
    DONE,
)
TIMEOUT_SCRIPTS = (
    agent("c1", run_in_background=True, timeout=30)
    + "\n"
    + tc("c2", "Shell", {"command": WAIT_AGENT_TASKS, "timeout": 120}),
    tc("s1", "Shell", {"command": "sleep 50", "timeout": 120}),
    DONE,
)
# the parent's tool waits until the background agent has started its command
WAIT_AGENT_COMMAND = (
    "until grep -qsF '[tool] Shell' {root}/share/sessions/*/*/subagents/*/output;"
    " do sleep 0.05; done; echo started"
)


def _background_agent_runs(command: str) -> tuple[str, ...]:
    """Scripts: the parent launches a background agent and waits until it runs `command`."""
    return (
        agent("c1", run_in_background=True)
        + "\n"
        + tc("c2", "Shell", {"command": WAIT_AGENT_COMMAND}),
        tc("s1", "Shell", {"command": command}),
        DONE,
    )


SESSION_END_SCRIPTS = _background_agent_runs("sleep 30")
# the kernel is killed (SIGKILL) while the agent's command runs
KILLED_SCRIPTS = _background_agent_runs("sleep 8")
BACKGROUND_LOOK = (
    tc("c3", "TaskOutput", {"task_id": "{task:look around}"}),
    tc("c4", "TaskList", {"active_only": False}),
    DONE,
)


BACKGROUND_RESUME_SCRIPTS = (
    agent("c5", description="go on", prompt="And again.", resume="{agent}", run_in_background=True)
    + "\n"
    + tc(
        "c6",
        "Shell",
        {
            "command": "until [ $(grep -lsE 'completed|failed|killed' "
            "{root}/share/sessions/*/*/tasks/agent-*/runtime.json | wc -l) -ge 2 ];"
            " do sleep 0.05; done; sleep 1.5; echo ended"
        },
    ),
    LONG,
    DONE,
)


def _resume_background(sandbox: Sandbox) -> None:
    """The instance's id (``{agent}``) and the sandbox root (``{root}``) in the scripts."""
    [session] = sandbox.session_dirs()
    [instance] = sorted((session / "subagents").iterdir())
    scripts = tuple(s.replace("{agent}", instance.name) for s in BACKGROUND_RESUME_SCRIPTS)
    setup({}, scripts)(sandbox)


def _task_scripts(scripts: tuple[str, ...]) -> Callable[[Sandbox], None]:
    def mutate(sandbox: Sandbox) -> None:
        from .background_catalogue import with_task_ids

        with_task_ids(scripts)(sandbox)

    return mutate

BACKGROUND_FILES = (*SUBAGENT_FILES, "share/**/tasks/*/output.log")


def background_scenario(
    name: str,
    scripts: tuple[str, ...],
    then: Phase | None = None,
    **kwargs: Any,
) -> Scenario:
    """A prompt (with --yolo) whose scripts launch a background agent, and optionally a
    second process (`then`) on the same session; the task's output.log is compared too."""
    first = Phase(
        (initialize(), prompt("delegate", id="p1")),
        scripts,
        ("--yolo",),
        mutate=setup({"a.txt": "hello\n"}, scripts),
    )
    phases = (first,) if then is None else (first, then)
    return Scenario(name, phases, record_files=BACKGROUND_FILES, **kwargs)


def killed_mid_task() -> Scenario:
    first = Phase(
        (
            initialize(),
            prompt("delegate", id="p1"),
            Act(
                "the turn and the agent's step are written",
                _until_on_disk((_PARENT_WIRE, '"TurnEnd"'), *_SUBAGENT_STEP_WRITTEN[:2]),
            ),
            Signal(signal.SIGKILL),
        ),
        KILLED_SCRIPTS,
        ("--yolo",),
        mutate=setup({"a.txt": "hello\n"}, KILLED_SCRIPTS),
    )
    return Scenario(
        "subagent_background_kernel_killed",
        (first, look_at_the_task()),
        record_files=BACKGROUND_FILES,
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    )


def _written(sandbox: Sandbox, pattern: str, *needles: str) -> bool:
    """Some file of the share dir matching `pattern` has a line holding every needle."""
    for path in sandbox.share.glob(pattern):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if all(n in line for n in needles):
                return True
    return False


def _until_on_disk(*wanted: tuple[str, ...]) -> Callable[[Sandbox], None]:
    """An Act that waits (up to 60 s) until each (pattern, needle...) is written: the oracle's
    wire recorder writes behind its events, and a SIGKILL must find the same files on both
    kernels."""

    def wait(sandbox: Sandbox) -> None:
        import time

        deadline = time.monotonic() + 60
        while not all(_written(sandbox, *w) for w in wanted):
            if time.monotonic() > deadline:
                raise TimeoutError(f"not written within 60 s: {wanted}")
            time.sleep(0.05)

    return wait


_SUBAGENT_OUTPUT = "sessions/*/*/subagents/*/output"
_SUBAGENT_WIRE = "sessions/*/*/subagents/*/wire.jsonl"
_PARENT_WIRE = "sessions/*/*/wire.jsonl"
# the subagent runs its command, and both wire files hold its step (its StatusUpdate)
_SUBAGENT_STEP_WRITTEN = (
    (_SUBAGENT_OUTPUT, "[tool] Shell"),
    (_SUBAGENT_WIRE, '"StatusUpdate"'),
    (_PARENT_WIRE, '"SubagentEvent"', '"StatusUpdate"'),
)


def killed_mid_foreground() -> Scenario:
    """The kernel is killed while a foreground subagent runs a command; the next process
    finds the instance left running_foreground, marks it failed, and it can be resumed."""
    scripts = (agent("c1"), tc("s1", "Shell", {"command": "sleep 8"}), LONG, DONE)
    first = Phase(
        (
            initialize(),
            prompt("delegate", id="p1", wait=False),
            Act("the subagent's step is written", _until_on_disk(*_SUBAGENT_STEP_WRITTEN)),
            Signal(signal.SIGKILL),
        ),
        scripts,
        ("--yolo",),
        mutate=setup({"a.txt": "hello\n"}, scripts),
    )
    again = Phase(
        (initialize(), prompt("again", id="p2")),
        RESUME_SCRIPTS,
        ("-S", "{session}"),
        mutate=_resume_scripts,
    )
    return Scenario(
        "subagent_foreground_kernel_killed",
        (first, again),
        record_files=SUBAGENT_FILES,
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    )


def look_at_the_task() -> Phase:
    """The session resumed: TaskOutput and TaskList on the task by its id."""
    return Phase(
        (initialize(), prompt("look at it", id="p2")),
        BACKGROUND_LOOK,
        ("-S", "{session}", "--yolo"),
        mutate=_task_scripts(BACKGROUND_LOOK),
    )



RESUME_SCRIPTS = (
    agent("c2", description="go on", prompt="And again.", resume="{agent}", subagent_type="explore"),
    LONG,
    DONE,
)

SUBAGENT_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        # a new coder instance: one tool step, a short answer asked once for more, the
        # parent's summary of it
        subagent_scenario(
            "subagent_foreground",
            initialize(),
            prompt("delegate", id="p1"),
            scripts=(
                agent("c1", subagent_type="coder"),
                tc("s1", "ReadFile", {"path": "a.txt"}),
                SHORT,
                LONG,
                DONE,
            ),
        ),
        # a new explore instance: its prompt starts with the work dir's <git-context> (the
        # subagent's prompt.txt and context are compared)
        Scenario(
            "subagent_explore_git_context",
            (Phase((initialize(), prompt("explore", id="p1")), EXPLORE_SCRIPTS,
                   mutate=_git_repo(EXPLORE_SCRIPTS)),),
            record_files=SUBAGENT_FILES,
        ),
        # SubagentStart and SubagentStop config hooks get the type, the prompt and the answer
        # (their stdin is logged; a blocked prompt shows the log). SubagentStop is not waited
        # for: its command takes 0.3 s, so it resolves while the parent's next step sleeps 1 s
        # on either kernel (a faster one would race the end of the turn).
        Scenario(
            "hook_subagent_start_stop",
            (
                Phase(
                    (
                        initialize(),
                        prompt("delegate", id="p1"),
                        hook_log_has("SubagentStop"),
                        prompt("show log", id="p2"),
                    ),
                    (
                        agent("c1", subagent_type="coder"),
                        LONG,
                        tc("s2", "Shell", {"command": "sleep 1"}),
                        DONE,
                    ),
                    ("--yolo",),
                    mutate=setup({"a.txt": "hello\n"}),
                ),
            ),
            config={
                "hooks": [
                    {"event": "SubagentStart", "command": LOG_HOOK_STDIN, "matcher": "coder"},
                    {"event": "SubagentStop", "command": "sleep 0.3; " + LOG_HOOK_STDIN},
                    {"event": "UserPromptSubmit", "command": "cat hooklog.txt >&2; exit 2",
                     "matcher": "^show log$"},
                ]
            },
            record_files=SUBAGENT_FILES,
        ),
        # what cannot run: an unknown type, an unknown instance, an unknown model alias, and
        # a subagent's answer that stays short after the one request for more
        subagent_scenario(
            "subagent_errors",
            initialize(),
            prompt("delegate badly", id="p1"),
            scripts=(
                agent("c1", subagent_type="nope"),
                agent("c2", resume="a0badc0de"),
                agent("c3", model="no-such-model"),
                agent("c4", description=7),
                agent("c5", subagent_type="plan", timeout=5),
                agent("c6", subagent_type="plan"),
                SHORT,
                SHORT,
                DONE,
            ),
        ),
        # a Shell command inside the subagent asks the same client, with the run's source
        subagent_scenario(
            "subagent_approval",
            initialize(),
            prompt("delegate", id="p1", wait=False),
            Reply("ApprovalRequest", answer("approve")),
            Expect(Resp("p1")),
            scripts=(
                agent("c1"),
                tc("s1", "Shell", {"command": "cat a.txt"}),
                LONG,
                DONE,
            ),
        ),
        # a background instance: the launch answer at once; the parent's next tool waits
        # (in the same step) until the task has ended, so the scripted queue is the
        # subagent's meanwhile; the notification reaches the parent's next step; the session
        # resumed looks at the task with TaskOutput and TaskList
        background_scenario(
            "subagent_background",
            BACKGROUND_SCRIPTS,
            look_at_the_task(),
            cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
        ),
        # a background agent's WriteFile asks the root's client, with the task as its source
        # (the parent's Shell was approved for the session before, so only the agent asks)
        subagent_scenario(
            "subagent_background_approval",
            initialize(),
            prompt("delegate", id="p1", wait=False),
            APPROVAL_PENDING,
            approve("approve_for_session"),
            Expect(Req("ApprovalRequest")),
            approve("approve"),
            Expect(Resp("p1")),
            scripts=(
                tc("c0", "Shell", {"command": "true"}),
                agent("c1", run_in_background=True)
                + "\n"
                + tc("c2", "Shell", {"command": WAIT_AGENT_TASKS}),
                tc("s1", "WriteFile", {"path": "out.txt", "content": "written\n"}),
                LONG,
                DONE,
            ),
        ),
        # what a background launch refuses: an unknown type, an unknown instance, a busy one
        # (the instance the first call made is still running when the second resumes it)
        subagent_scenario(
            "subagent_background_errors",
            initialize(),
            prompt("delegate badly", id="p1"),
            scripts=(
                agent("c1", run_in_background=True, subagent_type="nope"),
                agent("c2", run_in_background=True, resume="a0badc0de"),
                agent("c3", run_in_background=True, model="no-such-model"),
                DONE,
            ),
        ),
        # an instance made in the background is resumed in the background by the next process
        background_scenario(
            "subagent_background_resume",
            BACKGROUND_SCRIPTS,
            Phase(
                (initialize(), prompt("again", id="p2")),
                BACKGROUND_RESUME_SCRIPTS,
                ("-S", "{session}", "--yolo"),
                mutate=_resume_background,
            ),
            cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
        ),
        # a background agent past the call's timeout (30 s, the least allowed): the task
        # fails as timed out, the instance too; the parent hears of it in its next step
        background_scenario("subagent_background_timeout", TIMEOUT_SCRIPTS),
        # the session ends while a background agent runs a command: the task is killed with
        # the session's reason, the instance too; the next process sees it and its notification
        background_scenario(
            "subagent_background_session_end", SESSION_END_SCRIPTS, look_at_the_task()
        ),
        # the kernel is killed while a background agent runs: the next process (either kernel)
        # finds the task no process runs and ends it as lost, the instance as failed, and the
        # model hears of it
        killed_mid_task(),
        # the same with a foreground subagent: its instance is failed at the next start
        killed_mid_foreground(),
        # an instance made in one process is resumed by agent_id in the next (also across
        # kernels: the instance's files are the same)
        Scenario(
            "subagent_resume",
            (
                Phase(
                    (initialize(), prompt("delegate", id="p1")),
                    (agent("c1"), LONG, DONE),
                    mutate=setup({"a.txt": "hello\n"}),
                ),
                Phase(
                    (initialize(), prompt("again", id="p2")),
                    RESUME_SCRIPTS,
                    ("-S", "{session}"),
                    mutate=_resume_scripts,
                ),
            ),
            record_files=SUBAGENT_FILES,
            cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
        ),
    ]
}

# A cancel of the parent turn while the subagent waits for an approval. Not compared with
# the oracle: kimi-cli 1.51 leaves the foreground subagent's soul task running when its
# parent turn is cancelled (`asyncio.wait` does not cancel it), so the orphan takes the
# rejected approval, asks the model again (eating the next turn's script) and writes on into
# its context. kagent stops the subagent with the parent turn (test_subagent_scenarios).
SUBAGENT_CANCEL = subagent_scenario(
    "subagent_cancel",
    initialize(),
    prompt("delegate", id="p1", wait=False),
    Expect(Req("ApprovalRequest")),
    call("cancel", id="x1"),
    Expect(Resp("p1")),
    prompt("next", id="p2"),
    scripts=(
        agent("c1"),
        tc("s1", "Shell", {"command": "cat a.txt"}),
        "text: next turn",
    ),
)
