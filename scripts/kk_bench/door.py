"""The front door: the commands a user types, `kimi-kernel` (the kagent slot of a round) against
kimi-cli 1.51's `kimi` (the Python slot), each from process start, in fresh sandboxes.

Metrics (keys of dist/bench.json):
  door_print_ms       `--print -p hi`, one scripted turn: start -> exit
  door_print_rss_mb   peak memory of that run's process tree: the largest sum, over the
                      command and its live descendants (e.g. kagent), of each one's PSS
                      (resident pages, shared ones split between their users: a child forked
                      before exec does not count the parent's pages twice), sampled every few
                      milliseconds until it exits (Linux only)
  door_wire_ms        `--wire`: start -> the `initialize` response is read
  door_version_ms     `--version`: start -> exit
  door_shell_ms       the interactive shell in a pty (120x40): start -> its input box
                      ("── input") is drawn
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

from kk_common.sandbox import Sandbox

from kk_bench.kernels import KAGENT, Binaries
from kk_bench.wire import Kernel, WireError

INIT = {"protocol_version": "1.10"}
INPUT_BOX = re.compile(rb"\xe2\x94\x80\xe2\x94\x80 input \xe2\x94\x80")  # "── input ─"
SHELL_TIMEOUT = 120.0

Metrics = dict[str, float]


def command(bins: Binaries, name: str) -> str:
    """kagent's slot runs `kimi-kernel` (its default kernel), Python's runs `kimi`."""
    return str(bins.kimi_kernel if name == KAGENT else bins.kimi)


def _flags(sb: Sandbox) -> list[str]:
    return ["--work-dir", str(sb.work), "--config-file", str(sb.config_path)]


def _tree(root: int) -> list[int]:
    """`root` and its live descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except (OSError, ValueError):
                continue
    return out


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return 0
    return 0


def run_tree(argv: list[str], sb: Sandbox, timeout: float = 240.0) -> tuple[float, float, int, str]:
    """Run `argv` to its exit: (seconds, peak tree PSS in MB, exit code, stderr tail)."""
    peak = 0
    err_path = sb.root / "door-stderr.txt"
    started = time.perf_counter()
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            env=sb.env(), cwd=sb.work,
        )
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                raise WireError(f"{argv[0]} did not exit within {timeout:g}s")
            peak = max(peak, sum(_pss_kib(pid) for pid in _tree(proc.pid)))
            time.sleep(0.003)
    seconds = time.perf_counter() - started
    tail = err_path.read_text(encoding="utf-8", errors="replace")[-2000:]
    return seconds, round(peak * 1024 / 1e6, 2), proc.returncode, tail


def print_turn(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    sb.write(["text: hello"])
    sb.reset_share()
    argv = [command(bins, name), *_flags(sb), "--print", "-p", "hi"]
    seconds, rss, code, tail = run_tree(argv, sb)
    if code != 0:
        raise WireError(f"{' '.join(argv)} exited {code}:\n{tail}")
    return {"door_print_ms": seconds * 1e3, "door_print_rss_mb": rss}


def wire_ready(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    sb.write(["text: hello"])
    sb.reset_share()
    argv = [command(bins, name), "--wire", *_flags(sb)]
    with Kernel(argv, env=sb.env(), cwd=sb.work, stderr_path=sb.root / "stderr.txt") as k:
        k.call("initialize", INIT)
        ready = time.perf_counter() - k.started
        k.close()
    return {"door_wire_ms": ready * 1e3}


def version(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    argv = [command(bins, name), "--version"]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, env=sb.env(), cwd=sb.work, timeout=60, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise WireError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-500:]!r}")
    return {"door_version_ms": seconds * 1e3}


def shell_launch(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    sb.write(["text: hello"])
    sb.reset_share()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**sb.env(), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [command(bins, name), *_flags(sb)], stdin=slave, stdout=slave, stderr=slave,
        env=env, cwd=sb.work, start_new_session=True,
    )
    os.close(slave)
    raw = b""
    try:
        deadline = time.monotonic() + SHELL_TIMEOUT
        while not INPUT_BOX.search(raw):
            if time.monotonic() > deadline or proc.poll() is not None:
                shown = raw[-1500:].decode(errors="replace")
                raise WireError(f"{command(bins, name)}: no input box after {SHELL_TIMEOUT:g}s:\n{shown}")
            ready, _, _ = select.select([master], [], [], 0.01)
            if ready:
                try:
                    raw += os.read(master, 65536)
                except OSError:
                    continue
        seconds = time.perf_counter() - started
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    return {"door_shell_ms": seconds * 1e3}


def door(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    """All door metrics of one kernel slot, each in a fresh share dir."""
    out: Metrics = {}
    for measure in (version, wire_ready, print_turn, shell_launch):
        out.update(measure(bins, name, sb))
    return out
