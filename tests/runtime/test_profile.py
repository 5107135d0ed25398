"""The kimi-cli profile (kimi_kernel.host._profile) against the installed kimi-cli 1.51.

What the exporter writes must be what kimi-cli itself uses: every tool definition equals the
one kimi-cli's own agent loader builds for its default agent in a real session, and every
text, its placeholders filled, equals what kimi-cli's builder returns for the same values.
The cache is reused (without importing kimi-cli's tool stack), rewritten on --refresh or
when broken, and an unwritable share dir is a clear error.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime._kk import require_installed

require_installed()

from kimi_kernel.host import _profile  # noqa: E402

ALL_MEDIA = ("image_in", "video_in")


@pytest.fixture()
def share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    share_dir = tmp_path / "share"
    monkeypatch.setenv("KIMI_SHARE_DIR", str(share_dir))
    monkeypatch.setenv(_profile.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return share_dir


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    return _profile.build_profile()


async def kimi_cli_default_agent_tools(work_dir: Path) -> tuple[list[str], dict[str, Any]]:
    """The default agent's tool paths, and the definitions kimi-cli's own load_agent builds
    for them in a real session (model with image and video input; a search service)."""
    from types import SimpleNamespace

    from kaos.path import KaosPath
    from kimi_cli.agentspec import DEFAULT_AGENT_FILE, load_agent_spec
    from kimi_cli.auth.oauth import OAuthManager
    from kimi_cli.config import Config, MoonshotSearchConfig
    from kimi_cli.session import Session
    from kimi_cli.soul.agent import Runtime, load_agent
    from kosong.chat_provider.openai_common import tool_to_openai
    from pydantic import SecretStr

    config = Config()
    config.services.moonshot_search = MoonshotSearchConfig(
        base_url="http://search.invalid", api_key=SecretStr("")
    )
    session = await Session.create(KaosPath(str(work_dir)))
    runtime = await Runtime.create(config, OAuthManager(config), None, session, yolo=False)
    runtime.llm = SimpleNamespace(capabilities=set(ALL_MEDIA))  # type: ignore[assignment]
    agent = await load_agent(Path(DEFAULT_AGENT_FILE), runtime, mcp_configs=[])
    built = {t.name: tool_to_openai(t)["function"] for t in agent.toolset.tools}
    return list(load_agent_spec(Path(DEFAULT_AGENT_FILE)).tools), built


def _agent_description(profile: dict[str, Any]) -> str:
    """The Agent tool's description as kagent renders it from the profile for the default
    agent: the template with one type line per subagent of the spec."""
    from kimi_cli.agentspec import DEFAULT_AGENT_FILE, load_agent_spec

    spec = load_agent_spec(Path(DEFAULT_AGENT_FILE))
    lines = []
    for name, sub in spec.subagents.items():
        sub_spec = load_agent_spec(sub.path)
        tools = sub_spec.allowed_tools
        summary = "*" if tools is None else ", ".join(dict.fromkeys(t.split(":")[-1] for t in tools))
        when = " ".join(sub_spec.when_to_use.split())
        line = profile["texts"]["agent.type_line" if when else "agent.type_line_plain"]
        for key, value in (
            ("{name}", name),
            ("{description}", sub.description),
            ("{tools}", summary or "(none)"),
            ("{model}", sub_spec.model or "inherit"),
            ("{when_to_use}", when),
        ):
            line = line.replace(key, value)
        lines.append(line)
    template = profile["tools"]["kimi_cli.tools.agent:Agent"]["description"]
    return str(template).replace("{builtin_agent_types}", "\n".join(lines))


def test_tool_definitions_are_kimi_clis_own(
    profile: dict[str, Any], share: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    paths, built = asyncio.run(kimi_cli_default_agent_tools(work))
    compared = []
    for path in paths:
        if path.startswith("kimi_cli.tools.agent:"):
            assert _agent_description(profile) == built["Agent"]["description"]
            assert profile["tools"][path]["parameters"] == built["Agent"]["parameters"]
            compared.append("Agent")
            continue
        exported = profile["tools"][path]
        ours = built[exported["name"]]
        assert exported["description"] == ours["description"], path
        assert exported["parameters"] == ours["parameters"], path
        # key order is part of the request body kimi-cli sends
        assert json.dumps(exported["parameters"]) == json.dumps(ours["parameters"]), path
        compared.append(exported["name"])
    assert len(compared) == len(paths) >= 16, compared


def test_media_variants_follow_the_models_capabilities(profile: dict[str, Any]) -> None:
    from kimi_cli.tools.file.read_media import ReadMediaFile

    entry = profile["tools"]["kimi_cli.tools.file:ReadMediaFile"]
    variants = entry["variants"]
    assert set(variants) == {"image_in+video_in", "image_in", "video_in"}
    for key, variant in variants.items():
        runtime = _stand_in_runtime(set(key.split("+")))
        assert variant["description"] == ReadMediaFile(runtime).base.description, key
    assert len({v["description"] for v in variants.values()}) == 3
    assert entry["description"] == variants["image_in+video_in"]["description"]


def _stand_in_runtime(capabilities: set[str]) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(
        llm=SimpleNamespace(capabilities=capabilities),
        builtin_args=SimpleNamespace(KIMI_WORK_DIR=None),
        additional_dirs=[],
    )


def test_texts_are_kimi_clis_with_the_placeholders_filled(profile: dict[str, Any]) -> None:
    from kimi_cli.prompts import COMPACT, INIT
    from kimi_cli.soul.compaction import (
        COMPACTION_OUTPUT_PREFIX,
        COMPACTION_SYSTEM_PROMPT,
        SimpleCompaction,
    )
    from kimi_cli.soul.dynamic_injections import afk_mode, plan_mode
    from kimi_cli.soul.kimisoul import FlowRunner
    from kimi_cli.soul.toolset import _build_repeat_reminder
    from kosong.message import Message, TextPart

    texts = profile["texts"]
    assert tuple(texts) == _profile.TEXT_KEYS
    plan = "/home/u/.kimi/plans/iron-man-thor-hulk.md"

    def filled(key: str, **values: str) -> str:
        text = texts[key]
        for name, value in values.items():
            assert "{" + name + "}" in text, (key, name)
            text = text.replace("{" + name + "}", value)
        return text

    assert texts["init"] == INIT and texts["compact"] == COMPACT
    assert texts["compaction_system"] == COMPACTION_SYSTEM_PROMPT
    assert texts["compaction_output_prefix"] == COMPACTION_OUTPUT_PREFIX
    assert filled("plan_mode.full_new", plan_file=plan) == plan_mode._full_reminder(plan, False)
    assert filled("plan_mode.full_exists", plan_file=plan) == plan_mode._full_reminder(plan, True)
    assert filled("plan_mode.sparse", plan_file=plan) == plan_mode._sparse_reminder(plan)
    assert filled("plan_mode.reentry", plan_file=plan) == plan_mode._reentry_reminder(plan)
    assert texts["afk_mode"] == afk_mode._AFK_PROMPT_ROOT
    assert texts["afk_disabled"] == afk_mode.AFK_DISABLED_REMINDER
    args = '{"command":"ls"}'
    assert texts["repeat.same_call"] == _build_repeat_reminder(3, "Shell", args)[1]
    assert filled("repeat.many_times", tool="Shell", times="6", args=args) == (
        _build_repeat_reminder(6, "Shell", args)[1]
    )
    assert texts["repeat.stop"] == _build_repeat_reminder(9, "Shell", args)[1]
    flow = FlowRunner.ralph_loop(Message(role="user", content="fix the bug"), 2)._flow
    assert filled("ralph.decision", prompt="fix the bug") == flow.nodes["R2"].label
    assert filled("ralph.decision_prompt", prompt="fix the bug") == (
        FlowRunner._build_flow_prompt(flow.nodes["R2"], flow.outgoing["R2"])
    )
    history = [Message(role="user", content="q"), Message(role="assistant", content="a")] * 3
    prepared = SimpleCompaction().prepare(history, custom_instruction="keep the db talk")
    assert prepared.compact_message is not None
    last = prepared.compact_message.content[-1]
    assert isinstance(last, TextPart)
    assert "\n" + COMPACT + filled("compaction_custom", custom="keep the db talk") == last.text


def test_background_texts_are_what_kimi_clis_task_tools_say(
    profile: dict[str, Any], tmp_path: Path
) -> None:
    """Rendered for a real task view and log path, kimi-cli's Shell and TaskOutput say
    exactly the exported texts around the fields kagent writes itself."""
    from kimi_cli.background import (
        TaskConsumerState,
        TaskControl,
        TaskRuntime,
        TaskSpec,
        TaskView,
        format_task,
    )
    from kimi_cli.tools.background import _format_task_output
    from kimi_cli.tools.shell import Shell

    texts = profile["texts"]
    spec = TaskSpec(
        id="bash-k3y9q2zz", kind="bash", session_id="s1", description="build it",
        tool_call_id="call-7", command="make -j2",
    )
    view = TaskView(
        spec=spec, runtime=TaskRuntime(status="starting"), control=TaskControl(),
        consumer=TaskConsumerState(),
    )
    started = Shell._background_ok(None, view).output  # type: ignore[arg-type]
    assert started == format_task(view, include_command=True) + "\n" + texts["background.started"]
    log = tmp_path / "output.log"
    for available, key in ((True, "background.output_hint"), (False, "background.no_output_hint")):
        rendered = _format_task_output(
            view, retrieval_status="not_ready", output="x", output_path=log,
            full_output_available=available, output_size_bytes=1, output_preview_bytes=1,
            output_truncated=False,
        )
        hint = texts[key].replace("{output_path}", str(log.resolve()))
        assert "\nfull_output_hint: " + hint + "\n" in rendered, (key, rendered)
    assert "{output_path}" in texts["background.output_hint"]


def test_the_dmail_injection_is_read_from_kimi_clis_step() -> None:
    """kimi-cli builds it inline (an f-string in KimiSoul._step): every literal piece of the
    exported text is in that function's source, in order, and the message comes last."""
    import inspect

    from kimi_cli.soul.kimisoul import KimiSoul

    text = _profile.texts()["dmail.injection"]
    assert text.count("{message}") == 1 and text.endswith("\n\n{message}"), text
    source = inspect.getsource(KimiSoul._step)
    position = 0
    for word in text.removesuffix("{message}").split():
        found = source.find(word, position)
        assert found >= 0, (word, text)
        position = found + len(word)


def test_messages_are_what_kimi_clis_code_returns(profile: dict[str, Any]) -> None:
    """The fixed texts of tools and slash commands, checked by running kimi-cli's own code
    where it can run here: its D-Mail tool and checkpoint keeper, its plan-mode edit guard,
    the plan-option validators, its flow runner's prompts and its slash command registry."""
    import pydantic
    from kaos.path import KaosPath
    from kimi_cli.skill.flow import FlowEdge, FlowNode
    from kimi_cli.soul.denwarenji import DenwaRenji, DMail
    from kimi_cli.soul.kimisoul import FlowRunner
    from kimi_cli.soul.slash import registry
    from kimi_cli.tools.dmail import SendDMail
    from kimi_cli.tools.file.plan_mode import inspect_plan_edit_target
    from kimi_cli.tools.plan import Params, PlanOption

    messages = profile["messages"]
    assert tuple(messages) == _profile.MESSAGE_KEYS
    assert len(messages) > 50 and all(messages.values())

    denwa = DenwaRenji()
    sent = asyncio.run(SendDMail(denwa)(DMail(message="m", checkpoint_id=3)))
    assert sent.message == messages["dmail.failed"].replace("{error}", messages["dmail.no_checkpoint"])
    assert sent.brief == messages["dmail.failed.brief"]
    denwa.set_n_checkpoints(2)
    with pytest.raises(Exception) as negative:
        denwa.send_dmail(DMail.model_construct(message="m", checkpoint_id=-1))
    assert str(negative.value) == messages["dmail.negative_checkpoint"]
    sent = asyncio.run(SendDMail(denwa)(DMail(message="m", checkpoint_id=1)))
    assert sent.message == messages["dmail.not_sent"]
    with pytest.raises(Exception) as busy:
        denwa.send_dmail(DMail(message="m", checkpoint_id=0))
    assert str(busy.value) == messages["dmail.busy"]

    plan = Path("/p/plan.md")
    guard = inspect_plan_edit_target(
        KaosPath("/p/other.md"), plan_mode_checker=lambda: True, plan_file_path_getter=lambda: plan
    )
    assert (guard.message, guard.brief) == (  # type: ignore[union-attr]
        messages["plan.edit.restricted"].replace("{plan_path}", str(KaosPath(str(plan)).canonical())),
        messages["plan.edit.restricted.brief"],
    )
    guard = inspect_plan_edit_target(
        KaosPath("/p/other.md"), plan_mode_checker=lambda: True, plan_file_path_getter=lambda: None
    )
    assert guard.message == messages["plan.edit.unavailable"]  # type: ignore[union-attr]
    with pytest.raises(pydantic.ValidationError) as reserved:
        PlanOption(label="Revise")
    assert reserved.value.errors()[0]["msg"] == "Value error, " + messages[
        "plan.exit.reserved_label"
    ].replace("{label}", "'Revise'").replace(
        "{reserved}", "'Approve', 'Reject', 'Reject And Exit', 'Revise'"
    )
    with pytest.raises(pydantic.ValidationError) as duplicate:
        Params(options=[PlanOption(label="a"), PlanOption(label="a")])
    assert duplicate.value.errors()[0]["msg"] == "Value error, " + messages["plan.exit.duplicate_labels"]

    # the decision prompt: kagent repeats the `{branch}` line once per branch
    node = FlowNode(id="D", label="Ship it?", kind="decision")
    edges = [FlowEdge(src="D", dst="E", label=b) for b in ("yes", "no")]
    lines = []
    for line in messages["flow.decision"].replace("{label}", "Ship it?").split("\n"):
        lines.extend([line.replace("{branch}", b) for b in ("yes", "no")] if "{branch}" in line else [line])
    assert "\n".join(lines) == FlowRunner._build_flow_prompt(node, edges)
    retry = messages["flow.invalid_choice"]
    assert retry.startswith("\n\n") and "<choice>" in retry

    for command in registry.list_commands():
        assert messages[f"slash.{command.name}"] == command.description
    assert {f"slash.{c.name}" for c in registry.list_commands()} == {
        k for k in messages if k.startswith("slash.")
    }


def test_a_moved_kimi_cli_text_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A message whose literal no longer formats what the exporter expects (kimi-cli moved or
    changed the text) stops the export, naming the key and the function."""
    from kimi_kernel.host.kimi_private import KimiCliMismatchError

    owner, _, fields = _profile.SOURCE_MESSAGES["plan.exit.no_plan_file"]
    monkeypatch.setitem(_profile.SOURCE_MESSAGES, "plan.exit.no_plan_file", (owner, 0, fields))
    named = r"ExitPlanMode.__call__ has no string literal #0 formatting \['plan_path'\] \(plan.exit"
    with pytest.raises(KimiCliMismatchError, match=named):
        _profile.messages()


def test_positional_fields_are_mapped_by_position(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loguru template's `{}` fields become kagent's placeholders by position, and the
    export stops when a literal has more or fewer `{}` than the entry maps."""
    from kimi_kernel.host.kimi_private import KimiCliMismatchError, source_strings

    owner, index, fields = _profile.SOURCE_MESSAGES["hooks.timeout.log"]
    assert fields == {0: "{timeout}", 1: "{command}"}
    template = source_strings(owner)[index].text
    assert template.count("{}") == 2
    first, second, rest = template.split("{}")
    assert _profile.messages()["hooks.timeout.log"] == f"{first}{{timeout}}{second}{{command}}{rest}"
    # a mapping for one `{}` of two is refused, naming the key
    monkeypatch.setitem(_profile.SOURCE_MESSAGES, "hooks.timeout.log", (owner, index, {0: "{x}"}))
    named = r"run_hook has no string literal #1 formatting \[\] and 1 positional \{\} \(hooks"
    with pytest.raises(KimiCliMismatchError, match=named):
        _profile.messages()
    # and so is a literal with `{}` the entry does not map
    monkeypatch.setitem(_profile.SOURCE_MESSAGES, "hooks.timeout.log", (owner, index, {}))
    with pytest.raises(KimiCliMismatchError, match=r"run_hook has no string literal #1 formatting"):
        _profile.messages()


def test_directories_and_slug_words_are_the_installed_kimi_clis(profile: dict[str, Any]) -> None:
    from kimi_cli.agentspec import DEFAULT_AGENT_FILE
    from kimi_cli.skill import get_builtin_skills_dir
    from kimi_cli.tools.plan.heroes import HERO_NAMES

    assert Path(profile["agents_dir"], "default", "agent.yaml") == Path(DEFAULT_AGENT_FILE).resolve()
    assert Path(profile["agents_dir"], "okabe", "agent.yaml").is_file()
    assert Path(profile["skills_dir"]) == Path(get_builtin_skills_dir()).resolve()
    assert profile["plan_slug_words"] == HERO_NAMES
    assert profile["format"] == 1 and profile["kimi_cli_version"] == "1.51.0"
    assert profile["source"] == "kimi-cli 1.51.0"


def test_the_cache_is_written_once_reused_and_refreshed(
    share: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _profile.ensure_profile()
    # per installation, not per share dir: a fresh share dir reuses it
    assert path.parent == share.parent / "cache" / "profiles"
    assert path.name.startswith("kimi-cli-1.51.0-") and path.suffix == ".json"
    assert _profile.problem_with(path) is None
    stamp = path.with_name(path.name + ".checked")
    assert sorted(path.parent.iterdir()) == [path, stamp]  # no temp file left behind
    data = json.loads(path.read_text(encoding="utf-8"))
    data["kagent_ignores_this"] = "marker"
    path.write_text(json.dumps(data), encoding="utf-8")

    def no_rebuild() -> dict[str, Any]:
        raise AssertionError("a usable cached profile was rebuilt")

    with monkeypatch.context() as m:
        m.setattr(_profile, "build_profile", no_rebuild)
        assert _profile.ensure_profile() == path
        m.setenv("KIMI_SHARE_DIR", str(share.parent / "another-share"))
        assert _profile.ensure_profile() == path
    assert "marker" in path.read_text(encoding="utf-8")
    assert _profile.ensure_profile(refresh=True) == path
    assert "marker" not in path.read_text(encoding="utf-8")
    assert _profile.problem_with(path) is None


def test_a_cached_profile_is_checked_once_until_it_changes(
    share: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ensure_profile parses a cached file only when its `.checked` stamp (size and mtime of
    the file last found usable) does not match: a start with an unchanged cache reads no JSON."""
    path = _profile.ensure_profile()
    checked: list[Path] = []
    real = _profile.problem_with

    def counting(p: Path) -> str | None:
        checked.append(p)
        return real(p)

    monkeypatch.setattr(_profile, "problem_with", counting)
    assert _profile.ensure_profile() == path and checked == []
    # changed since (here: truncated to garbage): checked again, found broken, rewritten
    path.write_text("{not json", encoding="utf-8")
    assert _profile.ensure_profile() == path
    assert checked == [path, path]  # the broken cached file, then the one just written
    assert real(path) is None
    assert _profile.ensure_profile() == path and len(checked) == 2


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ("{not json", "unreadable"),
        ('{"format": 2}', "format 2, not 1"),
        ('{"format": 1, "kimi_cli_version": "1.51.0"}', "agents_dir is not a directory"),
    ],
)
def test_a_broken_cached_profile_is_rewritten(share: Path, broken: str, problem: str) -> None:
    path = _profile.profile_path()
    path.parent.mkdir(parents=True)
    path.write_text(broken, encoding="utf-8")
    found = _profile.problem_with(path)
    assert found is not None and found.startswith(problem), found
    assert _profile.ensure_profile() == path
    assert _profile.problem_with(path) is None


def test_an_unwritable_cache_dir_is_a_clear_error(share: Path) -> None:
    cache = share.parent / "cache"
    cache.mkdir()
    (cache / "profiles").write_text("a file where the directory should be", encoding="utf-8")
    with pytest.raises(_profile.ProfileError) as e:
        _profile.ensure_profile()
    message = str(e.value)
    assert "cannot write the kimi-cli profile " + str(_profile.profile_path()) in message
    assert "kimi-kernel profile --refresh" in message and "KIMI_KERNEL_CACHE_DIR" in message


def test_the_key_changes_with_what_the_content_depends_on(monkeypatch: pytest.MonkeyPatch) -> None:
    key = _profile.profile_key()
    assert key == _profile.profile_key()
    monkeypatch.setattr(_profile, "_shell_marker", lambda: "/opt/other/bash")
    assert _profile.profile_key() != key
    monkeypatch.undo()
    monkeypatch.setattr(_profile, "_kimi_cli_location", lambda: "/elsewhere/kimi_cli")
    assert _profile.profile_key() != key
    monkeypatch.undo()
    monkeypatch.setattr(sys, "executable", "/elsewhere/bin/python3")
    assert _profile.profile_key() != key


def test_the_agent_spec_checker_gives_kimi_clis_words(
    profile: dict[str, Any], tmp_path: Path
) -> None:
    """The profile's agent_spec_checker (what kagent runs when a spec fails to load) is this
    interpreter; it answers kimi-cli's error (exit 0), or 3 when kimi-cli loads the spec."""
    from kimi_cli.agentspec import load_agent_spec

    checker = profile["agent_spec_checker"]
    assert checker == [sys.executable, "-P", "-m", "kimi_kernel.host._spec_check"]
    (tmp_path / "bad.yaml").write_text("version: 1\nagent: [unclosed\n", encoding="utf-8")
    (tmp_path / "good.yaml").write_text("version: 1\nagent:\n  extend: default\n", "utf-8")
    (tmp_path / "typed.yaml").write_text("version: 1\nagent:\n  tools: 3\n", "utf-8")
    (tmp_path / "prompt.md").write_text("Hi {% if %}", encoding="utf-8")
    (tmp_path / "prompt.yaml").write_text(
        "version: 1\nagent:\n  extend: default\n  system_prompt_path: ./prompt.md\n", "utf-8"
    )

    def check(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*checker, "--agent-file", name, "--work-dir", str(tmp_path)],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )

    for name in ("bad.yaml", "typed.yaml"):
        out = check(name)
        assert out.returncode == 0, out.stderr
        with pytest.raises(Exception) as raised:
            load_agent_spec(tmp_path / name)
        # kimi-cli's own text for the same file (here named by its absolute path)
        assert out.stdout == str(raised.value).replace(str(tmp_path / name), name) + "\n"
    out = check("prompt.yaml")
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        f"Invalid system prompt template: {tmp_path}/prompt.md: "
        "Expected an expression, got 'end of statement block'\n"
    )
    assert check("good.yaml").returncode == 3
    usage = subprocess.run([*checker], capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2 and "--agent-file" in usage.stderr


def test_the_command_and_a_cached_start_up(share: Path) -> None:
    """`kimi-kernel profile` prints the path (creating it), --refresh rewrites it, a bad
    argument is a usage error; with the cache in place, ensure_profile imports none of
    kimi-cli's tool stack."""
    env = {**os.environ, "KIMI_SHARE_DIR": str(share)}
    kk = str(Path(sys.executable).parent / "kimi-kernel")
    first = subprocess.run([kk, "profile"], env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    path = Path(first.stdout.strip())
    assert path.is_file() and _profile.problem_with(path) is None
    stamp = path.stat().st_mtime_ns
    os.utime(path, ns=(stamp - 10**9, stamp - 10**9))
    cached = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom kimi_kernel.host._profile import ensure_profile\n"
            "print(ensure_profile())\n"
            "print(sorted(m for m in sys.modules if m.startswith(('kimi_cli.soul', 'kimi_cli.tools'))))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cached.returncode == 0, cached.stderr
    assert cached.stdout.splitlines() == [str(path), "[]"], cached.stdout
    assert path.stat().st_mtime_ns == stamp - 10**9  # reused, not rewritten
    again = subprocess.run(
        [kk, "profile", "--refresh"], env=env, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0 and again.stdout.strip() == str(path), again.stderr
    assert path.stat().st_mtime_ns != stamp - 10**9
    bad = subprocess.run(
        [kk, "profile", "--fresh"], env=env, capture_output=True, text=True, timeout=300
    )
    assert bad.returncode == 2, bad
    assert "`profile` takes only --refresh, not '--fresh'" in bad.stderr, bad.stderr
