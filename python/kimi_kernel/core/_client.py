"""A JSON-RPC 2.0 client for one `kagent --wire` child process (one JSON object per line).

A stuck kagent never hangs its caller (issue 19): a watchdog probes a kagent that has been
silent while a request waits and kills it when the probe goes unanswered, and a kagent that
closes its stdout but keeps running is killed after a grace period. What kagent writes to
stderr is copied into the log only up to a budget (it may print without bound)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from kimi_kernel import __name__ as _pkg

PROTOCOL_VERSION = "1.10"
INIT_TIMEOUT_ENV = "KIMI_KERNEL_INIT_TIMEOUT"
DEFAULT_INIT_TIMEOUT = 15.0
_LINE_LIMIT = 64 * 1024 * 1024
WATCHDOG_ENV = "KIMI_KERNEL_WATCHDOG"
# Seconds of silence, while a request waits, before kagent is probed; long tool calls are
# silent but a serving kagent answers the probe at once, so this need not be generous.
DEFAULT_WATCHDOG = 30.0
# Seconds kagent has to answer the probe (and to exit after closing its stdout).
PROBE_GRACE = 10.0
# Bytes of kagent's stderr copied into the log; the rest is counted, not logged.
STDERR_LOG_BUDGET = 1024 * 1024
STDERR_LINE_MAX = 2000

PROBE_METHOD = "kimi_kernel.probe"

type Log = Callable[[str, str], None]  # (level, message)
type EventHandler = Callable[[dict[str, Any]], None]
# may return an awaitable: kagent's later messages are read only once it is done (a request
# that must reach the client before them)
type RequestHandler = Callable[[str, dict[str, Any]], Awaitable[None] | None]


class KagentError(RuntimeError):
    """kagent failed: it did not start, broke the protocol, or died."""


class KagentExited(KagentError):
    pass


class KagentProtocolError(KagentError):
    pass


class KagentRPCError(KagentError):
    """kagent answered a request with a JSON-RPC error object."""

    def __init__(self, method: str, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"kagent answered {method} with error {code}: {message}")
        self.method = method
        self.code = code
        self.rpc_message = message
        self.data = data


def init_timeout() -> float:
    raw = os.environ.get(INIT_TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_INIT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise KagentError(
            f"{INIT_TIMEOUT_ENV}={raw!r} is not a number of seconds; set it to e.g. 15 or unset it."
        ) from None
    if value <= 0:
        raise KagentError(
            f"{INIT_TIMEOUT_ENV}={raw!r} must be a positive number of seconds."
        )
    return value


def watchdog_interval() -> float | None:
    """The watchdog's silence threshold in seconds (KIMI_KERNEL_WATCHDOG; 0 turns it off)."""
    raw = os.environ.get(WATCHDOG_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_WATCHDOG
    try:
        value = float(raw)
    except ValueError:
        raise KagentError(
            f"{WATCHDOG_ENV}={raw!r} is not a number of seconds; set it to e.g. 30, "
            "0 to turn the watchdog off, or unset it."
        ) from None
    return value if value > 0 else None


def _die_with_parent() -> (
    None
):  # pragma: no cover - runs in the child between fork and exec
    """Linux: have the kernel SIGKILL kagent when this Python process dies, however it dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return  # no prctl: the atexit handler and stdin EOF still stop kagent


class KagentClient:
    """Owns the process; routes responses to waiting calls and events/requests to handlers."""

    def __init__(
        self, proc: asyncio.subprocess.Process, argv: Sequence[str], log: Log
    ) -> None:
        self.proc = proc
        self.argv = list(argv)
        self._log = log
        self._pending: dict[str, tuple[str, asyncio.Future[Any]]] = {}
        self.on_event: EventHandler | None = None
        self.on_request: RequestHandler | None = None
        self.stderr_tail: deque[str] = deque(maxlen=20)
        self._dead: KagentError | None = None
        self._write_lock = asyncio.Lock()
        self._last_heard = asyncio.get_running_loop().time()
        self._stderr_logged = 0
        self._stderr_dropped = 0
        self._reader = asyncio.create_task(self._read_stdout(), name="kagent-stdout")
        self._err_reader = asyncio.create_task(
            self._read_stderr(), name="kagent-stderr"
        )
        interval = watchdog_interval()
        self._watchdog = (
            asyncio.create_task(self._watch(interval), name="kagent-watchdog")
            if interval is not None
            else None
        )

    # ---- lifecycle -----------------------------------------------------------------
    @classmethod
    async def spawn(
        cls, argv: Sequence[str], *, log: Log, cwd: str | None = None
    ) -> KagentClient:
        kwargs: dict[str, Any] = {}
        if sys.platform.startswith("linux"):
            kwargs["preexec_fn"] = _die_with_parent
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=_LINE_LIMIT,
                cwd=cwd,
                **kwargs,
            )
        except OSError as e:
            raise KagentError(
                f"could not start kagent ({argv[0]}): {e.strerror or e}"
            ) from e
        log("INFO", f"started kagent pid={proc.pid}: {' '.join(argv)}")
        return cls(proc, argv, log)

    @property
    def alive(self) -> bool:
        return self._dead is None and self.proc.returncode is None

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def close(self, grace: float = 3.0) -> int | None:
        """Close stdin (kagent exits on EOF), then SIGTERM, then SIGKILL; always reaps."""
        proc = self.proc
        if proc.returncode is None and proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
        for step in ("eof", "term", "kill"):
            if proc.returncode is not None:
                break
            if step == "term":
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
            elif step == "kill":
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    proc.wait(), timeout=grace if step != "kill" else 10
                )
        if self._watchdog is not None and not self._watchdog.done():
            self._watchdog.cancel()
        for task in (self._reader, self._err_reader):
            if not task.done():
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(task), timeout=1.0)
            if not task.done():
                task.cancel()
        self._note_dropped_stderr()
        self._fail_all(KagentExited(self._exit_message()))
        return proc.returncode

    async def _watch(self, interval: float) -> None:
        """Probe kagent when it has been silent for `interval` s while a request waits;
        no answer within PROBE_GRACE s: it is stuck, every waiting call fails, it is killed."""
        loop = asyncio.get_running_loop()
        while self.alive:
            await asyncio.sleep(min(interval, 1.0))
            if not self._pending or loop.time() - self._last_heard < interval:
                continue
            try:
                # the write too: a kagent that stopped reading its stdin blocks it
                await asyncio.wait_for(self.request(PROBE_METHOD), timeout=PROBE_GRACE)
            except KagentRPCError:
                continue  # any answer proves it serves
            except TimeoutError:
                silent = loop.time() - self._last_heard
                err = KagentError(
                    f"kagent (pid {self.proc.pid}) stopped answering: silent for {silent:.0f}s "
                    f"while a request waited, and no answer to a liveness probe within "
                    f"{PROBE_GRACE:g}s; it was stopped. Its own log is <share>/logs/kagent.log; "
                    f"set {WATCHDOG_ENV} to wait longer (seconds, 0 turns the watchdog off)."
                )
                self._log("ERROR", str(err))
                self._fail_all(err)
                self.kill_now()
                return
            except KagentError:
                return

    def kill_now(self) -> None:
        """Synchronous last resort (atexit, finalizers)."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    # ---- outbound ------------------------------------------------------------------
    @property
    def stdin_closed(self) -> bool:
        stdin = self.proc.stdin
        return stdin is None or stdin.is_closing()

    def close_stdin(self) -> None:
        """End kagent's input (kagent ends its turn and exits, as on its client's EOF)."""
        if self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()

    async def _write(self, obj: dict[str, Any]) -> None:
        if self._dead is not None:
            raise self._dead
        stdin = self.proc.stdin
        assert stdin is not None
        if stdin.is_closing():
            raise await self._gone()
        data = (
            json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"
        ).encode()
        async with self._write_lock:
            try:
                stdin.write(data)
                await stdin.drain()
            except (BrokenPipeError, ConnectionResetError) as e:
                raise await self._gone() from e

    async def _gone(self, grace: float = 2.0) -> KagentError:
        """kagent's stdin broke: the error naming why it went away. The exit status and the
        stderr kagent wrote before exiting (its start-up error) arrive a little after the
        pipe closes, so they are waited for (briefly) rather than raced."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.proc.wait()), timeout=grace)
        for reader in (self._err_reader, self._reader):  # the stdout reader sets _dead on EOF
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(reader), timeout=grace)
        if self._dead is not None:
            return self._dead
        if self.proc.returncode is None:  # alive but not reading: say so, with what it said
            tail = "; stderr: " + " | ".join(self.stderr_tail) if self.stderr_tail else ""
            return KagentExited(f"kagent's stdin is closed (pid {self.proc.pid}){tail}")
        return KagentExited(self._exit_message())

    async def request(
        self, method: str, params: Any = None, timeout: float | None = None
    ) -> Any:
        if self._dead is not None:
            raise self._dead
        rid = str(uuid.uuid4())
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[rid] = (method, fut)
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": rid}
        if params is not None:
            msg["params"] = params
        try:
            await self._write(msg)
            if timeout is None:
                return await fut
            return await asyncio.wait_for(asyncio.shield(fut), timeout=timeout)
        finally:
            self._pending.pop(rid, None)

    async def respond(self, rid: str, result: Any) -> None:
        await self._write({"jsonrpc": "2.0", "id": rid, "result": result})

    async def respond_error(self, rid: str, code: int, message: str) -> None:
        await self._write(
            {"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message}}
        )

    # ---- inbound -------------------------------------------------------------------
    def _exit_message(self) -> str:
        rc = self.proc.returncode
        status = "is still running" if rc is None else f"exited with code {rc}"
        if rc is not None and rc < 0:
            with contextlib.suppress(ValueError):
                status = f"was killed by {signal.Signals(-rc).name}"
        tail = "; stderr: " + " | ".join(self.stderr_tail) if self.stderr_tail else ""
        return f"kagent (pid {self.proc.pid}) {status}{tail}"

    def _fail_all(self, err: KagentError) -> None:
        if self._dead is None:
            self._dead = err
        for _method, fut in list(self._pending.values()):
            if not fut.done():
                fut.set_exception(self._dead)

    async def _read_stderr(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        while True:
            try:
                line = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):
                continue
            if not line:
                return
            text = line.decode(errors="replace").rstrip()
            if not text:
                continue
            if len(text) > STDERR_LINE_MAX:
                text = f"{text[:STDERR_LINE_MAX]}... ({len(text)} characters)"
            self.stderr_tail.append(text)
            if self._stderr_logged + len(text) > STDERR_LOG_BUDGET:
                self._stderr_dropped += len(line)
                continue
            self._stderr_logged += len(text)
            self._log("INFO", f"kagent stderr: {text}")
            if self._stderr_logged + STDERR_LINE_MAX > STDERR_LOG_BUDGET:
                self._log(
                    "WARNING",
                    f"kagent stderr: {STDERR_LOG_BUDGET} bytes logged; the rest is not "
                    "copied here (kagent's own log: <share>/logs/kagent.log)",
                )
                self._stderr_logged = STDERR_LOG_BUDGET

    def _note_dropped_stderr(self) -> None:
        if self._stderr_dropped:
            self._log(
                "WARNING",
                f"kagent stderr: {self._stderr_dropped} more bytes were not logged",
            )
            self._stderr_dropped = 0

    async def _read_stdout(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        try:
            while True:
                line = await stream.readline()
                self._last_heard = asyncio.get_running_loop().time()
                if not line:
                    try:
                        await asyncio.wait_for(self.proc.wait(), timeout=PROBE_GRACE)
                    except TimeoutError:
                        gone = KagentExited(
                            f"kagent (pid {self.proc.pid}) closed its stdout but kept running "
                            f"for {PROBE_GRACE:g}s; it was stopped"
                        )
                        self._log("ERROR", str(gone))
                        self._fail_all(gone)
                        self.kill_now()
                        await self.proc.wait()
                        return
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            asyncio.shield(self._err_reader), timeout=1.0
                        )
                    self._fail_all(
                        KagentExited(
                            self._exit_message().replace(
                                "kagent", "kagent closed stdout:", 1
                            )
                        )
                    )
                    return
                text = line.decode(errors="replace").strip()
                if not text:
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError:
                    shown = text if len(text) <= 200 else text[:200] + "..."
                    err = KagentProtocolError(
                        f"kagent printed non-JSON on stdout: {shown!r}"
                    )
                    self._log("ERROR", str(err))
                    self._fail_all(err)
                    self.kill_now()
                    return
                if not isinstance(obj, dict):
                    self._log(
                        "ERROR",
                        f"kagent sent a non-object JSON message: {text[:200]!r}",
                    )
                    continue
                gate = self._dispatch(obj)
                if gate is not None:
                    await gate
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a bug here must not leave callers hanging
            self._fail_all(
                KagentProtocolError(f"reading kagent's stdout failed: {e!r}")
            )
            self.kill_now()

    def _dispatch(self, obj: dict[str, Any]) -> Awaitable[None] | None:
        method = obj.get("method")
        rid = obj.get("id")
        if method is None and ("result" in obj or "error" in obj):
            entry = self._pending.get(str(rid)) if rid is not None else None
            if entry is None:
                self._log(
                    "ERROR",
                    f"kagent sent a response to unknown request id {rid!r}; ignoring it",
                )
                return None
            req_method, fut = entry
            if fut.done():
                return None
            if "error" in obj and obj["error"] is not None:
                err = obj["error"] if isinstance(obj["error"], dict) else {}
                fut.set_exception(
                    KagentRPCError(
                        req_method,
                        int(err.get("code", -32603)),
                        str(err.get("message", "")),
                        err.get("data"),
                    )
                )
            else:
                fut.set_result(obj.get("result"))
            return None
        params = obj.get("params")
        if method == "event" and isinstance(params, dict):
            if self.on_event is not None:
                self.on_event(params)
            else:
                self._log("DEBUG", f"kagent event outside a turn: {str(params)[:200]}")
            return None
        if method == "request" and isinstance(params, dict) and rid is not None:
            if self.on_request is not None:
                return self.on_request(str(rid), params)
            else:
                self._log(
                    "ERROR",
                    f"kagent sent a request outside a turn; rejecting id {rid!r}",
                )
                asyncio.get_running_loop().create_task(
                    self.respond_error(
                        str(rid), -32000, "no turn is in progress on the client"
                    )
                )
            return None
        self._log(
            "ERROR", f"kagent sent an unexpected message: {json.dumps(obj)[:200]}"
        )
        return None


async def handshake(
    client: KagentClient,
    *,
    version: str,
    timeout: float,
    external_tools: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Send `initialize` as kimi-kernel's own client (kimi-cli's shell, print or ACP UI:
    answers questions and plan-mode switches); return its result. Raises KagentError with
    a clear reason."""
    params: dict[str, Any] = {
        "protocol_version": PROTOCOL_VERSION,
        "client": {"name": _pkg.replace("_", "-"), "version": version},
        "capabilities": {"supports_question": True, "supports_plan_mode": True},
        # kagent's extension: kimi-cli reports hook activity to initialized Wire clients
        # only, never to these UIs; hooks still run
        "report_hooks": False,
        # kagent's extension: a provider error names its class and status (error.data), so
        # print mode's exit code is kimi-cli's (75 for a retryable failure)
        "provider_error_data": True,
        # kagent's extension: its own identity in `kernel` (a Wire client gets kimi-cli's result)
        "kernel_info": True,
    }
    if external_tools:
        params["external_tools"] = external_tools
    return await initialize(client, params, timeout=timeout)


async def initialize(
    client: KagentClient, params: dict[str, Any], *, timeout: float
) -> dict[str, Any]:
    """Send `initialize` with `params`; return its result (KagentError with the reason)."""
    try:
        result = await client.request("initialize", params, timeout=timeout)
    except TimeoutError:
        raise KagentError(
            f"kagent did not answer initialize within {timeout:g}s "
            f"(set {INIT_TIMEOUT_ENV} to wait longer)"
        ) from None
    if not isinstance(result, dict):
        raise KagentProtocolError(
            f"kagent answered initialize with {result!r}, not an object"
        )
    return result




async def probe(client: KagentClient, *, timeout: float) -> None:
    """Check that kagent serves JSON-RPC without initializing it (an `initialize` is the
    Wire client's to send: it decides what kagent reports). The probe asks for a method
    kagent does not have; any JSON-RPC answer, error included, proves it is serving."""
    try:
        await client.request(PROBE_METHOD, timeout=timeout)
    except KagentRPCError:
        return
    except TimeoutError:
        raise KagentError(
            f"kagent did not answer a request within {timeout:g}s "
            f"(set {INIT_TIMEOUT_ENV} to wait longer)"
        ) from None
