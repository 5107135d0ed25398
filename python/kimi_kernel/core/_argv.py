"""Take `--kernel` out of a kimi-cli command line, and peek at the config it names."""

from __future__ import annotations

import collections
from collections.abc import Sequence

# typing is not imported at run time: the Wire exec's start would pay for it, and more for
# a typing.NamedTuple (it compiles each string annotation); mypy reads TYPE_CHECKING by name
TYPE_CHECKING = False


class UsageError(ValueError):
    """The command line is malformed (exit code 2)."""


if TYPE_CHECKING:
    from typing import NamedTuple

    class SplitArgs(NamedTuple):
        kimi_args: list[str]  # what kimi-cli's own parser gets
        kernel: str | None
        config_file: str | None
        config_string: str | None
else:
    SplitArgs = collections.namedtuple("SplitArgs", "kimi_args kernel config_file config_string")


def _value(args: Sequence[str], i: int, name: str) -> tuple[str, int]:
    arg = args[i]
    if arg.startswith(name + "="):
        return arg[len(name) + 1 :], i + 1
    if i + 1 >= len(args):
        raise UsageError(f"{name} needs a value")
    return args[i + 1], i + 2


def split_args(args: Sequence[str]) -> SplitArgs:
    out: list[str] = []
    kernel: str | None = None
    config_file: str | None = None
    config_string: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out.extend(args[i:])
            break
        if arg == "--kernel" or arg.startswith("--kernel="):
            kernel, i = _value(args, i, "--kernel")
            if not kernel:
                raise UsageError("--kernel needs a value: rust, python or auto")
            continue
        if arg == "--config-file" or arg.startswith("--config-file="):
            value, nxt = _value(args, i, "--config-file")
            config_file = value
            out.extend(args[i:nxt])
            i = nxt
            continue
        if arg == "--config" or arg.startswith("--config="):
            value, nxt = _value(args, i, "--config")
            config_string = value
            out.extend(args[i:nxt])
            i = nxt
            continue
        out.append(arg)
        i += 1
    return SplitArgs(out, kernel, config_file, config_string)
