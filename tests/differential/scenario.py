"""Scenario model: phases of client steps run against one kernel each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .steps import Step

if TYPE_CHECKING:
    from kk_common.sandbox import Sandbox


@dataclass(frozen=True)
class Phase:
    """One kernel process: its extra CLI args, the scripts it reads, the steps to run.

    ``{session}`` in ``args`` and in request params is replaced by the id of the session
    created earlier, an argument ``{config}`` by the text of the sandbox config (for ``--config``).
    After the steps, stdin is closed (unless already) and stdout is drained to EOF.
    """

    steps: tuple[Step, ...]
    scripts: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    timeout: float = 45.0
    # run on the sandbox before the process starts (e.g. damage a session file)
    mutate: Callable[[Sandbox], None] | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    phases: tuple[Phase, ...]
    # config overrides passed to sandbox.scripted_config (None removes a key);
    # a str is written verbatim as the config file
    config: dict[str, Any] | str | None = None
    # compare the session files (context.jsonl, wire.jsonl, state.json, kimi.json)
    compare_files: bool = True
    # extra kernel plans to run besides all-kagent, e.g. ("oracle", "kagent")
    cross_plans: tuple[tuple[str, ...], ...] = ()
    # keep the system prompt record of context.jsonl verbatim (only path-normalized)
    strict_system_prompt: bool = False
    # extra environment for the kernel processes
    env: dict[str, str] = field(default_factory=dict)
    # use an explicit --config-file (False: rely on $HOME/.kimi/config.toml)
    use_config_file: bool = True
    # regex: its first match on stderr (normalized) joins the transcript; used for
    # startup errors whose wording is part of the contract
    stderr_pattern: str | None = None
    # more files to compare besides the session files: globs relative to the sandbox root
    # (e.g. "work/*.md" for /export), recorded as text lines
    record_files: tuple[str, ...] = ()


def single(
    name: str,
    *steps: Step,
    scripts: tuple[str, ...] = (),
    args: tuple[str, ...] = (),
    **kwargs: Any,
) -> Scenario:
    return Scenario(name, (Phase(tuple(steps), scripts, args),), **kwargs)
