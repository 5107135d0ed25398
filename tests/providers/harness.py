"""Run one kernel against the mock model server and record what it did.

A run: a fresh sandbox (share dir, work dir, HOME), a config whose only model points at a
mock-server lane, the agent file (same system prompt and built-in tools for both kernels),
``initialize`` with the external tool ``lookup``, then the prompts of the case one after the
other.  External tool calls are answered with a deterministic result.  The run records every
message after ``initialize`` and every request body the lane received.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from differential.compare import diff_lines
from differential.normalize import Normalizer
from kk_common.sandbox import Sandbox
from kk_common.wire_client import WireClient
from mock_llm import MockLLMServer, Reply

# kagent's system prompt; the oracle gets it through the agent file so that both kernels send
# the same system message (and the same token estimate for Kimi's completion cap).
SYSTEM_PROMPT = (
    "You are Kimi Code CLI, an interactive general AI agent running on a user's computer "
    "(served by kagent)."
)
# The built-in tools kagent registers, in its order; the oracle's agent file lists the same.
BUILTIN_TOOLS = (
    "kimi_cli.tools.ask_user:AskUserQuestion",
    "kimi_cli.tools.todo:SetTodoList",
    "kimi_cli.tools.shell:Shell",
    "kimi_cli.tools.file:ReadFile",
    "kimi_cli.tools.file:ReadMediaFile",
    "kimi_cli.tools.file:Glob",
    "kimi_cli.tools.file:Grep",
    "kimi_cli.tools.file:WriteFile",
    "kimi_cli.tools.file:StrReplaceFile",
    "kimi_cli.tools.plan:ExitPlanMode",
    "kimi_cli.tools.plan.enter:EnterPlanMode",
)
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


def text_tokens(text: str) -> int:
    """kimi-cli's estimate: a quarter token per ASCII character (rounded up), one per other."""
    ascii_count = sum(1 for c in text if c.isascii())
    return (ascii_count + 3) // 4 + (len(text) - ascii_count)


def _write_agent(root: Path) -> Path:
    (root / "system.md").write_text(SYSTEM_PROMPT, encoding="utf-8")
    lines = [
        "version: 1",
        "agent:",
        '  name: ""',
        "  system_prompt_path: ./system.md",
        "  tools:",
    ]
    lines += [f'    - "{t}"' for t in BUILTIN_TOOLS]
    agent = root / "agent.yaml"
    agent.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return agent


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
    agent = _write_agent(sandbox.root)
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
            "--config-file",
            str(sandbox.config_path),
            "--work-dir",
            str(sandbox.work),
            # only the oracle: kagent has this prompt and these tools already, and refuses
            # agent files it cannot load (it runs the default agent only)
            *(["--agent-file", str(agent)] if kernel_name == "oracle" else []),
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


def _builtin_description_tokens(bodies: list[Any]) -> int:
    for body in bodies:
        tools = body.get("tools") if isinstance(body, dict) else None
        if tools:
            return sum(
                text_tokens(t.get("function", t).get("description", ""))
                for t in tools
                if t.get("function", t).get("name") != EXTERNAL_TOOL["name"]
            )
    return 0


def normalized_bodies(record: RunRecord) -> list[str]:
    """Request bodies, ids normalized.

    Built-in tool descriptions are kagent's own wording by design (same names, same
    parameter schemas, different prose), and so are the compaction request's system prompt
    and instructions: they are masked.  Kimi's ``max_completion_tokens`` depends on the tool
    prose through the request token estimate (for the compaction request through its input
    floor, the size of the context the agent continues with), so the masked descriptions'
    tokens are added back: what remains is the prose-independent part of the cap, which must
    be equal. The agent's system prompt is masked the same way: kagent renders kimi-cli's
    default prompt for its work dir (compared verbatim by the differential suite), the oracle
    gets a fixed one through the agent file.
    """
    norm = Normalizer([str(record.root)])
    main_system = _system_text(record.bodies[0]) if record.bodies else None
    prose_tokens = _builtin_description_tokens(record.bodies) + text_tokens(
        main_system or ""
    )
    desc_tokens = prose_tokens
    out = []
    for body in record.bodies:
        body = json.loads(json.dumps(body))
        if isinstance(body, dict):
            for tool in body.get("tools", []):
                fn = tool.get("function", tool)
                if fn.get("name") != EXTERNAL_TOOL["name"] and "description" in fn:
                    fn["description"] = "<built-in tool description>"
            _mask_system_prose(body, main_system)
            if isinstance(body.get("max_completion_tokens"), int):
                body["max_completion_tokens"] = (
                    f"<cap without tool prose: {body['max_completion_tokens'] + desc_tokens}>"
                )
        out.append(json.dumps(norm.value(body), ensure_ascii=False, sort_keys=True))
    return out


def _system_text(body: Any) -> str | None:
    messages = body.get("messages") if isinstance(body, dict) else None
    if (
        messages
        and messages[0].get("role") == "system"
        and isinstance(messages[0].get("content"), str)
    ):
        return str(messages[0]["content"])
    return None


def _mask_system_prose(body: dict[str, Any], main_system: str | None) -> None:
    """The agent's system prompt; and the summary request: its own system prompt, then one
    user message whose last text part is the instruction (the parts before it, "## Message N
    / Role / Content", are compared)."""
    messages = body.get("messages") or []
    system = _system_text(body)
    if system is None:
        return
    if system == main_system:
        messages[0]["content"] = "<system prompt>"
        return
    messages[0]["content"] = "<compaction system prompt>"
    last = messages[-1].get("content")
    if isinstance(last, list) and last and last[-1].get("type") == "text":
        last[-1]["text"] = "<compaction instructions>"


def compare(reference: list[str], subject: list[str], what: str) -> str:
    diff = diff_lines(reference, subject, "oracle", "kagent")
    return f"{what} differ:\n{diff}" if diff else ""
