"""One progress line per target and stage, with elapsed time; failures carry the tool's tail."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

TAIL_LINES = 40


class StageError(Exception):
    """A stage of a target failed; the message names target, stage and the cause."""

    def __init__(self, target: str, stage: str, detail: str) -> None:
        super().__init__(f"[{target}] {stage} FAILED: {detail}")
        self.target = target
        self.stage = stage
        self.detail = detail


def _emit(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _fmt(seconds: float) -> str:
    return f"{seconds:6.1f}s"


@contextmanager
def stage(target: str, name: str) -> Iterator[None]:
    """Log start and end of a stage; wrap any non-StageError exception as a StageError."""
    start = time.monotonic()
    _emit(f"[{target}] {name} ...")
    try:
        yield
    except StageError:
        _emit(f"[{target}] {name} FAILED after {_fmt(time.monotonic() - start)}")
        raise
    except Exception as exc:  # re-raised with target and stage named
        _emit(f"[{target}] {name} FAILED after {_fmt(time.monotonic() - start)}")
        raise StageError(target, name, f"{type(exc).__name__}: {exc}") from exc
    _emit(f"[{target}] {name} ok {_fmt(time.monotonic() - start)}")


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run(
    target: str,
    stage_name: str,
    cmd: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> str:
    """Run a tool, capturing its output (also to ``log``); on failure raise with its tail."""
    argv = [os.fspath(c) for c in cmd]
    try:
        proc = subprocess.run(
            argv,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            check=False,
        )
    except FileNotFoundError as exc:
        raise StageError(target, stage_name, f"{argv[0]} not found: {exc}") from exc
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"$ {' '.join(argv)}\n{proc.stdout}", encoding="utf-8")
    if proc.returncode != 0:
        where = f" (full log: {log})" if log is not None else ""
        raise StageError(
            target,
            stage_name,
            f"`{' '.join(argv)}` exited {proc.returncode}{where}; last lines:\n{tail(proc.stdout)}",
        )
    return proc.stdout


def run_steps(
    target: str,
    steps: Mapping[str, Sequence[str | os.PathLike[str]]],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Callable[[str], Path],
) -> tuple[dict[str, str], list[StageError]]:
    """Run every step even after one fails (CI learns more per run): (outputs, failures)."""
    outputs: dict[str, str] = {}
    failures: list[StageError] = []
    for name, cmd in steps.items():
        try:
            with stage(target, name):
                outputs[name] = run(target, name, cmd, env=env, cwd=cwd, log=log(name))
        except StageError as exc:
            print(f"ERROR: {exc}", flush=True)
            failures.append(exc)
    return outputs, failures
