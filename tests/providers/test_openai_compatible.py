"""kimi and openai_legacy providers: kagent vs the oracle against the same mock server.

For every case both kernels' Wire output (after ``initialize``) and the request bodies the
mock server recorded must be equal after normalizing ids, times and jittered retry waits:
full bodies, tool descriptions and system prompt included (both kernels run kimi-cli's
default agent). The only other difference allowed is the list of tools kagent does not have
yet (``harness.KAGENT_LACKS``), which the oracle must offer exactly whenever it sends tools.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from differential import kernels
from mock_llm import MockLLMServer

from .cases import CASES
from .harness import (
    KAGENT_LACKS,
    RunRecord,
    compare,
    normalized_bodies,
    normalized_messages,
    run_kernel,
)

KINDS = ("kimi", "openai_legacy")
# Where the oracle is wrong, kagent follows the protocol spec instead; these cases compare
# everything except the final prompt response, which is checked separately.
ORACLE_WRONG_FINAL_RESPONSE = {"malformed_chunk"}


def _run_both(
    server: MockLLMServer, kind: str, case_name: str, tmp: Path
) -> tuple[RunRecord, RunRecord]:
    case = CASES[case_name]
    oracle = kernels.oracle()
    kagent = kernels.kagent()
    # the two runs use separate lanes of the server: run them side by side
    with ThreadPoolExecutor(max_workers=2) as pool:
        ref_f = pool.submit(
            run_kernel, server, "oracle", oracle.binary, kind, case, tmp / "oracle"
        )
        sub_f = pool.submit(
            run_kernel, server, "kagent", kagent.binary, kind, case, tmp / "kagent"
        )
        ref, sub = ref_f.result(), sub_f.result()
    assert "panicked at" not in sub.stderr, sub.stderr
    return ref, sub


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case_name", list(CASES))
def test_matches_oracle(
    mock_server: MockLLMServer, kind: str, case_name: str, tmp_path: Path
) -> None:
    ref, sub = _run_both(mock_server, kind, case_name, tmp_path)
    ref_msgs, sub_msgs = normalized_messages(ref), normalized_messages(sub)
    if case_name in ORACLE_WRONG_FINAL_RESPONSE:
        ref_final, sub_final = ref.messages[-1], sub.messages[-1]
        ref_msgs, sub_msgs = ref_msgs[:-1], sub_msgs[:-1]
        # The oracle lets the JSON decoder's exception escape as an internal error (-32603,
        # "JSONDecodeError: ..."). A malformed chunk is the provider's fault: kagent reports
        # it as a chat provider error (-32003), the code the protocol spec gives to
        # "LLM service errors".
        assert ref_final["error"]["code"] in (-32603, -32003), ref_final
        assert sub_final["error"]["code"] == -32003, sub_final
        assert "Invalid JSON" in sub_final["error"]["message"], sub_final
    ref_bodies, sub_bodies = normalized_bodies(ref), normalized_bodies(sub)
    sends_tools = any(isinstance(b, dict) and b.get("tools") for b in ref.bodies)
    assert ref_bodies.missing == (set(KAGENT_LACKS) if sends_tools else set()), (
        f"the oracle's tools kagent lacks: {sorted(ref_bodies.missing)}, "
        f"expected exactly {sorted(KAGENT_LACKS)}"
    )
    problems = [
        compare(ref_msgs, sub_msgs, "wire messages"),
        compare(ref_bodies.lines, sub_bodies.lines, "request bodies"),
        compare(ref.paths, sub.paths, "request paths"),
    ]
    problems = [p for p in problems if p]
    assert not problems, (
        "\n\n".join(problems) + "\n--- kagent stderr:\n" + sub.stderr[-3000:]
    )
    assert sub.exit_code == 0


def test_request_headers_carry_the_key(
    mock_server: MockLLMServer, tmp_path: Path
) -> None:
    """Auth and content type as the SDKs send them (the only headers a server relies on)."""
    _, sub = _run_both(mock_server, "kimi", "plain_text", tmp_path)
    headers = sub.headers[0]
    assert headers["authorization"] == "Bearer sk-mock-key"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("KimiCLI/")
    body = sub.bodies[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert json.loads(json.dumps(body["thinking"])) == {"type": "disabled"}
