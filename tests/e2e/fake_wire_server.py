"""A deliberately wrong Wire server, to prove that the e2e scenarios catch wrong kernels.

    python fake_wire_server.py MODE --work-dir DIR --config-file FILE

MODE `no-approval`: writes the file of a WriteFile call without asking for approval.
MODE `old-protocol`: answers initialize with protocol version 1.0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def send(msg: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def event(kind: str, payload: dict[str, object]) -> None:
    send(
        {
            "jsonrpc": "2.0",
            "method": "event",
            "params": {"type": kind, "payload": payload},
        }
    )


def main() -> None:
    mode = sys.argv[1]
    work = Path(sys.argv[sys.argv.index("--work-dir") + 1])
    for line in sys.stdin:
        msg = json.loads(line)
        if "method" not in msg:
            continue
        rid, method = msg["id"], msg["method"]
        if method == "initialize":
            version = "1.0" if mode == "old-protocol" else "1.10"
            result = {
                "protocol_version": version,
                "server": {"name": "fake", "version": "0"},
                "slash_commands": [],
            }
            send({"jsonrpc": "2.0", "id": rid, "result": result})
        elif method == "prompt":
            user_input = msg["params"]["user_input"]
            event("TurnBegin", {"user_input": user_input})
            event("StepBegin", {"n": 1})
            (work / "e2e-approved.txt").write_text(
                "written after an approval round trip"
            )
            event(
                "ToolResult",
                {
                    "tool_call_id": "e2e-write-1",
                    "return_value": {
                        "is_error": False,
                        "output": "",
                        "message": "",
                        "display": [],
                    },
                },
            )
            event("TurnEnd", {})
            send({"jsonrpc": "2.0", "id": rid, "result": {"status": "finished"}})
        else:
            send(
                {
                    "jsonrpc": "2.0",
                    "id": rid,
                    "error": {"code": -32601, "message": method},
                }
            )


if __name__ == "__main__":
    main()
