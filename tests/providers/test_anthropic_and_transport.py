"""The anthropic provider (kagent against the Messages API format) and HTTP transport.

Oracle note: kimi-cli 1.51.0's anthropic provider cannot send a request with the anthropic
SDK its dependency range resolves to today (``anthropic>=0.78`` → 2.x, where ``MessageParam``
became a ``Union``): every prompt ends with ``-32603 "TypeError: Cannot instantiate
typing.Union"`` before any HTTP request. So these cases check kagent against the Anthropic
Messages API and kosong's intended conversion (system prompt block, tool results merged per
turn, cache breakpoints, thinking config, signature round trip) instead of against the oracle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from differential import kernels
from mock_llm import MockLLMServer

from .cases import CASES
from .harness import (
    EXTERNAL_TOOL,
    MODEL,
    Case,
    RunRecord,
    run_kernel,
)


def _kagent(server: MockLLMServer, case: Case, tmp: Path, **kw: Any) -> RunRecord:
    record = run_kernel(
        server, "kagent", kernels.kagent().binary, "anthropic", case, tmp, **kw
    )
    assert "panicked at" not in record.stderr, record.stderr
    return record


def _events(record: RunRecord) -> list[tuple[str, Any]]:
    return [
        (m["params"]["type"], m["params"]["payload"])
        for m in record.messages
        if m.get("method") == "event"
    ]


def _think(text: str, sig: str | None = None) -> tuple[str, Any]:
    return ("ContentPart", {"type": "think", "think": text, "encrypted": sig})


def _text(text: str) -> tuple[str, Any]:
    return ("ContentPart", {"type": "text", "text": text})


def test_thinking_text_and_signature_round_trip(
    mock_server: MockLLMServer, tmp_path: Path
) -> None:
    rec = _kagent(mock_server, CASES["thinking_then_text"], tmp_path)
    ev = _events(rec)
    first_turn = ev[: ev.index(("TurnEnd", {})) + 1]
    assert first_turn[:9] == [
        ("TurnBegin", {"user_input": "why?"}),
        ("StepBegin", {"n": 1}),
        _think(""),
        _think("Let me "),
        _think("think about it."),
        _think("", "sig-1"),
        _text(""),
        _text("The answer"),
        _text(" is 42."),
    ]
    status = first_turn[9]
    assert status[0] == "StatusUpdate"
    assert status[1]["token_usage"] == {
        "input_other": 150,
        "output": 20,
        "input_cache_read": 0,
        "input_cache_creation": 0,
    }
    assert status[1]["message_id"] == "chatcmpl-think"
    assert [m.get("result") for m in rec.messages if "result" in m] == [
        {"status": "finished"},
        {"status": "finished"},
    ]

    assert rec.paths == ["/v1/messages", "/v1/messages"]
    headers = rec.headers[0]
    assert headers["x-api-key"] == "sk-mock-key"
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    first, second = rec.bodies
    session_dir = next(rec.root.joinpath("share").glob("sessions/*/*"))
    sid = session_dir.name
    system_prompt = next(
        json.loads(line)["content"]
        for line in (session_dir / "context.jsonl").read_text(encoding="utf-8").splitlines()
        if '"_system_prompt"' in line
    )
    assert first["model"] == MODEL
    assert first["max_tokens"] == 50000
    assert first["stream"] is True
    assert first["metadata"] == {"user_id": sid}
    assert first["thinking"] == {"type": "enabled", "budget_tokens": 32000}
    assert first["system"] == [
        {"type": "text", "text": system_prompt, "cache_control": {"type": "ephemeral"}}
    ]
    assert first["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "why?", "cache_control": {"type": "ephemeral"}}
            ],
        }
    ]
    tools = first["tools"]
    assert tools[-1] == {
        "name": "lookup",
        "description": EXTERNAL_TOOL["description"],
        "input_schema": EXTERNAL_TOOL["parameters"],
        "cache_control": {"type": "ephemeral"},
    }
    assert all("cache_control" not in t for t in tools[:-1])
    assert {"name", "description", "input_schema"} <= set(tools[0])
    # the signed thinking block goes back with its signature; only the last block is cached
    assert second["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "why?"}]},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "thinking",
                    "thinking": "Let me think about it.",
                    "signature": "sig-1",
                },
                {"type": "text", "text": "The answer is 42."},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "and again?",
                    "cache_control": {"type": "ephemeral"},
                }
            ],
        },
    ]


def test_parallel_tool_use_results_merge(
    mock_server: MockLLMServer, tmp_path: Path
) -> None:
    rec = _kagent(mock_server, CASES["parallel_tool_calls"], tmp_path)
    calls = [p for t, p in _events(rec) if t == "ToolCall"]
    assert [(c["id"], c["function"]["arguments"]) for c in calls] == [
        ("call_alpha", ""),
        ("call_beta", ""),
    ]
    requests = [
        m["params"]["payload"] for m in rec.messages if m.get("method") == "request"
    ]
    assert [(r["id"], json.loads(r["arguments"])) for r in requests] == [
        ("call_alpha", {"q": "alpha", "mode": "short"}),
        ("call_beta", {"q": "beta"}),
    ]
    second = rec.bodies[1]["messages"]
    assert second[1] == {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Looking both up."},
            {
                "type": "tool_use",
                "id": "call_alpha",
                "name": "lookup",
                "input": {"q": "alpha", "mode": "short"},
            },
            {
                "type": "tool_use",
                "id": "call_beta",
                "name": "lookup",
                "input": {"q": "beta"},
            },
        ],
    }
    # both results in ONE user message (Anthropic requires it for one assistant turn)
    assert second[2] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "call_alpha",
                "content": [
                    {
                        "type": "text",
                        "text": 'lookup({"q": "alpha", "mode": "short"}) = 42',
                    }
                ],
            },
            {
                "type": "tool_result",
                "tool_use_id": "call_beta",
                "content": [{"type": "text", "text": 'lookup({"q": "beta"}) = 42'}],
                "cache_control": {"type": "ephemeral"},
            },
        ],
    }
    assert len(second) == 3
    assert rec.messages[-1]["result"] == {"status": "finished"}


def test_errors_and_retries(mock_server: MockLLMServer, tmp_path: Path) -> None:
    rec = _kagent(mock_server, CASES["unauthorized"], tmp_path / "401")
    assert rec.messages[-1]["error"] == {
        "code": -32003,
        "message": "Error code: 401 - {'error': {'message': 'Invalid Authentication', "
        "'type': 'invalid_authentication_error'}}",
        "data": None,
    }
    assert len(rec.bodies) == 1  # 401 is not retried
    rec = _kagent(mock_server, CASES["server_error_three_times"], tmp_path / "500")
    retries = [p for t, p in _events(rec) if t == "StepRetry"]
    assert len(retries) == 1
    assert (
        retries[0]["status_code"] == 500
        and retries[0]["error_type"] == "APIStatusError"
    )
    assert len(rec.bodies) == 4  # 1 + 2 transport retries, then the step retry
    assert rec.messages[-1]["result"] == {"status": "finished"}
    rec = _kagent(mock_server, CASES["connection_dropped"], tmp_path / "drop")
    assert not [p for t, p in _events(rec) if t == "StepRetry"]
    assert len(rec.bodies) == 2
    assert rec.messages[-1]["result"] == {"status": "finished"}


def test_http_proxy_is_honoured(mock_server: MockLLMServer, tmp_path: Path) -> None:
    """HTTP_PROXY routes the request through the proxy (the mock server plays it), for both
    kernels: the target host is never resolved, the proxy sees the absolute URL."""
    proxy = f"http://127.0.0.1:{mock_server.port}"
    for name in ("oracle", "kagent"):
        kernel = kernels.by_name(name)
        lanes_before = set(mock_server.lanes)
        rec = run_kernel(
            mock_server,
            name,
            kernel.binary,
            "openai_legacy",
            CASES["plain_text"],
            tmp_path / name,
            url_for=lambda lane: f"http://models.example.invalid/{lane}/v1",
            extra_env={
                "HTTP_PROXY": proxy,
                "http_proxy": proxy,
                "NO_PROXY": "",
                "no_proxy": "",
            },
        )
        lane = next(
            mock_server.lanes[n] for n in mock_server.lanes if n not in lanes_before
        )
        assert [r.proxied_for for r in lane.requests] == ["models.example.invalid"], (
            name
        )
        assert rec.messages[-1].get("result") == {"status": "finished"}, (
            name,
            rec.stderr,
        )


def _both(
    server: MockLLMServer, case: Case, tmp: Path, kind: str, **kw: Any
) -> tuple[RunRecord, RunRecord]:
    ref = run_kernel(
        server, "oracle", kernels.oracle().binary, kind, case, tmp / "o", **kw
    )
    sub = run_kernel(
        server, "kagent", kernels.kagent().binary, kind, case, tmp / "k", **kw
    )
    return ref, sub


def test_kimi_environment_overrides(mock_server: MockLLMServer, tmp_path: Path) -> None:
    """KIMI_BASE_URL / KIMI_API_KEY / KIMI_MODEL_NAME / KIMI_MODEL_TEMPERATURE override the
    config (whose base_url points nowhere), for both kernels alike."""

    def env_hook(lane: str) -> dict[str, str]:
        return {
            "KIMI_BASE_URL": f"http://127.0.0.1:{mock_server.port}/{lane}/v1",
            "KIMI_API_KEY": "sk-from-env",
            "KIMI_MODEL_NAME": "env-model",
            "KIMI_MODEL_TEMPERATURE": "0.25",
        }

    ref, sub = _both(
        mock_server,
        CASES["plain_text"],
        tmp_path,
        "kimi",
        url_for=lambda lane: "http://config-url.example.invalid/v1",
        env_hook=env_hook,
    )
    for rec in (ref, sub):
        assert len(rec.bodies) == 1, (rec.kernel, rec.stderr[-2000:])
        assert rec.bodies[0]["model"] == "env-model", rec.kernel
        assert rec.bodies[0]["temperature"] == 0.25, rec.kernel
        assert rec.headers[0]["authorization"] == "Bearer sk-from-env", rec.kernel
        assert rec.messages[-1].get("result") == {"status": "finished"}, rec.kernel


def test_missing_base_url_means_llm_not_set(
    mock_server: MockLLMServer, tmp_path: Path
) -> None:
    ref, sub = _both(
        mock_server,
        CASES["unauthorized"],
        tmp_path,
        "openai_legacy",
        url_for=lambda lane: "",
    )
    assert ref.bodies == [] and sub.bodies == []
    assert ref.messages[-1]["error"] == sub.messages[-1]["error"]
    assert sub.messages[-1]["error"]["message"] == "LLM is not set"
