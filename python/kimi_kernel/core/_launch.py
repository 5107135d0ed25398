"""Turn a session's settings into a `kagent --wire` command line, and start it.

Knows nothing of kimi-cli: the host (kimi_kernel.host) maps what kimi-cli resolved onto
these parameters."""

from __future__ import annotations

import atexit
import json
import os
from collections.abc import Sequence

from kimi_kernel.core._locate import Located, locate

# typing is not imported at run time: the Wire exec's start would pay for it, and more for
# a typing.NamedTuple (it compiles each string annotation); mypy reads TYPE_CHECKING by name
TYPE_CHECKING = False
if TYPE_CHECKING:  # the client (asyncio) too is imported when kagent is started, not for its argv
    from pathlib import Path
    from typing import Any

    from kimi_kernel.core._client import KagentClient, Log

_LIVE: set[KagentClient] = set()


@atexit.register
def _kill_leftovers() -> None:
    """Last line of defence: no kagent outlives the Python process that started it."""
    for client in list(_LIVE):
        client.kill_now()


def kagent_args(
    *,
    work_dir: str,
    session_id: str | None,
    config: Any = None,
    config_text: str | None = None,
    model_name: str | None = None,
    thinking: bool | None = None,
    yolo: bool = False,
    afk: bool = False,
    plan: bool = False,
    runtime_afk: bool = False,
    agent_spec: str | Path | None = None,
    skills_dirs: Sequence[Any] | None = None,
    builtin_skills_dir: str | None = None,
    max_steps_per_turn: int | None = None,
    max_retries_per_step: int | None = None,
    max_ralph_iterations: int | None = None,
    profile: str | Path | None = None,
    mcp_config_files: Sequence[str] = (),
    mcp_configs: Sequence[str] = (),
) -> list[str]:
    """The kimi-compatible wire-mode flags for the settings kimi-cli resolved."""
    args = ["--wire", "--work-dir", work_dir]
    if session_id is not None:  # None: a new session, whose id kagent makes
        args += ["--session", session_id]
    if isinstance(config, (str, os.PathLike)):  # a config file
        args += ["--config-file", os.path.abspath(config)]
    elif config is not None:  # a kimi_cli Config parsed from --config text
        data = config.model_dump(mode="json", exclude_none=True)
        args += ["--config", json.dumps(data, ensure_ascii=False)]
    elif config_text is not None:  # `--config TEXT` as the user gave it (the Wire exec)
        args += ["--config", config_text]
    if model_name:
        args += ["--model", model_name]
    if thinking is True:
        args.append("--thinking")
    elif thinking is False:
        args.append("--no-thinking")
    if yolo:
        args.append("--yolo")
    if afk:  # saved into the session, as kimi-cli does
        args.append("--afk")
    if plan:  # kimi-cli switched the session already (state.json): kagent schedules the reminder
        args.append("--plan")
    if runtime_afk:  # print mode: nobody answers approvals or questions; not saved
        args.append("--runtime-afk")
    # `agent_spec`: a spec other than kimi-cli's default agent (the host decides which is
    # the default); the default one needs no flag
    if agent_spec is not None:
        args += ["--agent-file", os.path.abspath(agent_spec)]
    for d in skills_dirs or ():
        args += ["--skills-dir", os.path.abspath(str(d))]
    if builtin_skills_dir is not None:
        args += ["--builtin-skills-dir", builtin_skills_dir]
    if max_steps_per_turn is not None:
        args += ["--max-steps-per-turn", str(max_steps_per_turn)]
    if max_retries_per_step is not None:
        args += ["--max-retries-per-step", str(max_retries_per_step)]
    if max_ralph_iterations is not None:
        args += ["--max-ralph-iterations", str(max_ralph_iterations)]
    # MCP configs as the user gave them (the Wire exec; the host passes what kimi-cli loaded
    # as --mcp-config instead, with its other arguments)
    for f in mcp_config_files:
        args += ["--mcp-config-file", f]
    for c in mcp_configs:
        args += ["--mcp-config", c]
    # the installed kimi-cli's texts and tool definitions (host/_profile.py); without it
    # kagent speaks its own prose
    if profile is not None:
        args += ["--profile", os.path.abspath(profile)]
    return args


class KernelLauncher:
    """Knows how to (re)start kagent for one session; remembers the server info it reported.

    A plain class, not a dataclass: this module is on the Wire exec path (`kagent_args`),
    where importing dataclasses (and with it inspect, ast, dis) costs a tenth of the start."""

    def __init__(
        self,
        args: list[str],
        log: Log,
        cwd: str | None = None,
        located: Located | None = None,
        server: dict[str, Any] | None = None,
        initialize: bool = True,
    ) -> None:
        self.args = args
        self.log = log  # where kagent's lifecycle and stderr lines go (kimi-cli's log under the host)
        self.cwd = cwd
        self.located = located
        self.server: dict[str, Any] = {} if server is None else server
        # False under kimi-cli's Wire server: its client's own `initialize` is forwarded to
        # kagent (WireBackedSoul.forward_initialize), so kagent starts uninitialized, like the
        # Python kernel before the client initializes (no hook events, no questions).
        self.initialize = initialize

    def locate(self) -> Located:
        if self.located is None:
            self.located = locate()
        return self.located

    async def start(self) -> KagentClient:
        from kimi_kernel import __version__
        from kimi_kernel.core._client import KagentClient, handshake, init_timeout, probe

        located = self.locate()
        timeout = init_timeout()
        client = await KagentClient.spawn(
            [str(located.path), *self.args], log=self.log, cwd=self.cwd
        )
        _LIVE.add(client)
        try:
            if self.initialize:
                self.server = await handshake(
                    client, version=__version__, timeout=timeout
                )
            else:
                await probe(client, timeout=timeout)
        except BaseException:
            await self.stop(client)
            raise
        answered = f"initialize: {self.server}" if self.initialize else "the probe"
        self.log("INFO", f"kagent {located.path} ({located.source}) answered {answered}")
        return client

    @staticmethod
    async def stop(client: KagentClient) -> None:
        try:
            await client.close()
        finally:
            _LIVE.discard(client)
