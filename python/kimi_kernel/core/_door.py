"""The front door: what `kimi-kernel` answers before kimi-cli is imported.

Importing kimi-cli's agent stack costs seconds; some invocations need none of it:

* `--version` prints the versions of kimi-kernel, kagent and kimi-cli (from package metadata
  and `kagent --version`), without importing kimi-cli;
* `--wire` under `rust`/`auto` hands the client to kagent itself (`os.execv`, stdio stays the
  client's; under `auto` with `--fallback-argv`: a kagent that cannot start the session runs
  this command line again on the usual path in its place, see `fallback_command`), when the
  command line holds only options kagent honours the way kimi-cli does and nothing in the
  session is one that kimi-kernel's hook must decide on (Ralph mode, other agents: those
  sessions take the usual path through kimi-cli, whose refusals and fallbacks apply); MCP
  servers kagent reads and starts itself. `KIMI_KERNEL_WIRE=proxy` keeps kimi-cli's Wire
  server in front of kagent instead: what only the proxy does (moving a session to the
  Python kernel when kagent dies mid-turn under `auto`, restarting it under `rust`) needs it.

Nothing here imports kimi-cli or asyncio.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence

from kimi_kernel.core._select import Selection, _parse_config_text, default_config_path

# typing is not imported at run time: the Wire exec's start would pay for it (mypy reads
# `TYPE_CHECKING` by name)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

WIRE_MODE_ENV = "KIMI_KERNEL_WIRE"  # "proxy": kimi-cli's Wire server in front of kagent
# kimi-cli's top-level options that take a value (the rest are flags), to find where the
# options end and whether `--version` is an option or some option's value
VALUE_OPTIONS = frozenset(
    {
        "-w", "--work-dir", "--add-dir", "--config", "--config-file", "-m", "--model",
        "-p", "--prompt", "-c", "--command", "--input-format", "--output-format", "--agent",
        "--agent-file", "--mcp-config-file", "--mcp-config", "--skills-dir",
        "--max-steps-per-turn", "--max-retries-per-step", "--max-ralph-iterations",
    }
)
SESSION_OPTIONS = frozenset({"-S", "--session", "-r", "--resume"})  # value optional (picker)


def scan_options(args: Sequence[str]) -> tuple[list[tuple[str, str | None]], int]:
    """kimi-cli's options before its subcommand, as (name, value) pairs, and the index of the
    first argument that is not one (len(args) when all are)."""
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--" or not arg.startswith("-") or arg == "-":
            break
        name, eq, inline = arg.partition("=")
        if eq and name.startswith("--"):
            out.append((name, inline))
        elif i + 1 < len(args) and (
            arg in VALUE_OPTIONS or (arg in SESSION_OPTIONS and not args[i + 1].startswith("-"))
        ):
            out.append((arg, args[i + 1]))
            i += 1
        else:
            out.append((arg, None))
        i += 1
    return out, i


def top_level_options(args: Sequence[str]) -> list[tuple[str, str | None]]:
    return scan_options(args)[0]


def asks_version(args: Sequence[str]) -> bool:
    return any(name in ("--version", "-V") for name, _ in top_level_options(args))


def asks_help(args: Sequence[str]) -> bool:
    return any(name in ("--help", "-h") for name, _ in top_level_options(args))


def _dist_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def kagent_version_line() -> str:
    """`kagent X.Y.Z (path)`, or why kagent cannot be asked."""
    import subprocess

    from kimi_kernel.core._locate import KagentNotFoundError, locate

    try:
        located = locate()
    except KagentNotFoundError as e:
        return f"kagent: not found ({e.headline})"
    try:
        done = subprocess.run(
            [str(located.path), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"kagent: {located.path} did not answer --version ({e})"
    answer = done.stdout.strip() or done.stderr.strip() or f"exit {done.returncode}"
    return f"{answer} ({located.path})"


def versions_text() -> str:
    """What `kimi-kernel --version` prints: one line per component."""
    return "\n".join(
        [
            f"kimi-kernel {_dist_version('kimi-kernel')}",
            kagent_version_line(),
            f"kimi-cli {_dist_version('kimi-cli')}",
        ]
    )


class _NotForExec(Exception):
    """The command line or session needs kimi-cli in front of kagent."""


def _flag_kwargs(options: list[tuple[str, str | None]]) -> dict[str, Any]:
    """kagent_args keywords for a `--wire` command line, or _NotForExec."""
    kw: dict[str, Any] = {"skills_dirs": [], "mcp_config_files": [], "mcp_configs": []}
    seen_wire = False
    for name, value in options:
        if name == "--wire" and value is None:
            seen_wire = True
        elif name in ("-w", "--work-dir") and value:
            kw["work_dir"] = os.path.abspath(value)
        elif name == "--config-file" and value:
            kw["config"] = value
        elif name == "--config" and value is not None and value.strip():
            kw["config_text"] = value.strip()  # kimi-cli strips it (an empty one is its error)
        elif name in ("-m", "--model") and value:
            kw["model_name"] = value
        elif name in ("--thinking", "--no-thinking") and value is None:
            kw["thinking"] = name == "--thinking"
        elif name in ("-y", "--yolo", "--yes", "--auto-approve") and value is None:
            kw["yolo"] = True
        elif name in ("--plan", "--afk") and value is None:
            kw[name[2:]] = True
        elif name in SESSION_OPTIONS and value and value.strip():
            kw["session_id"] = value.strip()
        elif name == "--skills-dir" and value:
            kw["skills_dirs"].append(value)
        elif name == "--mcp-config-file" and value:  # kagent reads MCP configs as kimi-cli does
            kw["mcp_config_files"].append(os.path.abspath(value))
        elif name == "--mcp-config" and value is not None:
            kw["mcp_configs"].append(value)
        elif name in ("--max-steps-per-turn", "--max-retries-per-step") and value:
            if not value.isdigit() or int(value) < 1:
                raise _NotForExec(name)  # kimi-cli's parser words the error
            kw[name[2:].replace("-", "_")] = int(value)
        else:
            raise _NotForExec(name)
    if not seen_wire:
        raise _NotForExec("--wire")
    return kw


def _read_table(path: str | os.PathLike[str], *, only_if: str | None = None) -> dict[str, Any] | None:
    """The file's table ({} when it does not exist or, with `only_if`, when that key does not
    occur in its text: nothing to look at, and no TOML parser to import); None: unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    except OSError:
        return None
    if only_if is not None and only_if not in text:
        return {}
    try:
        return _parse_config_text(text, json_first=os.fspath(path).lower().endswith(".json"))
    except ValueError:
        return None


def _needs_the_hook(config_path: str) -> str | None:
    """Why the session must go through kimi-cli and kimi-kernel's hook, or None: Ralph mode in
    the config is for the hook to run (and an unreadable file is for kimi-cli to report). MCP
    servers are not: kagent reads --mcp-config-file, --mcp-config and the share dir's
    mcp.json as kimi-cli does, and starts the servers itself."""
    config = _read_table(config_path, only_if="max_ralph_iterations")
    if config is None:
        return f"{config_path} is not readable as a config"
    return _ralph_mode(config)


def _config_text_needs_the_hook(text: str) -> str | None:
    """_needs_the_hook for `--config TEXT`: text that is no JSON/TOML table is kimi-cli's to
    word (its parser's error), Ralph mode is the hook's."""
    try:
        config = _parse_config_text(text, json_first=True)
    except ValueError:
        return "--config is not a JSON/TOML table"
    return _ralph_mode(config)


def _ralph_mode(config: dict[str, Any]) -> str | None:
    loop_control = config.get("loop_control")
    if isinstance(loop_control, dict) and loop_control.get("max_ralph_iterations"):
        return "[loop_control] max_ralph_iterations"
    return None


def wire_exec_argv(
    args: Sequence[str],
    selection: Selection,
    env: Mapping[str, str] | None = None,
    *,
    builtin_skills_dir: Callable[[], str | None] = lambda: None,
    more_kagent_args: Callable[[], Mapping[str, Any]] = dict,
) -> list[str] | None:
    """The kagent command line that serves this `kimi-kernel --wire` run itself, or None when
    the run takes the usual path through kimi-cli. `builtin_skills_dir` gives kimi-cli's
    bundled skills (the host knows where; kagent lists them as its built-in skills);
    `more_kagent_args`, further keywords of kagent_args the host supplies."""
    from kimi_kernel.core._launch import kagent_args

    env = os.environ if env is None else env
    if selection.kernel == "python" or env.get(WIRE_MODE_ENV, "").strip() == "proxy":
        return None
    options, end = scan_options(args)
    if end != len(args):  # a subcommand or a stray argument: kimi-cli's to handle
        return None
    try:
        kw = _flag_kwargs(options)
    except _NotForExec:
        return None
    if "work_dir" in kw and not os.path.isdir(kw["work_dir"]):
        return None  # kimi-cli's parser words the error
    if "config" in kw and not os.path.isfile(kw["config"]):
        return None
    if "config" in kw and "config_text" in kw:
        return None  # kimi-cli's parser words the conflict
    if not all(os.path.isdir(d) for d in kw["skills_dirs"]):
        return None
    if "config_text" in kw:
        if _config_text_needs_the_hook(kw["config_text"]) is not None:
            return None
    elif _needs_the_hook(kw.get("config") or default_config_path(env)) is not None:
        return None
    kagent = _kagent_path(env)
    if kagent is None:
        return None  # the usual path reports it (rust) or falls back with a notice (auto)
    flags = kagent_args(
        work_dir=kw.pop("work_dir", os.getcwd()),
        session_id=kw.pop("session_id", None),
        builtin_skills_dir=builtin_skills_dir(),
        **kw,
        **more_kagent_args(),
    )
    argv = [kagent, *flags]
    if selection.kernel == "auto":
        if not sys.executable:
            return None  # no interpreter to name as the fallback
        argv += ["--fallback-argv", json.dumps(fallback_command(args))]
    return argv


def _kagent_path(env: Mapping[str, str]) -> str | None:
    """core._locate's answer, without pathlib when it is the packaged kagent (the common case:
    no KIMI_KERNEL_BIN); None when there is none."""
    from kimi_kernel.core._locate import ENV_BIN, KagentNotFoundError, locate, packaged_kagent

    if env.get(ENV_BIN) is None and (packaged := packaged_kagent()) is not None:
        return packaged
    try:
        return str(locate(env).path)
    except KagentNotFoundError:
        return None


def fallback_command(args: Sequence[str]) -> dict[str, Any]:
    """What an exec'd kagent under `auto` runs in its place when it cannot start the session
    (`--fallback-argv`; a provider it lacks, say): this command line again on the usual path
    (kimi-cli's Wire server, whose hook moves the session to the Python kernel with a notice).
    `-P`: the work dir is not put on sys.path."""
    return {
        "argv": [sys.executable, "-P", "-m", "kimi_kernel", *args],
        "env": {WIRE_MODE_ENV: "proxy"},
    }
