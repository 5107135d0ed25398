"""The differential scenarios: each runs on the oracle and on kagent, outputs compared."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kk_common.sandbox import Sandbox

from .agent_catalogue import AGENT_SCENARIOS
from .scenario import Phase, Scenario, single
from .slash_catalogue import SLASH_SCENARIOS
from .steps import (
    LOG_HOOK_STDIN,
    Act,
    CloseStdin,
    Ev,
    Expect,
    ExpectAll,
    Reply,
    Req,
    Resp,
    Send,
    SendJson,
    SendRaw,
    Step,
    call,
    call_no_params,
    external_tool,
    initialize,
    prompt,
    tool_ok,
)

HELLO = "text: Hello\nusage: input_other=5 output=3"
EXT = [external_tool("lookup")]
# An external tool call is pending: its request and the step's StatusUpdate both seen
# (the oracle emits them in a racy order).
TOOL_PENDING = ExpectAll((Req("ToolCallRequest"), Ev("StatusUpdate")))


def tool_call(tc_id: str, name: str, arguments: str = "{}") -> str:
    import json

    return "tool_call: " + json.dumps(
        {"id": tc_id, "name": name, "arguments": arguments}
    )


CONFIG_ERROR = r"Invalid (?:TOML in )?configuration file [^:\n]*"


def _config_text(provider_type: str = "_scripted_echo", tail: str = "") -> str:
    return (
        'default_model = "echo"\n'
        "[models.echo]\n"
        'provider = "scripted"\nmodel = "echo"\nmax_context_size = 100000\n'
        "[providers.scripted]\n"
        f'type = "{provider_type}"\nbase_url = ""\napi_key = ""\n'
        "[providers.scripted.env]\n"
        'KIMI_SCRIPTED_ECHO_SCRIPTS = "{scripts}"\n' + tail
    )


def _damage_wire_file(sandbox: Sandbox) -> None:
    """Append a torn line and a record of an unknown type to the session's wire.jsonl."""
    (session,) = sandbox.session_dirs()
    with (session / "wire.jsonl").open("a", encoding="utf-8") as f:
        f.write(
            '{"timestamp": 1.0, "message": {"type": "NoSuchEvent", "payload": {}}}\n'
        )
        f.write('{"timestamp": 2.0, "message": {"type": "TurnEn\n')


def _ext_call(tc_id: str = "tc-1") -> str:
    return tool_call(tc_id, "lookup", '{"q": "x"}') + "\nusage: input_other=10 output=4"


def _glob_call(tc_id: str = "tc-g", pattern: str = "*.nothing") -> str:
    return tool_call(tc_id, "Glob", json.dumps({"pattern": pattern}))


def _hooks(*hooks: dict[str, object]) -> dict[str, object]:
    """Config overrides adding `[[hooks]]` entries."""
    return {"hooks": list(hooks)}


def _hook_answer(action: str, reason: str = "") -> Callable[[dict[str, Any]], Any]:
    def build(payload: dict[str, Any]) -> Any:
        return {"request_id": payload["id"], "action": action, "reason": reason}

    return build


# ------------------------------------------------------------------ skills helpers
def _files(tree: dict[str, str]) -> Callable[[Sandbox], None]:
    """Write files relative to the sandbox root (``work/``, ``home/``, ``share/``...)."""

    def write(sandbox: Sandbox) -> None:
        for rel, text in tree.items():
            path = sandbox.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    return write


def _skill(name: str | None, description: str | None, body: str = "Do it.") -> str:
    head = [f"name: {name}"] if name is not None else []
    if description is not None:
        head.append(f"description: {description}")
    return "---\n" + "\n".join(head) + "\n---\n\n" + body + "\n"


_LAYERED_SKILLS = {
    # project: brand dirs (.kimi > .claude > .codex) and the generic .agents
    "work/.kimi/skills/alpha/SKILL.md": _skill("alpha", "Project alpha (kimi)"),
    "work/.kimi/skills/flat-one.md": _skill(None, "A flat skill file"),
    "work/.kimi/skills/Mixed.md": "# Mixed case flat skill\n\nNo frontmatter here.\n",
    "work/.claude/skills/gamma/SKILL.md": _skill("gamma", "Project gamma (claude)"),
    "work/.codex/skills/delta/SKILL.md": _skill("delta", "Project delta (codex)"),
    "work/.agents/skills/alpha/SKILL.md": _skill("alpha", "Project alpha (agents)"),
    "work/.agents/skills/beta/SKILL.md": _skill("beta", "Project beta (agents)"),
    # user: ~/.kimi > ~/.claude > ~/.codex, then ~/.config/agents > ~/.agents
    "home/.kimi/skills/alpha/SKILL.md": _skill("alpha", "User alpha"),
    "home/.kimi/skills/user-one/SKILL.md": _skill("user-one", "User one (kimi)"),
    "home/.claude/skills/user-two/SKILL.md": _skill("user-two", "User two (claude)"),
    "home/.config/agents/skills/user-generic.md": _skill(None, "User generic (config)"),
    "home/.agents/skills/user-hidden/SKILL.md": _skill("user-hidden", "Shadowed root"),
    # the built-in name taken by a user skill: the user one wins
    "home/.kimi/skills/skill-creator/SKILL.md": _skill("skill-creator", "My creator"),
}

_FALLBACK_SKILLS = {
    "work/.kimi/skills/no-desc/SKILL.md": "---\nname: no-desc\n---\n\n# No description\n\nBody.\n",
    "work/.kimi/skills/long-line/SKILL.md": "---\nname: long-line\n---\n"
    + "word " * 80
    + "\n",
    "work/.kimi/skills/no-frontmatter/SKILL.md": "\n\nJust a body line.\nSecond.\n",
    "work/.kimi/skills/empty/SKILL.md": "",
    "work/.kimi/skills/bad-type/SKILL.md": "---\nname: bad-type\ntype: nonsense\n---\nx\n",
    "work/.kimi/skills/bad-yaml/SKILL.md": "---\nname: bad-yaml\ndescription: use this: for x\n---\nx\n",
    "work/.kimi/skills/not-a-map/SKILL.md": "---\n- a\n- b\n---\nx\n",
    "work/.kimi/skills/unclosed/SKILL.md": "---\nname: never-closed\n",
    "work/.kimi/skills/bool-name/SKILL.md": "---\nname: yes\ndescription: d\n---\n",
    "work/.kimi/skills/zero-name/SKILL.md": "---\nname: 0\ndescription: falls back to the dir\n---\n",
    "work/.kimi/skills/blocks/SKILL.md": (
        "---\nname: blocks\ndescription: >-\n  Folded\n  description\n\n  in two paragraphs\n"
        "metadata:\n  author: someone\n  tags: [a, b]\nallowed-tools:\n  - Read\n  - Glob\n---\nBody\n"
    ),
    "work/.kimi/skills/literal/SKILL.md": "---\nname: literal\ndescription: |\n  Line one\n  Line two\n---\n",
    "work/.kimi/skills/quoted/SKILL.md": (
        "---\nname: \"quoted\"\ndescription: 'It''s quoted: with a colon'\n---\n"
    ),
    "work/.kimi/skills/flow-no-diagram/SKILL.md": (
        "---\nname: flow-no-diagram\ndescription: A flow without a diagram\ntype: flow\n---\nNo diagram.\n"
    ),
    "work/.kimi/skills/Upper.MD": "---\ndescription: Upper-case suffix\n---\n",
    "work/.kimi/skills/SKILL.md": "---\nname: stray\ndescription: a stray marker\n---\n",
    "work/.kimi/skills/no-skill-file/README.md": "not a skill\n",
    "work/.kimi/skills/notes.txt": "not markdown\n",
}


def _delete(rel: str) -> Callable[[Sandbox], None]:
    def delete(sandbox: Sandbox) -> None:
        (sandbox.root / rel).unlink()

    return delete


_ALL: list[Scenario] = [
    # ------------------------------------------------------------------- skills
    Scenario(
        "skills_layered_roots",
        (
            Phase(
                (initialize(), prompt("hi", id="p1")),
                scripts=(HELLO,),
                mutate=_files(_LAYERED_SKILLS),
            ),
        ),
        strict_system_prompt=True,
    ),
    Scenario(
        "skills_first_brand_only",
        (
            Phase(
                (initialize(), prompt("hi", id="p1")),
                scripts=(HELLO,),
                mutate=_files(_LAYERED_SKILLS),
            ),
        ),
        config={"merge_all_available_skills": False},
        strict_system_prompt=True,
    ),
    Scenario(
        "skills_git_project_root",
        (
            Phase(
                (initialize(), prompt("hi", id="p1")),
                scripts=(HELLO,),
                # the work dir sits inside a repository: skills come from its root
                mutate=_files(
                    {
                        ".git/HEAD": "ref: refs/heads/main\n",
                        ".kimi/skills/from-root/SKILL.md": _skill(
                            "from-root", "At the root"
                        ),
                        "work/.kimi/skills/from-work/SKILL.md": _skill(
                            "from-work", "Ignored"
                        ),
                        "extra-rel/rel-skill.md": _skill(None, "Relative to the root"),
                    }
                ),
            ),
        ),
        config={"extra_skill_dirs": ["extra-rel"]},
        strict_system_prompt=True,
    ),
    Scenario(
        "skills_dir_override",
        (
            Phase(
                (initialize(), prompt("hi", id="p1")),
                scripts=(HELLO,),
                args=("--skills-dir", "../custom", "--skills-dir", "../custom2"),
                mutate=_files(
                    {
                        **_LAYERED_SKILLS,
                        "custom/alpha/SKILL.md": _skill("alpha", "Custom alpha"),
                        "custom/only-custom.md": _skill(None, "Only in custom"),
                        "custom2/alpha/SKILL.md": _skill(
                            "alpha", "Second custom alpha"
                        ),
                        "custom2/second/SKILL.md": _skill("second", "Second dir"),
                    }
                ),
            ),
        ),
        strict_system_prompt=True,
    ),
    single(
        "skills_dir_missing",
        initialize(),
        args=("--skills-dir", "../no-such-dir"),
        stderr_pattern=r"Invalid value for '--skills-dir': Directory '[^']*' does not exist\.",
    ),
    Scenario(
        "skills_extra_dirs_and_plugins",
        (
            Phase(
                (initialize(), prompt("hi", id="p1")),
                scripts=(HELLO,),
                mutate=_files(
                    {
                        "work/.kimi/skills/alpha/SKILL.md": _skill(
                            "alpha", "Project alpha"
                        ),
                        "extra-abs/alpha/SKILL.md": _skill("alpha", "Extra alpha"),
                        "extra-abs/ex-one/SKILL.md": _skill("ex-one", "Extra one"),
                        "home/more-skills/ex-two.md": _skill(None, "Extra two (~)"),
                        "work/local-extra/ex-three/SKILL.md": _skill(
                            "ex-three", "Extra three"
                        ),
                        "share/plugins/plug/SKILL.md": _skill(
                            "plug", "From the plugins dir"
                        ),
                        "share/plugins/ex-one/SKILL.md": _skill(
                            "ex-one", "Plugin loses"
                        ),
                    }
                ),
            ),
        ),
        config={
            "extra_skill_dirs": [
                "../extra-abs",
                "~/more-skills",
                "local-extra",
                "missing-dir",
                "",
                ".kimi/skills",
            ]
        },
        strict_system_prompt=True,
    ),
    Scenario(
        "skills_frontmatter_fallbacks",
        (
            Phase(
                (initialize(), prompt("hi", id="p1")),
                scripts=(HELLO,),
                mutate=_files(_FALLBACK_SKILLS),
            ),
        ),
        strict_system_prompt=True,
    ),
    Scenario(
        "skills_run_command",
        (
            Phase(
                (
                    initialize(),
                    prompt("/skill:alpha", id="p1"),
                    prompt("/skill:alpha   please do the thing  ", id="p2"),
                    prompt("/skill:flat-one", id="p3"),
                    prompt("/skill:no-such-skill", id="p4"),
                    prompt("/skill:Alpha", id="p5"),
                    prompt("/skill:kimi-cli-help how do I start?", id="p6"),
                ),
                scripts=("text: one", "text: two", "text: three", "text: four"),
                mutate=_files(_LAYERED_SKILLS),
            ),
        ),
    ),
    Scenario(
        "skills_unreadable_at_run",
        (
            Phase(
                (
                    initialize(),
                    Act("delete alpha", _delete("work/.kimi/skills/alpha/SKILL.md")),
                    prompt("/skill:alpha now", id="p1"),
                    prompt("/skill:beta", id="p2"),
                ),
                scripts=("text: beta ran",),
                mutate=_files(_LAYERED_SKILLS),
            ),
        ),
    ),
    Scenario(
        "skills_glob_and_read_outside_work_dir",
        (
            Phase(
                (initialize(), prompt("look at my skills", id="p1")),
                scripts=(
                    # a user skills root lies outside the work dir: Glob may search it
                    tool_call(
                        "tc-g1",
                        "Glob",
                        json.dumps({"pattern": "*", "directory": "~/.kimi/skills"}),
                    ),
                    # ~/.agents/skills is not a root here (~/.config/agents/skills won)
                    tool_call(
                        "tc-g2",
                        "Glob",
                        json.dumps({"pattern": "*", "directory": "~/.agents/skills"}),
                    ),
                    tool_call(
                        "tc-r1",
                        "ReadFile",
                        json.dumps({"path": "~/.kimi/skills/user-one/SKILL.md"}),
                    ),
                    "text: done",
                ),
                args=("--yolo",),
                mutate=_files(_LAYERED_SKILLS),
            ),
        ),
    ),
    Scenario(
        "skills_session_continues",
        (
            Phase(
                (initialize(), prompt("/skill:alpha first", id="p1")),
                scripts=("text: ran alpha",),
                mutate=_files(_LAYERED_SKILLS),
            ),
            Phase(
                (initialize(), prompt("/skill:beta second", id="p2")),
                scripts=("text: ran beta",),
                args=("-C",),
            ),
        ),
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
        strict_system_prompt=True,
    ),
    # ----------------------------------------------------------------- initialize
    single("init_basic", initialize()),
    single("init_old_protocol_version", initialize(version="1.1")),
    single("init_future_protocol_version", initialize(version="9.9")),
    single(
        "init_client_and_capabilities",
        initialize(
            client={"name": "diff-suite", "version": "0.0.1"},
            capabilities={"supports_question": True, "supports_plan_mode": True},
        ),
    ),
    single(
        "init_external_tools",
        initialize(
            external_tools=[
                external_tool("lookup"),
                external_tool("Shell"),
                external_tool("ReadFile"),
                {"name": "bad_schema", "description": "x", "parameters": {"type": 12}},
            ]
        ),
    ),
    single(
        "init_hooks",
        initialize(
            hooks=[
                {"id": "h1", "event": "PreToolUse", "matcher": "lookup", "timeout": 5},
                {"id": "h2", "event": "Stop"},
                {"id": "h3", "event": "NoSuchEvent"},
            ]
        ),
    ),
    single("init_twice", initialize("i1"), initialize("i2", external_tools=EXT)),
    single(
        "init_missing_protocol_version",
        call("initialize", {}, id="i1"),
        initialize("i2"),
    ),
    # --------------------------------------------------------------------- prompt
    single("prompt_without_initialize", prompt("hi", id="p1"), scripts=(HELLO,)),
    single("prompt_text", initialize(), prompt("hi", id="p1"), scripts=(HELLO,)),
    # the one scenario that compares the system prompt written to context.jsonl verbatim
    single(
        "system_prompt_verbatim",
        initialize(),
        prompt("hi", id="p1"),
        scripts=(HELLO,),
        strict_system_prompt=True,
    ),
    single(
        "prompt_content_parts",
        initialize(),
        prompt(
            [
                {"type": "text", "text": "part one"},
                {"type": "text", "text": "part two"},
            ],
            id="p1",
        ),
        scripts=(HELLO,),
    ),
    single(
        "think_and_text_parts",
        initialize(),
        prompt("think first", id="p1"),
        scripts=(
            "think: let me see\ntext: The answer\ntext: is 42\nusage: input_other=9 output=7",
        ),
    ),
    single(
        "usage_and_message_id",
        initialize(),
        prompt("usage", id="p1"),
        prompt("again", id="p2"),
        scripts=(
            "id: msg-001\ntext: one\n"
            "usage: input_other=100 output=20 input_cache_read=30 input_cache_creation=4",
            "text: two",
        ),
    ),
    single(
        "two_turns",
        initialize(),
        prompt("first", id="p1"),
        prompt("second", id="p2"),
        scripts=(HELLO, "text: Second answer\nusage: input_other=12 output=3"),
    ),
    single(
        "multi_step_unknown_tool",
        initialize(),
        prompt("use a tool", id="p1"),
        scripts=(
            tool_call("tc-1", "NoSuchTool", '{"a": 1}')
            + "\nusage: input_other=5 output=3",
            "text: recovered\nusage: input_other=20 output=2",
        ),
    ),
    single(
        "tool_call_parts_streamed",
        initialize(),
        prompt("stream a tool call", id="p1"),
        scripts=(
            (
                'text: calling\ntool_call: {"id": "tc-9", "name": "NoSuchTool"}\n'
                'tool_call_part: {"a": \ntool_call_part: 1}'
            ),
            "text: ok",
        ),
    ),
    single(
        "external_tool_call",
        initialize(external_tools=EXT),
        prompt("look it up", id="p1", wait=False),
        TOOL_PENDING,
        Reply("ToolCallRequest", tool_ok("found it", "lookup done"), wait=Resp("p1")),
        scripts=(_ext_call(), "text: the result is in\nusage: input_other=30 output=5"),
    ),
    single(
        "external_tool_error_reply",
        initialize(external_tools=EXT),
        prompt("look it up", id="p1", wait=False),
        TOOL_PENDING,
        Reply("ToolCallRequest", error=(-32000, "client exploded"), wait=Resp("p1")),
        scripts=(_ext_call(), "text: handled"),
    ),
    single(
        "external_tool_invalid_result",
        initialize(external_tools=EXT),
        prompt("look it up", id="p1", wait=False),
        TOOL_PENDING,
        Reply("ToolCallRequest", lambda payload: {"nonsense": True}, wait=Resp("p1")),
        scripts=(_ext_call(), "text: handled"),
    ),
    single(
        "max_steps_reached",
        initialize(),
        prompt("loop", id="p1"),
        prompt("after", id="p2"),
        scripts=(
            tool_call("tc-1", "NoSuchTool"),
            tool_call("tc-2", "NoSuchTool"),
            "text: after max steps",
        ),
        config={"loop_control": {"max_steps_per_turn": 2}},
    ),
    single(
        "max_steps_flag",
        initialize(),
        prompt("loop", id="p1"),
        scripts=(tool_call("tc-1", "NoSuchTool"), "text: never"),
        args=("--max-steps-per-turn", "1"),
    ),
    single(
        "prompt_edge_inputs",
        initialize(),
        prompt([], id="p1"),
        prompt("", id="p2"),
        prompt([{"type": "think", "think": "user thinking"}], id="p3"),
        scripts=("text: a", "text: b", "text: c"),
    ),
    single(
        "hook_requests",
        initialize(
            external_tools=EXT,
            hooks=[
                {"id": "h-pre", "event": "PreToolUse", "matcher": "lookup"},
                {"id": "h-stop", "event": "Stop"},
            ],
        ),
        prompt("hooked", id="p1", wait=False),
        # The step's StatusUpdate (sent after the usage is written to the context) and the
        # answer to the PreToolUse hook race on both kernels: answer once it is out.
        Expect(Ev("StatusUpdate")),
        Reply(
            "HookRequest",
            lambda p: {"request_id": p["id"], "action": "allow", "reason": ""},
        ),
        Reply("ToolCallRequest", tool_ok("hooked value")),
        Reply(
            "HookRequest",
            lambda p: {"request_id": p["id"], "action": "allow", "reason": ""},
            wait=Resp("p1"),
        ),
        scripts=(_ext_call(), "text: after hook"),
    ),
    # config-file hooks: commands get the event JSON on stdin; exit 2 blocks (stderr is
    # the reason), so `cat >&2; exit 2` shows the exact stdin payload in the transcript
    single(
        "hook_config_allow",
        initialize(),
        prompt("glob it", id="p1"),
        scripts=(_glob_call(), "text: globbed"),
        config=_hooks(
            {"event": "UserPromptSubmit", "command": "cat > /dev/null"},
            {"event": "PreToolUse", "command": "exit 0", "matcher": "^Glob$"},
            {"event": "PreToolUse", "command": "exit 2", "matcher": "Shell"},
            {"event": "Stop", "command": "true", "timeout": 5},
        ),
    ),
    single(
        "hook_config_block_tool",
        initialize(),
        prompt("glob it", id="p1"),
        scripts=(_glob_call(), "text: blocked then"),
        config=_hooks(
            {"event": "PreToolUse", "command": "cat >&2; exit 2", "matcher": "Gl"},
        ),
    ),
    single(
        "hook_config_json_deny",
        initialize(),
        prompt("glob it", id="p1"),
        scripts=(_glob_call(), "text: denied"),
        config=_hooks(
            {
                "event": "PreToolUse",
                "command": "echo '"
                + json.dumps(
                    {
                        "hookSpecificOutput": {
                            "permissionDecision": "deny",
                            "permissionDecisionReason": "json says no",
                        }
                    }
                )
                + "'",
            },
        ),
    ),
    single(
        "hook_config_block_prompt",
        initialize(),
        prompt("forbidden words", id="p1"),
        prompt("/yolo", id="p2"),
        scripts=(),
        config=_hooks(
            {"event": "UserPromptSubmit", "command": "echo 'no prompts' >&2; exit 2"},
        ),
    ),
    single(
        "hook_config_stop_block",
        initialize(),
        prompt("stop me", id="p1"),
        scripts=("text: first", "text: continued"),
        config=_hooks(
            {"event": "Stop", "command": "echo 'keep going' >&2; exit 2"},
        ),
    ),
    single(
        "hook_config_timeout",
        initialize(),
        prompt("slow hook", id="p1"),
        scripts=(_glob_call(), "text: after timeout"),
        config=_hooks(
            {"event": "PreToolUse", "command": "sleep 5; exit 2", "timeout": 1},
        ),
    ),
    single(
        "hook_request_block",
        initialize(
            hooks=[
                {"id": "h-pre", "event": "PreToolUse", "matcher": "Glob"},
                {"id": "h-prompt", "event": "UserPromptSubmit"},
            ],
        ),
        prompt("hooked", id="p1", wait=False),
        Reply("HookRequest", _hook_answer("allow")),
        Reply("HookRequest", _hook_answer("block", "client says no"), wait=Resp("p1")),
        scripts=(_glob_call(), "text: after block"),
    ),
    single(
        "hook_request_timeout",
        initialize(
            hooks=[{"id": "h-slow", "event": "PreToolUse", "timeout": 1}],
        ),
        prompt("nobody answers", id="p1"),
        scripts=(_glob_call(), "text: timed out"),
    ),
    single(
        "hook_config_with_usage",
        initialize(),
        prompt("glob with usage", id="p1"),
        scripts=(
            _glob_call() + "\nusage: input_other=10 output=4",
            "text: done\nusage: input_other=20 output=2",
        ),
        config=_hooks(
            {"event": "PreToolUse", "command": "cat > /dev/null"},
            {"event": "Stop", "command": "cat >&2; exit 2"},
        ),
    ),
    single(
        "hook_request_cancelled",
        initialize(hooks=[{"id": "h-pre", "event": "PreToolUse"}]),
        prompt("cancel me", id="p1", wait=False),
        Expect(Req("HookRequest")),
        call("cancel", id="x1"),
        Expect(Resp("p1")),
        Reply("HookRequest", _hook_answer("block", "after the fact")),
        prompt("next", id="p2"),
        scripts=(_glob_call(), "text: next turn"),
    ),
    single(
        "hook_request_error_and_post_tool",
        initialize(
            hooks=[
                {"id": "h-pre", "event": "PreToolUse"},
                {"id": "h-post", "event": "PostToolUse"},
            ],
        ),
        prompt("post", id="p1", wait=False),
        Reply("HookRequest", error=(-32000, "client broke"), wait=Resp("p1")),
        Reply("HookRequest", _hook_answer("block", "too late")),
        call("cancel", id="x1"),
        scripts=(_glob_call(), "text: after post"),
    ),
    single(
        "hook_summary_config_and_client",
        initialize("i1", hooks=[{"id": "c1", "event": "Stop"}]),
        initialize(
            "i2",
            hooks=[
                {"id": "c2", "event": "PreCompact", "matcher": "auto"},
                {"id": "c3", "event": "Bogus"},
            ],
        ),
        config=_hooks(
            {"event": "SessionEnd", "command": "true"},
            {"event": "Stop", "command": "true"},
            {"event": "Stop", "command": "true"},
            {"event": "SessionStart", "command": "true", "matcher": "startup"},
        ),
    ),
    # before `initialize` the hooks run but report nothing to the client
    single(
        "hook_before_initialize",
        prompt("no init", id="p1"),
        scripts=("text: first", "text: after stop hook"),
        config=_hooks(
            {"event": "Stop", "command": "echo 'one more' >&2; exit 2"},
            {"event": "UserPromptSubmit", "command": "exit 0"},
        ),
    ),
    single(
        "compaction_on_large_input",
        initialize(),
        prompt("short first", id="p1"),
        prompt("y" * 60000, id="p2"),
        scripts=(
            "text: first answer\nusage: input_other=40000 output=100",
            "text: compacted summary\nusage: input_other=50 output=10",
            "text: answer after compaction\nusage: input_other=300 output=5",
        ),
        config={
            "models": {
                "echo": {
                    "provider": "scripted",
                    "model": "echo",
                    "max_context_size": 60000,
                }
            }
        },
    ),
    single(
        "hook_pre_compact",
        initialize(),
        prompt("short first", id="p1"),
        prompt("y" * 60000, id="p2"),
        scripts=(
            "text: first answer\nusage: input_other=40000 output=100",
            "text: compacted summary\nusage: input_other=50 output=10",
            "text: answer after compaction\nusage: input_other=300 output=5",
        ),
        config={
            "models": {
                "echo": {
                    "provider": "scripted",
                    "model": "echo",
                    "max_context_size": 60000,
                }
            },
            "hooks": [
                {
                    "event": "PreCompact",
                    "command": "cat >&2; exit 2",
                    "matcher": "^auto$",
                }
            ],
        },
    ),
    # -------------------------------------------------------------- provider errors
    single(
        "step_retry_then_success",
        initialize(),
        prompt("retry", id="p1"),
        scripts=("error: 503 overloaded", "error: connection", HELLO),
    ),
    single(
        "step_retry_exhausted",
        initialize(),
        prompt("retry", id="p1"),
        prompt("next", id="p2"),
        scripts=("error: 500", "error: timeout slow", "text: after"),
        config={"loop_control": {"max_retries_per_step": 2}},
    ),
    single(
        "provider_error_not_retryable",
        initialize(),
        prompt("bad", id="p1"),
        prompt("next", id="p2"),
        scripts=("error: 400 bad request here", HELLO),
    ),
    single(
        "script_exhaustion",
        initialize(),
        prompt("one", id="p1"),
        prompt("two", id="p2"),
        scripts=(HELLO,),
    ),
    single(
        "invalid_dsl_line",
        initialize(),
        prompt("bad script", id="p1"),
        prompt("next", id="p2"),
        scripts=("this line has no colon", "frobnicate: x", HELLO),
    ),
    single(
        "dsl_no_parts",
        initialize(),
        prompt("empty", id="p1"),
        scripts=("usage: input_other=1 output=1",),
    ),
    # -------------------------------------------------------------- cancel & steer
    single(
        "cancel_mid_turn",
        initialize(external_tools=EXT),
        prompt("wait for tool", id="p1", wait=False),
        TOOL_PENDING,
        call_no_params("cancel", id="x1"),
        Expect(Resp("p1")),
        prompt("after cancel", id="p2"),
        scripts=(_ext_call(), "text: fresh turn"),
    ),
    single(
        "cancel_idle",
        initialize(),
        call("cancel", id="x1"),
        call_no_params("cancel", id="x2"),
    ),
    single(
        "steer_mid_turn",
        initialize(external_tools=EXT),
        prompt("start", id="p1", wait=False),
        TOOL_PENDING,
        call("steer", {"user_input": "use python"}, id="s1"),
        Reply("ToolCallRequest", tool_ok("tool output"), wait=Resp("p1")),
        scripts=(_ext_call(), "text: steered answer"),
    ),
    single(
        "steer_idle",
        initialize(),
        call("steer", {"user_input": "nobody listens"}, id="s1"),
    ),
    single(
        "prompt_during_turn",
        initialize(external_tools=EXT),
        prompt("start", id="p1", wait=False),
        TOOL_PENDING,
        prompt("second", id="p2"),
        call("initialize", {"protocol_version": "1.10"}, id="i2"),
        call("replay", id="r1"),
        Reply("ToolCallRequest", tool_ok("done"), wait=Resp("p1")),
        scripts=(_ext_call(), "text: fin"),
    ),
    # --------------------------------------------------------------------- replay
    single("replay_empty", initialize(), call_no_params("replay", id="r1")),
    single(
        "replay_after_turns",
        initialize(external_tools=EXT),
        prompt("first", id="p1", wait=False),
        TOOL_PENDING,
        Reply("ToolCallRequest", tool_ok("value"), wait=Resp("p1")),
        call("replay", id="r1"),
        scripts=(_ext_call(), "think: hmm\ntext: final\nusage: input_other=3 output=1"),
    ),
    # -------------------------------------------------------------------- plan mode
    single(
        "set_plan_mode",
        initialize(capabilities={"supports_plan_mode": True}),
        call("set_plan_mode", {"enabled": True}, id="m1"),
        call("set_plan_mode", {"enabled": True}, id="m2"),
        prompt("in plan mode", id="p1"),
        call("set_plan_mode", {"enabled": False}, id="m3"),
        scripts=(HELLO,),
    ),
    single(
        "set_plan_mode_without_capability",
        initialize(),
        call("set_plan_mode", {"enabled": True}, id="m1"),
        call("set_plan_mode", {"enabled": "yes"}, id="m2"),
        call("set_plan_mode", {}, id="m3"),
    ),
    # --plan: activation reminder on the first step; /plan toggles and names the plan file
    single(
        "plan_flag_and_slash_plan",
        initialize(),
        prompt("plan this", id="p1"),
        call("set_plan_mode", {"enabled": False}, id="m1"),
        prompt("/plan", id="p2"),
        prompt("/plan view", id="p3"),
        prompt("/plan off", id="p4"),
        args=("--plan",),
        scripts=(HELLO,),
    ),
    # afk and plan reminders share one injected user message; afk's comes once per period
    single(
        "afk_and_plan_reminders",
        initialize(),
        prompt("/afk", id="p0"),
        call("set_plan_mode", {"enabled": True}, id="m1"),
        prompt("first", id="p1"),
        prompt("/afk", id="p2"),
        prompt("/afk", id="p3"),
        prompt("second", id="p4"),
        scripts=(HELLO, HELLO),
    ),
    # --afk is saved at startup; --yolo reaches state.json only with the /afk toggle
    single(
        "afk_and_yolo_flags",
        initialize(),
        prompt("first", id="p1"),
        prompt("/afk", id="p2"),
        prompt("second", id="p3"),
        args=("--afk", "--yolo"),
        scripts=(HELLO, HELLO),
    ),
    # --------------------------------------------------------------- error codes
    single(
        "error_parse",
        SendRaw("{not json", wait=Resp(None)),
        SendRaw('{"jsonrpc": "2.0", "id": "a", "method": "initialize"', wait=None),
        initialize(),
    ),
    single(
        "error_invalid_request",
        SendJson([1, 2], wait=None),
        SendJson(
            {"jsonrpc": "2.0", "id": 7, "method": "initialize", "params": {}}, wait=None
        ),
        SendJson({"jsonrpc": "2.0", "id": "a", "method": 5}, wait=None),
        initialize(),
    ),
    single(
        "error_method_not_found",
        call("no_such_method", {}, id="u1"),
        call("event", {"type": "TurnEnd", "payload": {}}, id="u2"),
        SendJson({"jsonrpc": "2.0", "method": "no_such_notification"}),
        initialize(),
    ),
    single(
        "error_invalid_params",
        call("prompt", {}, id="v1"),
        call("prompt", {"user_input": 42}, id="v2"),
        call("initialize", {"protocol_version": 1.1}, id="v3"),
        call("steer", {"user_input": ["x"]}, id="v4"),
        call_no_params("prompt", id="v5"),
        initialize(),
    ),
    single(
        "error_llm_not_set",
        initialize(),
        prompt("no model", id="p1"),
        config={"default_model": None},
    ),
    single(
        "error_llm_not_supported",
        initialize(),
        prompt(
            [
                {"type": "text", "text": "see image"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,AAAA"},
                },
            ],
            id="p1",
        ),
        prompt("plain text still works", id="p2"),
        scripts=(HELLO,),
    ),
    single(
        "response_to_unknown_request",
        initialize(),
        SendJson({"jsonrpc": "2.0", "id": "nobody-asked", "result": {"x": 1}}),
        SendJson(
            {
                "jsonrpc": "2.0",
                "id": "nobody-asked-2",
                "error": {"code": 1, "message": "m"},
            }
        ),
        call("cancel", id="x1"),
    ),
    # ------------------------------------------------------------- startup / config
    single(
        "cli_inline_config_and_flags",
        initialize(),
        prompt("flags", id="p1"),
        prompt("again", id="p2"),
        args=("--config", "{config}", "--yolo", "--max-retries-per-step", "1"),
        scripts=("error: 503 no retries allowed", HELLO),
        use_config_file=False,
    ),
    single(
        "config_unknown_provider_type",
        initialize(),
        config=_config_text("bogus"),
        stderr_pattern=CONFIG_ERROR,
        compare_files=False,
    ),
    single(
        "hook_config_invalid_event",
        initialize(),
        config='hooks = [{event = "Whenever", command = "true"}]\n' + _config_text(),
        stderr_pattern=CONFIG_ERROR,
        compare_files=False,
    ),
    single(
        "config_invalid_toml",
        initialize(),
        config=_config_text(tail="[models\n"),
        stderr_pattern=CONFIG_ERROR,
        compare_files=False,
    ),
    single(
        "model_flag_unknown_model",
        initialize(),
        prompt("who answers", id="p1"),
        args=("-m", "nosuch"),
        scripts=(HELLO,),
    ),
    # ------------------------------------------------------------------- lifecycle
    single(
        "stdin_closed_mid_turn",
        initialize(external_tools=EXT),
        prompt("start", id="p1", wait=False),
        TOOL_PENDING,
        CloseStdin(),
        scripts=(_ext_call(), "text: never"),
    ),
    # ------------------------------------------------------------------- sessions
    Scenario(
        "session_continue",
        (
            Phase((initialize(), prompt("remember 7", id="p1")), scripts=(HELLO,)),
            Phase(
                (initialize(), call("replay", id="r1"), prompt("what was it", id="p2")),
                scripts=("text: it was 7\nusage: input_other=40 output=4",),
                args=("-C",),
            ),
        ),
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    ),
    Scenario(
        "session_resume_by_id",
        (
            Phase(
                (
                    initialize(external_tools=EXT),
                    prompt("first", id="p1", wait=False),
                    TOOL_PENDING,
                    Reply("ToolCallRequest", tool_ok("42"), wait=Resp("p1")),
                ),
                scripts=(_ext_call(), "think: ok\ntext: first done"),
            ),
            Phase(
                (initialize(), prompt("second", id="p2")),
                scripts=("text: second done\nusage: input_other=50 output=5",),
                args=("-S", "{session}"),
            ),
        ),
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    ),
    # SessionStart/SessionEnd report nothing on the wire: their commands log their stdin
    # to a work-dir file that a blocking UserPromptSubmit hook then shows as its reason
    Scenario(
        "hook_session_start_end",
        (
            Phase((initialize(), prompt("show log", id="p1"))),
            Phase((initialize(), prompt("show again", id="p2")), args=("-C",)),
        ),
        config=_hooks(
            {"event": "SessionStart", "command": LOG_HOOK_STDIN},
            {"event": "SessionEnd", "command": LOG_HOOK_STDIN, "matcher": "exit"},
            {"event": "UserPromptSubmit", "command": "cat hooklog.txt >&2; exit 2"},
        ),
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    ),
    Scenario(
        "replay_skips_damaged_wire_lines",
        (
            Phase((initialize(), prompt("first", id="p1")), scripts=(HELLO,)),
            Phase(
                (initialize(), call("replay", id="r1"), prompt("second", id="p2")),
                scripts=("text: still fine",),
                args=("-S", "{session}"),
                mutate=_damage_wire_file,
            ),
        ),
    ),
    Scenario(
        "session_plan_mode_persists",
        (
            Phase(
                (
                    initialize(capabilities={"supports_plan_mode": True}),
                    call("set_plan_mode", {"enabled": True}, id="m1"),
                ),
            ),
            Phase(
                (initialize(), prompt("plan?", id="p1"), call("replay", id="r1")),
                scripts=(HELLO,),
                args=("-C",),
            ),
        ),
        cross_plans=(("oracle", "kagent"), ("kagent", "oracle")),
    ),
]


# ----------------------------------------------------------------------- flow skills
_FLOW_MERMAID = """---
name: haiku
description: Write haikus until one is good
type: flow
---
# Haiku loop

```mermaid
flowchart TD
  BEGIN([BEGIN]) --> A[Write a haiku about rust]
  A --> D{Is the haiku good?}
  D -->|yes| E([END])
  D -- no --> A
```
"""

_FLOW_D2 = """---
name: triage
type: flow
---
```d2
b: BEGIN
e: END
read: |md
  Read the bug report.
  Summarize it in "one" line.
|
sev: 'Is it severe?'
b -> read -> sev
sev -> fix: "yes, now"
sev -> e: later
fix: Fix it
fix -> dead
dead: Write the postmortem  # no edge out: the flow stops here
```
"""

_FLOW_INVALID = """---
name: broken
description: A flow without BEGIN
type: flow
---
```mermaid
flowchart TD
  A[Start] --> B[END]
```
"""


_FLOW_LOOP = """---
name: loop
description: Ask forever
type: flow
---
```mermaid
flowchart LR
  B[BEGIN] --> D{Again?}
  D -->|again| D
  D -->|stop| E[END]
```
"""


# kimi-cli's d2 parser crashes (IndexError) on `.: x`: the whole skill is skipped
_FLOW_CRASHY = """---
name: crashy
description: Never listed
type: flow
---
```d2
b: BEGIN
.: x
```
"""


def _flow_skills(sandbox: Sandbox) -> None:
    for name, text in (
        ("haiku", _FLOW_MERMAID),
        ("triage", _FLOW_D2),
        ("broken", _FLOW_INVALID),
        ("loop", _FLOW_LOOP),
        ("crashy", _FLOW_CRASHY),
    ):
        path = sandbox.work / ".kimi" / "skills" / name / "SKILL.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _flow(
    name: str,
    *steps: Step,
    scripts: tuple[str, ...] = (),
    config: dict[str, Any] | None = None,
) -> Scenario:
    return Scenario(
        name, (Phase(tuple(steps), scripts, mutate=_flow_skills),), config=config
    )


_FLOW_ALL = [
    # tasks, a decision answered without a choice, with an unknown one, then "no" (back to
    # the task) and "yes" (END)
    _flow(
        "flow_mermaid_run",
        prompt("/flow:haiku", id="p1"),
        scripts=(
            "text: Rust never sleeps",
            "text: I think it is fine",
            "text: <choice>perhaps</choice>",
            "text: Not yet. <choice>no</choice>",
            "text: Ferris rows the crab boat",
            "text: <choice>yes</choice> <choice>  yes </choice>",
        ),
    ),
    # a markdown-block task, a decision with quoted labels, a dead-end node stops the flow
    _flow(
        "flow_d2_run",
        prompt("/flow:triage", id="p1"),
        prompt("/flow:triage", id="p2"),
        scripts=(
            "text: Crash on start.",
            "text: <choice>yes, now</choice>",
            "text: Fixed.",
            "text: Crash on exit.",
            "text: <choice>later</choice>",
        ),
    ),
    _flow("flow_args_ignored", prompt("/flow:haiku please", id="p1")),
    # a plain rejection of a tool call ends the node's turn and the flow
    _flow(
        "flow_tool_rejected",
        initialize(),
        prompt("/flow:haiku", id="p1", wait=False),
        ExpectAll((Req("ApprovalRequest"), Ev("StatusUpdate"))),
        Reply(
            "ApprovalRequest", lambda p: {"request_id": p["id"], "response": "reject"}
        ),
        Expect(Resp("p1")),
        scripts=(tool_call("c1", "Shell", json.dumps({"command": "echo hi"})),),
    ),
    # an error inside a node's turn: that turn never ends, the command's turn does
    _flow(
        "flow_max_steps_in_node",
        prompt("/flow:haiku", id="p1"),
        prompt("after", id="p2"),
        scripts=(tool_call("tc-1", "NoSuchTool"), "text: after"),
        config={"loop_control": {"max_steps_per_turn": 1}},
    ),
    # cancelled inside a node's turn; the next run starts over from BEGIN
    _flow(
        "flow_cancelled_in_node",
        initialize(external_tools=EXT),
        prompt("/flow:haiku", id="p1", wait=False),
        TOOL_PENDING,
        call("cancel", id="x1"),
        Expect(Resp("p1")),
        prompt("/flow:haiku", id="p2"),
        scripts=(_ext_call(), "text: a haiku", "text: <choice>yes</choice>"),
    ),
    # 1000 node visits at most per run: the next one fails with the steps used so far
    _flow(
        "flow_max_moves",
        prompt("/flow:loop", id="p1"),
        scripts=("text: <choice>again</choice>",) * 1000,
    ),
    _flow(
        "flow_llm_not_set",
        prompt("/flow:haiku", id="p1"),
        config={"default_model": None},
    ),
    # initialize lists skill:<name> for every skill, then flow:<name> for the valid flows;
    # an invalid flow skill is a standard one, a crashing one is no skill at all
    _flow(
        "flow_skills_listed_and_fallbacks",
        initialize(),
        prompt("/skill:broken", id="p1"),
        prompt("/skill:haiku make it short", id="p2"),
        prompt("/skill:crashy", id="p3"),
        prompt("/flow:crashy", id="p4"),
        scripts=("text: ran broken as a standard skill", "text: ran haiku's text"),
    ),
    # a flow skill whose diagram is invalid is a standard skill: no /flow: command
    _flow("flow_invalid_is_not_a_flow", prompt("/flow:broken", id="p1")),
]
_ALL.extend(_FLOW_ALL)

_ALL += SLASH_SCENARIOS
_ALL += AGENT_SCENARIOS

SCENARIOS: dict[str, Scenario] = {s.name: s for s in _ALL}
assert len(SCENARIOS) == len(_ALL), "duplicate scenario names"

# Silence "imported but unused" for matchers kept for scenario authors.
__all__ = ["SCENARIOS", "Ev", "Send"]
