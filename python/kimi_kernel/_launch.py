"""Turn what kimi-cli resolved for a session into a `kagent --wire` command line, and start it."""

from __future__ import annotations

import atexit
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kimi_kernel._client import KagentClient, handshake, init_timeout, probe
from kimi_kernel._locate import Located, locate


def _log(level: str, message: str) -> None:
    from kimi_cli import logger

    logger.log(level, "{message}", message=message)


_LIVE: set[KagentClient] = set()


@atexit.register
def _kill_leftovers() -> None:
    """Last line of defence: no kagent outlives the Python process that started it."""
    for client in list(_LIVE):
        client.kill_now()


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
    default` into the default spec's path), else None: kagent runs the default agent only."""
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


def kagent_args(
    *,
    work_dir: str,
    session_id: str,
    config: Any = None,
    model_name: str | None = None,
    thinking: bool | None = None,
    yolo: bool = False,
    afk: bool = False,
    plan: bool = False,
    runtime_afk: bool = False,
    agent_file: Path | None = None,
    skills_dirs: Sequence[Any] | None = None,
    builtin_skills_dir: str | None = None,
    max_steps_per_turn: int | None = None,
    max_retries_per_step: int | None = None,
) -> list[str]:
    """The kimi-compatible wire-mode flags for the settings kimi-cli resolved."""
    args = ["--wire", "--work-dir", work_dir, "--session", session_id]
    if isinstance(config, Path):
        args += ["--config-file", str(config.absolute())]
    elif config is not None:  # a kimi_cli Config parsed from --config text
        data = config.model_dump(mode="json", exclude_none=True)
        args += ["--config", json.dumps(data, ensure_ascii=False)]
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
    # another agent's spec is refused by kagent at startup; the default one needs no flag
    if (spec := custom_agent_file(agent_file)) is not None:
        args += ["--agent-file", str(spec.absolute())]
    for d in skills_dirs or ():
        args += ["--skills-dir", str(Path(str(d)).absolute())]
    if builtin_skills_dir is not None:
        args += ["--builtin-skills-dir", builtin_skills_dir]
    if max_steps_per_turn is not None:
        args += ["--max-steps-per-turn", str(max_steps_per_turn)]
    if max_retries_per_step is not None:
        args += ["--max-retries-per-step", str(max_retries_per_step)]
    return args


@dataclass
class KernelLauncher:
    """Knows how to (re)start kagent for one session; remembers the server info it reported."""

    args: list[str]
    cwd: str | None = None
    located: Located | None = None
    server: dict[str, Any] = field(default_factory=dict)
    # False under kimi-cli's Wire server: its client's own `initialize` is forwarded to
    # kagent (WireBackedSoul.forward_initialize), so kagent starts uninitialized, like the
    # Python kernel before the client initializes (no hook events, no questions).
    initialize: bool = True

    def locate(self) -> Located:
        if self.located is None:
            self.located = locate()
        return self.located

    async def start(self) -> KagentClient:
        from kimi_kernel import __version__

        located = self.locate()
        timeout = init_timeout()
        client = await KagentClient.spawn(
            [str(located.path), *self.args], log=_log, cwd=self.cwd
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
        _log("INFO", f"kagent {located.path} ({located.source}) answered {answered}")
        return client

    @staticmethod
    async def stop(client: KagentClient) -> None:
        try:
            await client.close()
        finally:
            _LIVE.discard(client)
