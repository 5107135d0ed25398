"""Wire the kernel selection into kimi-cli: wrap KimiCLI.create so its soul runs on kagent."""

from __future__ import annotations

import functools
from typing import Any

from kimi_kernel._client import KagentError
from kimi_kernel._launch import (
    KernelLauncher,
    custom_agent_file,
    kagent_args,
    kimi_builtin_skills_dir,
)
from kimi_kernel._locate import KagentNotFoundError
from kimi_kernel._select import Selection

_installed: Selection | None = None


class KernelUnavailableError(RuntimeError):
    """--kernel rust (strict) was asked for, but kagent cannot run."""


class KagentLacksFeatureError(RuntimeError):
    """The session needs something kagent does not do yet (e.g. MCP servers)."""


def mcp_server_count(mcp_configs: Any) -> int:
    """MCP servers in what kimi-cli loaded from --mcp-config-file/--mcp-config/mcp.json."""
    count = 0
    for conf in mcp_configs or ():
        servers = (
            conf.get("mcpServers")
            if isinstance(conf, dict)
            else getattr(conf, "mcpServers", None)
        )
        count += len(servers or {})
    return count


def missing_features(kwargs: dict[str, Any]) -> KagentLacksFeatureError | None:
    """Why this session cannot run on kagent without losing something, or None.

    kagent has no MCP client yet: running an MCP session on it would silently drop the
    servers' tools; it runs no agent spec but the default one. Such a session stays on the
    Python kernel (auto) or fails (rust).
    """
    servers = mcp_server_count(kwargs.get("mcp_configs"))
    if servers:
        return KagentLacksFeatureError(
            f"kagent does not run MCP servers yet ({servers} configured through "
            "--mcp-config-file, --mcp-config or the global mcp.json)"
        )
    # kagent runs kimi-cli's default agent only (and refuses others at startup): another
    # agent's system prompt and tools would be silently swapped for the default ones
    if (spec := custom_agent_file(kwargs.get("agent_file"))) is not None:
        return KagentLacksFeatureError(
            f"kagent runs only the default agent, not the agent spec {spec} "
            "(--agent okabe or --agent-file)"
        )
    return None


def _headline(e: Exception) -> str:
    return e.headline if isinstance(e, KagentNotFoundError) else str(e)


def install(selection: Selection) -> None:
    """Make every KimiCLI.create (shell, print, wire, ACP sessions) honour `selection`."""
    global _installed
    from kimi_cli.app import KimiCLI

    if _installed is not None:
        _installed = selection
        return
    _installed = selection
    from kimi_kernel._web import install_web_patch

    install_web_patch()  # web UI workers (`kimi-kernel web`, /web) honour the selection too
    original = KimiCLI.create

    @functools.wraps(original)
    async def create(session: Any, **kwargs: Any) -> KimiCLI:
        current = _installed
        if current is None or current.kernel == "python":
            plain: KimiCLI = await original(session, **kwargs)
            return plain
        if kwargs.get("ui_mode", "shell") == "shell":
            # the shell has one session at a time: a reload (/new, /model, ...) replaces it
            await stop_shell_kagents()
        if (lacking := missing_features(kwargs)) is not None:
            unavailable(current, lacking)
            without: KimiCLI = await original(session, **kwargs)
            return without
        launcher = make_launcher(session, kwargs)
        try:  # find kagent before kimi-cli loads the agent: a strict failure is then quick
            launcher.locate()
        except KagentNotFoundError as e:
            unavailable(current, e)
            fallback: KimiCLI = await original(session, **kwargs)
            return fallback
        instance = await original(session, **kwargs)
        attached: KimiCLI = await attach_kagent(instance, session, launcher, current)
        return attached

    KimiCLI.create = staticmethod(create)  # type: ignore[method-assign]


_shell_clients: list[Any] = []


async def stop_shell_kagents() -> None:
    while _shell_clients:
        await KernelLauncher.stop(_shell_clients.pop())


def make_launcher(session: Any, kwargs: dict[str, Any]) -> KernelLauncher:
    return KernelLauncher(
        args=kagent_args(
            work_dir=str(session.work_dir),
            session_id=session.id,
            config=kwargs.get("config"),
            model_name=kwargs.get("model_name"),
            thinking=kwargs.get("thinking"),
            yolo=bool(kwargs.get("yolo")),
            afk=bool(kwargs.get("afk")),
            plan=bool(kwargs.get("plan_mode")),
            runtime_afk=bool(kwargs.get("runtime_afk")),
            agent_file=kwargs.get("agent_file"),
            skills_dirs=kwargs.get("skills_dirs"),
            builtin_skills_dir=kimi_builtin_skills_dir(),
            max_steps_per_turn=kwargs.get("max_steps_per_turn"),
            max_retries_per_step=kwargs.get("max_retries_per_step"),
        ),
        cwd=str(session.work_dir),
        initialize=kwargs.get("ui_mode", "shell") != "wire",
    )


def unavailable(sel: Selection, e: Exception) -> None:
    """rust: raise a clear error (kimi-cli prints it and exits 1); auto: one-line notice."""
    from kimi_cli import logger

    from kimi_kernel._soul import notice

    if sel.kernel == "rust":
        raise KernelUnavailableError(
            f"kimi-kernel: the rust kernel was requested ({sel.detail}) but kagent cannot "
            f"run this session: {e}\nUse --kernel python or --kernel auto to run on the Python kernel."
        ) from e
    logger.warning("kimi-kernel: kagent unavailable, using the Python kernel: {e}", e=e)
    notice(
        f"kimi-kernel: kagent unavailable ({_headline(e)}); using the Python kernel."
    )


async def attach_kagent(
    instance: Any, session: Any, launcher: KernelLauncher, sel: Selection
) -> Any:
    from kimi_cli import logger

    from kimi_kernel._soul import WireBackedSoul

    try:
        client = await launcher.start()
    except (KagentError, KagentNotFoundError) as e:
        unavailable(sel, e)
        return instance

    soul = WireBackedSoul.adopt(
        instance.soul, launcher=launcher, client=client, strict=sel.kernel == "rust"
    )
    divert_session_hooks(soul)
    if not launcher.initialize:
        patch_wire_server()
    logger.info(
        "kimi-kernel: session {sid} runs on kagent pid {pid}",
        sid=session.id,
        pid=client.pid,
    )

    shutdown = instance.shutdown_background_tasks

    async def shutdown_with_kagent() -> None:
        try:
            await shutdown()
        finally:
            if soul.kagent_client is not None:
                await KernelLauncher.stop(soul.kagent_client)

    instance.shutdown_background_tasks = shutdown_with_kagent
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

    engine.__class__ = KagentFiresSessionHooks


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
    from kimi_cli.wire.server import WireServer

    from kimi_kernel._soul import WireBackedSoul

    original = WireServer._handle_initialize

    @functools.wraps(original)
    async def handle_initialize(self: WireServer, msg: Any) -> Any:
        response = await original(self, msg)
        soul = getattr(self, "_soul", None)
        if isinstance(soul, WireBackedSoul) and isinstance(
            response, JSONRPCSuccessResponse
        ):
            await soul.forward_initialize(self, msg.params)
        return response

    WireServer._handle_initialize = handle_initialize  # type: ignore[method-assign]

    original_shutdown = WireServer._shutdown

    @functools.wraps(original_shutdown)
    async def shutdown(self: WireServer) -> None:
        soul = getattr(self, "_soul", None)
        if isinstance(soul, WireBackedSoul):
            soul.client_gone()
        await original_shutdown(self)

    WireServer._shutdown = shutdown  # type: ignore[method-assign]
