"""The bad-input matrix: one malformed or out-of-place line each, with the exact reply.

Expected replies are the oracle's (kimi-cli 1.51.0), observed by running it; cases where
the oracle itself misbehaves are marked ``kagent_only`` with the reply a kernel must give.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JsonObj = dict[str, Any]


def err(code: int, message: str, id: str | None = None) -> JsonObj:
    return {
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": message, "data": None},
    }


PARSE = err(-32700, "Invalid JSON format")
INVALID_REQUEST = err(-32600, "Invalid request")
INVALID_RESPONSE = err(-32600, "Invalid response")
NO_TURN = "No agent turn is in progress"


def invalid_params(method: str, id: str) -> JsonObj:
    return err(-32602, f"Invalid parameters for method `{method}`", id)


def req(id: str, method: str, params: Any = None, **extra: Any) -> str:
    msg: JsonObj = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        msg["params"] = params
    msg.update(extra)
    return json.dumps(msg)


@dataclass(frozen=True)
class Case:
    name: str
    line: str | bytes
    expect: tuple[JsonObj, ...]
    kagent_only: bool = False


_MB = 1024 * 1024

CASES: tuple[Case, ...] = (
    # --- not JSON at all -> -32700, id null
    Case("invalid_json", "{not json", (PARSE,)),
    Case(
        "truncated_json", '{"jsonrpc": "2.0", "id": "t1", "method": "cancel"', (PARSE,)
    ),
    Case("trailing_garbage", req("t2", "cancel") + " trailing", (PARSE,)),
    Case("blank_line", "   ", (PARSE,)),
    Case("utf8_bom", "\ufeff" + req("t3", "cancel"), (PARSE,)),
    Case("invalid_utf8", b"\xff\xfe\x00garbage", (PARSE,)),
    Case("invalid_json_1mb", "{" + "x" * _MB, (PARSE,)),
    # --- JSON but not an object -> -32600, id null
    Case("non_object_array", "[1, 2]", (INVALID_REQUEST,)),
    Case("non_object_string", '"prompt"', (INVALID_REQUEST,)),
    Case("non_object_number", "42", (INVALID_REQUEST,)),
    Case("non_object_null", "null", (INVALID_REQUEST,)),
    # --- envelope problems
    Case("empty_object", "{}", ()),
    Case("only_jsonrpc", '{"jsonrpc": "2.0"}', ()),
    Case(
        "missing_jsonrpc_is_accepted",
        json.dumps({"id": "e1", "method": "cancel"}),
        (err(-32000, NO_TURN, "e1"),),
    ),
    Case(
        "wrong_jsonrpc_version",
        json.dumps({"jsonrpc": "1.0", "id": "e2", "method": "cancel"}),
        (INVALID_REQUEST,),
    ),
    Case(
        "integer_id",
        json.dumps({"jsonrpc": "2.0", "id": 5, "method": "cancel"}),
        (INVALID_REQUEST,),
    ),
    Case(
        "notification_without_id",
        json.dumps({"jsonrpc": "2.0", "method": "cancel"}),
        (),
    ),
    Case("null_id", json.dumps({"jsonrpc": "2.0", "id": None, "method": "cancel"}), ()),
    Case("missing_method_and_result", json.dumps({"jsonrpc": "2.0", "id": "e3"}), ()),
    Case(
        "null_method",
        json.dumps({"jsonrpc": "2.0", "id": "e4", "method": None}),
        (INVALID_RESPONSE,),
    ),
    Case(
        "non_string_method",
        json.dumps({"jsonrpc": "2.0", "id": "e5", "method": 5}),
        (INVALID_REQUEST,),
    ),
    # --- methods
    Case(
        "unknown_method",
        req("m1", "no_such_method", {}),
        (err(-32601, "Unexpected method received: no_such_method", "m1"),),
    ),
    Case(
        "outbound_method_event",
        req("m2", "event", {}),
        (err(-32601, "Unexpected method received: event", "m2"),),
    ),
    Case(
        "outbound_method_request",
        req("m3", "request", {}),
        (err(-32601, "Unexpected method received: request", "m3"),),
    ),
    # --- wrong parameter types -> -32602 with the request id
    Case(
        "prompt_missing_params", req("w1", "prompt"), (invalid_params("prompt", "w1"),)
    ),
    Case(
        "prompt_params_not_object",
        req("w2", "prompt", "hi"),
        (invalid_params("prompt", "w2"),),
    ),
    Case(
        "prompt_user_input_number",
        req("w3", "prompt", {"user_input": 5}),
        (invalid_params("prompt", "w3"),),
    ),
    Case(
        "prompt_missing_user_input",
        req("w4", "prompt", {}),
        (invalid_params("prompt", "w4"),),
    ),
    Case(
        "prompt_unknown_content_part",
        req("w5", "prompt", {"user_input": [{"type": "bogus"}]}),
        (invalid_params("prompt", "w5"),),
        kagent_only=True,
    ),
    Case(
        "initialize_missing_protocol_version",
        req("w6", "initialize", {}),
        (invalid_params("initialize", "w6"),),
    ),
    Case(
        "initialize_external_tools_not_list",
        req("w7", "initialize", {"protocol_version": "1.10", "external_tools": "x"}),
        (invalid_params("initialize", "w7"),),
    ),
    Case(
        "initialize_bad_hook",
        req("w8", "initialize", {"protocol_version": "1.10", "hooks": [{"id": 1}]}),
        (invalid_params("initialize", "w8"),),
    ),
    Case(
        "steer_user_input_object",
        req("w9", "steer", {"user_input": {"a": 1}}),
        (invalid_params("steer", "w9"),),
    ),
    Case(
        "set_plan_mode_missing_enabled",
        req("w10", "set_plan_mode", {}),
        (invalid_params("set_plan_mode", "w10"),),
    ),
    Case(
        "set_plan_mode_enabled_not_bool",
        req("w11", "set_plan_mode", {"enabled": "maybe"}),
        (invalid_params("set_plan_mode", "w11"),),
    ),
    # --- responses nobody asked for are ignored silently
    Case(
        "response_to_unknown_id",
        json.dumps({"jsonrpc": "2.0", "id": "r1", "result": {"ok": True}}),
        (),
    ),
    Case(
        "error_response_to_unknown_id",
        json.dumps(
            {"jsonrpc": "2.0", "id": "r2", "error": {"code": -1, "message": "x"}}
        ),
        (),
    ),
    Case(
        "error_response_without_message",
        json.dumps({"jsonrpc": "2.0", "id": "r3", "error": {"code": 1}}),
        (INVALID_REQUEST,),
    ),
    # --- state errors
    Case("cancel_nothing_running", req("s1", "cancel"), (err(-32000, NO_TURN, "s1"),)),
    Case(
        "cancel_with_params",
        req("s2", "cancel", {"extra": 1}),
        (err(-32000, NO_TURN, "s2"),),
    ),
    Case(
        "steer_nothing_running",
        req("s3", "steer", {"user_input": "x"}),
        (err(-32000, NO_TURN, "s3"),),
    ),
    Case(
        "cancel_1mb_line",
        req("s4", "cancel", {"pad": "x" * _MB}),
        (err(-32000, NO_TURN, "s4"),),
    ),
)

BARRIER_METHOD = "kdiff_barrier"


def barrier_reply(id: str) -> JsonObj:
    return err(-32601, f"Unexpected method received: {BARRIER_METHOD}", id)
