"""kagent's check of MCP tool arguments (kagent/base/src/py/schema/, a copy of kosong's
`jsonschema.validate`) against python-jsonschema itself, computed here: every (schema,
arguments) pair of schema_corpus.py becomes a tool of a real fastmcp server
(tests/mcp/kk_mcp_server.py with $KK_MCP_SCHEMAS), one scripted step calls them all, and each
ToolResult must carry exactly what kosong would return: `Error validating JSON arguments:
<str(ValidationError)>`, `Error running tool: <str(exception)>` for a schema python-jsonschema
refuses or cannot resolve, or the server's answer for valid arguments. kimi-cli is not run (the
oracle comparison of such calls is mcp_catalogue.py's `mcp_schema_keywords`): kimi-cli drops a
server whose schemas fail the 2020-12 metaschema, which some corpus schemas (draft-07 ones) do.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # (no stubs in the test venv; kosong uses it untyped too)
from kk_common.sandbox import Sandbox, scripted_config
from kk_common.wire_client import WireClient

from . import kernels
from .mcp_catalogue import SERVER, mcp_args
from .schema_corpus import CASES
from .tools_catalogue import DONE, tc


def kosong_text(schema: dict[str, Any], arguments: Any) -> tuple[bool, str]:
    """(is_error, text) of kosong's `CallableTool.call` check, then the server's answer."""
    with warnings.catch_warnings():
        # an unknown `$schema`: "The metaschema specified by $schema was not found"
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            jsonschema.validate(arguments, schema)
        except jsonschema.ValidationError as e:
            return True, f"Error validating JSON arguments: {e}"
        except Exception as e:  # noqa: BLE001 -- kimi-cli reports any other exception so
            return True, f"Error running tool: {e}"
    return False, "valid: " + json.dumps(arguments, sort_keys=True)


def result_text(payload: dict[str, Any]) -> tuple[bool, str]:
    value = payload["return_value"]
    output = value.get("output")
    if value.get("is_error"):
        return True, value.get("message") or str(output)
    texts = [part.get("text", "") for part in output] if isinstance(output, list) else [str(output)]
    return False, "".join(texts)


def passes_tool_check(schema: dict[str, Any]) -> bool:
    """kosong's check of a tool's parameters (its model validator): the 2020-12 metaschema."""
    try:
        jsonschema.validate(schema, jsonschema.Draft202012Validator.META_SCHEMA)
    except jsonschema.ValidationError:
        return False
    return True


def tool_check_error_repr(schema: dict[str, Any]) -> str:
    """repr() of the ValidationError that check raises: how kimi-cli names the failed server."""
    validator = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(schema))
    return repr(error)


def run_step(tmp: Path, schemas: list[dict[str, Any]], step: str) -> Any:
    """One kagent session serving `schemas` as tools kk_s0.. of one real server; the
    exchange of a prompt whose first step is `step`."""
    tmp.mkdir()
    schemas_file = tmp / "schemas.json"
    schemas_file.write_text(json.dumps(schemas), encoding="utf-8")
    server = {
        "command": sys.executable,
        "args": [str(SERVER), "stdio"],
        "env": {"KK_MCP_PREFIX": "kk_", "KK_MCP_SCHEMAS": str(schemas_file)},
    }
    sb = Sandbox(tmp)
    sb.write_scripts([step, DONE])
    sb.write_config(scripted_config(sb.scripts_path))
    argv = kernels.kagent().argv(
        "-w", str(sb.work), "--config-file", str(sb.config_path), "--yolo", *mcp_args({"kk": server})
    )
    client = WireClient(argv, env=sb.env(), cwd=sb.work, stderr_path=tmp / "stderr.txt")
    try:
        client.exchange("initialize", {"protocol_version": "1.10"}, timeout=60)
        return client.exchange("prompt", {"user_input": "check"}, timeout=120)
    finally:
        client.terminate()


def test_kagent_schema_checks_match_python_jsonschema(tmp_path: Path) -> None:
    cases = [(schema, arguments) for schema, arguments in CASES if passes_tool_check(schema)]
    step = "\n".join(tc(f"c{i}", f"kk_s{i}", arguments) for i, (_, arguments) in enumerate(cases))
    ex = run_step(tmp_path / "served", [schema for schema, _ in cases], step)
    assert ex.result == {"status": "finished"}, ex
    got = {
        e["payload"]["tool_call_id"]: result_text(e["payload"])
        for e in ex.events
        if e.get("type") == "ToolResult"
    }
    mismatches = []
    for i, (schema, arguments) in enumerate(cases):
        want = kosong_text(schema, arguments)
        if got.get(f"c{i}") != want:
            mismatches.append(
                f"case {i}: schema {json.dumps(schema)}, arguments {json.dumps(arguments)}\n"
                f"  python-jsonschema: {want!r}\n  kagent:            {got.get(f'c{i}')!r}"
            )
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ:\n" + "\n".join(mismatches)


def test_a_server_with_a_schema_the_tool_check_refuses_fails_to_connect(tmp_path: Path) -> None:
    """The corpus schemas kosong would not take as a tool's parameters (draft-07 forms the
    2020-12 metaschema refuses): a server listing them fails, named with the error kimi-cli
    would raise for the first of them."""
    refused = [schema for schema, _ in CASES if not passes_tool_check(schema)]
    assert refused, "the corpus has no schema the 2020-12 metaschema refuses"
    ex = run_step(tmp_path / "refused", refused, tc("c0", "kk_s0", {}))
    assert ex.error is not None, ex
    want = f"MCPRuntimeError: Failed to connect MCP servers: {{'kk': {tool_check_error_repr(refused[0])}}}"
    assert ex.error["message"] == want, (ex.error, want)
