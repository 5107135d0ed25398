"""Run a scenario against a plan of kernels and record a normalized transcript."""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kk_common.sandbox import Sandbox, scripted_config
from kk_common.wire_client import WireClient, WireError

from . import kernels
from .normalize import Normalizer
from .scenario import Scenario
from .steps import (
    Act,
    CloseStdin,
    Expect,
    ExpectAll,
    Matcher,
    Pause,
    Reply,
    Req,
    Send,
    SendJson,
    SendRaw,
    Signal,
    Step,
)

SESSION_FILES = ("context.jsonl", "wire.jsonl", "state.json")
CONTEXT_FILE_RE = re.compile(r"context(?:_\d+)?\.jsonl$")
PANIC_MARKER = "panicked at"


@dataclass
class PhaseRecord:
    kernel: str
    lines: list[Any] = field(
        default_factory=list
    )  # raw entries: (">", msg) / ("<", msg) / ...
    stderr: str = ""
    exit_code: int | None = None
    files: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    scenario: Scenario
    plan: tuple[str, ...]
    sandbox: Sandbox
    phases: list[PhaseRecord] = field(default_factory=list)

    def panics(self) -> list[str]:
        return [
            f"phase {i} ({p.kernel}):\n{p.stderr}"
            for i, p in enumerate(self.phases)
            if PANIC_MARKER in p.stderr
        ]

    def normalized(self) -> list[str]:
        """Human-readable, normalized lines used for the comparison."""
        norm = Normalizer(
            [str(self.sandbox.root), str(self.sandbox.root.resolve())],
            [
                kernels.builtin_skills_dir(name, self.sandbox.share)
                for name in sorted(set(self.plan))
            ],
        )
        out: list[str] = []
        for i, phase in enumerate(self.phases):
            out.append(f"=== phase {i}")
            for direction, payload in phase.lines:
                if direction in (">", "<"):
                    out.append(f"{direction} {_dump(norm.value(payload))}")
                else:
                    out.append(f"{direction} {payload}")
            out.append(f"exit {phase.exit_code}")
            pattern = self.scenario.stderr_pattern
            if pattern is not None:
                found = re.search(pattern, norm.text(phase.stderr), re.MULTILINE)
                out.append(f"stderr {found.group(0) if found else '<no match>'!r}")
            if self.scenario.compare_files:
                # Files in the order of their normalized names, so that two sessions of one
                # work dir do not swap places with their random ids; kimi.json goes first
                # to number the newest session's id (its `last_session_id`).
                if "kimi.json" in phase.files:
                    norm.value(phase.files["kimi.json"])
                named = sorted((norm.text(name), name) for name in phase.files)
                for shown, name in named:
                    out.append(f"--- file {shown}")
                    for record in phase.files[name]:
                        out.append(f"  {_dump(norm.value(record))}")
        return out


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def _matches(matcher: Matcher | None, msg: dict[str, Any]) -> bool:
    return matcher is not None and matcher(msg)


class _PhaseRunner:
    def __init__(
        self,
        client: WireClient,
        record: PhaseRecord,
        deadline: float,
        sandbox: Sandbox,
    ) -> None:
        self.sandbox = sandbox
        self.client = client
        self.record = record
        self.deadline = deadline
        self.unanswered: list[dict[str, Any]] = []  # agent -> client requests seen

    def _left(self) -> float:
        return max(0.1, self.deadline - time.monotonic())

    def _recv(self) -> dict[str, Any] | None:
        msg = self.client.recv(timeout=self._left())
        if msg is not None:
            self.record.lines.append(("<", msg))
            if msg.get("method") == "request":
                self.unanswered.append(msg)
        return msg

    def take_request(self, request_type: str) -> dict[str, Any]:
        """The oldest unanswered request of ``request_type``, waiting for one if needed."""
        matcher = Req(request_type)
        while True:
            for msg in self.unanswered:
                if matcher(msg):
                    self.unanswered.remove(msg)
                    return msg
            self.wait_for(matcher)

    def wait_for(self, matcher: Matcher) -> dict[str, Any]:
        while True:
            msg = self._recv()
            if msg is None:
                raise WireError(f"stdout closed while waiting for {matcher}")
            if matcher(msg):
                return msg

    def send_obj(self, obj: Any) -> None:
        self.record.lines.append((">", obj))
        # The kernel may already have exited (e.g. on an invalid config, before reading stdin);
        # whether that was right is judged by its output and exit, not by this race.
        with contextlib.suppress(BrokenPipeError):
            self.client.send_raw(json.dumps(obj, ensure_ascii=False))

    def step(self, step: Step) -> None:
        match step:
            case Send():
                self.send_obj(step.message())
                if step.wait is not None:
                    self.wait_for(step.wait)
            case SendJson():
                self.send_obj(step.value)
                if step.wait is not None:
                    self.wait_for(step.wait)
            case SendRaw():
                shown = step.text if len(step.text) <= 200 else step.text[:200] + "..."
                self.record.lines.append((">raw", shown))
                self.client.send_raw(step.text)
                if step.wait is not None:
                    self.wait_for(step.wait)
            case Expect():
                self.wait_for(step.until)
            case ExpectAll():
                pending = list(step.until)
                while pending:
                    msg = self._recv()
                    if msg is None:
                        raise WireError(f"stdout closed while waiting for {pending}")
                    pending = [m for m in pending if not m(msg)]
            case Reply():
                request = self.take_request(step.type)
                if step.error is not None:
                    answer: dict[str, Any] = {
                        "jsonrpc": "2.0",
                        "id": request["id"],
                        "error": {"code": step.error[0], "message": step.error[1]},
                    }
                else:
                    assert step.result is not None
                    answer = {
                        "jsonrpc": "2.0",
                        "id": request["id"],
                        "result": step.result(request["params"]["payload"]),
                    }
                self.send_obj(answer)
                if step.wait is not None:
                    self.wait_for(step.wait)
            case CloseStdin():
                self.record.lines.append(("#", "close stdin"))
                self.client.close_stdin()
            case Signal():
                self.record.lines.append(("#", f"signal {step.sig.name}"))
                self.client.signal(step.sig)
            case Pause():
                time.sleep(step.seconds)
            case Act():
                self.record.lines.append(("#", f"act {step.label}"))
                step.action(self.sandbox)

    def finish(self) -> None:
        self.client.close_stdin()
        while True:
            msg = self._recv()
            if msg is None:
                break
        self.record.exit_code = self.client.wait(timeout=self._left())


def _session_files(sandbox: Sandbox) -> dict[str, Any]:
    files: dict[str, Any] = {}
    for session in sandbox.session_dirs():
        # context.jsonl, wire.jsonl, state.json and whatever else the kernel keeps there
        # (rotated context_N.jsonl after compaction, subagent files...)
        for path in sorted(session.rglob("*")):
            if path.is_file() and path.suffix in (".jsonl", ".json"):
                rel = str(path.relative_to(sandbox.share))
                files[rel] = _read_records(path)
    meta = sandbox.share / "kimi.json"
    if meta.is_file():
        files["kimi.json"] = [_parse_json(meta.read_text(encoding="utf-8"))]
    return files


def _recorded_files(sandbox: Sandbox, patterns: tuple[str, ...]) -> dict[str, Any]:
    """Files a scenario asks for (globs relative to the sandbox root), as text lines."""
    files: dict[str, Any] = {}
    for pattern in patterns:
        for path in sorted(sandbox.root.glob(pattern)):
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                files[str(path.relative_to(sandbox.root))] = text.split("\n")
    return files


def _steps_name_session(steps: tuple[Step, ...]) -> bool:
    return any(
        isinstance(s, Send) and "{session}" in json.dumps(s.message()) for s in steps
    )


def _replace_in(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace_in(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _replace_in(v, old, new) for k, v in value.items()}
    return value


def _with_session(step: Step, session_id: str) -> Step:
    """``{session}`` in a request's params becomes the id of the session made earlier."""
    if isinstance(step, Send):
        return replace(step, params=_replace_in(step.params, "{session}", session_id))
    return step


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {"__raw__": text}


def _read_records(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".jsonl":
        return [_parse_json(line) for line in text.splitlines() if line.strip()]
    return [_parse_json(text)]


def strip_system_prompt(records: list[Any], first_seen: dict[int, Any]) -> list[Any]:
    """Mask system prompt texts, but flag one that changed since an earlier phase.

    ``first_seen`` maps record index -> the content seen in the first phase that had it,
    so a kernel continuing a session must keep the prompt the session started with.
    """
    out: list[Any] = []
    for index, rec in enumerate(records):
        if isinstance(rec, dict) and rec.get("role") == "_system_prompt":
            original = first_seen.setdefault(index, rec.get("content"))
            mask = "<SYSTEM_PROMPT>"
            if rec.get("content") != original:
                mask = "<SYSTEM_PROMPT changed by a later phase>"
            rec = {**rec, "content": mask}
        out.append(rec)
    return out


def launch(
    kernel: kernels.Kernel,
    sandbox: Sandbox,
    *args: str,
    config_file: bool = True,
    tag: str = "0",
) -> WireClient:
    """Start ``kernel --wire`` inside ``sandbox`` (stderr kept in stderr-<tag>.txt)."""
    if config_file:
        args = ("--config-file", str(sandbox.config_path), *args)
    argv = kernel.argv("-w", str(sandbox.work), *args)
    stderr_path = sandbox.root / f"stderr-{tag}.txt"
    return WireClient(
        argv, env=sandbox.env(), cwd=sandbox.work, stderr_path=stderr_path
    )


def run_scenario(scenario: Scenario, plan: tuple[str, ...], root: Path) -> Run:
    assert len(plan) == len(scenario.phases), "one kernel per phase"
    sandbox = Sandbox(root)
    if isinstance(scenario.config, str):
        sandbox.write_config(
            scenario.config.replace("{scripts}", str(sandbox.scripts_path))
        )
    else:
        sandbox.write_config(
            scripted_config(sandbox.scripts_path, **(scenario.config or {}))
        )
    sandbox.extra_env.update(scenario.env)
    run = Run(scenario, plan, sandbox)
    session_id: str | None = None
    prompts: dict[str, dict[int, Any]] = {}
    for index, (phase, kernel_name) in enumerate(
        zip(scenario.phases, plan, strict=True)
    ):
        kernel = kernels.by_name(kernel_name)
        sandbox.write_scripts(list(phase.scripts))
        if phase.mutate is not None:
            phase.mutate(sandbox)
        args = list(phase.args)
        steps = phase.steps
        if any("{session}" in a for a in args) or _steps_name_session(steps):
            if session_id is None:
                session_id = sandbox.only_session_id()
            args = [a.replace("{session}", session_id) for a in args]
            steps = tuple(_with_session(s, session_id) for s in steps)
        if "{config}" in args:
            config_text = sandbox.config_path.read_text(encoding="utf-8")
            args = [config_text if a == "{config}" else a for a in args]
        record = PhaseRecord(kernel=kernel_name)
        run.phases.append(record)
        client = launch(
            kernel, sandbox, *args, config_file=scenario.use_config_file, tag=str(index)
        )
        runner = _PhaseRunner(client, record, time.monotonic() + phase.timeout, sandbox)
        try:
            for step in steps:
                runner.step(step)
            runner.finish()
        except WireError as exc:
            record.lines.append(("!", f"harness: {exc}"))
            if client.proc.poll() is None:
                client.proc.kill()
            record.exit_code = client.proc.wait(timeout=10)
        finally:
            client.terminate()
            record.stderr = client.stderr_text()
        files = _session_files(sandbox)
        files.update(_recorded_files(sandbox, scenario.record_files))
        if not scenario.strict_system_prompt:
            files = {
                k: strip_system_prompt(v, prompts.setdefault(k, {}))
                if CONTEXT_FILE_RE.search(k)
                else v
                for k, v in files.items()
            }
        record.files = files
        if session_id is None and sandbox.session_dirs():
            session_id = sandbox.session_dirs()[0].name
    return run
