"""Choose the kernel: --kernel flag > KIMI_KERNEL > [runtime] kernel in kimi-cli's config > auto."""

from __future__ import annotations

import collections
import json
import os
from collections.abc import Mapping

# typing is not imported at run time: the Wire exec's start would pay for it, and more for
# a typing.NamedTuple (it compiles each string annotation); mypy reads TYPE_CHECKING by name
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, Literal, NamedTuple

    Kernel = Literal["rust", "python", "auto"]
    Reason = Literal["flag", "env", "config", "default"]

KERNELS: tuple[Kernel, ...] = ("rust", "python", "auto")
_BY_NAME: dict[str, Kernel] = {k: k for k in KERNELS}
ENV_KERNEL = "KIMI_KERNEL"


class KernelSelectionError(ValueError):
    """An invalid kernel name was given somewhere."""


if TYPE_CHECKING:

    class Selection(NamedTuple):
        kernel: Kernel
        reason: Reason
        detail: str  # where exactly the value came from, for doctor / logs
else:
    Selection = collections.namedtuple("Selection", "kernel reason detail")


def _check(value: str, where: str) -> Kernel:
    v = value.strip().lower()
    kernel = _BY_NAME.get(v)
    if kernel is None:
        raise KernelSelectionError(
            f"{where} is {value!r}, which is not a kernel; use one of: rust, python, auto."
        )
    return kernel


def default_config_path(env: Mapping[str, str]) -> str:
    """kimi-cli's default config location: $KIMI_SHARE_DIR/config.toml, else ~/.kimi/config.toml."""
    share = env.get("KIMI_SHARE_DIR")
    return os.path.join(share if share else os.path.join(os.path.expanduser("~"), ".kimi"), "config.toml")


def default_config_file(env: Mapping[str, str]) -> Path:
    """default_config_path() as a Path."""
    from pathlib import Path

    return Path(default_config_path(env))


def _parse_config_text(text: str, *, json_first: bool) -> dict[str, Any]:
    import tomllib  # here: a start whose config need not be read does not load the parser

    errors: list[str] = []
    parsers = (json.loads, tomllib.loads) if json_first else (tomllib.loads, json.loads)
    for parse in parsers:
        try:
            data = parse(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
            errors.append(str(e))
            continue
        if isinstance(data, dict):
            return data
        errors.append("top level is not a table/object")
    raise ValueError("; ".join(errors))


def kernel_from_config(
    *, config_file: str | Path | None, config_string: str | None, env: Mapping[str, str]
) -> tuple[Kernel, str] | None:
    """The [runtime] kernel value in the config kimi-cli will load, with a description of where.

    An unreadable or unparsable config is not an error here: kimi-cli itself reports it
    when it loads the config, with its own message."""
    if config_string is not None:
        try:
            data = _parse_config_text(config_string, json_first=True)
        except ValueError:
            return None
        where = "--config"
    else:
        path = os.fspath(config_file) if config_file is not None else default_config_path(env)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return None
        if "runtime" not in text:  # no [runtime] table: no parser to load (the Wire exec)
            return None
        try:
            data = _parse_config_text(text, json_first=path.lower().endswith(".json"))
        except ValueError:
            return None
        where = path
    runtime = data.get("runtime")
    if not isinstance(runtime, dict):
        return None
    value = runtime.get("kernel")
    if value is None:
        return None
    label = f"[runtime] kernel in {where}"
    if not isinstance(value, str):
        raise KernelSelectionError(
            f"{label} is {value!r}, which is not a kernel; use one of: rust, python, auto."
        )
    return _check(value, label), where


def select_kernel(
    *,
    flag: str | None,
    env: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
    config_string: str | None = None,
) -> Selection:
    env = os.environ if env is None else env
    if flag is not None:
        return Selection(_check(flag, "--kernel"), "flag", "--kernel")
    value = env.get(ENV_KERNEL)
    if value is not None and value.strip():
        return Selection(_check(value, ENV_KERNEL), "env", ENV_KERNEL)
    found = kernel_from_config(
        config_file=config_file, config_string=config_string, env=env
    )
    if found is not None:
        kernel, where = found
        return Selection(kernel, "config", f"[runtime] kernel in {where}")
    return Selection("auto", "default", "default")
