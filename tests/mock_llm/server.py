"""The mock model server: a threaded HTTP/1.1 server bound to 127.0.0.1 only.

Each request is recorded (method, path, headers, parsed JSON body) on the lane named by the
first path segment, then answered with that lane's next scripted ``Reply``.  When a lane has
no replies left it answers 599 with a JSON error, so an unexpected extra request shows up in
the recorded requests and in the kernel's output instead of hanging a test.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    ``events`` (a stream): the body is sent with chunked transfer encoding, one chunk per
    event, so a client sees each event as soon as it is written.  ``drop_after=n`` closes the
    socket after ``n`` events without the terminating chunk (a connection lost mid-stream).
    ``body`` (not a stream): sent with a Content-Length.
    """

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    events: tuple[str, ...] | None = None
    body: bytes | None = None
    drop_after: int | None = None
    delay_s: float = 0.0

    @staticmethod
    def stream(events: list[str], *, drop_after: int | None = None) -> Reply:
        return Reply(
            status=200,
            headers=(("Content-Type", "text/event-stream"),),
            events=tuple(events),
            drop_after=drop_after,
        )

    @staticmethod
    def error(
        status: int, payload: Any, *, headers: dict[str, str] | None = None
    ) -> Reply:
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers or {})
        return Reply(
            status=status,
            headers=tuple(hdrs.items()),
            body=json.dumps(payload).encode("utf-8"),
        )


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    # the host the client asked for when it used this server as its HTTP proxy
    proxied_for: str | None = None


@dataclass
class Lane:
    """One kernel run's view of the server: its base URL, replies and recorded requests."""

    name: str
    port: int
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, suffix: str = "") -> str:
        return f"http://{LOOPBACK}:{self.port}/{self.name}{suffix}"

    def push(self, *replies: Reply) -> None:
        with self.lock:
            self.replies.extend(replies)

    def bodies(self) -> list[Any]:
        with self.lock:
            return [r.body for r in self.requests]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = {"__raw__": raw.decode("utf-8", errors="replace")}
        path = self.path
        proxied_for = None
        if path.startswith(("http://", "https://")):
            # absolute-form request target: the client sent this through us as its proxy
            scheme_rest = path.split("://", 1)[1]
            proxied_for, _, rest = scheme_rest.partition("/")
            path = "/" + rest
        lane_name = path.lstrip("/").split("/", 1)[0]
        lane = self.server.owner.lanes.get(lane_name)
        record = RecordedRequest(
            method=self.command,
            path=path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            proxied_for=proxied_for,
        )
        if lane is None:
            self._send_reply(Reply.error(404, {"error": f"unknown lane {lane_name}"}))
            return
        with lane.lock:
            lane.requests.append(record)
            reply = lane.replies.popleft() if lane.replies else None
        if reply is None:
            reply = Reply.error(
                599, {"error": {"message": "mock: no reply scripted for this request"}}
            )
        self._send_reply(reply)

    def _send_reply(self, reply: Reply) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        self.send_response(reply.status)
        for key, value in reply.headers:
            self.send_header(key, value)
        if reply.events is None:
            body = reply.body or b""
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.flush()
        for i, event in enumerate(reply.events):
            if reply.drop_after is not None and i >= reply.drop_after:
                self._drop()
                return
            data = event.encode("utf-8")
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        if reply.drop_after is not None:
            self._drop()
            return
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: MockLLMServer


class MockLLMServer:
    """Start with ``start()`` (or as a context manager); ``lane()`` gives a fresh lane."""

    def __init__(self) -> None:
        self.lanes: dict[str, Lane] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    def start(self) -> Self:
        server = _Server((LOOPBACK, 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def lane(self, *replies: Reply) -> Lane:
        name = "lane-" + uuid.uuid4().hex[:12]
        lane = Lane(name=name, port=self.port)
        lane.push(*replies)
        self.lanes[name] = lane
        return lane
