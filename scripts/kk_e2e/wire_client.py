"""A small synchronous Wire (JSON-RPC 2.0 over stdio) client for the e2e smoke scenarios.

It speaks to any process that talks Wire on stdin/stdout: kagent run natively, kagent under
qemu or wine (the command prefix differs, nothing else), or `kimi-kernel --wire`.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

JsonObj = dict[str, Any]


class WireError(RuntimeError):
    """The peer broke the protocol, went silent, or exited."""


@dataclass
class Exchange:
    """Everything that arrived while one request was outstanding."""

    result: JsonObj | None = None
    error: JsonObj | None = None
    events: list[JsonObj] = field(default_factory=list)
    requests: list[JsonObj] = field(default_factory=list)

    def event_types(self) -> list[str]:
        return [str(e.get("type")) for e in self.events]


# A handler for agent->client requests: gets params {"type", "payload"}, returns the result
# to send back, or None to leave the request unanswered.
RequestHandler = Callable[[JsonObj], JsonObj | None]


class WireClient:
    """Drive one Wire server process. Use as a context manager; it never leaves the child behind."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stderr_path: Path | None = None,
    ) -> None:
        self.argv = list(argv)
        self._stderr_path = stderr_path
        self._stderr_file = (
            open(stderr_path, "wb")  # noqa: SIM115 - closed in close()
            if stderr_path
            else subprocess.DEVNULL
        )
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        self._inbox: queue.Queue[JsonObj | BaseException | None] = queue.Queue()
        self.non_json_lines: list[str] = []
        self.stray_responses: list[JsonObj] = []
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    # -- plumbing ---------------------------------------------------------------------------
    def _read_loop(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                self.non_json_lines.append(line)
                continue
            if isinstance(msg, dict):
                self._inbox.put(msg)
            else:
                self.non_json_lines.append(line)
        self._inbox.put(None)

    def send(self, message: JsonObj) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WireError(
                f"cannot write to {self.argv[0]}: it has exited ({self.proc.poll()}); "
                f"{self.stderr_tail()}"
            ) from exc

    def next_message(self, deadline: float) -> JsonObj:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WireError(f"timed out waiting for a message from {self.describe()}")
        try:
            item = self._inbox.get(timeout=remaining)
        except queue.Empty:
            raise WireError(
                f"timed out waiting for a message from {self.describe()}; {self.stderr_tail()}"
            ) from None
        if item is None:
            self._inbox.put(None)
            code = self.proc.wait(timeout=10)
            raise WireError(
                f"{self.describe()} closed stdout (exit code {code}); {self.stderr_tail()}"
            )
        if isinstance(item, BaseException):
            raise item
        return item

    def describe(self) -> str:
        return " ".join(self.argv[:3]) + (" ..." if len(self.argv) > 3 else "")

    def stderr_tail(self, limit: int = 1500) -> str:
        if not self._stderr_path or not self._stderr_path.exists():
            return "stderr not captured"
        data = self._stderr_path.read_bytes().decode("utf-8", errors="replace").strip()
        return f"stderr tail: {data[-limit:]!r}" if data else "stderr empty"

    # -- protocol ---------------------------------------------------------------------------
    def request(
        self,
        method: str,
        params: JsonObj | None = None,
        *,
        timeout: float,
        on_request: RequestHandler | None = None,
        on_event: Callable[[JsonObj, Exchange], None] | None = None,
    ) -> Exchange:
        """Send a request and pump messages until its response arrives."""
        req_id = str(uuid.uuid4())
        msg: JsonObj = {"jsonrpc": "2.0", "method": method, "id": req_id}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.pump(
            req_id, timeout=timeout, on_request=on_request, on_event=on_event
        )

    def pump(
        self,
        req_id: str,
        *,
        timeout: float,
        on_request: RequestHandler | None = None,
        on_event: Callable[[JsonObj, Exchange], None] | None = None,
    ) -> Exchange:
        deadline = time.monotonic() + timeout
        exchange = Exchange()
        while True:
            msg = self.next_message(deadline)
            if msg.get("jsonrpc") != "2.0":
                raise WireError(f"message without jsonrpc 2.0: {msg!r}")
            method = msg.get("method")
            if method == "event":
                params = msg.get("params") or {}
                exchange.events.append(params)
                if on_event is not None:
                    on_event(params, exchange)
                continue
            if method == "request":
                params = msg.get("params") or {}
                exchange.requests.append(params)
                answer = on_request(params) if on_request else None
                if answer is not None:
                    self.send({"jsonrpc": "2.0", "id": msg.get("id"), "result": answer})
                continue
            if method is not None:
                raise WireError(f"unexpected method from the server: {msg!r}")
            if msg.get("id") != req_id:
                # A response to another outstanding request (e.g. cancel while a prompt runs).
                self.stray_responses.append(msg)
                continue
            if "error" in msg:
                exchange.error = msg["error"]
            else:
                exchange.result = msg.get("result")
            return exchange

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, timeout: float = 10.0) -> int | None:
        """Close stdin (the polite way to stop a Wire server), then terminate, then kill."""
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            code: int | None = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                code = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                code = self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        if self._stderr_file is not subprocess.DEVNULL and hasattr(
            self._stderr_file, "close"
        ):
            self._stderr_file.close()
        return code
