"""`kimi-kernel web`: kimi-cli's web UI server, whose per-session workers must honour the
kernel selection too. A real server on loopback, a session made through its HTTP API and
prompted through its websocket; the turn must run in a kagent started by that session's
worker (and with --kernel python, in no kagent at all)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime._kk import children, kagent_bin, kk_argv, make_sandbox, require_installed

require_installed()

TOKEN = "kk-web-test-token"
ANSWER = "Hello from the web kernel"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _one_turn(port: int, work_dir: Path) -> tuple[str, list[dict[str, Any]]]:
    """Create a session, initialize it and send one prompt; its id and what came back."""
    import httpx
    import websockets

    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(600):  # the server imports kimi-cli's web app first: seconds
            try:
                await http.get(f"{base}/api/sessions/", headers=auth)
                break
            except httpx.TransportError:
                await asyncio.sleep(0.2)
        made = await http.post(
            f"{base}/api/sessions/", json={"work_dir": str(work_dir)}, headers=auth
        )
        made.raise_for_status()
        sid = str(made.json()["session_id"])
    seen: list[dict[str, Any]] = []
    uri = f"ws://127.0.0.1:{port}/api/sessions/{sid}/stream?token={TOKEN}"
    async with websockets.connect(uri, max_size=None) as ws:
        init = {"protocol_version": "1.10"}
        await ws.send(
            json.dumps(
                {"jsonrpc": "2.0", "id": "i1", "method": "initialize", "params": init}
            )
        )
        async with asyncio.timeout(180):
            while True:
                msg = json.loads(await ws.recv())
                seen.append(msg)
                if msg.get("id") == "i1":
                    prompt = {"user_input": "hi web"}
                    await ws.send(
                        json.dumps(
                            {
                                "jsonrpc": "2.0",
                                "id": "p1",
                                "method": "prompt",
                                "params": prompt,
                            }
                        )
                    )
                if msg.get("id") == "p1":
                    return sid, seen


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("kernel", ["rust", "python"])
def test_web_session_turn_runs_on_the_selected_kernel(
    tmp_path: Path, kernel: str
) -> None:
    kagent_bin()  # the packaged kagent is what the workers find
    sb = make_sandbox(tmp_path, [f"text: {ANSWER}"])
    # the web workers load the default config, $KIMI_SHARE_DIR/config.toml
    shutil.copy(sb.config, sb.share / "config.toml")
    port = _free_port()
    out = (tmp_path / "web.out").open("w")
    argv = ["--kernel", kernel, "web", "--no-open", "--port", str(port)]
    server = subprocess.Popen(
        kk_argv(*argv, "--auth-token", TOKEN),
        env=sb.env(),
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=sb.root,
    )
    try:
        sid, seen = asyncio.run(_one_turn(port, sb.work))
        workers = children(server.pid)
        kagents = [k for w in workers for k in children(w)]
    finally:
        server.terminate()
        server.wait(timeout=60)
        out.close()
    texts = [
        m["params"]["payload"].get("text")
        for m in seen
        if m.get("method") == "event" and m["params"]["type"] == "ContentPart"
    ]
    assert texts == [ANSWER], seen
    assert {"jsonrpc": "2.0", "id": "p1", "result": {"status": "finished"}} in seen
    claimed = re.findall(
        rf"session {sid} runs on kagent pid (\d+)", sb.log()
    )  # written by the worker's kimi_kernel
    if kernel == "rust":
        assert len(workers) == 1, (workers, (tmp_path / "web.out").read_text())
        assert [int(p) for p in claimed] == kagents, (
            claimed,
            kagents,
            sb.log()[-3000:],
        )
        assert len(kagents) == 1
    else:
        assert claimed == [] and kagents == [], (claimed, kagents)
