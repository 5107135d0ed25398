"""A minimal, synchronous, timed JSON-RPC-over-stdio driver for one kernel process.

Unlike tests/support/wireclient.py it has no reader thread: the bench reads stdout on the
calling thread so that the time between a request and its response carries no thread hand-off.

Peak RSS: ``VmHWM`` of /proc/<pid>/status, read just before stdin is closed (the kernel's way
out). ``ru_maxrss`` from ``os.wait4`` is kept only as a fallback where /proc is missing: on Linux
a child's ru_maxrss starts at its parent's RSS at fork time (the mm's high-water mark survives
fork and exec), so for a kernel started from this ~15 MB Python process it reads about 15 MB
whatever the kernel itself uses.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

JsonObj = dict[str, Any]


class WireError(RuntimeError):
    """The kernel did not answer as expected (timeout, EOF, error response)."""


@dataclass(frozen=True)
class Exit:
    code: int
    max_rss_kib: int  # ru_maxrss of the reaped child (KiB); includes the parent's RSS at fork
    hwm_kib: int | None  # VmHWM just before stdin was closed (None without /proc)

    @property
    def peak_rss_kib(self) -> int:
        return self.hwm_kib if self.hwm_kib is not None else self.max_rss_kib


class Kernel:
    """One kernel process; ``started`` is the perf_counter() just before it was spawned."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        stderr_path: Path,
        timeout: float = 120.0,
    ) -> None:
        self.argv = list(argv)
        self.timeout = timeout
        self._stderr = stderr_path.open("wb")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=dict(env),
            cwd=str(cwd),
            bufsize=0,
        )
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        self._buf = b""
        self._eof = False
        self._next_id = 0
        self._hwm: int | None = None
        self.messages = 0  # messages read so far

    # ---------------------------------------------------------------- stdio
    def send(self, message: JsonObj) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")

    def request(self, method: str, params: Any = None) -> str:
        self._next_id += 1
        msg_id = f"b{self._next_id}"
        msg: JsonObj = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return msg_id

    def _line(self, deadline: float) -> bytes | None:
        while b"\n" not in self._buf:
            if self._eof:
                return None
            left = deadline - time.perf_counter()
            if left <= 0:
                raise WireError(f"timed out after {self.timeout}s waiting for {self.argv[0]}")
            ready, _, _ = select.select([self._fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                self._eof = True
                if self._buf:
                    line, self._buf = self._buf, b""
                    return line
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def until_response(self, msg_id: str) -> tuple[JsonObj, list[JsonObj]]:
        """Read messages up to the response to ``msg_id``; return it and the messages before it."""
        deadline = time.perf_counter() + self.timeout
        seen: list[JsonObj] = []
        while True:
            line = self._line(deadline)
            if line is None:
                raise WireError(
                    f"{self.argv[0]} closed stdout before answering {msg_id}; stderr:\n{self.stderr_tail()}"
                )
            if not line.strip():
                continue
            msg = json.loads(line)
            self.messages += 1
            if "method" not in msg and msg.get("id") == msg_id:
                if "error" in msg:
                    raise WireError(f"{self.argv[0]} answered {msg_id} with an error: {msg['error']}")
                return msg, seen
            if msg.get("method") == "request":
                raise WireError(f"{self.argv[0]} asked the client something the bench cannot answer: {msg}")
            seen.append(msg)

    def call(self, method: str, params: Any = None) -> tuple[JsonObj, list[JsonObj], float]:
        """Send a request, wait for its response; return (response, messages before, seconds)."""
        t0 = time.perf_counter()
        msg_id = self.request(method, params)
        response, seen = self.until_response(msg_id)
        return response, seen, time.perf_counter() - t0

    # ------------------------------------------------------------- lifetime
    def hwm_kib(self) -> int | None:
        """The kernel process's peak RSS so far (VmHWM), or None where /proc has no status."""
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return None

    def cpu_ms(self) -> float | None:
        """CPU time the kernel process has used so far, all threads (schedstat, ns resolution):
        unlike wall time it hardly depends on how loaded the machine is. None without /proc."""
        total = 0
        try:
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return total / 1e6

    def close(self) -> Exit:
        """Read VmHWM, close stdin (the kernel's normal way out), drain stdout, reap with wait4."""
        assert self.proc.stdin is not None
        self._hwm = self.hwm_kib()
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        deadline = time.perf_counter() + self.timeout
        try:
            while self._line(deadline) is not None:
                pass
        except WireError:
            self.proc.kill()
        return self._reap()

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            self._reap()

    def _reap(self) -> Exit:
        _, status, usage = os.wait4(self.proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        self.proc.returncode = code
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._stderr.close()
        scale = 1024 if sys.platform == "darwin" else 1  # macOS reports bytes
        return Exit(code=code, max_rss_kib=int(usage.ru_maxrss) // scale, hwm_kib=self._hwm)

    def stderr_tail(self, limit: int = 2000) -> str:
        self._stderr.flush()
        try:
            return Path(self._stderr.name).read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
