"""The Python agent kagent replaces is not built until the Python kernel needs it.

kimi-cli's KimiCLI.create loads its agent: every tool (importing their modules: web fetch,
search, media...), plugin tools, the MCP servers. A session that runs on kagent uses none of
them: kagent has its own tools and starts the MCP servers itself. So under `rust` and `auto`,
for the shell and print modes, create builds the agent without tools (`without_tools`: its
name and the system prompt kimi-cli renders from the spec, kosong's EmptyToolset), and the session
keeps a `PythonAgentRecipe`. The full agent is built (`build_python_agent`) only when the
session moves to the Python kernel: kagent did not start (auto), or it died and the session
falls back. The soul keeps its context, session, approvals and plan state; only its agent is
replaced, and the system prompt stays the one already in the context, as on a resume.

Wire and ACP sessions keep the full toolset: their clients register tools on it (a Wire
client's external tool that collides with a built-in one is refused by name).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kimi_kernel.host import kimi_private

# ui modes whose sessions on kagent get the agent without tools
LIGHT_UI_MODES = frozenset({"shell", "print"})


def without_tools(agent_file: Any, runtime: Any) -> Any:
    """The agent of a kagent session: the spec's name and system prompt, no tools."""
    from kimi_cli import logger
    from kosong.tooling.empty import EmptyToolset

    # not a KimiToolset: KimiSoul then binds no plan-mode tools (importing their modules)
    agent = kimi_private.agent_spec_agent(agent_file, runtime, EmptyToolset())
    logger.info("kimi-kernel: the agent without the Python tools and MCP servers (kagent runs them)")
    return agent


def install() -> None:
    kimi_private.install_agent_loader(without_tools)


@dataclass(frozen=True)
class PythonAgentRecipe:
    """What KimiCLI.create was asked for, to build the Python agent later the same way."""

    agent_file: Path | None
    mcp_configs: Any
    defer_mcp_loading: bool


def recipe(kwargs: dict[str, Any]) -> PythonAgentRecipe:
    return PythonAgentRecipe(
        agent_file=kwargs.get("agent_file"),
        mcp_configs=kwargs.get("mcp_configs") or [],
        defer_mcp_loading=bool(kwargs.get("defer_mcp_loading")),
    )


async def build_python_agent(soul: Any, wanted: PythonAgentRecipe, *, at_start: bool) -> None:
    """Give `soul` kimi-cli's full agent (tools, plugins, MCP servers) as KimiCLI.create
    would have built it; the system prompt is the context's (written at the session's start).
    `at_start`: still inside KimiCLI.create, where the shell's deferred MCP start-up (the
    shell starts it once it is up) applies; later the servers start now."""
    from kimi_cli import logger
    from kimi_cli.agentspec import DEFAULT_AGENT_FILE

    logger.info("kimi-kernel: building the Python agent for the Python kernel")
    agent = await kimi_private.load_python_agent(
        wanted.agent_file or DEFAULT_AGENT_FILE,
        soul.runtime,
        mcp_configs=wanted.mcp_configs,
        start_mcp_loading=not (at_start and wanted.defer_mcp_loading),
    )
    context = soul.context
    if context.system_prompt is not None:
        agent = replace(agent, system_prompt=context.system_prompt)
    else:
        await context.write_system_prompt(agent.system_prompt)
    kimi_private.give_soul_agent(soul, agent)
