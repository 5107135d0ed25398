"""Differential scenarios for the built-in tools, approvals, questions and external tools.

Every scenario drives the scripted echo provider to call tools and compares the wire
transcript and session files of kagent with the oracle's.  Files the tools work on are
created by a phase ``mutate`` hook; ``{root}`` in scripts becomes the sandbox root, so
scenarios can name absolute paths inside and outside the work dir.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kk_common.sandbox import Sandbox

from . import kernels
from .scenario import Phase, Scenario
from .steps import (
    Ev,
    Expect,
    ExpectAll,
    Reply,
    Req,
    Resp,
    Step,
    call,
    external_tool,
    initialize,
    prompt,
    tool_ok,
)

JsonObj = dict[str, Any]
DONE = "text: done"
# a valid 1x1 RGBA PNG
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def tc(tc_id: str, name: str, arguments: JsonObj | list[Any] | str) -> str:
    """A scripted step that calls one tool."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return "tool_call: " + json.dumps({"id": tc_id, "name": name, "arguments": args})


def answer(
    response: str = "approve", feedback: str | None = None
) -> Callable[[JsonObj], Any]:
    def build(payload: JsonObj) -> Any:
        result: JsonObj = {"request_id": payload["id"], "response": response}
        if feedback is not None:
            result["feedback"] = feedback
        return result

    return build


def answers(mapping: dict[str, str]) -> Callable[[JsonObj], Any]:
    def build(payload: JsonObj) -> Any:
        return {"request_id": payload["id"], "answers": mapping}

    return build


# The request and the step's StatusUpdate (the oracle's order between them is racy).
APPROVAL_PENDING: ExpectAll = ExpectAll((Req("ApprovalRequest"), Ev("StatusUpdate")))
QUESTION_PENDING: ExpectAll = ExpectAll((Req("QuestionRequest"), Ev("StatusUpdate")))


def approve(response: str = "approve", feedback: str | None = None) -> Reply:
    return Reply("ApprovalRequest", answer(response, feedback))


def setup(
    files: dict[str, str | bytes] | None = None,
    scripts: tuple[str, ...] = (),
    needs_rg: bool = False,
    links: dict[str, str] | None = None,
) -> Callable[[Sandbox], None]:
    """Create work-dir files (paths may start with ``../`` for outside files) and expand
    ``{root}`` in the scripts.  ``needs_rg`` puts the located ripgrep where the oracle looks
    first (``$KIMI_SHARE_DIR/bin/rg``), so its Grep runs a known rg."""

    def mutate(sandbox: Sandbox) -> None:
        if needs_rg:
            rg = kernels.ripgrep()
            (sandbox.share / "bin").mkdir(parents=True, exist_ok=True)
            link = sandbox.share / "bin" / "rg"
            if not link.exists():
                link.symlink_to(rg)
        for rel, content in (files or {}).items():
            path = sandbox.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        for rel, target in (links or {}).items():
            (sandbox.work / rel).symlink_to(target)
        if any("{root}" in s for s in scripts):
            root = json.dumps(str(sandbox.root))[1:-1]
            # the path sits inside a JSON string that is itself inside JSON
            root = json.dumps(root)[1:-1]
            sandbox.write_scripts([s.replace("{root}", root) for s in scripts])

    return mutate


def tools_scenario(
    name: str,
    *steps: Step,
    scripts: tuple[str, ...],
    files: dict[str, str | bytes] | None = None,
    args: tuple[str, ...] = (),
    needs_rg: bool = False,
    links: dict[str, str] | None = None,
    **kwargs: Any,
) -> Scenario:
    return Scenario(
        name,
        (
            Phase(
                tuple(steps),
                scripts,
                args,
                mutate=setup(files, scripts, needs_rg, links),
            ),
        ),
        **kwargs,
    )


def approved_turn(prompt_id: str = "p1", *replies: Reply) -> tuple[Step, ...]:
    """A prompt whose tool calls ask for approval; each reply answers one request."""
    steps: list[Step] = [prompt("go", id=prompt_id, wait=False)]
    for r in replies:
        steps.append(APPROVAL_PENDING)
        steps.append(r)
    steps.append(Expect(Resp(prompt_id)))
    return tuple(steps)


def quick_turn(prompt_id: str = "p1") -> tuple[Step, ...]:
    return (prompt("go", id=prompt_id),)


THREE_LINES = "first line\nsecond line\nthird line\n"
SHELL_ECHO = tc("c1", "Shell", {"command": "echo hi; echo oops >&2; exit 3"})
WRITE_NEW = tc("c1", "WriteFile", {"path": "new.txt", "content": "hello\nworld\n"})
READ_NEW = tc("c2", "ReadFile", {"path": "new.txt"})

GREP_FILES: dict[str, str | bytes] = {
    "src/app.py": (
        "def main():\n    print('Hello')\n    return 0\n\n\nclass App:\n    def run(self):\n        main()\n"
    ),
    "notes.txt": "TODO: one\nnothing here\ntodo: two\n",
    ".env": "SECRET=todo\n",
    ".ignore": "build/\n",
    "build/out.txt": "TODO build\n",
}

# Each side-effecting built-in tool, rejected: nothing may change on disk (checked by
# test_tools_scenarios.test_rejected_side_effects_leave_no_trace).
REJECT_EVERY_SIDE_EFFECT = "tool_reject_every_side_effect"
SIDE_EFFECT_FILES: dict[str, str | bytes] = {"keep.txt": "keep me\n"}

BAD_SCHEMAS: list[JsonObj] = [
    {"type": "nope"},
    {"properties": []},
    {"required": "x"},
    {"minItems": -1},
    {"properties": {"a": {"type": 5}}},
    {"enum": 3},
    {"items": 3},
    {"type": ["string", "string"]},
    {"additionalProperties": 1},
    {"$ref": 5},
    {"pattern": 5},
    {"type": "object", "properties": {"q": {"type": "string", "minLength": "x"}}},
    {"$id": "x#frag"},
    {"$anchor": "9bad"},
    {"allOf": []},
    {"anyOf": [{"type": "bogus"}]},
    {"maximum": "high"},
    {"multipleOf": 0},
    {
        "type": "object",
        "description": "a fairly long description " * 5,
        "properties": {"q": 1},
    },
    {"required": ["a", "a"]},
    {"dependentRequired": {"a": [1]}},
    {"$defs": {"x": {"type": []}}},
    {"type": "object", "properties": {"q": {"type": "string"}}},
]

TOOLS_SCENARIOS: list[Scenario] = [
    # ----------------------------------------------------------------- Shell + approvals
    tools_scenario(
        "tool_shell_approve",
        initialize(),
        *approved_turn("p1", approve()),
        scripts=(SHELL_ECHO, DONE),
    ),
    tools_scenario(
        "tool_shell_reject",
        initialize(),
        *approved_turn("p1", approve("reject")),
        scripts=(SHELL_ECHO, DONE),
    ),
    tools_scenario(
        "tool_shell_reject_with_feedback",
        initialize(),
        *approved_turn("p1", approve("reject", "use ls instead")),
        scripts=(SHELL_ECHO, DONE),
    ),
    tools_scenario(
        "tool_shell_approval_error_reply",
        initialize(),
        prompt("go", id="p1", wait=False),
        APPROVAL_PENDING,
        Reply("ApprovalRequest", error=(-32000, "no UI here")),
        Expect(Resp("p1")),
        scripts=(SHELL_ECHO, DONE),
    ),
    tools_scenario(
        "tool_shell_approval_invalid_reply",
        initialize(),
        prompt("go", id="p1", wait=False),
        APPROVAL_PENDING,
        Reply("ApprovalRequest", lambda payload: {"response": "maybe"}),
        Expect(Resp("p1")),
        scripts=(SHELL_ECHO, DONE),
    ),
    tools_scenario(
        "tool_shell_approve_for_session",
        initialize(),
        *approved_turn("p1", approve("approve_for_session")),
        # the second command in the next turn runs without asking
        prompt("again", id="p2"),
        scripts=(
            tc("c1", "Shell", {"command": "echo one"}),
            DONE,
            tc("c2", "Shell", {"command": "echo two"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_approve_for_session_is_per_action",
        initialize(),
        # "run command" approved for the session does not approve "edit file"
        *approved_turn("p1", approve("approve_for_session")),
        *approved_turn("p2", approve()),
        prompt("third", id="p3"),
        scripts=(
            tc("c1", "Shell", {"command": "echo one"}),
            DONE,
            tc("c2", "WriteFile", {"path": "w.txt", "content": "w"}),
            DONE,
            tc("c3", "Shell", {"command": "cat w.txt"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_shell_cancel_long_command",
        initialize(),
        prompt("go", id="p1", wait=False),
        Expect(Ev("StatusUpdate")),  # the command is running
        call("cancel", id="x1"),
        Expect(Resp("p1")),
        prompt("after", id="p2"),
        scripts=(
            tc("c1", "Shell", {"command": "sleep 30; echo never"}),
            "text: after cancel",
        ),
        args=("--yolo",),
    ),
    tools_scenario(
        "tool_ask_user_invalid_answers",
        initialize(capabilities={"supports_question": True}),
        prompt("ask", id="p1", wait=False),
        QUESTION_PENDING,
        Reply(
            "QuestionRequest",
            lambda payload: {"request_id": payload["id"], "answers": {"Go?": 1}},
        ),
        Expect(Resp("p1")),
        scripts=(
            tc(
                "c1",
                "AskUserQuestion",
                {
                    "questions": [
                        {
                            "question": "Go?",
                            "options": [{"label": "Yes"}, {"label": "No"}],
                        }
                    ]
                },
            ),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_shell_yolo_flag",
        initialize(),
        *quick_turn(),
        scripts=(tc("c1", "Shell", {"command": "printf 'a\\nb'"}), DONE),
        args=("--yolo",),
    ),
    tools_scenario(
        "tool_shell_slash_yolo",
        initialize(),
        prompt("/yolo", id="p1"),
        prompt("go", id="p2"),
        prompt("/yolo", id="p3"),
        prompt("go again", id="p4", wait=False),
        APPROVAL_PENDING,
        approve(),
        Expect(Resp("p4")),
        scripts=(
            tc("c1", "Shell", {"command": "echo auto"}),
            DONE,
            tc("c2", "Shell", {"command": "echo asked"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_slash_afk_toggle",
        initialize(),
        prompt("/afk", id="p1"),
        prompt("/afk", id="p2"),
        prompt("/yolo", id="p3"),
        prompt("/afk", id="p4"),
        prompt("/yolo", id="p5"),
        prompt("/afk", id="p6"),
        scripts=(),
    ),
    tools_scenario(
        "tool_afk_auto_approves",
        initialize(capabilities={"supports_question": True}),
        prompt("/afk", id="p1"),
        # afk: no ApprovalRequest, no QuestionRequest; the afk reminder is injected once
        prompt("go", id="p2"),
        prompt("again", id="p3"),
        prompt("/afk", id="p4"),
        prompt("back", id="p5", wait=False),
        APPROVAL_PENDING,
        approve(),
        Expect(Resp("p5")),
        scripts=(
            tc("c1", "Shell", {"command": "echo afk"}),
            tc(
                "c2",
                "AskUserQuestion",
                {
                    "questions": [
                        {
                            "question": "Go?",
                            "options": [{"label": "Yes"}, {"label": "No"}],
                        }
                    ]
                },
            ),
            DONE,
            "text: still afk",
            tc("c3", "Shell", {"command": "echo back"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_shell_timeout",
        initialize(),
        *quick_turn(),
        scripts=(
            tc("c1", "Shell", {"command": "echo start; sleep 30", "timeout": 1}),
            DONE,
        ),
        args=("--yolo",),
    ),
    tools_scenario(
        "tool_shell_bad_arguments",
        initialize(),
        *quick_turn(),
        scripts=(
            tc("c1", "Shell", {}),
            tc("c2", "Shell", {"command": "echo x", "timeout": "soon"}),
            tc("c3", "Shell", {"command": "echo x", "timeout": 301}),
            tc("c4", "Shell", {"command": ""}),
            tc("c5", "Shell", '{"command": '),
            DONE,
        ),
    ),
    tools_scenario(
        REJECT_EVERY_SIDE_EFFECT,
        initialize(),
        # a plain reject ends the turn, so each side-effecting call gets its own prompt
        *approved_turn("p1", approve("reject")),
        *approved_turn("p2", approve("reject")),
        *approved_turn("p3", approve("reject")),
        *approved_turn("p4", approve("reject")),
        *approved_turn("p5", approve("reject")),
        files=dict(SIDE_EFFECT_FILES),
        scripts=(
            tc(
                "c1",
                "Shell",
                {"command": "touch ran.txt; echo ran > ../ran_outside.txt"},
            ),
            tc("c2", "WriteFile", {"path": "new.txt", "content": "x"}),
            tc(
                "c3",
                "WriteFile",
                {"path": "keep.txt", "content": "more\n", "mode": "append"},
            ),
            tc("c4", "WriteFile", {"path": "{root}/outside.txt", "content": "x"}),
            tc(
                "c5",
                "StrReplaceFile",
                {"path": "keep.txt", "edit": {"old": "keep", "new": "gone"}},
            ),
        ),
    ),
    # ------------------------------------------------- symlink escapes, huge files
    tools_scenario(
        "tool_symlink_escape_and_huge_file",
        initialize(),
        *quick_turn(),
        files={
            "../outside.txt": "outside secret\n",
            "../outside_dir/o.txt": "o\n",
            "huge.txt": "".join(f"line {i} " + "x" * 90 + "\n" for i in range(30000)),
            "one_long_line.txt": "y" * 300000,
        },
        links={
            "link.txt": "../outside.txt",
            "linkdir": "../outside_dir",
            "dangling": "nowhere",
        },
        scripts=(
            tc("c1", "ReadFile", {"path": "link.txt"}),
            tc("c2", "ReadFile", {"path": "linkdir/o.txt"}),
            tc("c3", "Glob", {"pattern": "linkdir/*"}),
            tc("c3r", "Glob", {"pattern": "**/o.txt"}),
            tc("c4", "ReadFile", {"path": "dangling"}),
            tc("c5", "ReadFile", {"path": "huge.txt"}),
            tc("c6", "ReadFile", {"path": "huge.txt", "line_offset": 29990}),
            tc("c7", "ReadFile", {"path": "one_long_line.txt"}),
            DONE,
        ),
    ),
    # ------------------------------------------------------------ ReadMediaFile
    tools_scenario(
        "tool_readmediafile_image_model",
        # offered only to a model with image input; an image comes back as an image part
        initialize(),
        *quick_turn(),
        config={
            "models": {
                "echo": {
                    "provider": "scripted",
                    "model": "echo",
                    "max_context_size": 100000,
                    "capabilities": ["image_in"],
                }
            }
        },
        files={
            "pixel.png": PIXEL_PNG,
            "notes.txt": "just text\n",
            "clip.mp4": b"\x00\x00\x00\x18ftypmp42",
        },
        scripts=(
            tc("c1", "ReadMediaFile", {"path": "pixel.png"}),
            tc("c2", "ReadMediaFile", {"path": "notes.txt"}),
            tc("c3", "ReadMediaFile", {"path": "missing.png"}),
            tc("c4", "ReadMediaFile", {"path": "clip.mp4"}),
            tc("c5", "ReadMediaFile", {}),
            DONE,
        ),
    ),
    # ----------------------------------------------------------------- ReadFile
    tools_scenario(
        "tool_readfile_ranges",
        initialize(),
        *quick_turn(),
        files={"a.txt": THREE_LINES, "crlf.txt": "x\r\ny\r\n"},
        scripts=(
            tc("c1", "ReadFile", {"path": "a.txt"}),
            tc("c2", "ReadFile", {"path": "a.txt", "line_offset": 2, "n_lines": 1}),
            tc("c3", "ReadFile", {"path": "a.txt", "line_offset": -2}),
            tc("c4", "ReadFile", {"path": "a.txt", "line_offset": 9}),
            tc("c5", "ReadFile", {"path": "crlf.txt"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_readfile_errors",
        initialize(),
        *quick_turn(),
        files={
            "bin.dat": b"\x00\x01\x02binary",
            "pic.png": b"\x89PNG\r\n\x1a\n0000",
            ".env": "TOKEN=secret\n",
            "dir/x.txt": "x\n",
            "../outside.txt": "outside\n",
        },
        scripts=(
            tc("c1", "ReadFile", {"path": "missing.txt"}),
            tc("c2", "ReadFile", {"path": "bin.dat"}),
            tc("c3", "ReadFile", {"path": "pic.png"}),
            tc("c4", "ReadFile", {"path": ".env"}),
            tc("c5", "ReadFile", {"path": "dir"}),
            tc("c6", "ReadFile", {"path": "../outside.txt"}),
            tc("c7", "ReadFile", {"path": "{root}/outside.txt"}),
            tc("c8", "ReadFile", {"path": "a.txt", "line_offset": 0}),
            tc("c9", "ReadFile", {"path": ""}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_readfile_long_lines",
        initialize(),
        *quick_turn(),
        files={"long.txt": "short\n" + "y" * 2500 + "\n" + "z" * 10 + "\n"},
        scripts=(tc("c1", "ReadFile", {"path": "long.txt"}), DONE),
    ),
    # ----------------------------------------------------------------- WriteFile
    tools_scenario(
        "tool_writefile_approve_then_read",
        initialize(),
        *approved_turn("p1", approve()),
        scripts=(WRITE_NEW, READ_NEW, DONE),
    ),
    tools_scenario(
        "tool_writefile_append",
        initialize(),
        *approved_turn("p1", approve()),
        files={"log.txt": "one\n"},
        scripts=(
            tc(
                "c1",
                "WriteFile",
                {"path": "log.txt", "content": "two\n", "mode": "append"},
            ),
            tc("c2", "ReadFile", {"path": "log.txt"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_writefile_reject_writes_nothing",
        initialize(),
        *approved_turn("p1", approve("reject")),
        scripts=(WRITE_NEW, READ_NEW, DONE),
    ),
    tools_scenario(
        "tool_writefile_outside_workdir",
        initialize(),
        *approved_turn("p1", approve()),
        scripts=(
            tc("c1", "WriteFile", {"path": "../escape.txt", "content": "x"}),
            tc("c2", "WriteFile", {"path": "{root}/outside.txt", "content": "out\n"}),
            tc("c3", "ReadFile", {"path": "{root}/outside.txt"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_writefile_errors",
        initialize(),
        *quick_turn(),
        scripts=(
            tc("c1", "WriteFile", {"path": "nodir/x.txt", "content": "x"}),
            tc("c2", "WriteFile", {"path": "x.txt", "content": "x", "mode": "insert"}),
            tc("c3", "WriteFile", {"path": "x.txt"}),
            tc("c4", "WriteFile", {"path": "", "content": "x"}),
            DONE,
        ),
    ),
    # ----------------------------------------------------------------- StrReplaceFile
    tools_scenario(
        "tool_strreplace_approve",
        initialize(),
        *approved_turn("p1", approve()),
        files={"code.py": "a = 1\nb = 2\nc = 3\nb = 2\n"},
        scripts=(
            tc(
                "c1",
                "StrReplaceFile",
                {
                    "path": "code.py",
                    "edit": [
                        {"old": "a = 1", "new": "a = 10"},
                        {"old": "b = 2", "new": "b = 20", "replace_all": True},
                    ],
                },
            ),
            tc("c2", "ReadFile", {"path": "code.py"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_strreplace_errors",
        initialize(),
        *quick_turn(),
        files={"code.py": "a = 1\n"},
        scripts=(
            tc(
                "c1",
                "StrReplaceFile",
                {"path": "code.py", "edit": {"old": "zzz", "new": "y"}},
            ),
            tc(
                "c2",
                "StrReplaceFile",
                {"path": "nope.py", "edit": {"old": "a", "new": "b"}},
            ),
            tc(
                "c3",
                "StrReplaceFile",
                {"path": "../x.py", "edit": {"old": "a", "new": "b"}},
            ),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_repeated_calls",
        initialize(),
        # the same call in one step runs once; repeats across steps get reminders from the
        # 3rd in a row, and the 12th stops the turn (argument key order does not matter)
        *quick_turn(),
        prompt("again", id="p2"),
        files={"a.txt": "a\n"},
        scripts=(
            tc("c1", "ReadFile", {"path": "a.txt", "n_lines": 5})
            + "\n"
            + tc("c1b", "ReadFile", {"n_lines": 5, "path": "a.txt"}),
            *(
                tc(f"c{i}", "ReadFile", {"n_lines": 5, "path": "a.txt"})
                for i in range(2, 13)
            ),
            tc("c13", "ReadFile", {"path": "a.txt"}),
            # the next turn starts a new count
            tc("d1", "ReadFile", {"path": "a.txt", "n_lines": 5}),
            DONE,
        ),
    ),
    # ----------------------------------------------------------------- Glob / todo
    tools_scenario(
        "tool_glob",
        initialize(),
        *quick_turn(),
        files={
            "a.txt": "",
            "b.md": "",
            "src/x.rs": "",
            "src/deep/y.rs": "",
            ".hidden.txt": "",
        },
        scripts=(
            tc("c1", "Glob", {"pattern": "*.txt"}),
            tc("c2", "Glob", {"pattern": "src/**/*.rs"}),
            tc("c3", "Glob", {"pattern": "*", "include_dirs": False}),
            tc("c4", "Glob", {"pattern": "*.nothing"}),
            tc("c5", "Glob", {"pattern": "**/*.rs"}),
            tc("c6", "Glob", {"pattern": "*", "directory": "src"}),
            tc("c7", "Glob", {"pattern": "*", "directory": "/"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_set_todo_list",
        initialize(),
        *quick_turn(),
        scripts=(
            tc("c1", "SetTodoList", {}),
            tc(
                "c2",
                "SetTodoList",
                {
                    "todos": [
                        {"title": "read code", "status": "done"},
                        {"title": "write tests", "status": "in_progress"},
                    ]
                },
            ),
            tc("c3", "SetTodoList", {}),
            tc("c4", "SetTodoList", {"todos": [{"title": "", "status": "later"}]}),
            DONE,
        ),
    ),
    # ----------------------------------------------------------------- Grep (needs `rg`)
    # Every search names one file or matches in one file only: rg searches files in
    # parallel, so the order across files is not deterministic (nor is the mtime order of
    # files written in the same instant).
    tools_scenario(
        "tool_grep_content",
        initialize(),
        *quick_turn(),
        files=GREP_FILES,
        needs_rg=True,
        scripts=(
            tc(
                "c1",
                "Grep",
                {"pattern": "TODO", "path": "notes.txt", "output_mode": "content"},
            ),
            tc(
                "c2",
                "Grep",
                {
                    "pattern": "todo",
                    "path": "notes.txt",
                    "output_mode": "content",
                    "-i": True,
                    "-n": False,
                },
            ),
            tc(
                "c3",
                "Grep",
                {
                    "pattern": "main",
                    "path": "src/app.py",
                    "output_mode": "content",
                    "-C": 1,
                },
            ),
            tc(
                "c4",
                "Grep",
                {
                    "pattern": "def",
                    "path": "src/app.py",
                    "output_mode": "content",
                    "-A": 1,
                    "head_limit": 2,
                },
            ),
            tc(
                "c5",
                "Grep",
                {
                    "pattern": "def",
                    "path": "src/app.py",
                    "output_mode": "content",
                    "offset": 1,
                },
            ),
            tc(
                "c6",
                "Grep",
                {
                    "pattern": "main.*\\n.*return",
                    "path": "src/app.py",
                    "output_mode": "content",
                    "multiline": True,
                },
            ),
            tc(
                "c7",
                "Grep",
                {"pattern": "print", "output_mode": "content", "-B": 1, "glob": "*.py"},
            ),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_grep_files_and_counts",
        initialize(),
        *quick_turn(),
        files=GREP_FILES,
        needs_rg=True,
        scripts=(
            tc("c1", "Grep", {"pattern": "Hello"}),
            tc(
                "c2",
                "Grep",
                {
                    "pattern": "def",
                    "path": "src/app.py",
                    "output_mode": "count_matches",
                },
            ),
            tc("c3", "Grep", {"pattern": "zzz_no_match"}),
            tc("c4", "Grep", {"pattern": "SECRET"}),
            tc("c5", "Grep", {"pattern": "TODO build"}),
            tc("c6", "Grep", {"pattern": "TODO build", "include_ignored": True}),
            tc("c7", "Grep", {"pattern": "print", "type": "py"}),
            tc(
                "c8",
                "Grep",
                {
                    "pattern": "two",
                    "path": "{root}/work/notes.txt",
                    "output_mode": "content",
                },
            ),
            tc("c9", "Grep", {"pattern": "Hello", "path": "src"}),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_grep_bad_inputs",
        initialize(),
        *quick_turn(),
        files=GREP_FILES,
        needs_rg=True,
        scripts=(
            tc("c1", "Grep", {"pattern": "("}),
            tc("c2", "Grep", {"pattern": "x", "path": "nope"}),
            tc("c3", "Grep", {}),
            tc("c4", "Grep", {"pattern": 5}),
            tc("c5", "Grep", {"pattern": "x", "output_mode": "lines"}),
            tc("c6", "Grep", {"pattern": "x", "head_limit": -1}),
            tc("c7", "Grep", {"pattern": "x", "type": "nosuchtype"}),
            tc("c8", "Grep", {"pattern": "x", "unknown_arg": 1}),
            tc("c9", "Grep", '{"pattern": "x",}'),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_bad_inputs_per_tool",
        # wrong-typed, missing and extra arguments, bad paths, for the tools not covered above;
        # each error goes back to the model and the turn goes on
        initialize(),
        *quick_turn(),
        files={"a.txt": "a\n", "src/x.rs": ""},
        scripts=(
            tc("c1", "Glob", {}),
            tc("c2", "Glob", {"pattern": 3}),
            tc("c3", "Glob", {"pattern": "*", "directory": "missing"}),
            tc("c4", "Glob", {"pattern": "*", "directory": "a.txt"}),
            tc("c5", "Glob", {"pattern": "*", "directory": "relative/../x"}),
            tc("c6", "Glob", {"pattern": "*.rs", "directory": "src", "extra": True}),
            tc("c7", "ReadFile", {"path": "a.txt", "n_lines": "two"}),
            tc("c8", "ReadFile", {"path": "a.txt", "bogus": 1}),
            tc("c9", "ReadFile", {"path": ["a.txt"]}),
            tc("c10", "StrReplaceFile", {"path": "a.txt"}),
            tc("c11", "StrReplaceFile", {"path": "a.txt", "edit": "a"}),
            tc("c12", "StrReplaceFile", {"path": "a.txt", "edit": []}),
            tc("c13", "WriteFile", {"path": 5, "content": "x"}),
            tc("c14", "SetTodoList", {"todos": "none"}),
            tc("c15", "AskUserQuestion", {}),
            tc("c16", "Shell", {"command": "echo hi", "run_in_background": "maybe"}),
            tc("c17", "Shell", ["echo"]),
            tc("c18", "ReadFile", "null"),
            tc(
                "c19", "StrReplaceFile", {"path": "a.txt", "edit": {"old": 1, "new": 2}}
            ),
            tc(
                "c20",
                "StrReplaceFile",
                {"path": "a.txt", "edit": [{"old": "a", "new": "b"}, "x"]},
            ),
            tc("c21", "StrReplaceFile", {"edit": "a"}),
            tc("c22", "StrReplaceFile", {"path": "a.txt", "edit": {}}),
            DONE,
        ),
    ),
    # ----------------------------------------------------------------- questions
    tools_scenario(
        "tool_ask_user_answered",
        initialize(capabilities={"supports_question": True}),
        prompt("ask", id="p1", wait=False),
        QUESTION_PENDING,
        Reply("QuestionRequest", answers({"Which color?": "Blue"})),
        Expect(Resp("p1")),
        scripts=(
            tc(
                "c1",
                "AskUserQuestion",
                {
                    "questions": [
                        {
                            "question": "Which color?",
                            "header": "Color",
                            "options": [
                                {"label": "Red"},
                                {"label": "Blue", "description": "calm"},
                            ],
                        }
                    ]
                },
            ),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_ask_user_error_reply",
        initialize(capabilities={"supports_question": True}),
        prompt("ask", id="p1", wait=False),
        QUESTION_PENDING,
        Reply("QuestionRequest", error=(-32000, "cannot ask now")),
        Expect(Resp("p1")),
        scripts=(
            tc(
                "c1",
                "AskUserQuestion",
                {
                    "questions": [
                        {
                            "question": "Go?",
                            "options": [{"label": "Yes"}, {"label": "No"}],
                        }
                    ]
                },
            ),
            DONE,
        ),
    ),
    tools_scenario(
        "tool_ask_user_unsupported_client",
        initialize(),
        *quick_turn(),
        scripts=(
            tc(
                "c1",
                "AskUserQuestion",
                {
                    "questions": [
                        {
                            "question": "Go?",
                            "options": [{"label": "Yes"}, {"label": "No"}],
                        }
                    ]
                },
            ),
            tc("c2", "AskUserQuestion", {"questions": []}),
            DONE,
        ),
    ),
    # ----------------------------------------------------------------- external tools
    tools_scenario(
        "tool_external_builtin_name_rejected",
        initialize(
            external_tools=[
                external_tool("Shell"),
                external_tool("ReadFile"),
                external_tool("lookup"),
            ]
        ),
        prompt("look", id="p1", wait=False),
        ExpectAll((Req("ToolCallRequest"), Ev("StatusUpdate"))),
        Reply("ToolCallRequest", tool_ok("found")),
        Expect(Resp("p1")),
        scripts=(tc("c1", "lookup", {"q": "x"}), DONE),
    ),
    tools_scenario(
        "tool_external_names",
        # every name kimi-cli could know as a built-in, a few it does not, a re-registration
        initialize(
            external_tools=[
                external_tool(n)
                for n in (
                    "Agent",
                    "AskUserQuestion",
                    "SetTodoList",
                    "Shell",
                    "TaskList",
                    "TaskOutput",
                    "TaskStop",
                    "ReadFile",
                    "ReadMediaFile",
                    "Glob",
                    "Grep",
                    "WriteFile",
                    "StrReplaceFile",
                    "SearchWeb",
                    "FetchURL",
                    "ExitPlanMode",
                    "EnterPlanMode",
                    "Think",
                    "SendDMail",
                    "CreateSubagent",
                    "Task",
                    "lookup",
                    "lookup",
                )
            ]
        ),
        initialize(id="i2", external_tools=[external_tool("lookup", "")]),
        prompt("look", id="p1", wait=False),
        ExpectAll((Req("ToolCallRequest"), Ev("StatusUpdate"))),
        Reply("ToolCallRequest", tool_ok("found")),
        Expect(Resp("p1")),
        scripts=(tc("c1", "lookup", {"q": "x"}), DONE),
    ),
    tools_scenario(
        "tool_external_bad_schemas",
        # parameters that are no JSON Schema: rejected with jsonschema's best_match text
        initialize(
            external_tools=[
                {"name": f"bad{i}", "description": "x", "parameters": schema}
                for i, schema in enumerate(BAD_SCHEMAS)
            ]
        ),
        scripts=(),
    ),
    tools_scenario(
        "tool_external_cancel_while_waiting",
        initialize(external_tools=[external_tool("lookup")]),
        prompt("look", id="p1", wait=False),
        ExpectAll((Req("ToolCallRequest"), Ev("StatusUpdate"))),
        call("cancel", id="x1"),
        Expect(Resp("p1")),
        prompt("after", id="p2"),
        scripts=(tc("c1", "lookup", {"q": "x"}), "text: after cancel"),
    ),
]


# ----------------------------------------------------------------- plan-mode tools
PLAN_CAPS: JsonObj = {"supports_question": True, "supports_plan_mode": True}
ENTER_Q = "Enter plan mode?"
EXIT_Q = "Approve this plan"
PLAN_TEXT = "# Plan\n1. read the code\n2. change it\n"


def plan_answer(question: str, answer: str) -> Reply:
    return Reply("QuestionRequest", answers({question: answer}))


def with_plan_path(sandbox: Sandbox) -> None:
    """Put the session's plan file path (from ``state.json``) where the scripts say
    ``{plan}``: the slug is random, so a later phase learns it from the earlier one."""
    (session,) = sandbox.session_dirs()
    state = json.loads((session / "state.json").read_text(encoding="utf-8"))
    path = sandbox.home / ".kimi" / "plans" / f"{state['plan_slug']}.md"
    # the path sits inside a JSON string that is itself inside JSON
    escaped = json.dumps(json.dumps(str(path))[1:-1])[1:-1]
    scripts = json.loads(sandbox.scripts_path.read_text(encoding="utf-8"))
    sandbox.write_scripts([s.replace("{plan}", escaped) for s in scripts])


def entered_plan_mode() -> Phase:
    """A first phase: the model asks for plan mode and the user says yes."""
    return Phase(
        (
            initialize(capabilities=PLAN_CAPS),
            prompt("plan it", id="p0", wait=False),
            QUESTION_PENDING,
            plan_answer(ENTER_Q, "Yes"),
            Expect(Resp("p0")),
        ),
        (tc("e1", "EnterPlanMode", {}), DONE),
    )


def plan_scenario(
    name: str, *steps: Step, scripts: tuple[str, ...], **kwargs: Any
) -> Scenario:
    """Enter plan mode in a first phase; continue the session (``-C``) with ``steps``."""
    args = ("-C", *kwargs.pop("args", ()))
    return Scenario(
        name,
        (
            entered_plan_mode(),
            Phase(
                (initialize(capabilities=PLAN_CAPS), *steps),
                scripts,
                args,
                mutate=with_plan_path,
            ),
        ),
        **kwargs,
    )


PLAN_SCENARIOS: list[Scenario] = [
    # with usage, tool tasks start before the step's StatusUpdate: results of tools that
    # never await (SetTodoList, ExitPlanMode outside plan mode) come before it, results of
    # tools with file access (ReadFile) after it.  Not Glob: its four thread hops race the
    # three of the oracle's token-count write, and its result lands on either side (about
    # 7 in 10 runs after the StatusUpdate here, before it in every run on the CI machine).
    tools_scenario(
        "tool_results_around_status_with_usage",
        initialize(capabilities=PLAN_CAPS),
        *quick_turn(),
        scripts=tuple(
            call + "\nusage: input_other=10 output=4"
            for call in (
                tc(
                    "c1",
                    "SetTodoList",
                    {"todos": [{"title": "a", "status": "pending"}]},
                ),
                tc("c2", "ReadFile", {"path": "a.txt"}),
                tc("c3", "ExitPlanMode", {}),
            )
        )
        + (DONE,),
        files={"a.txt": "x\n"},
    ),
    # approved; in plan mode, edits of other files are refused, the plan file must exist
    tools_scenario(
        "tool_plan_enter_approved_edits_blocked",
        initialize(capabilities=PLAN_CAPS),
        prompt("plan it", id="p1", wait=False),
        QUESTION_PENDING,
        plan_answer(ENTER_Q, "Yes"),
        Expect(Resp("p1")),
        prompt("edit", id="p2"),
        scripts=(
            tc("c1", "EnterPlanMode", {}),
            DONE,
            tc("c2", "WriteFile", {"path": "a.txt", "content": "x"}),
            tc(
                "c3",
                "StrReplaceFile",
                {"path": "a.txt", "edit": {"old": "a", "new": "b"}},
            ),
            tc("c4", "ReadFile", {"path": "a.txt"}),
            tc("c5", "ExitPlanMode", {}),
            DONE,
        ),
        files={"a.txt": "a\n"},
    ),
    tools_scenario(
        "tool_plan_enter_declined",
        initialize(capabilities=PLAN_CAPS),
        prompt("plan it", id="p1", wait=False),
        QUESTION_PENDING,
        plan_answer(ENTER_Q, "No"),
        Expect(Resp("p1")),
        scripts=(tc("c1", "EnterPlanMode", {}), DONE),
    ),
    tools_scenario(
        "tool_plan_enter_dismissed",
        initialize(capabilities=PLAN_CAPS),
        prompt("plan it", id="p1", wait=False),
        QUESTION_PENDING,
        Reply("QuestionRequest", error=(-32000, "no answer")),
        Expect(Resp("p1")),
        scripts=(tc("c1", "EnterPlanMode", {}), DONE),
    ),
    # yolo enters without asking; a second call is refused
    tools_scenario(
        "tool_plan_enter_yolo",
        initialize(capabilities=PLAN_CAPS),
        *quick_turn(),
        scripts=(
            # with usage the tool runs before the step's StatusUpdate is sent
            tc("c1", "EnterPlanMode", {}) + "\nusage: input_other=10 output=4",
            tc("c2", "EnterPlanMode", {"x": 1}),
            DONE,
        ),
        args=("--yolo",),
    ),
    # afk enters without asking; ExitPlanMode without a plan file names the file to write
    tools_scenario(
        "tool_plan_enter_afk",
        initialize(capabilities=PLAN_CAPS),
        *quick_turn(),
        scripts=(tc("c1", "EnterPlanMode", {}), tc("c2", "ExitPlanMode", {}), DONE),
        args=("--afk",),
    ),
    tools_scenario(
        "tool_plan_enter_already_in_plan_mode",
        initialize(capabilities=PLAN_CAPS),
        call("set_plan_mode", {"enabled": True}, id="m1"),
        *quick_turn(),
        scripts=(tc("c1", "EnterPlanMode", {}), DONE),
    ),
    # plan mode without question support: the tools cannot ask
    tools_scenario(
        "tool_plan_without_question_capability",
        initialize(capabilities={"supports_plan_mode": True}),
        *quick_turn(),
        call("set_plan_mode", {"enabled": True}, id="m1"),
        prompt("again", id="p2"),
        scripts=(
            tc("c1", "EnterPlanMode", {}),
            DONE,
            tc("c2", "WriteFile", {"path": "a.txt", "content": "x"}),
            DONE,
        ),
    ),
    # a client without plan mode: the tools are not offered but still answer
    tools_scenario(
        "tool_plan_tools_hidden_without_capability",
        initialize(),
        *quick_turn(),
        scripts=(tc("c1", "EnterPlanMode", {}), tc("c2", "ExitPlanMode", {}), DONE),
    ),
    tools_scenario(
        "tool_plan_exit_not_in_plan_mode_and_bad_options",
        initialize(capabilities=PLAN_CAPS),
        *quick_turn(),
        scripts=(
            tc("c1", "ExitPlanMode", {"options": [{"label": "Reject"}, {"label": 5}]}),
            tc("c2", "ExitPlanMode", {"options": [{"label": "a"}, {"label": "a"}]}),
            tc(
                "c3", "ExitPlanMode", {"options": [{"label": str(i)} for i in range(4)]}
            ),
            tc("c4", "ExitPlanMode", {"options": "x"}),
            tc("c5", "ExitPlanMode", {}),
            DONE,
        ),
    ),
    # write the plan (no approval), exit approved, then work on with approvals again
    plan_scenario(
        "tool_plan_write_and_exit_approved",
        prompt("write the plan", id="p1", wait=False),
        QUESTION_PENDING,
        plan_answer(EXIT_Q, "Approve"),
        Expect(Resp("p1")),
        prompt("implement", id="p2", wait=False),
        APPROVAL_PENDING,
        approve(),
        Expect(Resp("p2")),
        scripts=(
            tc(
                "c1",
                "StrReplaceFile",
                {"path": "{plan}", "edit": {"old": "a", "new": "b"}},
            ),
            tc("c2", "WriteFile", {"path": "{plan}", "content": PLAN_TEXT}),
            tc(
                "c3",
                "StrReplaceFile",
                {"path": "{plan}", "edit": {"old": "read", "new": "study"}},
            ),
            tc("c4", "ExitPlanMode", {}),
            DONE,
            tc("c5", "WriteFile", {"path": "a.txt", "content": "done\n"}),
            DONE,
        ),
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    ),
    # "Revise" with feedback goes on; "Reject" ends the turn in plan mode; "Reject and Exit"
    # ends it and leaves plan mode
    plan_scenario(
        "tool_plan_exit_revise_reject_reject_and_exit",
        prompt("write the plan", id="p1", wait=False),
        QUESTION_PENDING,
        plan_answer(EXIT_Q, "make step 2 smaller"),
        QUESTION_PENDING,
        plan_answer(EXIT_Q, "Reject"),
        Expect(Resp("p1")),
        prompt("try again", id="p2", wait=False),
        QUESTION_PENDING,
        plan_answer(EXIT_Q, "Reject and Exit"),
        Expect(Resp("p2")),
        prompt("and now", id="p3"),
        scripts=(
            tc("c1", "WriteFile", {"path": "{plan}", "content": PLAN_TEXT}),
            tc("c2", "ExitPlanMode", {}),
            tc("c3", "ExitPlanMode", {"options": None}),
            tc(
                "c4",
                "ExitPlanMode",
                {
                    "options": [
                        {"label": "Fast (Recommended)", "description": "quick"},
                        {"label": "Safe"},
                    ]
                },
            ),
            tc("c5", "ExitPlanMode", {}),
            DONE,
        ),
    ),
    # a dismissed review keeps plan mode; then one of the model's options is chosen
    plan_scenario(
        "tool_plan_exit_dismissed_then_option_chosen",
        prompt("write the plan", id="p1", wait=False),
        QUESTION_PENDING,
        Reply("QuestionRequest", error=(-32000, "no answer")),
        QUESTION_PENDING,
        plan_answer(EXIT_Q, "Safe"),
        Expect(Resp("p1")),
        scripts=(
            tc("c1", "WriteFile", {"path": "{plan}", "content": PLAN_TEXT}),
            tc("c2", "ExitPlanMode", {}),
            tc(
                "c3",
                "ExitPlanMode",
                {
                    "options": [
                        {"label": "Fast (Recommended)", "description": "quick"},
                        {"label": "Safe"},
                    ]
                },
            ),
            DONE,
        ),
    ),
    # afk approves the plan by itself
    plan_scenario(
        "tool_plan_exit_afk",
        *quick_turn(),
        scripts=(
            tc("c1", "WriteFile", {"path": "{plan}", "content": PLAN_TEXT}),
            tc("c2", "ExitPlanMode", {}),
            DONE,
        ),
        args=("--afk",),
    ),
    # yolo still asks
    plan_scenario(
        "tool_plan_exit_yolo_still_asks",
        prompt("write the plan", id="p1", wait=False),
        QUESTION_PENDING,
        plan_answer(EXIT_Q, "Approve"),
        Expect(Resp("p1")),
        scripts=(
            tc(
                "c1",
                "WriteFile",
                {"path": "{plan}", "content": PLAN_TEXT, "mode": "append"},
            ),
            tc("c2", "ExitPlanMode", {}),
            DONE,
        ),
        args=("--yolo",),
    ),
]
TOOLS_SCENARIOS += PLAN_SCENARIOS
# (imported here: it builds on the helpers above)
from .background_catalogue import BACKGROUND_SCENARIOS  # noqa: E402

TOOLS_SCENARIOS += BACKGROUND_SCENARIOS

# Scenarios where kagent still differs from the oracle (see the report of issue 5): kept
# here so the gap stays visible; they are NOT part of the passing suite below.
KNOWN_DIFFERENT: set[str] = set()

TOOL_SCENARIOS: dict[str, Scenario] = {
    s.name: s for s in TOOLS_SCENARIOS if s.name not in KNOWN_DIFFERENT
}
assert len({s.name for s in TOOLS_SCENARIOS}) == len(TOOLS_SCENARIOS), "duplicate names"
