"""Client actions a scenario is made of."""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JsonObj = dict[str, Any]
_OMIT: Any = object()


@dataclass(frozen=True)
class Resp:
    """Wait for the response to request ``id`` (``None``: an error reply with id null)."""

    id: str | None

    def __call__(self, msg: JsonObj) -> bool:
        return "method" not in msg and "id" in msg and msg["id"] == self.id


@dataclass(frozen=True)
class Ev:
    """Wait for an event of ``type``."""

    type: str

    def __call__(self, msg: JsonObj) -> bool:
        return (
            msg.get("method") == "event"
            and msg.get("params", {}).get("type") == self.type
        )


@dataclass(frozen=True)
class Req:
    """Wait for an agent -> client request of ``type``."""

    type: str

    def __call__(self, msg: JsonObj) -> bool:
        return (
            msg.get("method") == "request"
            and msg.get("params", {}).get("type") == self.type
        )


Matcher = Resp | Ev | Req


@dataclass(frozen=True)
class Send:
    """Send a request; ``params=_OMIT`` leaves the key out.  Does not wait."""

    method: str
    params: Any = field(default_factory=dict)
    id: str = ""
    wait: Matcher | None = None

    def message(self) -> JsonObj:
        msg: JsonObj = {"jsonrpc": "2.0", "id": self.id, "method": self.method}
        if self.params is not _OMIT:
            msg["params"] = self.params
        return msg


def call(method: str, params: Any = None, *, id: str) -> Send:
    """Send a request and wait for its response."""
    return Send(method, {} if params is None else params, id=id, wait=Resp(id))


def call_no_params(method: str, *, id: str) -> Send:
    return Send(method, _OMIT, id=id, wait=Resp(id))


@dataclass(frozen=True)
class SendJson:
    """Send an arbitrary JSON value as one line (may be an invalid message)."""

    value: Any
    wait: Matcher | None = None


@dataclass(frozen=True)
class SendRaw:
    """Send raw text as one line."""

    text: str
    wait: Matcher | None = None


@dataclass(frozen=True)
class Expect:
    """Read messages until ``until`` matches."""

    until: Matcher


@dataclass(frozen=True)
class ExpectAll:
    """Read messages until every matcher has matched once, in any order.

    Used where the oracle's own ordering is racy (e.g. the StatusUpdate of a step and
    the ToolCallRequest of an external tool); the transcript keeps the actual order.
    """

    until: tuple[Matcher, ...]


@dataclass(frozen=True)
class Reply:
    """Wait for a request of ``type`` and answer it with ``result(payload)``.

    With ``error`` set, answer with a JSON-RPC error object instead.
    """

    type: str
    result: Callable[[JsonObj], Any] | None = None
    error: tuple[int, str] | None = None
    wait: Matcher | None = None


@dataclass(frozen=True)
class CloseStdin:
    pass


@dataclass(frozen=True)
class Signal:
    sig: signal.Signals


@dataclass(frozen=True)
class Pause:
    """Sleep a little (only where the protocol gives no observable sync point)."""

    seconds: float


@dataclass(frozen=True)
class Act:
    """Change the sandbox while the kernel runs (e.g. delete a file it found at startup).

    ``action`` gets the run's ``Sandbox``; it is recorded as ``# act <label>``."""

    label: str
    action: Callable[[Any], None]


# A config hook command that appends the event's JSON (its stdin) to the work dir's
# hooklog.txt; a blocking UserPromptSubmit hook (`cat hooklog.txt >&2; exit 2`) then puts the
# log into the transcript as its reason.
LOG_HOOK_STDIN = "cat >> hooklog.txt; echo >> hooklog.txt"


def hook_log_has(text: str, timeout: float = 30.0) -> Act:
    """Wait until hooklog.txt holds `text` (hooks the kernel does not wait for, e.g.
    SubagentStop and Notification, may still be writing it)."""

    def action(sandbox: Any) -> None:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for base in (sandbox.work, sandbox.root):
                log = base / "hooklog.txt"
                if log.is_file() and text in log.read_text(encoding="utf-8", errors="replace"):
                    return
            time.sleep(0.05)
        raise AssertionError(f"hooklog.txt does not hold {text!r} after {timeout}s")

    return Act(f"wait until hooklog.txt holds {text}", action)


Step = (
    Send
    | SendJson
    | SendRaw
    | Expect
    | ExpectAll
    | Reply
    | CloseStdin
    | Signal
    | Pause
    | Act
)


def tool_ok(output: str, message: str = "") -> Callable[[JsonObj], Any]:
    """A ToolCallRequest answer: a successful external tool result."""

    def build(payload: JsonObj) -> Any:
        return {
            "tool_call_id": payload["id"],
            "return_value": {
                "is_error": False,
                "output": output,
                "message": message,
                "display": [],
            },
        }

    return build


def initialize(
    id: str = "init",
    *,
    version: str = "1.10",
    external_tools: list[JsonObj] | None = None,
    **extra: Any,
) -> Send:
    params: JsonObj = {"protocol_version": version}
    if external_tools is not None:
        params["external_tools"] = external_tools
    params.update(extra)
    return call("initialize", params, id=id)


def prompt(user_input: Any, *, id: str, wait: bool = True) -> Send:
    params = {"user_input": user_input}
    return Send("prompt", params, id=id, wait=Resp(id) if wait else None)


def external_tool(name: str, description: str = "an external tool") -> JsonObj:
    return {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    }
