"""The Wire smoke scenarios, shared by every way of running a kernel.

The same code drives kagent natively, under qemu-aarch64, under wine, and `kimi-kernel --wire`
(and kimi-cli 1.51.0's own `kimi --wire`, the oracle); only the `Launcher` differs.
Each scenario runs in a fresh process with its own work dir, share dir, config file and
scripted-provider script, so one failure cannot leak into the next.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kk_e2e.results import Check
from kk_e2e.wire_client import Exchange, JsonObj, WireClient, WireError

PROTOCOL_VERSION = "1.10"
HELLO_TEXT = "Hello from the kimi-kernel e2e scripted provider"
WRITE_FILE = "e2e-approved.txt"
WRITE_CONTENT = "written after an approval round trip"
WRITE_TOOL_CALL_ID = "e2e-write-1"
AFTER_TOOL_TEXT = "The file is written."
AFTER_CANCEL_TEXT = "Still serving after a cancel."
MODEL_NAME = "e2e-scripted"


@dataclass(frozen=True)
class Launcher:
    """How to start a Wire server here: the argv that starts it, and how it sees host paths."""

    label: str
    argv: tuple[str, ...]
    wine_paths: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_scale: float = 1.0

    def path(self, p: Path) -> str:
        """A host path as the launched program must be given it."""
        resolved = str(p.resolve())
        if self.wine_paths:
            return "Z:" + resolved.replace("/", "\\")
        return resolved

    def timeout(self, seconds: float) -> float:
        return seconds * self.timeout_scale


def _write_file_call() -> str:
    args = json.dumps(
        {"path": WRITE_FILE, "content": WRITE_CONTENT, "mode": "overwrite"}
    )
    return "tool_call: " + json.dumps(
        {"id": WRITE_TOOL_CALL_ID, "name": "WriteFile", "arguments": args}
    )


SCRIPTS: dict[str, list[str]] = {
    "initialize": [f"text: {HELLO_TEXT}"],
    "scripted prompt": [f"text: {HELLO_TEXT}"],
    "tool call with approval": [_write_file_call(), f"text: {AFTER_TOOL_TEXT}"],
    "cancel": [_write_file_call(), f"text: {AFTER_CANCEL_TEXT}"],
}


@dataclass
class Sandbox:
    """Work dir, share dir, config and scripts of one kernel process."""

    root: Path
    launcher: Launcher
    scripts: list[str]

    def __post_init__(self) -> None:
        self.work = self.root / "work"
        self.share = self.root / "share"
        self.work.mkdir(parents=True, exist_ok=True)
        self.share.mkdir(parents=True, exist_ok=True)
        self.scripts_file = self.root / "scripts.json"
        self.scripts_file.write_text(json.dumps(self.scripts), encoding="utf-8")
        self.config_file = self.root / "config.toml"
        self.config_file.write_text(self.config_toml(), encoding="utf-8")

    def config_toml(self) -> str:
        scripts = json.dumps(self.launcher.path(self.scripts_file))
        return "\n".join(
            [
                f'default_model = "{MODEL_NAME}"',
                "",
                f"[providers.{MODEL_NAME}]",
                'type = "_scripted_echo"',
                'base_url = ""',
                'api_key = ""',
                f"env = {{ KIMI_SCRIPTED_ECHO_SCRIPTS = {scripts} }}",
                "",
                f"[models.{MODEL_NAME}]",
                f'provider = "{MODEL_NAME}"',
                'model = "scripted_echo"',
                "max_context_size = 100000",
                "",
            ]
        )

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.launcher.env)
        env["KIMI_SHARE_DIR"] = self.launcher.path(self.share)
        env.pop("KIMI_KERNEL", None)
        return env

    def common_args(self) -> list[str]:
        return [
            "--work-dir",
            self.launcher.path(self.work),
            "--config-file",
            self.launcher.path(self.config_file),
        ]

    def client(self) -> WireClient:
        argv = [*self.launcher.argv, *self.common_args()]
        return WireClient(
            argv, env=self.env(), cwd=self.work, stderr_path=self.root / "stderr.log"
        )


class ScenarioFailed(AssertionError):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


def initialize(client: WireClient, launcher: Launcher) -> JsonObj:
    ex = client.request(
        "initialize",
        {
            "protocol_version": PROTOCOL_VERSION,
            "client": {"name": "kimi-kernel-e2e", "version": "0"},
            "capabilities": {"supports_question": False},
        },
        timeout=launcher.timeout(90),
    )
    expect(ex.error is None, f"initialize returned an error: {ex.error!r}")
    result = ex.result or {}
    expect(
        result.get("protocol_version") == PROTOCOL_VERSION,
        f"initialize negotiated protocol_version {result.get('protocol_version')!r}, "
        f"expected {PROTOCOL_VERSION!r}",
    )
    server = result.get("server") or {}
    expect(
        isinstance(server.get("name"), str) and isinstance(server.get("version"), str),
        f"initialize result has no server name/version: {result!r}",
    )
    commands = result.get("slash_commands")
    expect(
        isinstance(commands, list)
        and all(isinstance(c, dict) and "name" in c for c in commands),
        f"initialize result slash_commands is not a list of commands: {commands!r}",
    )
    return result


def _text_parts(ex: Exchange) -> list[str]:
    return [
        str(e["payload"].get("text"))
        for e in ex.events
        if e.get("type") == "ContentPart"
        and (e.get("payload") or {}).get("type") == "text"
    ]


def _check_turn_shape(ex: Exchange, user_input: str) -> None:
    types = ex.event_types()
    expect(
        bool(types) and types[0] == "TurnBegin",
        f"first event is not TurnBegin: {types}",
    )
    begin = ex.events[0].get("payload") or {}
    expect(
        begin.get("user_input") == user_input,
        f"TurnBegin user_input {begin.get('user_input')!r} != {user_input!r}",
    )
    expect("StepBegin" in types, f"no StepBegin event in {types}")
    expect(types[-1] == "TurnEnd", f"last event is not TurnEnd: {types}")


def prompt(
    client: WireClient,
    launcher: Launcher,
    text: str,
    on_request: Callable[[JsonObj], JsonObj | None] | None = None,
) -> Exchange:
    return client.request(
        "prompt",
        {"user_input": text},
        timeout=launcher.timeout(60),
        on_request=on_request,
    )


def scenario_initialize(sandbox: Sandbox) -> str:
    with sandbox.client() as client:
        result = initialize(client, sandbox.launcher)
    server = result["server"]
    return f"server {server['name']} {server['version']}, {len(result['slash_commands'])} commands"


def scenario_scripted_prompt(sandbox: Sandbox) -> str:
    with sandbox.client() as client:
        initialize(client, sandbox.launcher)
        user_input = "Say hello"
        ex = prompt(client, sandbox.launcher, user_input)
        expect(ex.error is None, f"prompt returned an error: {ex.error!r}")
        expect(ex.result == {"status": "finished"}, f"prompt result {ex.result!r}")
        _check_turn_shape(ex, user_input)
        expect(
            "".join(_text_parts(ex)) == HELLO_TEXT,
            f"streamed text {''.join(_text_parts(ex))!r} != {HELLO_TEXT!r}",
        )
    return f"events {ex.event_types()}"


def _approval_payload(params: JsonObj) -> JsonObj:
    expect(
        params.get("type") == "ApprovalRequest",
        f"expected an ApprovalRequest, got request {params!r}",
    )
    payload = params.get("payload") or {}
    expect(
        payload.get("tool_call_id") == WRITE_TOOL_CALL_ID
        and payload.get("sender") == "WriteFile",
        f"ApprovalRequest does not name the WriteFile call {WRITE_TOOL_CALL_ID}: {payload!r}",
    )
    expect(
        isinstance(payload.get("id"), str),
        f"ApprovalRequest without an id: {payload!r}",
    )
    return payload


def scenario_approval(sandbox: Sandbox) -> str:
    approvals: list[JsonObj] = []

    def approve(params: JsonObj) -> JsonObj:
        payload = _approval_payload(params)
        approvals.append(payload)
        target = sandbox.work / WRITE_FILE
        expect(
            not target.exists(),
            f"{target} was written before the approval was answered",
        )
        return {"request_id": payload["id"], "response": "approve"}

    with sandbox.client() as client:
        initialize(client, sandbox.launcher)
        user_input = "Write the file"
        ex = prompt(client, sandbox.launcher, user_input, on_request=approve)
        expect(ex.error is None, f"prompt returned an error: {ex.error!r}")
        expect(ex.result == {"status": "finished"}, f"prompt result {ex.result!r}")
        expect(
            len(approvals) == 1, f"expected one ApprovalRequest, got {len(approvals)}"
        )
        _check_turn_shape(ex, user_input)
        results = [
            e["payload"]
            for e in ex.events
            if e.get("type") == "ToolResult"
            and (e.get("payload") or {}).get("tool_call_id") == WRITE_TOOL_CALL_ID
        ]
        expect(
            len(results) == 1,
            f"expected one ToolResult for {WRITE_TOOL_CALL_ID}: {results}",
        )
        ret = results[0].get("return_value") or {}
        expect(
            ret.get("is_error") is False, f"WriteFile failed after approval: {ret!r}"
        )
        expect(
            "".join(_text_parts(ex)) == AFTER_TOOL_TEXT,
            f"text after the tool {''.join(_text_parts(ex))!r} != {AFTER_TOOL_TEXT!r}",
        )
    target = sandbox.work / WRITE_FILE
    expect(target.exists(), f"{target} missing after an approved WriteFile")
    content = target.read_text(encoding="utf-8")
    expect(
        content == WRITE_CONTENT,
        f"{target} holds {content!r}, expected {WRITE_CONTENT!r}",
    )
    return f"approved {approvals[0]['id']}, file written"


def scenario_cancel(sandbox: Sandbox) -> str:
    cancel_id = str(uuid.uuid4())
    seen: list[JsonObj] = []

    with sandbox.client() as client:

        def cancel_instead(params: JsonObj) -> None:
            seen.append(_approval_payload(params))
            client.send(
                {"jsonrpc": "2.0", "method": "cancel", "id": cancel_id, "params": {}}
            )

        initialize(client, sandbox.launcher)
        ex = prompt(
            client, sandbox.launcher, "Write the file", on_request=cancel_instead
        )
        expect(
            len(seen) == 1,
            f"expected one ApprovalRequest before cancelling, got {len(seen)}",
        )
        expect(ex.error is None, f"cancelled prompt returned an error: {ex.error!r}")
        expect(
            ex.result == {"status": "cancelled"},
            f"cancelled prompt result {ex.result!r}",
        )
        cancel_resp = next(
            (r for r in client.stray_responses if r.get("id") == cancel_id), None
        )
        if cancel_resp is None:
            cex = client.pump(cancel_id, timeout=sandbox.launcher.timeout(30))
            cancel_resp = {"result": cex.result, "error": cex.error}
        expect(
            cancel_resp.get("error") is None and cancel_resp.get("result") == {},
            f"cancel answered {cancel_resp!r}, expected an empty result",
        )
        target = sandbox.work / WRITE_FILE
        expect(
            not target.exists(), f"{target} was written although the turn was cancelled"
        )
        after = prompt(client, sandbox.launcher, "Are you there?")
        expect(
            after.result == {"status": "finished"},
            f"the prompt after a cancel ended with {after.result!r} / {after.error!r}",
        )
        expect(
            "".join(_text_parts(after)) == AFTER_CANCEL_TEXT,
            f"text after cancel {''.join(_text_parts(after))!r} != {AFTER_CANCEL_TEXT!r}",
        )
    return "prompt cancelled while awaiting approval; next prompt finished"


SCENARIOS: dict[str, Callable[[Sandbox], str]] = {
    "initialize": scenario_initialize,
    "scripted prompt": scenario_scripted_prompt,
    "tool call with approval": scenario_approval,
    "cancel": scenario_cancel,
}


def run_wire_scenarios(
    launcher: Launcher, workroot: Path, *, prefix: str = "wire", keep: bool = False
) -> list[Check]:
    """Run every scenario against `launcher`; one Check per scenario, never raises."""
    checks: list[Check] = []
    for name, scenario in SCENARIOS.items():
        root = workroot / f"{prefix}-{name.replace(' ', '-')}"
        if root.exists():
            shutil.rmtree(root)
        sandbox = Sandbox(root, launcher, SCRIPTS[name])
        start = time.monotonic()
        try:
            detail = scenario(sandbox)
            checks.append(
                Check(f"{prefix}: {name}", True, detail, time.monotonic() - start)
            )
        except (ScenarioFailed, WireError, OSError) as exc:
            tail = (
                (root / "stderr.log").read_text(errors="replace")[-800:]
                if (root / "stderr.log").exists()
                else ""
            )
            detail = f"{exc}" + (f" | stderr: {tail.strip()}" if tail.strip() else "")
            checks.append(
                Check(f"{prefix}: {name}", False, detail, time.monotonic() - start)
            )
        if not keep and checks[-1].ok:
            shutil.rmtree(root, ignore_errors=True)
    return checks
