"""The one door into kimi-cli's private parts.

kimi-kernel adapts kimi-cli 1.51 from the outside. Where kimi-cli has no public way to do
what the adapter needs (reach the soul a Wire server serves, swap the soul's context after
kagent wrote the turn, silence the Wire recorder, patch the web runner's worker command...),
the adapter touches a private name. Every such name is reached here, one small function
each, and nowhere else; `NEEDS` lists them all with why, and `verify()` checks them against
the kimi-cli that is installed, so a kimi-cli that renamed one is caught at start-up (naming
the name and the kimi-cli version) instead of failing in the middle of a turn.

`CREATE_KEYWORDS` says, for every keyword of `KimiCLI.create`, what happens to it when a
session runs on kagent: forwarded as a kagent flag, honoured on the Python side, or refused
(the session then stays on the Python kernel under `auto`, fails under `rust`). `verify()`
also checks that this table covers exactly the keywords the installed `KimiCLI.create` has.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import importlib.util
import inspect
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, cast

TESTED_KIMI_CLI = "1.51.0"

Kind = Literal["method", "attribute", "keywords", "class-swap", "source", "name"]


@dataclass(frozen=True, slots=True)
class Need:
    """One thing of kimi-cli's the adapter relies on."""

    owner: str  # "module:Class" or "module" (kind "source")
    name: str  # attribute/method name; for "keywords": comma-separated parameter names
    kind: Kind
    why: str

    @property
    def label(self) -> str:
        qual = self.owner.partition(":")[2] or self.owner
        if self.kind == "keywords":
            return f"{qual}({self.name})"
        if self.kind == "source":
            return f"{self.owner}: {self.name}"
        return f"{qual}.{self.name}"


_SERVER = "kimi_cli.wire.server:WireServer"
_SOUL = "kimi_cli.soul.kimisoul:KimiSoul"
_WIRE = "kimi_cli.wire:Wire"
_WEB_RUNNER = "kimi_cli.web.runner.process"
_BG_MANAGER = "kimi_cli.background.manager:BackgroundTaskManager"
_PLAN_INJECTION = "kimi_cli.soul.dynamic_injections.plan_mode"
_AFK_INJECTION = "kimi_cli.soul.dynamic_injections.afk_mode"
WEB_WORKER_MODULE = "kimi_cli.web.runner.worker"

NEEDS: tuple[Need, ...] = (
    Need(_SERVER, "_handle_initialize", "method",
         "wrapped so kagent is initialized like the Wire client's own initialize"),
    Need(_SERVER, "_shutdown", "method", "wrapped so kagent's input ends when the client's does"),
    Need(_SERVER, "_soul", "attribute", "the soul a Wire server serves"),
    Need(_SERVER, "_pending_requests", "attribute",
         "kagent's HookRequests are registered there so the server resolves them"),
    Need(_SERVER, "_send_msg", "method", "sends kagent's HookRequests to the Wire client"),
    Need(_SOUL, "_context", "attribute", "replaced by the context kagent wrote"),
    Need(_SOUL, "_plan_mode", "attribute", "takes over the plan mode kagent switched"),
    Need(_SOUL, "_plan_session_id", "attribute", "takes over kagent's plan session"),
    Need(_SOUL, "_pending_plan_activation_injection", "attribute",
         "kagent already told the model about plan mode"),
    Need(_SOUL, "__class__", "class-swap", "an existing KimiSoul becomes a WireBackedSoul"),
    Need(_SOUL, "runtime", "method", "the session's runtime (public)"),
    Need(_SOUL, "agent", "method", "the agent and its toolset (public)"),
    Need(_SOUL, "context", "method", "the soul's context (public, read side)"),
    Need(_SOUL + ".run", "user_input, skip_user_prompt_hook", "keywords", "WireBackedSoul.run overrides run"),
    Need("kimi_cli.hooks.engine:HookEngine", "__class__", "class-swap",
         "the hook engine skips SessionStart/SessionEnd, which kagent fires"),
    Need("kimi_cli.hooks.engine:HookEngine.trigger", "event, matcher_value, input_data", "keywords",
         "the swapped engine's trigger overrides it"),
    Need(_WIRE, "_recorder", "attribute", "kagent records the turn in wire.jsonl itself"),
    Need("kimi_cli.wire:_WireRecorder", "_record", "method", "silenced while kagent runs a turn"),
    Need(_WIRE, "_raw_queue", "attribute",
         "a relayed HookRequest waits until the UI took kagent's earlier events"),
    Need("kimi_cli.utils.broadcast:BroadcastQueue", "_queues", "attribute",
         "the subscriber queues of the Wire's raw queue"),
    Need("kimi_cli.approval_runtime.runtime:ApprovalRuntime", "_root_wire_hub", "attribute",
         "whether approval answers are already announced on the root wire hub"),
    Need("kimi_cli.soul:LLMNotSupported", "llm", "attribute", "kagent's -32002 as kimi-cli's error"),
    Need("kimi_cli.soul:LLMNotSupported", "capabilities", "attribute",
         "kagent's -32002 as kimi-cli's error"),
    Need(_WEB_RUNNER, "asyncio", "source",
         "the web runner's `asyncio` is patched so it starts kimi-kernel's worker"),
    Need(_WEB_RUNNER, "asyncio.create_subprocess_exec", "source",
         "how the web runner starts a session worker"),
    Need(_WEB_RUNNER, WEB_WORKER_MODULE, "source", "the worker module the runner starts"),
    Need("kimi_cli.app:KimiCLI", "create", "method", "wrapped so sessions honour --kernel"),
    Need("kimi_cli.app:KimiCLI.create", "", "keywords", "see CREATE_KEYWORDS"),
    Need("kimi_cli.app:KimiCLI", "shutdown_background_tasks", "method",
         "chained so kagent stops with the session"),
    Need(_BG_MANAGER, "recover", "method",
         "wrapped so that kagent's running agent tasks are not taken for lost"),
    Need(_BG_MANAGER, "_live_agent_tasks", "attribute",
         "kagent's running agent tasks count as live in it while kagent serves the session"),
    Need(_BG_MANAGER, "list_tasks", "method", "the tasks recover() looks at"),
    Need("kimi_cli.notifications.manager:NotificationManager", "deliver_pending", "method",
         "run_soul's wire pump; kagent delivers the wire's notifications while it serves"),
    Need("kimi_cli.soul", "runtime.notifications.deliver_pending", "source",
         "run_soul's pump delivers the sink \"wire\" through deliver_pending"),
    # the agent kagent replaces is not built (host._agent): KimiCLI.create calls the name
    # `load_agent` of kimi_cli.app; the Python agent is built when the session moves
    Need("kimi_cli.app", "load_agent", "name",
         "KimiCLI.create's agent loader, wrapped so a kagent session builds no tools or MCP"),
    Need("kimi_cli.soul.agent:load_agent", "agent_file, runtime, mcp_configs, start_mcp_loading",
         "keywords", "the wrapped loader takes the same arguments"),
    Need("kimi_cli.soul.agent", "load_agent", "name", "builds the Python agent on fallback"),
    Need("kimi_cli.soul.agent", "Agent", "name", "the agent without tools a kagent session has"),
    Need("kimi_cli.soul.agent", "_load_system_prompt", "name",
         "the system prompt of the agent spec, rendered by kimi-cli without its tools"),
    Need("kimi_cli.soul.agent:_load_system_prompt", "path, args, builtin_args", "keywords",
         "the agent spec checker renders a spec's prompt as kimi-cli's start-up does"),
    Need("kaos.path", "KaosPath", "name", "the work dir a system prompt sees"),
    Need(_SOUL, "_agent", "attribute", "the Python agent replaces the one without tools"),
    Need(_SOUL, "_checkpoint_with_user_message", "attribute",
         "set from the Python agent's tools, as KimiSoul's constructor does"),
    Need(_SOUL, "_bind_plan_mode_tools", "method", "binds the Python agent's plan-mode tools"),
    Need(_SOUL, "set_hook_engine", "method", "gives the Python agent's tools the hook engine"),
    Need("kimi_cli.soul.kimisoul", "SendDMail_NAME", "name", "the D-Mail tool's name"),
    # public names of internal modules the adapter imports (checked so that a move is
    # reported at start-up like a rename)
    Need("kimi_cli.session_state", "load_session_state", "name", "reads the plan mode kagent saved"),
    Need("kimi_cli.tools.plan.heroes", "seed_slug_cache", "name", "kagent's plan file name"),
    Need("kimi_cli.soul.toolset", "WireExternalTool", "name", "the Wire client's tools"),
    Need("kimi_cli.utils.logging", "open_original_stderr", "name", "one-line notices"),
    Need("kimi_cli.approval_runtime", "get_current_approval_source_or_none", "name",
         "the approval source of a turn"),
    Need("kimi_cli.approval_runtime", "set_current_approval_source", "name",
         "the approval source of a turn"),
    Need("kimi_cli.skill", "get_builtin_skills_dir", "name", "kagent lists the same skills"),
    Need("kimi_cli.agentspec", "DEFAULT_AGENT_FILE", "name", "the default agent's spec"),
    # the profile (host/_profile.py): kimi-cli's texts and tool definitions, rendered by its code
    Need("kimi_cli.agentspec", "load_agent_spec", "name",
         "the tools the bundled agent specs name; the agent spec checker"),
    Need("kimi_cli.soul.toolset", "KimiToolset", "name", "builds the tools as an agent would"),
    Need("kimi_cli.soul.toolset:KimiToolset", "load_tools", "method", "builds the tools"),
    Need("kimi_cli.soul.toolset:KimiToolset", "tools", "method", "the built tools' definitions"),
    Need("kimi_cli.exception", "InvalidToolError", "name", "a tool kimi-cli cannot build"),
    Need("kimi_cli.soul.agent", "BuiltinSystemPromptArgs", "name", "a tool dependency"),
    Need("kimi_cli.soul.agent", "Runtime", "name", "a tool dependency"),
    Need("kimi_cli.soul.approval", "Approval", "name", "a tool dependency"),
    Need("kimi_cli.soul.denwarenji", "DenwaRenji", "name", "a tool dependency"),
    Need("kimi_cli.subagents.registry", "LaborMarket", "name", "a tool dependency"),
    Need("kimi_cli.session", "Session", "name", "a tool dependency"),
    Need("kimi_cli.config", "Config", "name", "a tool dependency (services decide SearchWeb)"),
    Need("kimi_cli.config", "MoonshotSearchConfig", "name", "SearchWeb is built with a service"),
    Need("kimi_cli.utils.environment:Environment", "detect", "method",
         "the shell and OS the Shell and Glob descriptions name"),
    Need("kimi_cli.prompts", "INIT", "name", "the /init prompt"),
    Need("kimi_cli.prompts", "COMPACT", "name", "the compaction instruction"),
    Need("kimi_cli.soul.compaction", "COMPACTION_SYSTEM_PROMPT", "name", "compaction"),
    Need("kimi_cli.soul.compaction", "COMPACTION_OUTPUT_PREFIX", "name", "compaction"),
    Need(_PLAN_INJECTION, "_full_reminder", "name", "the full plan-mode reminder"),
    Need(_PLAN_INJECTION, "_sparse_reminder", "name", "the sparse plan-mode reminder"),
    Need(_PLAN_INJECTION, "_reentry_reminder", "name", "the plan-mode re-entry reminder"),
    Need(_AFK_INJECTION, "_AFK_PROMPT_ROOT", "name", "the afk-mode reminder"),
    Need(_AFK_INJECTION, "AFK_DISABLED_REMINDER", "name", "the afk-disabled reminder"),
    Need(_SOUL.replace("KimiSoul", "FlowRunner"), "ralph_loop", "method", "the Ralph loop's prompt"),
    Need(_SOUL.replace("KimiSoul", "FlowRunner"), "_flow", "attribute", "the Ralph loop's flow"),
    Need(_SOUL.replace("KimiSoul", "FlowRunner"), "_build_flow_prompt", "method",
         "the Ralph loop's decision prompt"),
    Need("kimi_cli.tools.plan.heroes", "HERO_NAMES", "name", "the plan-slug words"),
    Need("kimi_cli.soul.toolset", "_REMINDER_TEXT_1", "name", "the repeated-call reminder"),
    Need("kimi_cli.soul.toolset", "_make_reminder_text_2", "name", "the repeated-call reminder"),
    Need("kimi_cli.soul.toolset", "_REMINDER_TEXT_3", "name", "the repeated-call reminder"),
    Need("kimi_cli.soul.compaction", "SimpleCompaction", "name", "the /compact <focus> wording"),
    Need("kimi_cli.soul.compaction:SimpleCompaction", "prepare", "method",
         "the /compact <focus> wording"),
    Need(_SOUL, "_step", "method", "the D-Mail injection is an f-string in KimiSoul._step"),
    Need("kimi_cli.soul.kimisoul", "dmail.message.strip()", "source",
         "the D-Mail injection is an f-string in KimiSoul._step"),
    Need("kimi_cli.tools.shell:Shell", "_background_ok", "method",
         "the guidance after a background task started"),
    Need("kimi_cli.tools.background", "_format_task_output", "name",
         "TaskOutput's hints on reading the full log"),
)


# what the front door (host._door_ui) relies on: kimi-cli's UI naming the command and the
# product, checked like NEEDS (module paths of packages end in `.__init__` for "source")
DOOR_NEEDS: tuple[Need, ...] = (
    Need("kimi_cli.cli.__init__", "To resume this session: kimi -r", "source",
         "the resume hint is made to name kimi-kernel"),
    Need("kimi_cli.ui.shell:Shell.__init__", "soul, welcome_info, prefill_text", "keywords",
         "the welcome banner says which kernel runs and drops the nudge to another product"),
    Need("kimi_cli.ui.shell", "print_migration_goodbye", "name",
         "the goodbye without the nudge to install another product"),
    Need("kimi_cli.ui.shell", "WelcomeInfoItem", "name", "the kernel line of the banner"),
    Need("kimi_cli.cli.__init__", "run kimi export", "source",
         "the fatal-error hint is made to name kimi-kernel"),
    Need("kimi_cli.ui.shell.console", "console", "name",
         "the shell's hints that name the `kimi` command are made to name kimi-kernel"),
    Need("kimi_cli.ui.shell.slash", "registry", "name",
         "the shell's /upgrade (it installs another product) is replaced"),
    Need("kimi_cli.utils.slashcmd:SlashCommandRegistry", "_commands", "attribute",
         "the shell's /upgrade is replaced"),
    Need("kimi_cli.utils.slashcmd:SlashCommandRegistry", "_command_aliases", "attribute",
         "the shell's /upgrade is replaced"),
    Need("kimi_cli.ui.shell.mcp_status", "run: kimi mcp auth", "source",
         "the shell's MCP status names kimi-kernel's `mcp auth`"),
    Need("kimi_cli.ui.shell.mcp_status", "_prompt_server_detail", "name",
         "the prompt's MCP line names kimi-kernel's `mcp auth`"),
    Need("kimi_cli.ui.shell.mcp_status", "Text", "name",
         "/mcp's server lines name kimi-kernel's `mcp auth`"),
    Need("kimi_cli.cli.mcp", "run: kimi mcp auth", "source",
         "`kimi-kernel mcp list` names kimi-kernel's `mcp auth`"),
    Need("kimi_cli.cli.mcp", "typer", "name",
         "`kimi-kernel mcp list` names kimi-kernel's `mcp auth`"),
)


# ---- KimiCLI.create keywords under kagent -------------------------------------------------

How = Literal["flag", "python", "refused"]


@dataclass(frozen=True, slots=True)
class CreateKeyword:
    how: How
    detail: str  # the kagent flag, or why the Python side is enough, or when it is refused


CREATE_KEYWORDS: dict[str, CreateKeyword] = {
    "config": CreateKeyword("flag", "--config-file PATH or --config JSON"),
    "model_name": CreateKeyword("flag", "--model"),
    "thinking": CreateKeyword("flag", "--thinking / --no-thinking"),
    "yolo": CreateKeyword("flag", "--yolo"),
    "afk": CreateKeyword("flag", "--afk"),
    "runtime_afk": CreateKeyword("flag", "--runtime-afk"),
    "plan_mode": CreateKeyword("flag", "--plan"),
    "resumed": CreateKeyword(
        "python", "kagent opens the session by --session; kimi-cli's create uses it itself"
    ),
    "ui_mode": CreateKeyword(
        "python", "decides how kagent is started (initialized or not) and shell reloads"
    ),
    "agent_file": CreateKeyword("flag", "--agent-file (any spec but the default agent)"),
    "mcp_configs": CreateKeyword("flag", "--mcp-config JSON (repeated; kagent starts the servers)"),
    "skills_dirs": CreateKeyword("flag", "--skills-dir (repeated)"),
    "max_steps_per_turn": CreateKeyword("flag", "--max-steps-per-turn"),
    "max_retries_per_step": CreateKeyword("flag", "--max-retries-per-step"),
    "max_ralph_iterations": CreateKeyword("flag", "--max-ralph-iterations"),
    "startup_progress": CreateKeyword("python", "progress of kimi-cli's own create (UI only)"),
    "defer_mcp_loading": CreateKeyword(
        "python", "kimi-cli's shell defers its own MCP start-up; kagent starts the servers itself"
    ),
}


# ---- verify ---------------------------------------------------------------------------


def kimi_cli_version() -> str:
    try:
        return metadata.version("kimi-cli")
    except metadata.PackageNotFoundError:
        return "unknown"


class KimiCliMismatchError(RuntimeError):
    """The installed kimi-cli lacks something kimi-kernel's kagent adapter uses."""

    def __init__(self, problems: list[str], version: str) -> None:
        self.problems = problems
        self.version = version
        fix = (
            f"reinstall kimi-cli=={TESTED_KIMI_CLI} (this copy differs from the released one)"
            if version == TESTED_KIMI_CLI
            else f"install kimi-cli=={TESTED_KIMI_CLI}, the version kimi-kernel is tested with"
        )
        super().__init__(
            f"the installed kimi-cli {version} does not have what kimi-kernel's kagent adapter "
            f"uses: {'; '.join(problems)}. Fix: {fix}, or run with --kernel python."
        )


def _resolve(owner: str) -> Any:
    module_name, _, qual = owner.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qual.split(".") if qual else ():
        obj = getattr(obj, part)
    return obj


def _assigns(cls: type, name: str) -> bool:
    """Whether some class in `cls`'s MRO assigns `self.<name>` (instance attributes exist
    only once an instance is built; their assignment in the source is what can be checked)."""
    pattern = re.compile(rf"\bself\.{re.escape(name)}\s*(:[^=\n]+)?=(?!=)")
    for klass in cls.__mro__:
        if klass is object:
            continue
        if name in getattr(klass, "__annotations__", {}):
            return True
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if pattern.search(source):
            return True
    return False


def _module_file(dotted: str) -> Path | None:
    """The source file of a kimi_cli module, found without importing it (importing the web
    runner's package pulls in the whole web stack)."""
    top, *rest = dotted.split(".")
    spec = importlib.util.find_spec(top)
    for base in (spec.submodule_search_locations or []) if spec is not None else []:
        # a module, or a package's __init__
        for path in (Path(base, *rest).with_suffix(".py"), Path(base, *rest, "__init__.py")):
            if path.is_file():
                return path
    return None


def _parameters(func: Any) -> set[str]:
    target = func.__func__ if isinstance(func, (staticmethod, classmethod)) else func
    target = inspect.unwrap(target)
    return {p for p in inspect.signature(target).parameters if p != "self"}


def _check(need: Need) -> str | None:
    """None when `need` holds in the installed kimi-cli, else what is missing."""
    if need.kind == "source":
        path = _module_file(need.owner)
        if path is None:
            return f"module {need.owner} is missing ({need.why})"
        text = path.read_text(encoding="utf-8")
        found = (
            re.search(r"^import asyncio\b", text, re.MULTILINE) is not None
            if need.name == "asyncio"
            else need.name in text
        )
        return None if found else f"{need.owner} no longer uses {need.name} ({need.why})"
    try:
        obj = _resolve(need.owner)
    except (ImportError, AttributeError) as e:
        return f"{need.owner} is missing: {e} (needed for {need.label}: {need.why})"
    if need.kind == "name":
        return None if hasattr(obj, need.name) else f"{need.label} is missing ({need.why})"
    if need.kind == "method":
        ok = callable(getattr(obj, need.name, None)) or isinstance(
            inspect.getattr_static(obj, need.name, None), property
        )
        return None if ok else f"{need.label} is missing ({need.why})"
    if need.kind == "attribute":
        return None if _assigns(obj, need.name) else f"{need.label} is missing ({need.why})"
    if need.kind == "class-swap":
        ok = isinstance(obj, type) and obj.__dictoffset__ != 0 and "__slots__" not in vars(obj)
        return None if ok else f"{need.label} cannot be swapped any more ({need.why})"
    params = _parameters(obj)
    if need.owner.endswith("KimiCLI.create"):
        unknown = sorted(params - {"session"} - CREATE_KEYWORDS.keys())
        gone = sorted(CREATE_KEYWORDS.keys() - params)
        problems = [
            f"KimiCLI.create keyword {k!r} is new: kimi-kernel does not know whether kagent can "
            "honour it" for k in unknown
        ] + [f"KimiCLI.create keyword {k!r} is missing" for k in gone]
        return "; ".join(problems) or None
    missing = [p.strip() for p in need.name.split(",") if p.strip() not in params]
    return f"{need.label}: parameter {', '.join(missing)} is missing" if missing else None


def verify() -> list[str]:
    """What the installed kimi-cli lacks of `NEEDS` (empty: everything is there)."""
    return [problem for need in (*NEEDS, *DOOR_NEEDS) if (problem := _check(need)) is not None]


def verify_key() -> str:
    """What verify()'s answer depends on: this module, the kimi-cli version, where it is
    installed and every file of it (path, size, mtime). Same key, same answer."""
    import hashlib
    import os

    spec = importlib.util.find_spec("kimi_cli")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    digest.update(kimi_cli_version().encode())
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def verify_once(cache: Path) -> list[str]:
    """verify(), run again only when its answer can have changed: a clean answer is
    remembered under `cache` (a marker named by verify_key()); problems never are."""
    marker = cache / "verified" / f"kimi-cli-{kimi_cli_version()}-{verify_key()}"
    if marker.is_file():
        return []
    problems = verify()
    if not problems:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text("verify() found nothing missing\n", encoding="utf-8")
        except OSError:
            pass  # an unwritable cache only costs the check at the next start
    return problems


def require() -> None:
    """Raise KimiCliMismatchError (naming each missing name and the version) unless verify() is clean."""
    problems = verify()
    if problems:
        raise KimiCliMismatchError(problems, kimi_cli_version())


# ---- the accessors: one small function per private name --------------------------------


def wire_server_soul(server: Any) -> Any:
    """The soul a kimi-cli WireServer serves (WireServer._soul)."""
    return getattr(server, "_soul", None)


def register_wire_request(server: Any, request: Any) -> None:
    """Make the WireServer resolve `request` when its client answers (WireServer._pending_requests)."""
    server._pending_requests[request.id] = request


async def send_to_wire_client(server: Any, message: Any) -> None:
    """Send a JSON-RPC message to the WireServer's client (WireServer._send_msg)."""
    await server._send_msg(message)


def wrap_create(make: Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]) -> None:
    """Replace KimiCLI.create by `make(original create)`."""
    from kimi_cli.app import KimiCLI

    original = KimiCLI.create
    wrapped = functools.wraps(original)(make(original))
    KimiCLI.create = staticmethod(wrapped)  # type: ignore[method-assign,assignment]


def also_on_shutdown(instance: Any, stop: Callable[[], Awaitable[None]]) -> None:
    """Run `stop` after the KimiCLI instance's shutdown_background_tasks, however it ends."""
    shutdown = instance.shutdown_background_tasks

    async def shutdown_then_stop() -> None:
        try:
            await shutdown()
        finally:
            await stop()

    instance.shutdown_background_tasks = shutdown_then_stop


def keep_kagents_agent_tasks(manager: Any, serving: Callable[[], bool]) -> None:
    """Make the session's BackgroundTaskManager leave kagent's agent tasks alone while
    `serving()` (kagent runs the session). kagent runs a background agent in its own process;
    kimi-cli's `recover()` (called by `reconcile()`: print mode's wait for background tasks, the
    shell's task browser) takes any agent task missing from its own `_live_agent_tasks` for
    lost. While kagent serves, the agent tasks not yet ended count as live there; once it no
    longer does (exited, or the session moved to the Python kernel), they are lost as
    kimi-cli would have them."""
    from kimi_cli.background.models import is_terminal_status

    recover = manager.recover

    def recover_around_kagent() -> None:
        if not serving():
            recover()
            return
        live = manager._live_agent_tasks
        kagents = [
            view.spec.id
            for view in manager.list_tasks(status=None, limit=None)
            if view.spec.kind == "agent"
            and not is_terminal_status(view.runtime.status)
            and view.spec.id not in live
        ]
        for task_id in kagents:
            live[task_id] = None  # only its presence is read by recover()
        try:
            recover()
        finally:
            for task_id in kagents:
                live.pop(task_id, None)

    manager.recover = recover_around_kagent


def leave_wire_notifications_to_kagent(notifications: Any, serving: Callable[[], bool]) -> None:
    """While `serving()`, the session's NotificationManager delivers nothing to the sink
    "wire": kagent sends the client its notifications itself, after its TurnBegin, as kimi-cli's
    soul does. kimi-cli's `run_soul` pumps that sink for any soul, and it would send them
    first, before kagent's TurnBegin reached the client."""
    deliver = notifications.deliver_pending

    async def deliver_unless_kagent(sink: str, **kwargs: Any) -> list[Any]:
        if sink == "wire" and serving():
            return []
        result: list[Any] = await deliver(sink, **kwargs)
        return result

    notifications.deliver_pending = deliver_unless_kagent


def wrap_wire_server(
    after_initialize: Callable[[Any, Any, Any], Awaitable[None]],
    before_shutdown: Callable[[Any], None],
) -> None:
    """Wrap WireServer._handle_initialize (then `after_initialize(server, msg, response)`)
    and WireServer._shutdown (first `before_shutdown(server)`)."""
    from kimi_cli.wire.server import WireServer

    original_init = WireServer._handle_initialize

    @functools.wraps(original_init)
    async def handle_initialize(self: WireServer, msg: Any) -> Any:
        response = await original_init(self, msg)
        await after_initialize(self, msg, response)
        return response

    original_shutdown = WireServer._shutdown

    @functools.wraps(original_shutdown)
    async def shutdown(self: WireServer) -> None:
        before_shutdown(self)
        await original_shutdown(self)

    WireServer._handle_initialize = handle_initialize  # type: ignore[method-assign]
    WireServer._shutdown = shutdown  # type: ignore[method-assign]


# ---- the agent kagent replaces (host._agent) ----------------------------------------------

_light_agent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kimi_kernel_light_agent", default=False
)


def install_agent_loader(light: Callable[[Any, Any], Any]) -> None:
    """Make kimi_cli.app.load_agent (what KimiCLI.create calls) return `light(agent_file,
    runtime)` instead of loading the agent while `agent_without_tools()` is active."""
    import kimi_cli.app as app

    original = app.load_agent
    if getattr(original, "__kimi_kernel__", False):
        return

    @functools.wraps(original)
    async def load_agent(
        agent_file: Any, runtime: Any, *, mcp_configs: Any, start_mcp_loading: bool = True
    ) -> Any:
        if _light_agent.get():
            return light(agent_file, runtime)
        return await original(
            agent_file, runtime, mcp_configs=mcp_configs, start_mcp_loading=start_mcp_loading
        )

    load_agent.__kimi_kernel__ = True  # type: ignore[attr-defined]
    app.load_agent = load_agent


@contextlib.contextmanager
def agent_without_tools() -> Iterator[None]:
    """While active (in this task and those it starts), KimiCLI.create builds its agent with
    `install_agent_loader`'s `light`."""
    token = _light_agent.set(True)
    try:
        yield
    finally:
        _light_agent.reset(token)


def agent_spec_agent(agent_file: Any, runtime: Any, toolset: Any) -> Any:
    """kimi-cli's Agent for the spec at `agent_file`: its name and system prompt rendered by
    kimi-cli (agentspec.load_agent_spec, agent._load_system_prompt), with `toolset`."""
    from kimi_cli.agentspec import load_agent_spec
    from kimi_cli.soul.agent import Agent, _load_system_prompt

    spec = load_agent_spec(agent_file)
    prompt = _load_system_prompt(
        spec.system_prompt_path, spec.system_prompt_args, runtime.builtin_args
    )
    return Agent(name=spec.name, system_prompt=prompt, toolset=toolset, runtime=runtime)


def agent_spec_error(agent_file: Path, work_dir: Path) -> str | None:
    """The error kimi-cli's start-up raises for the spec `agent_file` (as its CLI prints it:
    `str(exc)`), or None when it loads. The steps of kimi-cli's `load_agent` up to its tools:
    agentspec.load_agent_spec, the system prompt rendered by agent._load_system_prompt (the
    built-in arguments are stand-ins but for the work dir: a template's syntax and its spec
    arguments are what can fail), then each subagent's spec."""
    from dataclasses import fields

    from kaos.path import KaosPath
    from kimi_cli.agentspec import load_agent_spec
    from kimi_cli.soul.agent import BuiltinSystemPromptArgs, _load_system_prompt

    values: dict[str, Any] = {field.name: "" for field in fields(BuiltinSystemPromptArgs)}
    values["KIMI_WORK_DIR"] = KaosPath(str(work_dir))
    try:
        spec = load_agent_spec(agent_file)
        _load_system_prompt(
            spec.system_prompt_path, spec.system_prompt_args, BuiltinSystemPromptArgs(**values)
        )
        for subagent in spec.subagents.values():
            load_agent_spec(subagent.path)
    except Exception as exc:  # what kimi-cli's CLI prints for any start-up failure
        return str(exc)
    return None


async def load_python_agent(
    agent_file: Any, runtime: Any, *, mcp_configs: Any, start_mcp_loading: bool
) -> Any:
    """kimi-cli's own agent loader (tools, plugins, MCP servers), as KimiCLI.create calls it."""
    from kimi_cli.soul.agent import load_agent

    return await load_agent(
        agent_file, runtime, mcp_configs=mcp_configs, start_mcp_loading=start_mcp_loading
    )


def give_soul_agent(soul: Any, agent: Any) -> None:
    """Make `agent` the soul's agent, with what KimiSoul's constructor derives from the
    agent's tools: the D-Mail checkpoints, the hook engine, the plan-mode tool bindings
    (KimiSoul._agent, _checkpoint_with_user_message, _bind_plan_mode_tools)."""
    from kimi_cli.soul.kimisoul import SendDMail_NAME

    soul._agent = agent
    soul._checkpoint_with_user_message = any(
        tool.name == SendDMail_NAME for tool in agent.toolset.tools
    )
    soul.set_hook_engine(soul.hook_engine)
    soul._bind_plan_mode_tools()


def replace_soul_context(soul: Any, context: Any) -> None:
    """Give the soul another Context (KimiSoul._context; `soul.context` is read-only)."""
    soul._context = context


def adopt_plan_state(soul: Any, *, plan_mode: bool, plan_session_id: str | None) -> None:
    """Set the soul's plan mode as kagent left it, its activation already announced
    (KimiSoul._plan_mode, _plan_session_id, _pending_plan_activation_injection)."""
    soul._plan_mode = plan_mode
    soul._plan_session_id = plan_session_id
    soul._pending_plan_activation_injection = False


def swap_class(obj: Any, cls: type) -> None:
    """Turn an existing kimi-cli object into an instance of `cls`, a subclass of its class
    (KimiSoul into WireBackedSoul; the hook engine into one that skips kagent's events)."""
    assert isinstance(obj, cls.__mro__[1]), (type(obj), cls)
    obj.__class__ = cls


def silence_wire_recorder(wire: Any) -> None:
    """Stop the Wire from appending to wire.jsonl (Wire._recorder, _WireRecorder._record)."""
    recorder = getattr(wire, "_recorder", None)
    if recorder is None:
        return

    async def _skip(_msg: object) -> None:
        return None

    recorder._record = _skip


def ui_backlog(wire: Any) -> int | None:
    """How many messages sent on `wire` the UI side has not taken yet; None when unknown
    (Wire._raw_queue, BroadcastQueue._queues)."""
    raw = getattr(wire, "_raw_queue", None)
    if raw is None:
        return None
    return sum(q.qsize() for q in list(raw._queues))


def approvals_announced(approval_runtime: Any) -> bool:
    """Whether kimi-cli's approval runtime announces answers on the root wire hub
    (ApprovalRuntime._root_wire_hub)."""
    return getattr(approval_runtime, "_root_wire_hub", None) is not None


def llm_not_supported(llm: Any, message: str) -> Exception:
    """kimi-cli's LLMNotSupported carrying `message` (kagent's text names the model and the
    missing capabilities; kimi-cli's constructor would build its own)."""
    from kimi_cli.soul import LLMNotSupported

    exc = LLMNotSupported.__new__(LLMNotSupported)
    Exception.__init__(exc, message)
    exc.llm = llm
    exc.capabilities = []
    return exc


def patch_web_runner(module: Any, stand_in: Any) -> bool:
    """Give kimi-cli's web runner module `stand_in` as its `asyncio` (the runner's global
    `asyncio` name); False when it is not the real asyncio (patched already or changed)."""
    import asyncio

    if getattr(module, "asyncio", None) is not asyncio:
        return False
    module.asyncio = stand_in
    return True


# ---- the profile: kimi-cli's texts and tool definitions (host/_profile.py) -----------------


def agents_dir() -> Path:
    """The installed kimi-cli's bundled agents (<dir>/NAME/agent.yaml; "default" is the default)."""
    from kimi_cli.agentspec import DEFAULT_AGENT_FILE

    return Path(DEFAULT_AGENT_FILE).resolve().parent.parent


def builtin_skills_dir() -> Path:
    from kimi_cli.skill import get_builtin_skills_dir

    return Path(get_builtin_skills_dir()).resolve()


def bundled_tool_paths() -> list[str]:
    """The tools the bundled agent specs (every *.yaml under agents_dir) name, resolved by
    kimi-cli's own spec loader (extend chains included)."""
    from kimi_cli.agentspec import load_agent_spec

    paths: set[str] = set()
    for spec_file in sorted(agents_dir().glob("*/*.yaml")):
        spec = load_agent_spec(spec_file)
        paths.update(spec.tools or ())
        paths.update(spec.allowed_tools or ())
    return sorted(paths)


def exposed_tool_paths() -> list[str]:
    """`module:Class` of every tool class the modules under kimi_cli.tools expose (what an
    --agent-file may name besides the bundled specs' tools)."""
    import pkgutil

    import kimi_cli.tools
    from kosong.tooling import CallableTool, CallableTool2

    found: set[str] = set()
    modules = ["kimi_cli.tools"] + [
        m.name for m in pkgutil.walk_packages(kimi_cli.tools.__path__, "kimi_cli.tools.")
    ]
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue  # kimi-cli's loader reports such a module as an invalid tool, too
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, (CallableTool, CallableTool2))
                and value.__module__.startswith("kimi_cli.tools")
                and not inspect.isabstract(value)
            ):
                found.add(f"{name}:{attr}")
    return sorted(found)


async def detect_environment() -> Any:
    from kimi_cli.utils.environment import Environment

    return await Environment.detect()


def tool_dependencies(environment: Any, capabilities: tuple[str, ...]) -> dict[type[Any], Any]:
    """What kimi-cli's agent loader injects into tool constructors, for a root agent whose
    model has `capabilities` and with a search service configured. The runtime holds what
    the constructors read; nothing here runs a tool."""
    from types import SimpleNamespace

    from kimi_cli.config import Config, MoonshotSearchConfig
    from kimi_cli.session import Session
    from kimi_cli.soul.agent import BuiltinSystemPromptArgs, Runtime
    from kimi_cli.soul.approval import Approval
    from kimi_cli.soul.denwarenji import DenwaRenji
    from kimi_cli.soul.toolset import KimiToolset
    from kimi_cli.subagents.registry import LaborMarket
    from kimi_cli.utils.environment import Environment
    from pydantic import SecretStr

    config = Config()
    config.services.moonshot_search = MoonshotSearchConfig(
        base_url="http://search.invalid", api_key=SecretStr("")
    )
    builtin_args = SimpleNamespace(KIMI_WORK_DIR=None)
    approval = SimpleNamespace()
    denwa_renji = DenwaRenji()
    labor_market = LaborMarket()
    runtime = SimpleNamespace(
        config=config,
        llm=SimpleNamespace(capabilities=set(capabilities)),
        builtin_args=builtin_args,
        additional_dirs=[],
        skills_dirs=[],
        environment=environment,
        approval=approval,
        denwa_renji=denwa_renji,
        labor_market=labor_market,
        oauth=None,
        session=None,
        role="root",
    )
    return {
        KimiToolset: KimiToolset(),
        Runtime: runtime,
        Config: config,
        BuiltinSystemPromptArgs: builtin_args,
        Session: None,
        DenwaRenji: denwa_renji,
        Approval: approval,
        LaborMarket: labor_market,
        Environment: environment,
    }


def tool_definition(path: str, dependencies: dict[type[Any], Any]) -> dict[str, Any] | None:
    """The definition kimi-cli sends the model for the tool at `path` (name, description,
    parameters: kosong's OpenAI conversion of the built tool), or None when kimi-cli would not
    build it (skipped, or not a tool). `dependencies`: tool_dependencies(...)."""
    from kimi_cli.exception import InvalidToolError
    from kimi_cli.soul.toolset import KimiToolset
    from kosong.chat_provider.openai_common import tool_to_openai

    toolset = KimiToolset()
    try:
        toolset.load_tools([path], dependencies)
    except (InvalidToolError, ValueError):
        return None
    tools = toolset.tools
    if len(tools) != 1:
        return None
    function = tool_to_openai(tools[0])["function"]
    return {
        "name": function["name"],
        "description": function.get("description", ""),
        "parameters": function.get("parameters", {}),
    }


def init_prompt() -> str:
    from kimi_cli.prompts import INIT

    return INIT


def compact_prompt() -> str:
    from kimi_cli.prompts import COMPACT

    return COMPACT


def compaction_system_prompt() -> str:
    from kimi_cli.soul.compaction import COMPACTION_SYSTEM_PROMPT

    return COMPACTION_SYSTEM_PROMPT


def compaction_output_prefix() -> str:
    from kimi_cli.soul.compaction import COMPACTION_OUTPUT_PREFIX

    return COMPACTION_OUTPUT_PREFIX


def plan_full_reminder(plan_file: str, *, plan_exists: bool) -> str:
    """The full plan-mode reminder (plan_mode._full_reminder)."""
    from kimi_cli.soul.dynamic_injections.plan_mode import _full_reminder

    return _full_reminder(plan_file, plan_exists)


def plan_sparse_reminder(plan_file: str) -> str:
    """The sparse plan-mode reminder (plan_mode._sparse_reminder)."""
    from kimi_cli.soul.dynamic_injections.plan_mode import _sparse_reminder

    return _sparse_reminder(plan_file)


def plan_reentry_reminder(plan_file: str) -> str:
    """The plan-mode re-entry reminder (plan_mode._reentry_reminder)."""
    from kimi_cli.soul.dynamic_injections.plan_mode import _reentry_reminder

    return _reentry_reminder(plan_file)


def afk_mode_reminder() -> str:
    """The afk-mode reminder of a root agent (afk_mode._AFK_PROMPT_ROOT)."""
    from kimi_cli.soul.dynamic_injections.afk_mode import _AFK_PROMPT_ROOT

    return _AFK_PROMPT_ROOT


def afk_disabled_reminder() -> str:
    from kimi_cli.soul.dynamic_injections.afk_mode import AFK_DISABLED_REMINDER

    return AFK_DISABLED_REMINDER


def _ralph_decision_node(prompt: str) -> tuple[Any, list[Any]]:
    """The decision node (and its edges) of kimi-cli's Ralph flow for the user prompt
    `prompt` (FlowRunner.ralph_loop, FlowRunner._flow)."""
    from kimi_cli.soul.kimisoul import FlowRunner
    from kosong.message import Message

    flow = FlowRunner.ralph_loop(Message(role="user", content=prompt), 1)._flow
    decision = next(node for node in flow.nodes.values() if node.kind == "decision")
    return decision, flow.outgoing[decision.id]


def ralph_decision_label(prompt: str) -> str:
    """The Ralph loop's decision text for the user prompt `prompt`."""
    node, _ = _ralph_decision_node(prompt)
    assert isinstance(node.label, str)
    return node.label


def ralph_decision_prompt(prompt: str) -> str:
    """The whole prompt of the Ralph loop's decision step (the decision text with its
    branches), built by kimi-cli's flow runner (FlowRunner._build_flow_prompt)."""
    from kimi_cli.soul.kimisoul import FlowRunner

    node, edges = _ralph_decision_node(prompt)
    built = FlowRunner._build_flow_prompt(node, edges)
    assert isinstance(built, str)
    return built


def _placeholder_task_view() -> Any:
    from kimi_cli.background import TaskConsumerState, TaskControl, TaskRuntime, TaskSpec, TaskView

    spec = TaskSpec(id="bash-00000000", kind="bash", session_id="s", description="d",
                    tool_call_id="t", command="c")
    return TaskView(spec=spec, runtime=TaskRuntime(), control=TaskControl(),
                    consumer=TaskConsumerState())


def background_started_guidance() -> str:
    """What Shell(run_in_background=true) says after the task's fields (Shell._background_ok's
    output without its leading `format_task` lines)."""
    from kimi_cli.background import format_task
    from kimi_cli.tools.shell import Shell

    view = _placeholder_task_view()
    output = Shell._background_ok(None, view).output  # type: ignore[arg-type]
    assert isinstance(output, str)
    head = format_task(view, include_command=True) + "\n"
    assert output.startswith(head), "Shell._background_ok starts with format_task"
    return output[len(head):]


def task_output_hint(output_path: str, *, available: bool) -> str:
    """TaskOutput's `full_output_hint` (after `full_output_hint: `) for a log at
    `output_path` (an absolute placeholder path), or for a task with no output file."""
    from kimi_cli.tools.background import _format_task_output

    rendered = _format_task_output(
        _placeholder_task_view(), retrieval_status="success", output="",
        output_path=Path(output_path), full_output_available=available,
        output_size_bytes=0, output_preview_bytes=0, output_truncated=False,
    )
    prefix = "full_output_hint: "
    line = next(line for line in rendered.splitlines() if line.startswith(prefix))
    return line[len(prefix):]


def repeat_reminder_same_call() -> str:
    """Appended to a tool result repeated a few times (toolset._REMINDER_TEXT_1)."""
    from kimi_cli.soul.toolset import _REMINDER_TEXT_1

    return _REMINDER_TEXT_1


def repeat_reminder_many_times(tool: str, times: str, args: str) -> str:
    """Appended from the 5th repeat on (toolset._make_reminder_text_2), with placeholders."""
    from kimi_cli.soul.toolset import _make_reminder_text_2

    count: Any = times  # rendered with a placeholder where kimi-cli puts the count
    return _make_reminder_text_2(tool, count, args)


def repeat_reminder_stop() -> str:
    """Appended from the 8th repeat on (toolset._REMINDER_TEXT_3)."""
    from kimi_cli.soul.toolset import _REMINDER_TEXT_3

    return _REMINDER_TEXT_3


def compaction_custom_instruction(custom: str) -> str:
    """What kimi-cli's compaction appends after its instruction for `/compact <custom>`
    (SimpleCompaction.prepare on a history long enough to compact), without the instruction."""
    from kimi_cli.prompts import COMPACT
    from kimi_cli.soul.compaction import SimpleCompaction
    from kosong.message import Message, TextPart

    history = [Message(role="user", content="q"), Message(role="assistant", content="a")] * 2
    prepared = SimpleCompaction().prepare(history, custom_instruction=custom).compact_message
    assert prepared is not None
    last = prepared.content[-1]
    assert isinstance(last, TextPart)
    text = last.text
    lead = "\n" + COMPACT
    if not text.startswith(lead):
        raise KimiCliMismatchError(
            ["SimpleCompaction.prepare no longer appends the custom instruction after COMPACT"],
            kimi_cli_version(),
        )
    return text[len(lead) :]


def dmail_injection(message: str) -> str:
    """The text KimiSoul._step injects for a pending D-Mail, with `message` where kimi-cli puts
    the D-Mail's text. kimi-cli builds it in an f-string inside _step: it is read from that
    f-string in the installed kimi-cli's source (its literal parts, in order)."""
    import ast
    import textwrap

    from kimi_cli.soul.kimisoul import KimiSoul

    tree = ast.parse(textwrap.dedent(inspect.getsource(KimiSoul._step)))
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        values = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        if len(values) == 1 and ast.unparse(values[0].value) == "dmail.message.strip()":
            return "".join(
                str(v.value) if isinstance(v, ast.Constant) else message for v in node.values
            )
    raise KimiCliMismatchError(
        ["KimiSoul._step no longer builds the D-Mail injection from dmail.message.strip()"],
        kimi_cli_version(),
    )


@dataclass(frozen=True, slots=True)
class SourceString:
    """A string literal of kimi-cli's source: its text, with `{expr}` where an f-string puts
    a value, and those expressions in order."""

    text: str
    fields: tuple[str, ...]


def source_strings(owner: str) -> list[SourceString]:
    """Every string literal of the function `owner` ("module:Qual.name") of the installed
    kimi-cli, in source order (an f-string is one literal; implicit concatenation is one)."""
    import ast
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(_resolve(owner))))
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inner.update(id(sub) for sub in ast.walk(node) if sub is not node)
    literals = [
        node
        for node in ast.walk(tree)
        if id(node) not in inner
        and (
            isinstance(node, ast.JoinedStr)
            or (isinstance(node, ast.Constant) and isinstance(node.value, str))
        )
    ]
    literals.sort(key=lambda node: (node.lineno, node.col_offset))
    found: list[SourceString] = []
    for node in literals:
        if isinstance(node, ast.Constant):
            found.append(SourceString(str(node.value), ()))
            continue
        assert isinstance(node, ast.JoinedStr)
        text, fields = "", []
        for value in node.values:
            if isinstance(value, ast.Constant):
                text += str(value.value)
            else:
                assert isinstance(value, ast.FormattedValue)
                fields.append(ast.unparse(value.value))
                text += "{" + fields[-1] + "}"
        found.append(SourceString(text, tuple(fields)))
    return found


def flow_decision_prompt(label: str, branch: str) -> str:
    """The prompt of a flow's decision node labelled `label` with one branch `branch`, built
    by kimi-cli's flow runner (FlowRunner._build_flow_prompt)."""
    from kimi_cli.skill.flow import FlowEdge, FlowNode
    from kimi_cli.soul.kimisoul import FlowRunner

    node = FlowNode(id="D", label=label, kind="decision")
    built = FlowRunner._build_flow_prompt(node, [FlowEdge(src="D", dst="E", label=branch)])
    assert isinstance(built, str)
    return built


async def flow_invalid_choice_suffix() -> str:
    """What kimi-cli's flow runner appends to a decision's prompt after an answer without a
    valid choice: FlowRunner._execute_flow_node run with its turns answered here (the first
    with no choice, the second choosing the branch), the second prompt minus the first."""
    from kimi_cli.skill.flow import FlowEdge, FlowNode
    from kimi_cli.soul.kimisoul import FlowRunner, TurnOutcome
    from kosong.message import Message

    prompts: list[Any] = []

    class Recording(FlowRunner):
        @staticmethod
        async def _flow_turn(soul: Any, prompt: Any) -> TurnOutcome:
            prompts.append(prompt)
            text = "no choice" if len(prompts) == 1 else "<choice>B</choice>"
            return TurnOutcome(
                stop_reason="no_tool_calls",
                final_message=Message(role="assistant", content=text),
                step_count=1,
            )

    node = FlowNode(id="D", label="decide", kind="decision")
    edges = [FlowEdge(src="D", dst="E", label="B")]
    runner = Recording(FlowRunner.ralph_loop(Message(role="user", content="x"), 1)._flow)
    await runner._execute_flow_node(None, node, edges)  # type: ignore[arg-type]
    first, second = (prompts + [None, None])[:2]
    if not (isinstance(first, str) and isinstance(second, str) and second.startswith(first)):
        raise KimiCliMismatchError(
            ["FlowRunner._execute_flow_node no longer asks again after an invalid choice"],
            kimi_cli_version(),
        )
    return second[len(first) :]


def slash_command_descriptions() -> dict[str, str]:
    """kimi-cli's soul-level slash commands: name -> description (its registry)."""
    from kimi_cli.soul.slash import registry

    return {command.name: command.description for command in registry.list_commands()}


def plan_slug_words() -> list[str]:
    from kimi_cli.tools.plan.heroes import HERO_NAMES

    return list(HERO_NAMES)


# ---- the front door: kimi-cli's UI under the kimi-kernel command -------------------------


def rewrite_original_stderr(rewrite: Callable[[bytes], bytes]) -> None:
    """Pass what kimi-cli writes to the user's original stderr (its fatal errors and hints,
    through kimi_cli.utils.logging.open_original_stderr) through `rewrite`."""
    import contextlib

    from kimi_cli.utils import logging as kimi_logging

    original = kimi_logging.open_original_stderr

    class Rewriting:
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        def write(self, data: bytes) -> int:
            return int(self._stream.write(rewrite(data)))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._stream, name)

    @contextlib.contextmanager
    def opened() -> Any:
        with original() as stream:
            yield None if stream is None else Rewriting(stream)

    kimi_logging.open_original_stderr = opened


def edit_shell_welcome(edit: Callable[[Any, list[Any]], list[Any]]) -> None:
    """Shell(soul, welcome_info=...) gets `edit(soul, welcome_info)` instead."""
    from kimi_cli.ui.shell import Shell

    original = Shell.__init__

    @functools.wraps(original)
    def init(self: Any, soul: Any, welcome_info: Any = None, prefill_text: Any = None) -> None:
        original(self, soul, edit(soul, list(welcome_info or [])), prefill_text)

    Shell.__init__ = init  # type: ignore[method-assign]


def rewrite_shell_console(rewrite: Callable[[str], str]) -> None:
    """The text the shell prints through its console (kimi_cli.ui.shell.console.console)
    passes through `rewrite` (strings only; rich renderables are printed as they are)."""
    from kimi_cli.ui.shell.console import console

    original = console.print

    @functools.wraps(original)
    def print_(*objects: Any, **kwargs: Any) -> None:
        original(*(rewrite(o) if isinstance(o, str) else o for o in objects), **kwargs)

    console.print = print_  # type: ignore[method-assign]


def rewrite_mcp_status_hints(rewrite: Callable[[str], str]) -> None:
    """The shell's MCP status texts pass through `rewrite`: /mcp's server lines (markup made
    into rich Text in kimi_cli.ui.shell.mcp_status) and the prompt's MCP line
    (`_prompt_server_detail`)."""
    from kimi_cli.ui.shell import mcp_status

    detail = mcp_status._prompt_server_detail

    @functools.wraps(detail)
    def prompt_detail(server: Any) -> str:
        return rewrite(detail(server))

    mcp_status._prompt_server_detail = prompt_detail
    base = mcp_status.Text

    class RewrittenText(base):  # type: ignore[misc,valid-type]
        @classmethod
        def from_markup(cls, text: str, *args: Any, **kwargs: Any) -> Any:
            return base.from_markup(rewrite(text), *args, **kwargs)

    mcp_status.Text = RewrittenText  # type: ignore[misc]


def rewrite_mcp_cli_output(rewrite: Callable[[str], str]) -> None:
    """What `kimi mcp ...` echoes (kimi_cli.cli.mcp, through `typer.echo`) passes through
    `rewrite`."""
    import typer
    from kimi_cli.cli import mcp as mcp_cli

    class EchoRewritten:
        def __getattr__(self, name: str) -> Any:
            return getattr(typer, name)

        @staticmethod
        def echo(message: Any = None, *args: Any, **kwargs: Any) -> None:
            typer.echo(rewrite(message) if isinstance(message, str) else message, *args, **kwargs)

    mcp_cli.typer = EchoRewritten()  # type: ignore[assignment]


def replace_shell_slash_command(
    name: str, description: str, func: Callable[[Any, str], Awaitable[None]]
) -> bool:
    """The shell's /`name` runs `func(shell, args)` and is listed with `description`
    (kimi_cli.ui.shell.slash.registry; SlashCommandRegistry._commands, _command_aliases).
    False when kimi-cli's shell has no such command."""
    import dataclasses

    from kimi_cli.ui.shell.slash import registry

    old = registry._commands.get(name)
    if old is None:
        return False
    new = dataclasses.replace(old, description=description, func=func)
    registry._commands[name] = new
    for alias, cmd in list(registry._command_aliases.items()):
        if cmd is old:
            registry._command_aliases[alias] = new
    return True


def replace_shell_goodbye(goodbye: Callable[[Any], None]) -> None:
    """The shell's goodbye (kimi_cli.ui.shell.print_migration_goodbye) becomes `goodbye(console)`."""
    import kimi_cli.ui.shell as shell

    def print_goodbye(console: Any, **_: Any) -> None:
        goodbye(console)

    shell.print_migration_goodbye = print_goodbye


# ---- the Agent tool ---------------------------------------------------------------------


def agent_tool_definition(types_placeholder: str) -> dict[str, Any]:
    """The Agent tool's definition as kimi-cli sends it, with `types_placeholder` where
    kimi-cli lists the running agent spec's subagent types (AgentTool._builtin_type_lines):
    kagent fills in the lines of the spec it runs."""
    from kimi_cli.tools.agent import AgentTool
    from kosong.chat_provider.openai_common import tool_to_openai

    class _Template(AgentTool):
        @staticmethod
        def _builtin_type_lines(runtime: Any) -> str:
            return types_placeholder

    function = tool_to_openai(_Template(cast(Any, None)).base)["function"]
    return {
        "name": function["name"],
        "description": function.get("description", ""),
        "parameters": function.get("parameters", {}),
    }


def agent_type_line(
    name: str, description: str, tools: str, model: str, when_to_use: str
) -> str:
    """The line the Agent tool's description gives one subagent type, by kimi-cli's own
    AgentTool._builtin_type_lines, for a type with the given (placeholder) fields; an empty
    `when_to_use` gives the line without it."""
    from pathlib import Path
    from types import SimpleNamespace

    from kimi_cli.subagents.models import AgentTypeDefinition, ToolPolicy
    from kimi_cli.subagents.registry import LaborMarket
    from kimi_cli.tools.agent import AgentTool

    market = LaborMarket()
    market.add_builtin_type(
        AgentTypeDefinition(
            name=name,
            description=description,
            agent_file=Path("."),
            when_to_use=when_to_use,
            default_model=model,
            tool_policy=ToolPolicy(mode="allowlist", tools=(tools,)),
        )
    )
    return AgentTool._builtin_type_lines(cast(Any, SimpleNamespace(labor_market=market)))


def subagent_summary_continuation_prompt() -> str:
    """What a subagent is asked when its summary is too short (runner's constant)."""
    from kimi_cli.subagents.runner import SUMMARY_CONTINUATION_PROMPT

    return SUMMARY_CONTINUATION_PROMPT
