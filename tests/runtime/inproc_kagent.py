"""The kagent end of a KagentClient, in the test's own process and event loop.

KagentClient talks to a process through its stdin/stdout/stderr streams; this stands in for
that process: what the client writes is parsed as JSON-RPC and queued for the test, what the
test `send`s is what the client reads. No kagent (no process at all) is started, so the parts
of WireBackedSoul can be driven message by message."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from kimi_kernel.core._client import KagentClient


class _Stdin:
    """The client's writing end: complete lines become messages for the test."""

    def __init__(self, peer: InProcessKagent) -> None:
        self._peer = peer
        self._buffer = b""
        self._closed = False

    def write(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self._peer.received.put_nowait(json.loads(line))

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._peer.exit(0)  # kagent exits when its input ends

    def is_closing(self) -> bool:
        return self._closed


class InProcessKagent:
    """A scripted kagent: the test reads the client's messages (`next`) and answers."""

    pid = 0

    def __init__(self) -> None:
        self.stdout = asyncio.StreamReader()
        self.stderr = asyncio.StreamReader()
        self.stdin = _Stdin(self)
        self.returncode: int | None = None
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._exited = asyncio.Event()
        self.log: list[tuple[str, str]] = []

    # ---- what KagentClient uses of a process --------------------------------------------
    async def wait(self) -> int:
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        self.exit(-9)

    def terminate(self) -> None:
        self.exit(-15)

    # ---- the kagent side ----------------------------------------------------------------
    def client(self) -> KagentClient:
        def log(level: str, message: str) -> None:
            self.log.append((level, message))

        return KagentClient(cast(Any, self), ["in-process-kagent"], log)

    def send(self, obj: dict[str, Any]) -> None:
        self.stdout.feed_data((json.dumps({"jsonrpc": "2.0", **obj}) + "\n").encode())

    def answer(self, request: dict[str, Any], result: Any) -> None:
        self.send({"id": request["id"], "result": result})

    def fail(self, request: dict[str, Any], code: int, message: str) -> None:
        self.send({"id": request["id"], "error": {"code": code, "message": message}})

    async def next(self, method: str | None = None, timeout: float = 10) -> dict[str, Any]:
        """The client's next message; with `method`, it must be that request."""
        msg = await asyncio.wait_for(self.received.get(), timeout=timeout)
        if method is not None:
            assert msg.get("method") == method, msg
        return msg

    def exit(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
            self.stdout.feed_eof()
            self.stderr.feed_eof()
            self._exited.set()
