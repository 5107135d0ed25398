"""Streams in the providers' real wire formats.

A model answer is described once, provider-neutrally, as a list of pieces
(``Think``, ``Text``, ``Tool``), each already split into the chunks the server should send;
``openai_events`` renders it as OpenAI/Kimi chat-completions SSE, ``anthropic_events`` as
Anthropic Messages SSE.  ``Tool`` pieces of one answer that share an ``interleave`` group are
streamed interleaved (parallel tool calls whose argument deltas alternate), the way
OpenAI-compatible servers send parallel calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Think:
    chunks: tuple[str, ...]
    signature: str | None = None


@dataclass(frozen=True)
class Text:
    chunks: tuple[str, ...]


@dataclass(frozen=True)
class Tool:
    call_id: str
    name: str
    arg_chunks: tuple[str, ...]


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    cache_creation_tokens: int = 0


@dataclass(frozen=True)
class Answer:
    pieces: tuple[Think | Text | Tool, ...]
    message_id: str = "chatcmpl-mock-1"
    model: str = "mock-model"
    usage: Usage | None = None
    # OpenAI format: stream tool calls of this answer interleaved (parallel calls)
    interleave_tools: bool = False
    # Kimi puts usage inside choices[0] of the last chunk (with top-level cached_tokens)
    kimi_usage_style: bool = False
    extra_events: tuple[str, ...] = field(default_factory=tuple)


def sse(data: Any, event: str | None = None) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {payload}\n\n"


def _chunk(answer: Answer, delta: dict[str, Any], finish: str | None = None) -> str:
    return sse(
        {
            "id": answer.message_id,
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": answer.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def openai_events(
    answer: Answer, *, reasoning_key: str = "reasoning_content"
) -> list[str]:
    events: list[str] = [_chunk(answer, {"role": "assistant", "content": ""})]
    tools = [p for p in answer.pieces if isinstance(p, Tool)]
    tool_index = {t.call_id: i for i, t in enumerate(tools)}
    for piece in answer.pieces:
        if isinstance(piece, Think):
            for c in piece.chunks:
                events.append(_chunk(answer, {reasoning_key: c}))
        elif isinstance(piece, Text):
            for c in piece.chunks:
                events.append(_chunk(answer, {"content": c}))
        elif not answer.interleave_tools:
            events.extend(_tool_events(answer, piece, tool_index[piece.call_id]))
    if answer.interleave_tools and tools:
        streams = [_tool_events(answer, t, tool_index[t.call_id]) for t in tools]
        longest = max(len(s) for s in streams)
        for i in range(longest):
            for s in streams:
                if i < len(s):
                    events.append(s[i])
    events.extend(answer.extra_events)
    finish = "tool_calls" if tools else "stop"
    if answer.usage is not None and answer.kimi_usage_style:
        u = answer.usage
        events.append(
            sse(
                {
                    "id": answer.message_id,
                    "object": "chat.completion.chunk",
                    "created": 1700000000,
                    "model": answer.model,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {},
                            "finish_reason": finish,
                            "usage": {
                                "prompt_tokens": u.input_tokens,
                                "completion_tokens": u.output_tokens,
                                "total_tokens": u.input_tokens + u.output_tokens,
                                "cached_tokens": u.cached_tokens,
                            },
                        }
                    ],
                }
            )
        )
    else:
        events.append(_chunk(answer, {}, finish))
        if answer.usage is not None:
            u = answer.usage
            events.append(
                sse(
                    {
                        "id": answer.message_id,
                        "object": "chat.completion.chunk",
                        "created": 1700000000,
                        "model": answer.model,
                        "choices": [],
                        "usage": {
                            "prompt_tokens": u.input_tokens,
                            "completion_tokens": u.output_tokens,
                            "total_tokens": u.input_tokens + u.output_tokens,
                            "prompt_tokens_details": {"cached_tokens": u.cached_tokens},
                        },
                    }
                )
            )
    events.append(sse("[DONE]"))
    return events


def _tool_events(answer: Answer, tool: Tool, index: int) -> list[str]:
    first = tool.arg_chunks[0] if tool.arg_chunks else ""
    out = [
        _chunk(
            answer,
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": tool.call_id,
                        "type": "function",
                        "function": {"name": tool.name, "arguments": first},
                    }
                ]
            },
        )
    ]
    for c in tool.arg_chunks[1:]:
        out.append(
            _chunk(
                answer,
                {"tool_calls": [{"index": index, "function": {"arguments": c}}]},
            )
        )
    return out


def anthropic_events(answer: Answer) -> list[str]:
    u = answer.usage or Usage(0, 0)
    events = [
        sse(
            {
                "type": "message_start",
                "message": {
                    "id": answer.message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": answer.model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": u.input_tokens,
                        "output_tokens": 1,
                        "cache_read_input_tokens": u.cached_tokens,
                        "cache_creation_input_tokens": u.cache_creation_tokens,
                    },
                },
            },
            "message_start",
        ),
        sse({"type": "ping"}, "ping"),
    ]
    has_tool = False
    for index, piece in enumerate(answer.pieces):
        if isinstance(piece, Think):
            block: dict[str, Any] = {
                "type": "thinking",
                "thinking": "",
                "signature": "",
            }
            deltas = [{"type": "thinking_delta", "thinking": c} for c in piece.chunks]
            if piece.signature:
                deltas.append({"type": "signature_delta", "signature": piece.signature})
        elif isinstance(piece, Text):
            block = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": c} for c in piece.chunks]
        else:
            has_tool = True
            block = {
                "type": "tool_use",
                "id": piece.call_id,
                "name": piece.name,
                "input": {},
            }
            deltas = [
                {"type": "input_json_delta", "partial_json": c}
                for c in piece.arg_chunks
            ]
        events.append(
            sse(
                {"type": "content_block_start", "index": index, "content_block": block},
                "content_block_start",
            )
        )
        for d in deltas:
            events.append(
                sse(
                    {"type": "content_block_delta", "index": index, "delta": d},
                    "content_block_delta",
                )
            )
        events.append(
            sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        )
    events.extend(answer.extra_events)
    events.append(
        sse(
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": "tool_use" if has_tool else "end_turn",
                    "stop_sequence": None,
                },
                "usage": {"output_tokens": u.output_tokens},
            },
            "message_delta",
        )
    )
    events.append(sse({"type": "message_stop"}, "message_stop"))
    return events
