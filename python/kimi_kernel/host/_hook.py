"""Wire the kernel selection into kimi-cli: wrap KimiCLI.create so its soul runs on kagent."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from kimi_kernel.core._client import KagentError
from kimi_kernel.core._launch import KernelLauncher, kagent_args
from kimi_kernel.core._locate import KagentNotFoundError
from kimi_kernel.core._select import Selection
from kimi_kernel.host import _agent, kimi_private
from kimi_kernel.host._agent import PythonAgentRecipe
from kimi_kernel.host._notice import kimi_log, notice
from kimi_kernel.host._profile import ProfileError, ensure_profile

_installed: Selection | None = None

type Create = Callable[..., Awaitable[Any]]


class KernelUnavailableError(RuntimeError):
    """--kernel rust (strict) was asked for, but kagent cannot run."""


class KagentLacksFeatureError(RuntimeError):
    """The session needs something kagent does not do yet (e.g. MCP servers)."""


def kimi_builtin_skills_dir() -> str | None:
    """kimi-cli's bundled skills directory: kagent is told to list it as its built-in skills,
    so both kernels name the same files (kagent otherwise writes its own copies)."""
    try:
        from kimi_cli.skill import get_builtin_skills_dir
    except ImportError:
        return None
    return str(get_builtin_skills_dir())


def custom_agent_file(agent_file: Path | str | None) -> Path | None:
    """The agent spec when it is not kimi-cli's default agent (kimi-cli turns `--agent
    default` into the default spec's path), else None: kagent runs the default agent of
    the profile by itself, and any other spec from the path it is given (`--agent okabe`
    reaches here as the bundled okabe spec's path)."""
    if agent_file is None:
        return None
    from kimi_cli.agentspec import DEFAULT_AGENT_FILE

    path = Path(agent_file)
    try:
        if path.resolve() == Path(DEFAULT_AGENT_FILE).resolve():
            return None
    except OSError:  # unresolvable: certainly not the bundled default spec
        pass
    return path


def mcp_config_args(mcp_configs: Any) -> list[str]:
    """kagent's `--mcp-config` flags for what kimi-cli loaded from --mcp-config-file,
    --mcp-config or the global mcp.json (kagent reads them as kimi-cli does)."""
    args: list[str] = []
    for conf in mcp_configs or ():
        data = conf if isinstance(conf, dict) else conf.model_dump(mode="json", exclude_none=True)
        args += ["--mcp-config", json.dumps(data, ensure_ascii=False)]
    return args


def missing_features(kwargs: dict[str, Any]) -> KagentLacksFeatureError | None:
    """Why this session cannot run on kagent without losing something, or None.

    Agent specs (--agent, --agent-file), Ralph mode and MCP servers (stdio, streamable HTTP
    and SSE) run on kagent; what is left is a keyword of a newer kimi-cli.
    """
    unknown = sorted(set(kwargs) - kimi_private.CREATE_KEYWORDS.keys())
    if unknown:  # a newer kimi-cli's keyword: kagent might not honour it
        return KagentLacksFeatureError(
            f"KimiCLI.create got {', '.join(unknown)}, which kimi-kernel does not know how to "
            "run on kagent"
        )
    return None


def _headline(e: Exception) -> str:
    return e.headline if isinstance(e, KagentNotFoundError) else str(e)


def install(selection: Selection) -> None:
    """Make every KimiCLI.create (shell, print, wire, ACP sessions) honour `selection`."""
    global _installed
    if _installed is not None:
        _installed = selection
        return
    _installed = selection
    from kimi_kernel.host._web import install_web_patch

    _agent.install()
    install_web_patch()  # web UI workers (`kimi-kernel web`, /web) honour the selection too
    kimi_private.wrap_create(honour_selection)


def honour_selection(original: Create) -> Create:
    """KimiCLI.create as kimi-kernel runs it: the session on kagent, unless it cannot be."""

    async def create(session: Any, **kwargs: Any) -> Any:
        current = _installed
        if current is None or current.kernel == "python":
            return await original(session, **kwargs)
        if kwargs.get("ui_mode", "shell") == "shell":
            # the shell has one session at a time: a reload (/new, /model, ...) replaces it
            await stop_shell_kagents()
        if (lacking := missing_features(kwargs)) is not None:
            unavailable(current, lacking)
            return await original(session, **kwargs)
        try:
            profile = ensure_profile()
        except (ProfileError, kimi_private.KimiCliMismatchError) as e:
            unavailable(current, e)
            return await original(session, **kwargs)
        launcher = make_launcher(session, kwargs, profile=profile)
        try:  # find kagent before kimi-cli loads the agent: a strict failure is then quick
            launcher.locate()
        except KagentNotFoundError as e:
            unavailable(current, e)
            return await original(session, **kwargs)
        # kagent starts the MCP servers: kimi-cli's own soul must not start them a second time;
        # in the shell and print modes it gets no tools at all until the Python kernel runs
        mcp_configs = kwargs.get("mcp_configs")
        wanted = _agent.recipe(kwargs) if kwargs.get("ui_mode", "shell") in _agent.LIGHT_UI_MODES else None
        with kimi_private.agent_without_tools() if wanted else contextlib.nullcontext():
            instance = await original(session, **{**kwargs, "mcp_configs": []})
        attached = await attach_kagent(instance, session, launcher, current, python_agent=wanted)
        if kagent_attached(attached):
            return attached
        # kagent did not start (auto): the Python kernel runs the session, with its servers
        if wanted is not None:
            await _agent.build_python_agent(instance.soul, wanted, at_start=True)
        elif mcp_configs:
            return await original(session, **kwargs)
        return attached

    return create


_shell_clients: list[Any] = []


async def stop_shell_kagents() -> None:
    while _shell_clients:
        await KernelLauncher.stop(_shell_clients.pop())


def make_launcher(
    session: Any, kwargs: dict[str, Any], *, profile: Path | None = None
) -> KernelLauncher:
    return KernelLauncher(
        args=[*kagent_args(
            work_dir=str(session.work_dir),
            session_id=session.id,
            config=kwargs.get("config"),
            model_name=kwargs.get("model_name"),
            thinking=kwargs.get("thinking"),
            yolo=bool(kwargs.get("yolo")),
            afk=bool(kwargs.get("afk")),
            plan=bool(kwargs.get("plan_mode")),
            runtime_afk=bool(kwargs.get("runtime_afk")),
            agent_spec=custom_agent_file(kwargs.get("agent_file")),
            skills_dirs=kwargs.get("skills_dirs"),
            builtin_skills_dir=kimi_builtin_skills_dir(),
            max_steps_per_turn=kwargs.get("max_steps_per_turn"),
            max_retries_per_step=kwargs.get("max_retries_per_step"),
            # [loop_control] of the config reaches kagent with the config; the flag wins, as
            # kimi-cli's create lets it
            max_ralph_iterations=kwargs.get("max_ralph_iterations"),
            profile=profile,
        ), *mcp_config_args(kwargs.get("mcp_configs"))],
        log=kimi_log,
        cwd=str(session.work_dir),
        initialize=kwargs.get("ui_mode", "shell") != "wire",
    )


def unavailable(sel: Selection, e: Exception) -> None:
    """rust: raise a clear error (kimi-cli prints it and exits 1); auto: one-line notice."""
    from kimi_cli import logger

    if sel.kernel == "rust":
        raise KernelUnavailableError(
            f"kimi-kernel: the rust kernel was requested ({sel.detail}) but kagent cannot "
            f"run this session: {e}\nUse --kernel python or --kernel auto to run on the Python kernel."
        ) from e
    logger.warning("kimi-kernel: kagent unavailable, using the Python kernel: {e}", e=e)
    notice(
        f"kimi-kernel: kagent unavailable ({_headline(e)}); using the Python kernel."
    )


def kagent_attached(instance: Any) -> bool:
    from kimi_kernel.host._soul import WireBackedSoul

    return isinstance(instance.soul, WireBackedSoul)


async def attach_kagent(
    instance: Any,
    session: Any,
    launcher: KernelLauncher,
    sel: Selection,
    *,
    python_agent: PythonAgentRecipe | None = None,
) -> Any:
    """Run the instance's session on kagent; `python_agent`: the instance's agent has no
    tools, and this is how to build the Python one when the session moves (host._agent)."""
    from kimi_cli import logger

    from kimi_kernel.host._soul import WireBackedSoul

    try:
        client = await launcher.start()
    except (KagentError, KagentNotFoundError) as e:
        unavailable(sel, e)
        return instance

    soul = WireBackedSoul.adopt(
        instance.soul,
        launcher=launcher,
        client=client,
        strict=sel.kernel == "rust",
        python_agent=python_agent,
    )
    divert_session_hooks(soul)
    if not launcher.initialize:
        patch_wire_server()
    logger.info(
        "kimi-kernel: session {sid} runs on kagent pid {pid}",
        sid=session.id,
        pid=client.pid,
    )

    async def stop_kagent() -> None:
        if soul.kagent_client is not None:
            await KernelLauncher.stop(soul.kagent_client)

    kimi_private.also_on_shutdown(instance, stop_kagent)
    kimi_private.keep_kagents_agent_tasks(
        instance.soul.runtime.background_tasks, lambda: soul.on_kagent
    )
    kimi_private.leave_wire_notifications_to_kagent(
        instance.soul.runtime.notifications, lambda: soul.on_kagent
    )
    if getattr(instance.soul.runtime, "ui_mode", "shell") == "shell":
        _shell_clients.append(client)
    return instance


# kagent runs the session's config hooks, SessionStart/SessionEnd included (at its start and
# when its stdin closes); kimi-cli's own engine must not run them a second time.
_KAGENT_RUNS = frozenset({"SessionStart", "SessionEnd"})


def divert_session_hooks(soul: Any) -> None:
    """Make the soul's hook engine skip the events kagent fires, while kagent runs."""
    engine = soul.hook_engine

    class KagentFiresSessionHooks(type(engine)):  # type: ignore[misc]
        async def trigger(
            self, event: Any, *, matcher_value: str = "", input_data: dict[str, Any]
        ) -> list[Any]:
            if event in _KAGENT_RUNS and soul.kernel == "rust":
                return []  # kagent fired it (or fires it when its stdin closes)
            results: list[Any] = await super().trigger(
                event, matcher_value=matcher_value, input_data=input_data
            )
            return results

    kimi_private.swap_class(engine, KagentFiresSessionHooks)


_wire_patched = False


def patch_wire_server() -> None:
    """kimi-cli's Wire server answers its client's `initialize`: make it also initialize
    kagent the same way (WireBackedSoul.forward_initialize) before it answers. When its
    client's input ends, kagent's input ends first (WireBackedSoul.client_gone)."""
    global _wire_patched
    if _wire_patched:
        return
    _wire_patched = True
    from kimi_cli.wire.jsonrpc import JSONRPCSuccessResponse

    from kimi_kernel.host._soul import WireBackedSoul

    async def after_initialize(server: Any, msg: Any, response: Any) -> None:
        soul = kimi_private.wire_server_soul(server)
        if isinstance(soul, WireBackedSoul) and isinstance(response, JSONRPCSuccessResponse):
            await soul.forward_initialize(server, msg.params)

    def before_shutdown(server: Any) -> None:
        soul = kimi_private.wire_server_soul(server)
        if isinstance(soul, WireBackedSoul):
            soul.client_gone()

    kimi_private.wrap_wire_server(after_initialize, before_shutdown)
