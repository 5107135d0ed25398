"""The provider scenarios, rendered in the format of the provider under test."""

from __future__ import annotations

from mock_llm import Reply
from mock_llm.streams import (
    Answer,
    Text,
    Think,
    Tool,
    Usage,
    anthropic_events,
    openai_events,
)

from .harness import Case

# Small usage numbers keep the request-token estimate (not the reported usage) deciding Kimi's
# completion cap, so the cap comparison in harness.normalized_bodies is exact.
PLAIN = Answer(
    (Text(("Hel", "lo", " world.")),),
    message_id="chatcmpl-plain",
    usage=Usage(120, 7, 40),
)
THINK = Answer(
    (
        Think(("Let me ", "think about it."), signature="sig-1"),
        Text(("The answer", " is 42.")),
    ),
    message_id="chatcmpl-think",
    usage=Usage(150, 20),
)
AFTER_THINK = Answer(
    (Text(("Still 42.",)),), message_id="chatcmpl-again", usage=Usage(190, 4)
)
# Two calls, each split over several chunks (OpenAI streams parallel calls one after the other,
# each with its own index; the first chunk of a call carries id and name).
TOOLS = Answer(
    (
        Text(("Looking", " both up.")),
        Tool("call_alpha", "lookup", ('{"q"', ': "al', 'pha", "mode"', ': "short"}')),
        Tool("call_beta", "lookup", ("", '{"q":', ' "beta"', "}")),
    ),
    message_id="chatcmpl-tools",
    usage=Usage(300, 30, 100),
)
AFTER_TOOLS = Answer(
    (Text(("alpha and beta are both 42.",)),),
    message_id="chatcmpl-done",
    usage=Usage(400, 9),
)
ERROR_500 = {
    "error": {
        "message": "The server had an error processing your request.",
        "type": "server_error",
    }
}
ERROR_429 = {
    "error": {"message": "Rate limit reached for requests", "type": "rate_limit_error"}
}
ERROR_401 = {
    "error": {
        "message": "Invalid Authentication",
        "type": "invalid_authentication_error",
    }
}
# the SDKs honour retry-after-ms: keeps their transport retries fast and deterministic
FAST_RETRY = {"retry-after-ms": "20"}


def events(kind: str, answer: Answer) -> list[str]:
    return anthropic_events(answer) if kind == "anthropic" else openai_events(answer)


def stream(kind: str, answer: Answer, **kw: int) -> Reply:
    return Reply.stream(events(kind, answer), **kw)


def _malformed(kind: str) -> list[Reply]:
    good = events(kind, THINK)
    # a chunk cut short in the middle of the stream, after the think part began
    bad = (
        good[:3] + ['data: {"id": "chatcmpl-think", "choices": [{"delta\n\n'] + good[3:]
    )
    return [Reply.stream(bad)]


# the context is reported big enough to pass the compaction trigger (tokens + reserved >= max)
BIG = Answer(
    (Text(("A long answer.",)),), message_id="chatcmpl-big", usage=Usage(60000, 50)
)
SUMMARY = Answer(
    (Text(("The user said hi twice; ", "the assistant greeted back.")),),
    message_id="chatcmpl-summary",
    usage=Usage(500, 12),
)

CASES: dict[str, Case] = {
    c.name: c
    for c in (
        Case("plain_text", lambda k: [stream(k, PLAIN)]),
        Case(
            # a client with questions and plan mode: AskUserQuestion, ExitPlanMode and
            # EnterPlanMode are offered too (same schemas, same order)
            "plan_mode_client",
            lambda k: [stream(k, PLAIN)],
            client_capabilities={"supports_question": True, "supports_plan_mode": True},
        ),
        Case(
            "thinking_then_text",
            lambda k: [stream(k, THINK), stream(k, AFTER_THINK)],
            prompts=("why?", "and again?"),
            thinking=True,
            capabilities=("thinking",),
        ),
        Case(
            "parallel_tool_calls",
            lambda k: [stream(k, TOOLS), stream(k, AFTER_TOOLS)],
            prompts=("look up alpha and beta",),
        ),
        Case("malformed_chunk", _malformed),
        Case(
            # the stream breaks after a few events; the kernels reconnect once at once
            # (kimi-cli's connection recovery: no StepRetry) and the second stream completes
            "connection_dropped",
            lambda k: [stream(k, THINK, drop_after=4), stream(k, THINK)],
            thinking=True,
            capabilities=("thinking",),
        ),
        Case(
            # dropped again on the immediate reconnect: recovery exhausted, not retried
            "connection_dropped_twice",
            lambda k: [stream(k, PLAIN, drop_after=3), stream(k, PLAIN, drop_after=3)],
        ),
        Case(
            # answered by the transport retry of the SDKs (no StepRetry on the wire)
            "rate_limited_then_success",
            lambda k: [
                Reply.error(429, ERROR_429, headers=FAST_RETRY),
                stream(k, PLAIN),
            ],
        ),
        Case("unauthorized", lambda k: [Reply.error(401, ERROR_401)]),
        Case(
            # auto compaction before the next step: CompactionBegin/End inside the turn
            "auto_compaction",
            lambda k: [stream(k, BIG), stream(k, SUMMARY), stream(k, AFTER_THINK)],
            prompts=("hi", "and again?"),
        ),
        Case(
            # /compact: the summary request, CompactionBegin/End, what is kept afterwards
            "manual_compact",
            lambda k: [
                stream(k, PLAIN),
                stream(k, AFTER_THINK),
                stream(k, SUMMARY),
                stream(k, PLAIN),
            ],
            prompts=("hi", "and again?", "/compact", "what did we say?"),
        ),
        Case(
            # three 500s exhaust the transport retries (1 + 2) -> one StepRetry -> success
            "server_error_three_times",
            lambda k: (
                [Reply.error(500, ERROR_500, headers=FAST_RETRY)] * 3
                + [stream(k, PLAIN)]
            ),
        ),
    )
}
