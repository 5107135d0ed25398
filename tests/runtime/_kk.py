"""Helpers for the kimi_kernel runtime tests: the installed package, sandboxes, fake kagents.

Everything here runs real processes: the `kimi_kernel` installed (from the built host wheel)
into the Python running pytest, kimi-cli 1.51 installed with it, and kagent binaries.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from kk_common import sandbox as common
from kk_common.wire_client import WireClient

BIN_DIR = Path(sys.executable).parent
WHEEL_ENV = "KK_HOST_WHEEL"  # set by `nox -s tests` (scripts/kk_build/testrun.py)
KAGENT_ENV = "KAGENT_BIN"
# kimi-cli takes seconds to import on a busy 2-core machine; the oracle stand-in for kagent
# is kimi-cli itself, so its initialize can take that long.
SLOW_INIT = "180"


class Missing(AssertionError):
    """Something the suite needs is not there: a failure with the fix, never a skip."""


def require_installed() -> metadata.Distribution:
    try:
        dist = metadata.distribution("kimi-kernel")
    except metadata.PackageNotFoundError:
        raise Missing(
            f"kimi-kernel is not installed in {sys.executable}: install the built host wheel "
            "(maturin build -o dist && pip install dist/kimi_kernel-*.whl), or run `nox -s tests`"
        ) from None
    try:
        metadata.distribution("kimi-cli")
    except metadata.PackageNotFoundError:
        raise Missing(f"kimi-cli 1.51 is not installed in {sys.executable}") from None
    return dist


def wheel_path() -> Path:
    raw = os.environ.get(WHEEL_ENV) or os.environ.get("KIMI_KERNEL_WHEEL")
    if not raw:
        raise Missing(
            f"{WHEEL_ENV} is not set: build the host wheel (maturin build -o dist) and export "
            f"{WHEEL_ENV}=dist/kimi_kernel-<version>-<tags>.whl (nox -s tests does this)"
        )
    path = Path(raw)
    if not path.is_file() or path.suffix != ".whl":
        raise Missing(f"{WHEEL_ENV}={raw!r} is not a wheel file")
    return path.resolve()


def kagent_bin() -> Path:
    raw = os.environ.get(KAGENT_ENV)
    if not raw:
        raise Missing(
            f"{KAGENT_ENV} is not set: cargo build --manifest-path kagent/Cargo.toml and export "
            f"{KAGENT_ENV}=kagent/target/debug/kagent"
        )
    path = Path(raw)
    if not path.is_file():
        raise Missing(f"{KAGENT_ENV}={raw!r} does not exist")
    return path.resolve()


def kimi_exe() -> Path:
    exe = BIN_DIR / ("kimi.exe" if sys.platform == "win32" else "kimi")
    if not exe.exists():
        raise Missing(f"the `kimi` script of kimi-cli is not in {BIN_DIR}")
    return exe


def write_exe(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def oracle_kagent(directory: Path, scripts: Path | None = None) -> Path:
    """A `kagent` that is kimi-cli's own Wire server (`kimi --wire`, the protocol's reference).

    With `scripts`, its scripted LLM reads that file instead of the Python side's, so a test
    can tell which kernel produced an answer (the sandbox must then be made with
    scripts_in_config=False)."""
    directory.mkdir(parents=True, exist_ok=True)
    export = (
        f'KIMI_SCRIPTED_ECHO_SCRIPTS="{scripts}"; export KIMI_SCRIPTED_ECHO_SCRIPTS\n'
        if scripts
        else ""
    )
    # `kimi --wire` has no flag for print mode's invocation-only afk (kagent's --runtime-afk)
    # nor for kagent's --builtin-skills-dir and --profile (it lists its own built-in skills
    # and has its own texts anyway): the stand-in drops them, so tests that need unattended
    # approvals use the real kagent.
    drop_runtime_afk = (
        "skip=\n"
        'for a in "$@"; do shift\n'
        '  if [ -n "$skip" ]; then skip=; continue; fi\n'
        '  case "$a" in --runtime-afk) ;; --builtin-skills-dir|--profile) skip=1 ;;'
        ' *) set -- "$@" "$a" ;; esac\n'
        "done\n"
    )
    return write_exe(
        directory / "kagent",
        f'#!/bin/sh\n{export}{drop_runtime_afk}exec "{kimi_exe()}" "$@"\n',
    )


def fake_kagent(directory: Path, body: str, name: str = "kagent") -> Path:
    """A misbehaving kagent written in Python (a real process)."""
    directory.mkdir(parents=True, exist_ok=True)
    src = "import json, os, sys, time\n" + textwrap.dedent(body)
    return write_exe(directory / name, f"#!{sys.executable}\n{src}")


HELLO = "text: Hello from the kernel\nusage: input_other=5 output=3"


def tool_call(tc_id: str, name: str, arguments: Mapping[str, object]) -> str:
    return "tool_call: " + json.dumps(
        {"id": tc_id, "name": name, "arguments": json.dumps(arguments)}
    )


@dataclass
class Sandbox:
    root: Path
    share: Path
    work: Path
    config: Path
    scripts: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("KIMI_", "KAGENT")) and k not in ("PYTHONPATH",)
        }
        env.update(
            KIMI_SHARE_DIR=str(self.share),
            KIMI_DISABLE_TELEMETRY="1",
            KIMI_KERNEL_INIT_TIMEOUT=SLOW_INIT,
            PYTHONUNBUFFERED="1",
        )
        if not self.config.read_text().count("KIMI_SCRIPTED_ECHO_SCRIPTS"):
            env["KIMI_SCRIPTED_ECHO_SCRIPTS"] = str(self.scripts)
        env.update(extra)
        return env

    def sessions(self) -> list[Path]:
        return sorted(self.share.glob("sessions/*/*"))

    def only_session(self) -> Path:
        found = self.sessions()
        assert len(found) == 1, (
            f"expected one session under {self.share}, found {found}"
        )
        return found[0]

    def log(self) -> str:
        path = self.share / "logs" / "kimi.log"
        return (
            path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        )

    def kagent_pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"started kagent pid=(\d+)", self.log())]


def make_sandbox(
    root: Path, scripts: Sequence[str], *, scripts_in_config: bool = True
) -> Sandbox:
    """A sandbox laid out and configured by kk_common's scripted-echo sandbox (one echo model
    playing ``scripts``); ``scripts_in_config=False`` leaves the scripts path out of the
    config, so the process environment must carry it (see `Sandbox.env`)."""
    base = common.Sandbox(root)
    # The runtime tests run with the real HOME; those that need a home of their own make
    # `root/home` themselves, so the shared sandbox's empty one is not kept.
    base.home.rmdir()
    base.write_scripts(list(scripts))
    config = common.scripted_config(base.scripts_path)
    if not scripts_in_config:
        del config["providers"]["scripted"]["env"]
    base.write_config(config)
    return Sandbox(base.root, base.share, base.work, base.config_path, base.scripts_path)


def kk_argv(*args: str) -> list[str]:
    """The kimi-kernel command line (`python -m kimi_kernel` runs the same main() as the
    `kimi-kernel` console script)."""
    return [sys.executable, "-m", "kimi_kernel", *args]


def run_kk(
    sb: Sandbox, *args: str, env: Mapping[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        kk_argv(*args, "--config-file", str(sb.config), "--work-dir", str(sb.work)),
        env=dict(env) if env is not None else sb.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=sb.root,
        check=False,
    )


def context_records(session: Path) -> list[dict[str, object]]:
    lines = (session / "context.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def process_state(pid: int) -> str | None:
    """'R', 'S', 'Z'... for a live (or zombie) pid; None when it no longer exists."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()[0]


def assert_gone(pid: int, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    state = process_state(pid)
    while state is not None and time.monotonic() < deadline:
        time.sleep(0.1)
        state = process_state(pid)
    assert state is None, (
        f"kagent pid {pid} is still there (state {state}): orphan or zombie"
    )


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def wait_for(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def kill(pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def write_scripts(path: Path, scripts: Sequence[str]) -> Path:
    path.write_text(json.dumps(list(scripts)), encoding="utf-8")
    return path


def kk_wire(sb: Sandbox, *args: str, env: Mapping[str, str]) -> WireClient:
    """`kimi-kernel --wire` (kimi-cli's Wire server in front of the selected kernel)."""
    return WireClient(
        kk_argv(
            *args, "--wire", "--config-file", str(sb.config), "--work-dir", str(sb.work)
        ),
        env=env,
        cwd=sb.root,
        stderr_path=sb.root / "kimi-kernel.stderr",
    )
