"""Run one kernel against the mock model server and record what it did.

A run: a fresh sandbox (share dir, work dir, HOME), a config whose only model points at a
mock-server lane, ``initialize`` with the external tool ``lookup``, then the prompts of the
case one after the other.  Both kernels run their default agent: the oracle its own, kagent
the one of the kimi-cli profile exported from the same kimi-cli (differential.kernels).
External tool calls are answered with a deterministic result.  The run records every message
after ``initialize`` and every request body the lane received.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from differential import kernels
from differential.compare import diff_lines
from differential.normalize import Normalizer
from kk_common.sandbox import Sandbox
from kk_common.wire_client import WireClient
from mock_llm import MockLLMServer, Reply

# The tools the oracle's default agent offers that kagent does not have yet (issue 15); the
# comparison lists exactly these as missing (SearchWeb: only with a search service, which
# the config here has not, on both kernels). None today: kagent has all of them.
KAGENT_LACKS: tuple[str, ...] = ()
EXTERNAL_TOOL = {
    "name": "lookup",
    "description": "Look a word up in the team glossary.",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "the word"},
            "mode": {"enum": ["short", "long"]},
        },
        "required": ["q"],
    },
}
MODEL = "mock-model"
API_KEY = "sk-mock-key"


@dataclass(frozen=True)
class Case:
    """One scenario: the replies the server gives, the prompts the client sends."""

    name: str
    replies: Callable[[str], list[Reply]]  # provider type -> replies
    prompts: tuple[str, ...] = ("hi",)
    thinking: bool = False
    capabilities: tuple[str, ...] = ()
    # the wire client's `initialize` capabilities (which built-in tools are offered)
    client_capabilities: dict[str, bool] | None = None


@dataclass
class RunRecord:
    kernel: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    stderr: str = ""
    exit_code: int | None = None
    root: Path = Path()


def base_url(kind: str, lane_url: str) -> str:
    # OpenAI-style providers take the `/v1` root; the Anthropic SDK appends `/v1/messages`.
    return lane_url if kind == "anthropic" else lane_url + "/v1"


def run_kernel(
    server: MockLLMServer,
    kernel_name: str,
    binary: str,
    kind: str,
    case: Case,
    root: Path,
    *,
    timeout: float = 60.0,
    url_for: Callable[[str], str] | None = None,
    extra_env: dict[str, str] | None = None,
    env_hook: Callable[[str], dict[str, str]] | None = None,
) -> RunRecord:
    lane = server.lane(*case.replies(kind))
    url = url_for(lane.name) if url_for is not None else base_url(kind, lane.url())
    sandbox = Sandbox(root)
    model: dict[str, Any] = {
        "provider": "mock",
        "model": MODEL,
        "max_context_size": 100000,
    }
    if case.capabilities:
        model["capabilities"] = list(case.capabilities)
    config: dict[str, Any] = {
        "default_model": "mock",
        "default_thinking": case.thinking,
        "models": {"mock": model},
        "providers": {
            "mock": {
                "type": kind,
                "base_url": url,
                "api_key": API_KEY,
            }
        },
    }
    sandbox.write_config(config)
    env = sandbox.env()
    # never route the loopback mock through a proxy of the developer's environment
    for key in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        env.pop(key, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra_env or {})
    if env_hook is not None:
        env.update(env_hook(lane.name))
    record = RunRecord(kernel=kernel_name, root=sandbox.root)
    client = WireClient(
        [
            binary,
            "--wire",
            # kagent: kimi-cli's texts and tool definitions, from the profile
            *(["--profile", str(kernels.profile())] if kernel_name == "kagent" else []),
            "--config-file",
            str(sandbox.config_path),
            "--work-dir",
            str(sandbox.work),
        ],
        env=env,
        cwd=sandbox.work,
        stderr_path=sandbox.root / "stderr.txt",
    )
    deadline = time.monotonic() + timeout
    try:
        init, _ = client.call(
            "initialize",
            {
                "protocol_version": "1.10",
                "external_tools": [EXTERNAL_TOOL],
                **(
                    {"capabilities": case.client_capabilities}
                    if case.client_capabilities is not None
                    else {}
                ),
            },
            timeout=timeout,
        )
        assert "result" in init, f"{kernel_name}: initialize failed: {init}"
        for i, text in enumerate(case.prompts):
            prompt_id = f"p{i + 1}"
            client.request("prompt", {"user_input": text}, id=prompt_id)
            while True:
                msg = client.recv(timeout=max(0.1, deadline - time.monotonic()))
                if msg is None:
                    raise AssertionError(
                        f"{kernel_name}: stdout closed during {prompt_id}"
                    )
                record.messages.append(msg)
                if msg.get("method") == "request":
                    _answer(client, msg)
                if msg.get("id") == prompt_id and "method" not in msg:
                    break
        client.close_stdin()
        record.exit_code = client.wait(timeout=30)
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()
        record.stderr = (sandbox.root / "stderr.txt").read_text(errors="replace")
    for req in lane.requests:
        record.bodies.append(req.body)
        record.paths.append(req.path.replace("/" + lane.name, "", 1))
        record.headers.append(req.headers)
    return record


def _answer(client: WireClient, msg: dict[str, Any]) -> None:
    params = msg.get("params", {})
    payload = params.get("payload", {})
    if params.get("type") == "ToolCallRequest":
        args = payload.get("arguments") or ""
        result = {
            "tool_call_id": payload["id"],
            "return_value": {
                "is_error": False,
                "output": f"{payload['name']}({args}) = 42",
                "message": "",
                "display": [],
            },
        }
    else:
        raise AssertionError(f"unexpected request from the kernel: {msg}")
    client.send({"jsonrpc": "2.0", "id": msg["id"], "result": result})


_STREAMED = {"ContentPart", "ToolCall", "ToolCallPart"}
_REORDERED = {"StatusUpdate", "ToolResult"}


def _kind(msg: dict[str, Any]) -> str:
    if msg.get("method") == "event":
        return str(msg.get("params", {}).get("type"))
    return str(msg.get("method") or "response")


def _canonical_order(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fix the order of what follows a step's streamed parts.

    A step sends an external tool's ``request`` once the call is complete (possibly while
    later parts still stream), then its StatusUpdate and the ToolResults.  In the oracle these
    are asyncio tasks and their interleaving is racy (a tool answered quickly reaches the wire
    before the StatusUpdate; see differential/ORACLE-BEHAVIOUR.md), so the comparison puts the
    block after the streamed parts in one order: requests, then StatusUpdates, then the rest,
    each group in its original order.  Streamed parts themselves keep their exact order.
    """
    out: list[dict[str, Any]] = []
    block: list[dict[str, Any]] = []

    def flush() -> None:
        rank = {"request": 0, "StatusUpdate": 1}
        out.extend(sorted(block, key=lambda m: rank.get(_kind(m), 2)))
        block.clear()

    requests: list[dict[str, Any]] = []
    for msg in messages:
        kind = _kind(msg)
        if kind == "request":
            # may be sent while later parts still stream: held for the post-stream block
            requests.append(msg)
        elif kind in _STREAMED:
            out.append(msg)
        elif kind not in _REORDERED:
            block[:0] = requests
            requests.clear()
            flush()
            out.append(msg)
        else:
            block.append(msg)
    block[:0] = requests
    flush()
    return out


def normalized_messages(record: RunRecord) -> list[str]:
    norm = Normalizer([str(record.root)])
    return [
        json.dumps(norm.value(m), ensure_ascii=False)
        for m in _canonical_order(record.messages)
    ]


def tool_tokens(function: dict[str, Any]) -> int:
    """kimi-cli's request-token estimate of one tool definition (what Kimi's
    ``max_completion_tokens`` is computed from), by kimi-cli's own estimator."""
    from kimi_cli.llm import estimate_request_tokens
    from kosong.tooling import Tool

    return estimate_request_tokens("", [Tool(**function)], [])


@dataclass
class Bodies:
    """Request bodies ready to compare, and the oracle tools kagent lacks (KAGENT_LACKS)
    that were taken out of the oracle's bodies."""

    lines: list[str]
    missing: set[str] = field(default_factory=set)


def normalized_bodies(record: RunRecord) -> Bodies:
    """Request bodies with ids and times normalized, nothing else.

    Both kernels run their default agent from the same kimi-cli, so tool names, descriptions,
    parameter schemas and the system prompt must be equal. The oracle's bodies also offer the
    tools kagent does not have yet (KAGENT_LACKS): they are taken out and named in
    ``missing``. Kimi's ``max_completion_tokens`` is what remains of the context after the
    request's token estimate, which counts those tools: their estimate is added back, so the
    cap compares as if the oracle had not offered them.
    """
    norm = Normalizer([str(record.root)])
    out = Bodies([])
    lacked = 0  # the estimate of the lacked tools, from the agent's requests
    for body in record.bodies:
        body = json.loads(json.dumps(body))
        if isinstance(body, dict) and record.kernel == "oracle":
            if body.get("tools"):
                kept, lacked = [], 0
                for tool in body["tools"]:
                    fn = tool.get("function", tool)
                    if fn.get("name") in KAGENT_LACKS:
                        out.missing.add(fn["name"])
                        lacked += tool_tokens(fn)
                    else:
                        kept.append(tool)
                body["tools"] = kept
            # a compaction request sends no tools, but its cap comes from the size of the
            # context the agent continues with, which counts the agent's tools
            if isinstance(body.get("max_completion_tokens"), int):
                body["max_completion_tokens"] += lacked
        out.lines.append(json.dumps(norm.value(body), ensure_ascii=False, sort_keys=True))
    return out


def compare(reference: list[str], subject: list[str], what: str) -> str:
    diff = diff_lines(reference, subject, "oracle", "kagent")
    return f"{what} differ:\n{diff}" if diff else ""
