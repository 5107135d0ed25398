"""Differential scenarios for MCP servers (issue 16): real fastmcp servers started by the kernels
from `--mcp-config` (stdio) or by the test (streamable HTTP on 127.0.0.1), tool calls with
approvals, every kind of result, and the failure cases (a server that cannot start, one that
speaks garbage, a call past the timeout, a server that dies mid-call).

The test server is tests/mcp/kk_mcp_server.py; its tools are `kk_<name>` (`k2_<name>` for the
second server). Whether the first turn still has to wait for the servers (the MCP loading
events) depends on how fast each kernel starts, so most scenarios leave those events out of
the comparison ([`without_mcp_loading`]); `mcp_loading_events` delays its server so that both
kernels surely wait, and compares them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .scenario import Phase, Scenario
from .steps import Expect, Resp, Step, initialize, prompt
from .tools_catalogue import APPROVAL_PENDING, DONE, approve, approved_turn, tc

JsonObj = dict[str, Any]
SERVER = Path(__file__).resolve().parent.parent / "mcp" / "kk_mcp_server.py"


def stdio_server(prefix: str = "kk_", delay: float = 0.0) -> JsonObj:
    env = {"KK_MCP_PREFIX": prefix}
    if delay:
        env["KK_MCP_START_DELAY"] = str(delay)
    return {"command": sys.executable, "args": [str(SERVER), "stdio"], "env": env}


def mcp_args(servers: JsonObj) -> tuple[str, ...]:
    return ("--mcp-config", json.dumps({"mcpServers": servers}))


def without_mcp_loading(lines: list[str]) -> list[str]:
    """The transcript without the start-up wait (its StatusUpdates and MCPLoading events)."""
    return [
        line
        for line in lines
        if '"mcp_status": {' not in line and "MCPLoadingBegin" not in line and "MCPLoadingEnd" not in line
    ]


def mcp_scenario(
    name: str,
    *steps: Step,
    scripts: tuple[str, ...],
    servers: JsonObj,
    **kwargs: Any,
) -> Scenario:
    return Scenario(name, (Phase(tuple(steps), scripts, mcp_args(servers), timeout=90.0),), **kwargs)


# the echo model with the capabilities MCP media results need (else the turn stops, as in
# kimi-cli: "LLM model ... does not support required capability: image_in.")
MEDIA_MODEL = {
    "models": {
        "echo": {
            "provider": "scripted",
            "model": "echo",
            "max_context_size": 100000,
            "capabilities": ["image_in", "video_in"],
        }
    }
}

TWO_SERVERS = {"kk": stdio_server(), "k2": stdio_server("k2_")}


def results_turn(*names: str) -> tuple[tuple[Step, ...], tuple[str, ...]]:
    """One turn calling each tool in turn (each approved), then "done"."""
    steps: list[Step] = [prompt("go", id="p1", wait=False)]
    scripts: list[str] = []
    for i, (name, args) in enumerate(TOOL_ARGS[n] for n in names):
        scripts.append(tc(f"c{i}", name, args))
        steps += [APPROVAL_PENDING, approve()]
    steps.append(Expect(Resp("p1")))
    scripts.append(DONE)
    return tuple(steps), tuple(scripts)


TOOL_ARGS: dict[str, tuple[str, JsonObj]] = {
    "echo": ("kk_echo", {"text": "hi"}),
    "image": ("kk_image", {}),
    "audio": ("kk_audio", {}),
    "blob": ("kk_blob", {}),
    "structured": ("kk_structured", {"n": 21}),
    "fail": ("kk_fail", {"why": "on purpose"}),
    "k2_echo": ("k2_echo", {"text": "from two"}),
}


def calls(name: str, *arguments: JsonObj, prefix: str = "s") -> str:
    """One scripted step calling tool `name` once per arguments (ids `<prefix>0`, ...)."""
    return "\n".join(tc(f"{prefix}{i}", name, a) for i, a in enumerate(arguments))


OK = {"code": "ABC-12"}
# kk_schema calls (tests/mcp/kk_mcp_server.py's SCHEMA_2020), each violating one keyword, and
# last one valid call (the only one asking for approval)
SCHEMA_CALLS: list[JsonObj] = [
    {"code": "abc"},  # pattern
    {},  # required
    {**OK, "count": 3},  # multipleOf
    {**OK, "count": 12},  # maximum
    {**OK, "count": "2"},  # type
    {**OK, "ratio": 1, "count": 2},  # exclusiveMaximum
    {**OK, "ratio": 0.5},  # dependentRequired
    {**OK, "tags": ["main", "main"]},  # uniqueItems
    {**OK, "tags": ["a"]},  # contains
    {**OK, "tags": ["main", "a", "b", "c"]},  # maxItems
    {**OK, "tags": ["main", ""]},  # items / minLength
    {**OK, "pair": ["a", 1, 2]},  # items: false after prefixItems
    {**OK, "pair": [1]},  # prefixItems
    {**OK, "mode": "medium", "kind": 1},  # enum
    {**OK, "mode": "fast"},  # dependentSchemas
    {**OK, "kind": "abcd"},  # oneOf
    {**OK, "extra": {"x-a": 1}},  # patternProperties
    {**OK, "extra": {"y": "s"}},  # additionalProperties next to patternProperties
    {**OK, "extra": {"x-toolongname": "s"}},  # propertyNames
    {**OK, "shape": {"type": "circle"}},  # if / then
    {**OK, "shape": {"type": "square", "w": 1}},  # else
    {**OK, "note": None},  # not (and anyOf)
    {**OK, "note": "x"},  # anyOf
    {**OK, "at": 100},  # $ref
    {**OK, "zzz": 1},  # unevaluatedProperties
    {**OK, "pin": "aab1"},  # pattern with lookaheads and a backreference
    {
        "code": "XYZ-99",
        "count": 4,
        "ratio": 0.5,
        "tags": ["main", "x"],
        "pair": ["a", 1],
        "mode": "fast",
        "kind": 7,
        "extra": {"x-a": "s"},
        "shape": {"type": "circle", "r": 1},
        "note": True,
        "at": 5,
        "pin": "ab12",
    },
]
# kk_draft7 (a draft-07 `$schema`): `dependencies`, a `$ref`'d type, array items, and a valid
# call that 2020-12 would refuse (draft 7 ignores the `minimum` next to `$ref`)
DRAFT7_CALLS: list[JsonObj] = [{"t": [1]}, {"p": "x"}, {"t": ["a"], "p": 1}, {"p": 5, "t": [1]}]

_RESULTS_STEPS, _RESULTS_SCRIPTS = results_turn(
    "echo", "image", "audio", "blob", "structured", "fail", "k2_echo"
)

MCP_SCENARIOS_LIST: list[Scenario] = [
    mcp_scenario(
        "mcp_loading_events",
        initialize(),
        *approved_turn("p1", approve()),
        scripts=(tc("c1", "kk_echo", {"text": "hi"}), DONE),
        servers={"kk": stdio_server(delay=6.0)},
    ),
    mcp_scenario(
        "mcp_results",
        initialize(),
        *_RESULTS_STEPS,
        scripts=_RESULTS_SCRIPTS,
        servers=TWO_SERVERS,
        config=MEDIA_MODEL,
    ),
    mcp_scenario(
        "mcp_approvals",
        initialize(),
        # arguments that do not match the tool's inputSchema are refused before the approval
        # (kosong's jsonschema check: no request, the server is not called); then for the
        # session: the same tool asks no more (this turn and the next), another does
        *approved_turn("p1", approve("approve_for_session")),
        prompt("again", id="p2", wait=False),
        APPROVAL_PENDING,
        approve("reject"),
        Expect(Resp("p2")),
        scripts=(
            tc("c0", "kk_echo", {}),
            tc("c0b", "kk_structured", {"n": "many"}),
            tc("c1", "kk_echo", {"text": "one"}),
            tc("c2", "kk_echo", {"text": "two"}),
            DONE,
            tc("c3", "kk_echo", {"text": "three"}),
            tc("c4", "kk_image", {}),
            DONE,
        ),
        servers={"kk": stdio_server()},
    ),
    Scenario(
        "mcp_session_continued",
        (
            Phase(
                (initialize(), *approved_turn("p1", approve("approve_for_session"))),
                (tc("c1", "kk_echo", {"text": "one"}), DONE),
                mcp_args({"kk": stdio_server()}),
                timeout=90.0,
            ),
            # the next kernel remembers the approval for the session (state.json)
            Phase(
                (initialize(), prompt("again", id="p2")),
                (tc("c2", "kk_echo", {"text": "two"}), DONE),
                ("-S", "{session}", *mcp_args({"kk": stdio_server()})),
                timeout=90.0,
            ),
        ),
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    ),
    mcp_scenario(
        "mcp_schema_keywords",
        initialize(),
        # kosong's jsonschema check of MCP tool arguments, keyword by keyword, several calls a
        # step: each refused call is a ToolResult with python-jsonschema's text (a schema its
        # draft's metaschema refuses is a runtime error), only the valid ones ask for approval
        *approved_turn("p1", approve()),
        *approved_turn("p2", approve()),
        scripts=(
            calls("kk_schema", *SCHEMA_CALLS) + "\n" + tc("bad0", "kk_badschema", {"p": "x"}),
            DONE,
            calls("kk_draft7", *DRAFT7_CALLS, prefix="d"),
            DONE,
        ),
        servers={"kk": stdio_server()},
    ),
    mcp_scenario(
        "mcp_failures",
        initialize(),
        # servers that cannot start fail the first turn (kimi-cli's MCPRuntimeError) ...
        prompt("first", id="p1"),
        # ... the others serve the next turns: a call past the timeout, then a server dying
        # mid-call, each a tool error; the other server goes on
        prompt("go", id="p2", wait=False),
        APPROVAL_PENDING,
        approve("approve_for_session"),
        APPROVAL_PENDING,
        approve(),
        APPROVAL_PENDING,
        approve(),
        Expect(Resp("p2")),
        scripts=(
            tc("c1", "kk_sleep", {"seconds": 30}),
            tc("c2", "kk_sleep", {"seconds": 0}),
            tc("c3", "kk_crash", {}),
            tc("c4", "k2_echo", {"text": "still here"}),
            DONE,
        ),
        servers={
            **TWO_SERVERS,
            "missing": {"command": "/nonexistent/kk-mcp-server"},
            "garbage": {"command": "sh", "args": ["-c", "echo 'not json-rpc'; sleep 2"]},
        },
        config={"mcp": {"client": {"tool_call_timeout_ms": 2500}}},
    ),
]



def _write_mcp_files(files: dict[str, JsonObj]) -> Callable[[Any], None]:
    """A phase's `mutate`: MCP config files beside the work dir (paths relative to it)."""

    def mutate(sandbox: Any) -> None:
        for rel, servers in files.items():
            (sandbox.work / rel).resolve().write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")

    return mutate


def _write_default_mcp_file(sandbox: Any) -> None:
    servers = {"mcpServers": {"kk": stdio_server()}}
    (sandbox.share / "mcp.json").write_text(json.dumps(servers), encoding="utf-8")


_THREE_ECHOES = (
    tc("c1", "kk_echo", {"text": "from a file"}),
    tc("c2", "k2_echo", {"text": "from another file"}),
    tc("c3", "k3_echo", {"text": "inline"}),
    DONE,
)

MCP_SCENARIOS_LIST += [
    # the three sources together: --mcp-config-file twice and --mcp-config
    Scenario(
        "mcp_config_sources",
        (
            Phase(
                (initialize(), *approved_turn("p1", approve(), approve(), approve())),
                _THREE_ECHOES,
                (
                    "--mcp-config-file", "../mcp-a.json",
                    "--mcp-config-file", "../mcp-b.json",
                    *mcp_args({"k3": stdio_server("k3_")}),
                ),
                timeout=90.0,
                mutate=_write_mcp_files(
                    {"../mcp-a.json": {"kk": stdio_server()}, "../mcp-b.json": {"k2": stdio_server("k2_")}}
                ),
            ),
        ),
    ),
    # no flag: the share dir's mcp.json (kimi-cli's ~/.kimi/mcp.json)
    Scenario(
        "mcp_default_config_file",
        (
            Phase(
                (initialize(), *approved_turn("p1", approve())),
                (tc("c1", "kk_echo", {"text": "from the default file"}), DONE),
                (),
                timeout=90.0,
                mutate=_write_default_mcp_file,
            ),
        ),
    ),
]



def _write_bad_schemas(sandbox: Any) -> None:
    # a tool whose input schema fails the 2020-12 metaschema ("strin" is no type)
    bad = [{"type": "object", "properties": {"a": {"type": "strin"}}}]
    (sandbox.root / "bad-schemas.json").write_text(json.dumps(bad), encoding="utf-8")


_BAD_META_SERVER = {
    **stdio_server("bad_"),
    "env": {"KK_MCP_PREFIX": "bad_", "KK_MCP_SCHEMAS": "../bad-schemas.json"},
}

MCP_SCENARIOS_LIST.append(
    # kimi-cli builds each MCP tool as a kosong tool, whose parameters must pass the metaschema:
    # the server with such a tool fails (the first turn's MCPRuntimeError), the other serves
    Scenario(
        "mcp_metaschema_refused",
        (
            Phase(
                (
                    initialize(),
                    prompt("first", id="p1"),
                    *approved_turn("p2", approve()),
                ),
                (tc("c1", "bad_s0", {"a": "x"}), tc("c2", "k2_echo", {"text": "still here"}), DONE),
                mcp_args({"bad": _BAD_META_SERVER, "k2": stdio_server("k2_")}),
                timeout=90.0,
                mutate=_write_bad_schemas,
            ),
        ),
    )
)

MCP_SCENARIOS_LIST.append(
    # a tool that raised (the server died mid-call: "Error running tool: ...") fires
    # PostToolUseFailure, not PostToolUse; one that answered fires PostToolUse
    mcp_scenario(
        "mcp_post_tool_use_failure",
        initialize(),
        *approved_turn("p1", approve(), approve()),
        scripts=(tc("c1", "kk_echo", {"text": "fine"}), tc("c2", "kk_crash", {}), DONE),
        servers={"kk": stdio_server()},
        config={
            "hooks": [
                {"event": "PostToolUse", "command": "cat > /dev/null"},
                {"event": "PostToolUseFailure", "command": "cat > /dev/null"},
            ]
        },
    )
)

MCP_SCENARIOS: dict[str, Scenario] = {s.name: s for s in MCP_SCENARIOS_LIST}

# compared with the loading events (the others without them)
WITH_LOADING = frozenset({"mcp_loading_events"})


def without_post_hook_resolutions(lines: list[str]) -> list[str]:
    """Without the HookResolved of PostToolUse/PostToolUseFailure: those hooks run in the
    background in both kernels, so when (and whether, before the process ends) they report
    is a race in kimi-cli too; their HookTriggered, which precedes the tool's result, stays."""
    return [
        line
        for line in without_mcp_loading(lines)
        if not ('"HookResolved"' in line and '"event": "PostToolUse' in line)
    ]


# compared without the background hooks' resolutions
WITHOUT_POST_HOOK_RESOLUTIONS = frozenset({"mcp_post_tool_use_failure"})


def view_for(name: str) -> Callable[[list[str]], list[str]]:
    if name in WITHOUT_POST_HOOK_RESOLUTIONS:
        return without_post_hook_resolutions
    return (lambda lines: lines) if name in WITH_LOADING else without_mcp_loading
