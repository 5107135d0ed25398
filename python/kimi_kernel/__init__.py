"""kimi_kernel: run kimi-cli's agent turns in the native kagent kernel.

`kimi-kernel` is kimi-cli's own command line (every option and subcommand) plus:

* `--kernel rust|python|auto`, else `$KIMI_KERNEL`, else `[runtime] kernel` in kimi-cli's
  config file (`--config-file`/`--config`, or `$KIMI_SHARE_DIR/config.toml`, default
  `~/.kimi/config.toml`), else `auto`. `python` is kimi-cli's KimiSoul, untouched; `rust`
  runs every turn in kagent and any kagent failure is an error; `auto` uses kagent when it is
  found and answers `initialize`, else the Python kernel with a one-line notice, and moves a
  session to the Python kernel if kagent dies mid-turn.
* `kimi-kernel doctor [--json]`: the selected kernel and why, the kagent binary, where it was
  found and every place looked, its `--version`, whether the handshake works, the versions,
  the problems a run would hit (with their fixes) and which kernel the next run uses.
* The front door (`core._door`): `--version` without kimi-cli; `--wire` under rust/auto execs
  kagent unless `KIMI_KERNEL_WIRE=proxy` or the session is one the hook decides on.

kagent is found (module `_locate`) from `$KIMI_KERNEL_BIN`, then the binary this installed
distribution ships (its RECORD), then `PATH` (absolute entries only). `$KIMI_KERNEL_INIT_TIMEOUT`
is how long to wait for `initialize` (seconds, default 15).

Packages: `core` never imports kimi-cli (`_locate`/`_binfmt`: finding and checking the
binary; `_select`/`_argv`: choosing the kernel; `_client`: JSON-RPC over kagent's stdio;
`_launch`: its command line and lifetime; `_doctor`). `host` adapts kimi-cli (`_startup`,
`_hook`: wiring into KimiCLI.create; `_agent`: the Python agent kagent replaces is built only
when the session moves to the Python kernel; `_soul`: WireBackedSoul and its parts; `_web`), and
reaches kimi-cli's private names only through `host.kimi_private`, checked at start-up.
`cli` is the entry point.
"""

from __future__ import annotations

import os

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # computed on first use: importlib.metadata costs a start-up that `--wire` (an exec of
    # kagent) must not pay
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from kimi_kernel.core._distinfo import version_beside

    version = version_beside(os.path.dirname(__file__), "kimi-kernel")
    if version is None:
        from importlib import metadata

        try:
            version = metadata.version("kimi-kernel")
        except metadata.PackageNotFoundError:  # running from a source tree
            version = "0+unknown"
    globals()["__version__"] = version
    return version
