"""Scenarios of the workspace slash commands: /init, /add-dir, /export, /import.

Part of the core catalogue (``catalogue.py`` adds them to ``SCENARIOS``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from typing import Any

from kk_common.sandbox import Sandbox

from .scenario import Phase, Scenario
from .steps import (
    Ev,
    Expect,
    ExpectAll,
    Reply,
    Req,
    Resp,
    Step,
    call_no_params,
    external_tool,
    initialize,
    prompt,
)

USAGE = "usage: input_other=20 output=5"
# Tool-call steps carry no usage: with usage, the oracle's tools race its `_usage` write,
# so a quick tool's result lands before or after the step's StatusUpdate at random.


def _tc(tc_id: str, name: str, arguments: dict[str, Any]) -> str:
    """A scripted step that calls one tool."""
    return "tool_call: " + json.dumps(
        {"id": tc_id, "name": name, "arguments": json.dumps(arguments)}
    )


def _files(
    files: Mapping[str, str | bytes] | None = None,
    dirs: tuple[str, ...] = (),
    scripts: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
) -> Callable[[Sandbox], None]:
    """Create (or ``remove``) files and directories relative to the sandbox root, and
    expand ``{root}`` in the scripts (inside a JSON string inside JSON)."""

    def mutate(sandbox: Sandbox) -> None:
        for rel in remove:
            shutil.rmtree(sandbox.root / rel)
        for rel in dirs:
            (sandbox.root / rel).mkdir(parents=True, exist_ok=True)
        for rel, content in (files or {}).items():
            path = sandbox.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        if any("{root}" in s for s in scripts):
            root = json.dumps(json.dumps(str(sandbox.root))[1:-1])[1:-1]
            sandbox.write_scripts([s.replace("{root}", root) for s in scripts])

    return mutate


def _approve(payload: dict[str, Any]) -> Any:
    return {"request_id": payload["id"], "response": "approve"}


APPROVAL_PENDING = ExpectAll((Req("ApprovalRequest"), Ev("StatusUpdate")))


def _slash(*commands: str, first_id: int = 1) -> tuple[Step, ...]:
    return tuple(prompt(c, id=f"s{i}") for i, c in enumerate(commands, start=first_id))


# ------------------------------------------------------------------------- /export
_EXPORT_TURNS = (
    _tc("tc-g", "Glob", {"pattern": "*.md"}),
    "think: the glob is done\ntext: Found **no** markdown.\nusage: input_other=40 output=9",
    # a tool that does not exist (its hint is the first short string) and arguments that
    # are not JSON (shown raw)
    _tc("tc-x", "NoSuchTool", {"n": 3, "x": "short value"})
    + "\n"
    + 'tool_call: {"id": "tc-s", "name": "Shell", "arguments": "{bad"}',
    "think: \ntext: done\nusage: input_other=1234567 output=1",
)
EXPORT = Scenario(
    "slash_export",
    (
        Phase(
            (
                initialize(),
                prompt("/export", id="s0"),  # nothing to export yet
                prompt("look for  markdown   files, please", id="p1"),
                # afk's reminder (a system-reminder message) is left out of the export
                prompt("/afk", id="a1"),
                prompt(
                    [
                        {"type": "text", "text": "second"},
                        {"type": "text", "text": "  question"},
                    ],
                    id="p2",
                ),
                *_slash(
                    "/export",
                    "/export outdir",
                    "/export 'new/sub/'",
                    '/export "named export.md"',
                    "/export ~/in-home.md",
                    "/export blocker/x.md",
                ),
            ),
            _EXPORT_TURNS,
            mutate=_files({"work/blocker": "a file\n"}, dirs=("work/outdir",)),
        ),
    ),
    record_files=("work/**/*.md", "home/*.md"),
)

# -------------------------------------------------------------------------- /import
_NOTES = "# Notes\n\nRemember the number 7.\n"

IMPORT_FILE = Scenario(
    "slash_import_file",
    (
        Phase(
            (
                initialize(),
                *_slash(
                    "/import",
                    "/import   ",
                    "/import notes.md",
                    "/import '.env'",
                    "/import picture.PNG",
                    "/import empty.txt",
                    "/import latin1.txt",
                    "/import adir",
                    "/import big.log",
                    "/import nothing-here",
                    "/import 7b8d6c1e-0000-4000-8000-000000000000",
                    "/import ../outside/Makefile",
                ),
                prompt("what do you know?", id="p1"),
            ),
            ("text: I know 7\n" + USAGE,),
            mutate=_files(
                {
                    "work/notes.md": _NOTES,
                    "work/.env": "API_KEY=not-really\n",
                    "work/picture.PNG": b"\x89PNG\r\n",
                    "work/empty.txt": " \n\t\n",
                    "work/latin1.txt": b"caf\xe9\n",
                    "work/big.log": b"x" * (10 * 1024 * 1024 + 1),
                    "outside/Makefile": "all:\n\techo ok\n",
                },
                dirs=("work/adir",),
            ),
        ),
    ),
)

IMPORT_TOO_LARGE = Scenario(
    "slash_import_too_large",
    (
        Phase(
            (
                initialize(),
                *_slash("/import long.md", "/import short.txt", "/import short.txt"),
            ),
            mutate=_files({"work/long.md": "word " * 1000, "work/short.txt": "tiny\n"}),
        ),
    ),
    config={
        "models": {
            "echo": {"provider": "scripted", "model": "echo", "max_context_size": 400}
        }
    },
)

_SOURCE_TURN = (
    _tc("tc-r", "ReadFile", {"path": "notes.md"}),
    "think: read it\ntext: The number is 7.\nusage: input_other=60 output=7",
)

IMPORT_SESSION = Scenario(
    "slash_import_session",
    (
        # the source session: a tool call, thinking, a reply
        Phase(
            (initialize(), prompt("read my notes", id="p1")),
            _SOURCE_TURN,
            mutate=_files({"work/notes.md": _NOTES}),
        ),
        # a new session imports it by id, then talks about it
        Phase(
            (
                initialize(),
                prompt("/import {session}", id="s1"),
                prompt("which number?", id="p2"),
            ),
            ("text: 7, from the import\n" + USAGE,),
        ),
        # the source session cannot import itself
        Phase(
            (initialize(), prompt("/import {session}", id="s2")),
            args=("-S", "{session}"),
        ),
    ),
    cross_plans=(("oracle", "kagent", "kagent"),),
)

IMPORT_EMPTY_SESSION = Scenario(
    "slash_import_empty_session",
    (
        # a session with turns but no message (an empty one is removed at exit)
        Phase((initialize(), prompt("/yolo", id="s0"))),
        Phase((initialize(), prompt("/import {session}", id="s1"))),
    ),
)

# ------------------------------------------------------------------------- /add-dir
_EXTRA = {
    "extra/a.txt": "alpha\n",
    "extra/inner/b.txt": "beta\n",
    "work/sub/c.txt": "gamma\n",
}
_USE_EXTRA = (
    # relative paths into the added directory count as inside the workspace (one tool per
    # step: the oracle runs a step's tools concurrently, their results come in a racy order)
    _tc("tc-r", "ReadFile", {"path": "../extra/a.txt"}),
    _tc("tc-g", "Glob", {"pattern": "*.txt", "directory": "{root}/extra"}),
    _tc("tc-w", "WriteFile", {"path": "../extra/new.txt", "content": "written\n"}),
    "text: used the extra dir",
)

ADD_DIR = Scenario(
    "slash_add_dir",
    (
        Phase(
            (
                initialize(),
                *_slash(
                    "/add-dir",
                    "/add-dir ../nope",
                    "/add-dir ../extra/a.txt",
                    "/add-dir sub",
                    "/add-dir .",
                    "/add-dir /proc/1/map_files",
                    "/add-dir '../extra'",
                    "/add-dir ../extra/",
                    "/add-dir ../extra/inner",
                    "/add-dir",
                ),
                prompt("use the extra dir", id="p1", wait=False),
                APPROVAL_PENDING,
                Reply("ApprovalRequest", _approve),
                Expect(Resp("p1")),
            ),
            _USE_EXTRA,
            mutate=_files(_EXTRA, scripts=_USE_EXTRA),
        ),
        # resumed: the directory is still in the workspace
        Phase(
            (
                initialize(),
                prompt("/add-dir", id="s1"),
                prompt("read it back", id="p2"),
            ),
            (
                _tc("tc-r2", "ReadFile", {"path": "../extra/new.txt"}),
                "text: read back",
            ),
            args=("-C",),
        ),
    ),
    cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
)

# Without the directory in the workspace, a relative path outside is refused, Glob refuses
# the directory and an absolute path needs the "outside" approval.
_OUTSIDE = (
    _tc("tc-r", "ReadFile", {"path": "../extra/a.txt"})
    + "\n"
    + _tc("tc-g", "Glob", {"pattern": "*.txt", "directory": "{root}/extra"}),
    _tc("tc-w", "WriteFile", {"path": "{root}/extra/new.txt", "content": "x\n"}),
    "text: done",
)

OUTSIDE_WITHOUT_ADD_DIR = Scenario(
    "slash_add_dir_not_added",
    (
        Phase(
            (
                initialize(),
                prompt("use the extra dir", id="p1", wait=False),
                APPROVAL_PENDING,
                Reply("ApprovalRequest", _approve),
                Expect(Resp("p1")),
            ),
            _OUTSIDE,
            mutate=_files(_EXTRA, scripts=_OUTSIDE),
        ),
    ),
)

CLI_ADD_DIR = Scenario(
    "cli_add_dir",
    (
        Phase(
            (
                initialize(),
                prompt("/add-dir", id="s1"),
                prompt("read outside", id="p1"),
            ),
            (
                _tc("tc-r", "ReadFile", {"path": "../extra/a.txt"}),
                _tc("tc-r2", "ReadFile", {"path": "../extra2/d.txt"}),
                "text: both read",
            ),
            args=(
                "--add-dir",
                "../extra",
                "--add-dir",
                "sub",
                "--add-dir",
                "../extra2",
            ),
            mutate=_files({**_EXTRA, "extra2/d.txt": "delta\n"}),
        ),
        # resumed after extra2 is gone: pruned from the state; --add-dir again is no dup
        Phase(
            (initialize(), prompt("/add-dir", id="s2")),
            args=("-C", "--add-dir", "../extra"),
            mutate=_files(remove=("extra2",)),
        ),
    ),
    cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
)

CLI_ADD_DIR_MISSING = Scenario(
    "cli_add_dir_missing",
    (Phase((initialize(),), args=("--add-dir", "../missing")),),
    compare_files=False,
    stderr_pattern=r"Invalid value for '--add-dir': Directory '[^']*' does not exist\.",
)

# --------------------------------------------------------------------------- /init
_INIT_WRITES = (
    _tc(
        "tc-w",
        "WriteFile",
        {"path": "AGENTS.md", "content": "# Demo project\n\nBuild with `make`.\n"},
    ),
    "text: I wrote AGENTS.md\nusage: input_other=80 output=6",
    "text: Hello again\nusage: input_other=90 output=3",
)

INIT = Scenario(
    "slash_init",
    (
        Phase(
            (
                initialize(),
                prompt("/init", id="s1", wait=False),
                APPROVAL_PENDING,
                Reply("ApprovalRequest", _approve),
                Expect(Resp("s1")),
                prompt("what did you learn?", id="p1"),
            ),
            _INIT_WRITES,
            mutate=_files({"work/Makefile": "all:\n\techo build\n"}),
        ),
    ),
    record_files=("work/AGENTS.md",),
)

INIT_NOTHING_WRITTEN = Scenario(
    "slash_init_nothing_written",
    (
        Phase(
            (initialize(), prompt("/init", id="s1")),
            ("text: there is nothing to document",),
        ),
    ),
)

INIT_KEEPS_TITLE = Scenario(
    "slash_init_after_turn",
    (
        Phase(
            (
                initialize(),
                prompt("hello first", id="p1"),
                prompt("/init", id="s1"),
            ),
            ("text: Hello\n" + USAGE, "text: nothing new"),
            mutate=_files({"work/AGENTS.md": "Existing notes.\n"}),
            args=("--yolo",),
        ),
    ),
)

# The nested turn has no turn hooks (its Stop hook would run it on), but its tools keep
# theirs (the PreToolUse hook refuses the write); the outer turn's Stop hook runs after /init.
INIT_HOOKS = Scenario(
    "slash_init_hooks",
    (
        Phase(
            (initialize(), prompt("/init", id="s1")),
            (
                _tc("tc-w", "WriteFile", {"path": "AGENTS.md", "content": "x\n"}),
                "text: the hook refused the write",
                "text: going on after the stop hook",
            ),
            args=("--yolo",),
        ),
    ),
    config={
        "hooks": [
            {
                "event": "PreToolUse",
                "command": "echo 'no writes' >&2; exit 2",
                "matcher": "WriteFile",
            },
            {"event": "Stop", "command": "echo 'keep going' >&2; exit 2"},
        ]
    },
)

# Cancelled while the nested turn waits for an external tool: both turns end, the context
# gets nothing, the next prompt works.
INIT_CANCELLED = Scenario(
    "slash_init_cancelled",
    (
        Phase(
            (
                initialize(external_tools=[external_tool("lookup")]),
                prompt("/init", id="s1", wait=False),
                Expect(Req("ToolCallRequest")),
                call_no_params("cancel", id="x1"),
                Expect(Resp("s1")),
                prompt("after cancel", id="p1"),
            ),
            (
                _tc("tc-l", "lookup", {"q": "x"}),
                "text: fresh turn",
            ),
        ),
    ),
)

SLASH_SCENARIOS: list[Scenario] = [
    EXPORT,
    IMPORT_FILE,
    IMPORT_TOO_LARGE,
    IMPORT_SESSION,
    IMPORT_EMPTY_SESSION,
    ADD_DIR,
    OUTSIDE_WITHOUT_ADD_DIR,
    CLI_ADD_DIR,
    CLI_ADD_DIR_MISSING,
    INIT,
    INIT_NOTHING_WRITTEN,
    INIT_KEEPS_TITLE,
    INIT_HOOKS,
    INIT_CANCELLED,
]
