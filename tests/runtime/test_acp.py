"""`kimi-kernel acp`: kimi-cli's ACP server, its session turns run by kagent."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from runtime._kk import (
    HELLO,
    assert_gone,
    kk_argv,
    make_sandbox,
    oracle_kagent,
    require_installed,
)

require_installed()

T = 240.0


class AcpClient:
    """Minimal ACP (JSON-RPC 2.0 over stdio) client: requests and session/update notices."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.updates: list[dict[str, Any]] = []

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                self.messages.put(json.loads(line))

    def call(self, rid: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        msg = {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + T
        while True:
            got = self.messages.get(timeout=max(0.1, deadline - time.monotonic()))
            if got.get("method") == "session/update":
                self.updates.append(got["params"]["update"])
            if got.get("id") == rid and "method" not in got:
                return got

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=T)


def test_acp_prompt_is_answered_by_kagent(tmp_path: Path) -> None:
    sb = make_sandbox(tmp_path, [HELLO])
    # `kimi acp` reads the default config location and wants a stored login token
    (sb.share / "config.toml").write_text(sb.config.read_text())
    (sb.share / "credentials").mkdir()
    (sb.share / "credentials" / "kimi-code.json").write_text(
        json.dumps(
            {
                "access_token": "test-token",
                "refresh_token": "test-refresh",
                "expires_at": time.time() + 30 * 86400,
                "scope": "",
                "token_type": "Bearer",
            }
        )
    )
    env = sb.env(KIMI_KERNEL_BIN=str(oracle_kagent(tmp_path / "bin")))
    client = AcpClient(kk_argv("--kernel", "rust", "acp"), env, tmp_path)
    try:
        assert "result" in client.call(
            1, "initialize", {"protocolVersion": 1, "clientCapabilities": {}}
        )
        new = client.call(2, "session/new", {"cwd": str(sb.work), "mcpServers": []})
        session_id = new["result"]["sessionId"]
        done = client.call(
            3,
            "session/prompt",
            {
                "sessionId": session_id,
                "prompt": [{"type": "text", "text": "Say hello"}],
            },
        )
        assert done.get("result") == {"stopReason": "end_turn"}, done
        chunks = [
            u["content"]["text"]
            for u in client.updates
            if u.get("sessionUpdate") == "agent_message_chunk"
        ]
        assert "".join(chunks) == "Hello from the kernel"
        [pid] = sb.kagent_pids()
        assert client.close() == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()
    assert_gone(pid)
