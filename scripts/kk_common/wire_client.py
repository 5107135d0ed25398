"""The Wire (JSON-RPC 2.0 over stdio) test client, for the test suites and the e2e scenarios.

It starts a kernel process (``kimi --wire``, ``kagent --wire`` natively, under qemu or wine, or
``kimi-kernel --wire``), writes one JSON object per line to its stdin and reads one JSON object
per line from its stdout on a background thread.  Lines on stdout that are not JSON are kept as
``{"__raw__": line}`` so a test can see (and fail on) protocol pollution.  stderr is captured to
a file.  Two levels: ``request``/``recv``/``recv_until`` for tests that look at every message,
``exchange``/``pump`` for scenarios that answer the kernel's requests and collect its events.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

JsonObj = dict[str, Any]

_EOF = object()


class WireError(AssertionError):
    """Raised when the kernel does not produce what the client waited for."""


@dataclass
class Exchange:
    """Everything that arrived while one request was outstanding (see ``WireClient.pump``)."""

    result: JsonObj | None = None
    error: JsonObj | None = None
    events: list[JsonObj] = field(default_factory=list)
    requests: list[JsonObj] = field(default_factory=list)

    def event_types(self) -> list[str]:
        return [str(e.get("type")) for e in self.events]


# A handler for agent->client requests: gets params {"type", "payload"}, returns the result
# to send back, or None to leave the request unanswered.
RequestHandler = Callable[[JsonObj], JsonObj | None]
EventHandler = Callable[[JsonObj, Exchange], None]


class WireClient:
    """One kernel process spoken to over stdio."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        stderr_path: str | Path | None = None,
    ) -> None:
        self.argv = list(argv)
        self._stderr_path = Path(stderr_path) if stderr_path else None
        stderr_target: IO[bytes] | int
        if self._stderr_path is not None:
            self._stderr_file: IO[bytes] | None = self._stderr_path.open("wb")
            stderr_target = self._stderr_file
        else:
            self._stderr_file = None
            stderr_target = subprocess.DEVNULL
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr_target,
            env=dict(env) if env is not None else None,
            cwd=str(cwd) if cwd is not None else None,
            start_new_session=True,
        )
        self._queue: queue.Queue[object] = queue.Queue()
        self.received: list[JsonObj] = []
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        self._eof = False
        self._next_id = 0
        # Seen by pump(): non-JSON stdout lines, and responses to other outstanding requests.
        self.non_json_lines: list[str] = []
        self.stray_responses: list[JsonObj] = []

    # ------------------------------------------------------------------ reading
    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                obj = {"__raw__": line}
            if not isinstance(obj, dict):
                obj = {"__raw__": line}
            self._queue.put(obj)
        self._queue.put(_EOF)

    def recv(self, timeout: float = 30.0) -> JsonObj | None:
        """Next message from stdout, or ``None`` at EOF. Raises on timeout."""
        if self._eof:
            return None
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise WireError(
                f"timed out after {timeout}s waiting for a message from {self.argv[0]}"
            ) from None
        if item is _EOF:
            self._eof = True
            return None
        assert isinstance(item, dict)
        self.received.append(item)
        return item

    def recv_until(
        self, predicate: Callable[[JsonObj], bool], timeout: float = 30.0
    ) -> list[JsonObj]:
        """Collect messages up to and including the first one matching ``predicate``."""
        deadline = time.monotonic() + timeout
        got: list[JsonObj] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireError(f"timed out after {timeout}s; received so far: {got!r}")
            msg = self.recv(timeout=left)
            if msg is None:
                raise WireError(
                    f"stdout closed before the expected message; got {got!r}"
                )
            got.append(msg)
            if predicate(msg):
                return got

    def recv_all(self, timeout: float = 30.0) -> list[JsonObj]:
        """Collect every message until stdout reaches EOF."""
        deadline = time.monotonic() + timeout
        got: list[JsonObj] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireError(
                    f"timed out after {timeout}s waiting for EOF; got {got!r}"
                )
            msg = self.recv(timeout=left)
            if msg is None:
                return got
            got.append(msg)

    # ------------------------------------------------------------------ writing
    def send_raw(self, data: str | bytes) -> None:
        """Write raw bytes/text; a newline is appended if missing."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        if not payload.endswith(b"\n"):
            payload += b"\n"
        assert self.proc.stdin is not None
        self.proc.stdin.write(payload)
        self.proc.stdin.flush()

    def send(self, message: JsonObj) -> None:
        self.send_raw(json.dumps(message, ensure_ascii=False))

    def new_id(self) -> str:
        self._next_id += 1
        return f"c{self._next_id}"

    def request(self, method: str, params: Any = None, *, id: str | None = None) -> str:
        """Send a request and return its id (does not wait for the response)."""
        msg_id = id if id is not None else self.new_id()
        msg: JsonObj = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return msg_id

    def call(
        self, method: str, params: Any = None, *, timeout: float = 30.0
    ) -> tuple[JsonObj, list[JsonObj]]:
        """Send a request and wait for its response; returns (response, everything seen)."""
        msg_id = self.request(method, params)
        seen = self.recv_until(lambda m: is_response_to(m, msg_id), timeout=timeout)
        return seen[-1], seen

    def respond(self, msg_id: str, result: Any) -> None:
        self.send({"jsonrpc": "2.0", "id": msg_id, "result": result})

    def respond_error(self, msg_id: str, code: int, message: str) -> None:
        self.send(
            {
                "jsonrpc": "2.0",
                "id": msg_id,
                "error": {"code": code, "message": message},
            }
        )

    # ------------------------------------------------------------ exchanges
    def describe(self) -> str:
        return " ".join(self.argv[:3]) + (" ..." if len(self.argv) > 3 else "")

    def stderr_tail(self, limit: int = 1500) -> str:
        if self._stderr_path is None:
            return "stderr not captured"
        data = self.stderr_text().strip()
        return f"stderr tail: {data[-limit:]!r}" if data else "stderr empty"

    def _send_checked(self, message: JsonObj) -> None:
        try:
            self.send(message)
        except OSError as exc:
            # worded as a closed stdout is: the same death, seen at the write first when it
            # came before the request was sent
            try:
                code: int | None = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                code = None
            state = f"exit code {code}" if code is not None else f"still running: {exc}"
            raise WireError(
                f"cannot write to {self.describe()} ({state}); {self.stderr_tail()}"
            ) from exc

    def exchange(
        self,
        method: str,
        params: JsonObj | None = None,
        *,
        timeout: float,
        on_request: RequestHandler | None = None,
        on_event: EventHandler | None = None,
    ) -> Exchange:
        """Send a request and pump messages until its response arrives."""
        msg_id = self.new_id()
        msg: JsonObj = {"jsonrpc": "2.0", "method": method, "id": msg_id}
        if params is not None:
            msg["params"] = params
        self._send_checked(msg)
        return self.pump(msg_id, timeout=timeout, on_request=on_request, on_event=on_event)

    def pump(
        self,
        msg_id: str,
        *,
        timeout: float,
        on_request: RequestHandler | None = None,
        on_event: EventHandler | None = None,
    ) -> Exchange:
        """Collect events and answer requests (with ``on_request``) until ``msg_id``'s response."""
        deadline = time.monotonic() + timeout
        exchange = Exchange()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireError(f"timed out waiting for a message from {self.describe()}")
            try:
                msg = self.recv(timeout=left)
            except WireError as exc:
                raise WireError(f"{exc}; {self.stderr_tail()}") from None
            if msg is None:
                code = self.proc.wait(timeout=10)
                raise WireError(
                    f"{self.describe()} closed stdout (exit code {code}); {self.stderr_tail()}"
                )
            if "__raw__" in msg:
                self.non_json_lines.append(str(msg["__raw__"]))
                continue
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
                    self._send_checked({"jsonrpc": "2.0", "id": msg.get("id"), "result": answer})
                continue
            if method is not None:
                raise WireError(f"unexpected method from the server: {msg!r}")
            if msg.get("id") != msg_id:
                # A response to another outstanding request (e.g. cancel while a prompt runs).
                self.stray_responses.append(msg)
                continue
            if "error" in msg:
                exchange.error = msg["error"]
            else:
                exchange.result = msg.get("result")
            return exchange

    # ---------------------------------------------------------------- lifecycle
    def close_stdin(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
            if not self.proc.stdin.closed:  # its flush failed: the buffer is dropped
                with contextlib.suppress(OSError, ValueError):
                    os.close(self.proc.stdin.fileno())

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise WireError(f"{self.argv[0]} did not exit within {timeout}s") from None

    def stderr_text(self) -> str:
        if self._stderr_file is not None and not self._stderr_file.closed:
            self._stderr_file.flush()
        if self._stderr_path is None or not self._stderr_path.exists():
            return ""
        return self._stderr_path.read_text(encoding="utf-8", errors="replace")

    def terminate(self, timeout: float = 10.0) -> int:
        """Close stdin (the polite way to stop a Wire server) and wait; then SIGTERM, then SIGKILL."""
        self.close_stdin()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                return self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.wait(timeout=timeout)
        finally:
            self._close_files()

    def _close_files(self) -> None:
        # a write that failed left bytes buffered: closing must not raise (nor leave it to
        # the garbage collector to complain)
        self.close_stdin()
        if self.proc.stdout is not None:
            self._reader.join(timeout=5)
        if self._stderr_file is not None and not self._stderr_file.closed:
            self._stderr_file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.terminate()
        else:
            self._close_files()


# ---------------------------------------------------------------------- helpers
def is_response_to(msg: JsonObj, msg_id: str) -> bool:
    return (
        "method" not in msg
        and msg.get("id") == msg_id
        and ("result" in msg or "error" in msg)
    )


def is_event(msg: JsonObj, event_type: str | None = None) -> bool:
    if msg.get("method") != "event":
        return False
    return event_type is None or msg.get("params", {}).get("type") == event_type


def is_request(msg: JsonObj, request_type: str | None = None) -> bool:
    if msg.get("method") != "request":
        return False
    return request_type is None or msg.get("params", {}).get("type") == request_type
