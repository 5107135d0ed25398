"""`kimi-kernel`: kimi-cli's own command line, plus --kernel and the `doctor` and `profile`
subcommands."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from kimi_kernel.core._argv import UsageError, split_args
from kimi_kernel.core._select import KernelSelectionError, select_kernel

# typing is not imported at run time: the Wire exec's start would pay for it (mypy reads
# `TYPE_CHECKING` by name)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KERNEL_HELP = (
    # "\\[" keeps rich markup (kimi-cli's help renderer) from eating the brackets.
    "--kernel \\[rust|python|auto]  Agent kernel (kimi-kernel). rust: kagent, strict; "
    "python: kimi-cli's KimiSoul; auto: kagent if it starts, else python. Default: "
    "$KIMI_KERNEL, else \\[runtime] kernel in the config file, else auto. "
    "`kimi-kernel doctor [--json]` checks the setup; `kimi-kernel profile [--refresh]` "
    "prints (or rewrites) the kimi-cli profile kagent runs with."
)

_SUBCOMMANDS = ("doctor", "profile")


def _first_command(args: Sequence[str]) -> tuple[int, str] | None:
    """Index and name of `doctor` or `profile` when it is the subcommand (the first argument
    that is not a global option or an option's value: `kimi-kernel --config-file F doctor`
    works)."""
    from kimi_kernel.core._door import scan_options

    _, end = scan_options(args)
    if end < len(args) and args[end] in _SUBCOMMANDS:
        return end, args[end]
    return None


_NOT_SHELL = frozenset({"--print", "--quiet", "--wire", "--acp", "-p", "--prompt", "-c", "--command"})


def _install_door_ui(kimi_args: Sequence[str]) -> None:
    """kimi-cli's hints and banner under our command (host._door_ui); a kimi-cli without the
    names it patches keeps its own texts."""
    from kimi_kernel.core._door import scan_options
    from kimi_kernel.host import _door_ui

    options, end = scan_options(kimi_args)
    try:
        _door_ui.install_hints()
        names = {name for name, _ in options}
        if end == len(kimi_args) and not names & _NOT_SHELL:
            _door_ui.install_shell()
        if end < len(kimi_args) and kimi_args[end] == "mcp":
            _door_ui.install_mcp_cli()
        if "--verbose" in names and names & {"--print", "--quiet"}:
            _door_ui.install_kernel_line()
    except (ImportError, AttributeError):
        return


def _profile_args() -> dict[str, Any]:
    """kagent's `--profile` (kimi-cli's texts and tool definitions, host._profile; a cached
    file), for the Wire exec as for every kagent the host starts."""
    from kimi_kernel.host._profile import cached_profile, ensure_profile

    return {"profile": cached_profile() or ensure_profile()}


def main(argv: Sequence[str] | None = None) -> int | str | None:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        split = split_args(args)
        selection = select_kernel(
            flag=split.kernel,
            config_file=split.config_file,
            config_string=split.config_string,
        )
    except (UsageError, KernelSelectionError) as e:
        print(f"kimi-kernel: error: {e}", file=sys.stderr)
        return 2

    if split.kernel is not None:
        # Children that kimi-cli starts as `kimi-kernel ...` (e.g. `term` runs `<argv0> acp`)
        # select the same kernel.
        os.environ["KIMI_KERNEL"] = selection.kernel

    command = _first_command(split.kimi_args)
    if command is not None and command[1] == "profile":
        return run_profile(split.kimi_args[command[0] + 1 :])

    from kimi_kernel.core import _door

    if command is None and _door.asks_version(split.kimi_args):
        print(_door.versions_text())
        return 0
    if command is None and "--wire" in split.kimi_args:
        from kimi_kernel.host._skills_dir import bundled_skills_dir

        argv_kagent = _door.wire_exec_argv(
            split.kimi_args,
            selection,
            builtin_skills_dir=bundled_skills_dir,
            more_kagent_args=_profile_args,
        )
        if argv_kagent is not None:
            # kagent serves the Wire client itself: same stdio, same pid; its resume hint
            # names our command
            os.environ["KAGENT_RESUME_COMMAND"] = "kimi-kernel -r"
            os.execv(argv_kagent[0], argv_kagent)

    if command is not None:
        from pathlib import Path

        from kimi_kernel.core._doctor import run_doctor

        index, _ = command
        return run_doctor(
            selection,
            split.kimi_args[index + 1 :],
            Path(split.config_file) if split.config_file is not None else None,
            split.config_string,
        )

    from kimi_cli.__main__ import main as kimi_main
    from kimi_cli.cli import cli

    if not _door.asks_help(split.kimi_args):  # --help needs no agent stack
        from kimi_kernel.host._startup import mismatch_message, start
        from kimi_kernel.host.kimi_private import KimiCliMismatchError

        try:
            start(selection)
        except KimiCliMismatchError as e:
            print(mismatch_message(selection, e), file=sys.stderr)
            return 1
        _install_door_ui(split.kimi_args)
    epilog = cli.info.epilog or ""
    if KERNEL_HELP not in str(epilog):
        cli.info.epilog = f"{KERNEL_HELP}\n\n{epilog}"
    return kimi_main(split.kimi_args)


def run_profile(args: Sequence[str]) -> int:
    """`kimi-kernel profile [--refresh]`: print the path of the kimi-cli profile (writing it
    when there is none yet, or with --refresh)."""
    if any(a not in ("--refresh",) for a in args):
        bad = next(a for a in args if a != "--refresh")
        print(
            f"kimi-kernel: error: `profile` takes only --refresh, not {bad!r}. "
            "Usage: kimi-kernel profile [--refresh]",
            file=sys.stderr,
        )
        return 2
    from kimi_kernel.host._profile import ProfileError, ensure_profile
    from kimi_kernel.host.kimi_private import KimiCliMismatchError, require

    try:
        require()  # the names the exporter uses are there (the hook's start-up checks them too)
        path = ensure_profile(refresh="--refresh" in args)
    except (ProfileError, KimiCliMismatchError) as e:
        print(f"kimi-kernel: error: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
