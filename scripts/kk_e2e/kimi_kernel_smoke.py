"""Smoke tests of an installed `kimi-kernel` (WireBackedSoul inside kimi-cli 1.51) with the
scripted provider: print mode, wire mode through `kimi-kernel --wire` (with an approval round
trip and a cancel), and `kimi-kernel doctor --json`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kk_e2e.results import Check
from kk_e2e.scenarios import (
    HELLO_TEXT,
    SCRIPTS,
    Launcher,
    Sandbox,
    run_wire_scenarios,
)

DOCTOR_KEYS = (
    "kernel",
    "reason",
    "binary",
    "source",
    "searched",
    "version",
    "handshake",
)
PRINT_PROMPT = "Say hello"


def _run(
    argv: list[str], *, env: dict[str, str], cwd: Path, timeout: float
) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(
            argv,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return -1, str(exc.stdout or ""), f"timed out after {timeout:.0f}s"
    return proc.returncode, proc.stdout, proc.stderr


def command_for(script: Path) -> list[str]:
    """argv that runs an installed console script.

    The zig-built wheels declare `kimi-kernel` as a console-script entry point, so installers
    make `kimi-kernel.exe` on Windows. A wheel built by maturin alone (the parity lane's, from
    the sdist) ships it as a data script whose `#!python` line the installer rewrites:
    runnable as is on Unix; on Windows, through the interpreter it names.
    """
    if os.name != "nt" or script.suffix.lower() == ".exe":
        return [str(script)]
    with script.open("rb") as fh:
        first = fh.readline().decode("utf-8", errors="replace").strip()
    interpreter = (
        first[2:].strip().strip('"') if first.startswith("#!") else sys.executable
    )
    return [interpreter, str(script)]


def print_mode(kimi_kernel: Path, root: Path, label: str) -> Check:
    """`kimi-kernel --kernel rust --print -p ...` answers with the scripted text."""
    start = time.monotonic()
    shutil.rmtree(root, ignore_errors=True)
    sandbox = Sandbox(
        root,
        Launcher(label, tuple(command_for(kimi_kernel))),
        SCRIPTS["scripted prompt"],
    )
    argv = [
        *command_for(kimi_kernel),
        "--kernel",
        "rust",
        "--print",
        "--output-format",
        "text",
        "-p",
        PRINT_PROMPT,
        *sandbox.common_args(),
    ]
    code, out, err = _run(argv, env=sandbox.env(), cwd=sandbox.work, timeout=180)
    took = time.monotonic() - start
    name = f"{label}: print mode"
    if code != 0:
        return Check(name, False, f"exit {code}; stderr: {err.strip()[-600:]}", took)
    if HELLO_TEXT not in out:
        return Check(
            name,
            False,
            f"scripted text missing from stdout: {out.strip()[-400:]!r}",
            took,
        )
    return Check(name, True, "scripted answer printed", took)


def doctor(
    kimi_kernel: Path, root: Path, label: str, expect_binary_under: Path
) -> Check:
    """`kimi-kernel doctor --json` selects the rust kernel, the packaged kagent, handshake ok."""
    start = time.monotonic()
    shutil.rmtree(root, ignore_errors=True)
    sandbox = Sandbox(
        root, Launcher(label, tuple(command_for(kimi_kernel))), SCRIPTS["initialize"]
    )
    env = sandbox.env()
    env.pop("KIMI_KERNEL_BIN", None)
    argv = [
        *command_for(kimi_kernel),
        "doctor",
        "--json",
        "--config-file",
        str(sandbox.config_file),
    ]
    code, out, err = _run(argv, env=env, cwd=sandbox.work, timeout=120)
    took = time.monotonic() - start
    name = f"{label}: doctor"
    if code != 0:
        return Check(name, False, f"exit {code}; stderr: {err.strip()[-600:]}", took)
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        return Check(
            name, False, f"doctor --json printed non-JSON: {out.strip()[-300:]!r}", took
        )
    problems = [f"missing key {k!r}" for k in DOCTOR_KEYS if k not in report]
    if not problems:
        # No flag, no KIMI_KERNEL, no [runtime] kernel: the selection is `auto` by default,
        # which runs kagent when it is found and answers initialize (checked below).
        selected = (report["kernel"], report["reason"])
        if selected != ("auto", "default"):
            problems.append(f"selection {selected}, expected ('auto', 'default')")
        if report["source"] != "package":
            problems.append(f"source {report['source']!r}, expected 'package'")
        binary = Path(str(report["binary"])).resolve()
        if not binary.is_relative_to(expect_binary_under.resolve()):
            problems.append(f"binary {binary} is not under {expect_binary_under}")
        shake = report["handshake"]
        if not (shake is True or (isinstance(shake, dict) and shake.get("ok") is True)):
            problems.append(f"handshake {shake!r}")
    if problems:
        return Check(name, False, "; ".join(problems), took)
    return Check(name, True, "auto selection, package kagent, handshake ok", took)


def installed_smoke(
    kimi_kernel: Path, work: Path, label: str, *, keep: bool = False
) -> list[Check]:
    """Print mode and the Wire scenarios through one installed `kimi-kernel` executable."""
    checks = [print_mode(kimi_kernel, work / f"{label}-print", label)]
    launcher = Launcher(
        label, (*command_for(kimi_kernel), "--kernel", "rust", "--wire")
    )
    checks += run_wire_scenarios(launcher, work, prefix=f"{label} --wire", keep=keep)
    return checks
