"""What one round measures, one kernel at a time. Each function runs one fresh kernel process
in its own sandbox and returns ``{metric: value}``; ``runner`` alternates the kernels.

Metrics (names are the keys of dist/bench.json):
  ready_ms          spawn (just before fork/exec) -> the `initialize` response is read
  turn_ms           first scripted one-step turn after initialize: `prompt` sent -> response read
  turn_warm_ms      the second one-step turn in the same process
  ready_cpu_ms, turn_cpu_ms
                    CPU time (all threads, /proc/<pid>/task/*/schedstat) the kernel used up to
                    the `initialize` response, and during the first turn: what the wall times
                    would shrink to on an idle machine (Linux only)
  rss_mb            peak RSS (MB = 10^6 bytes) of the kernel process over that run (VmHWM just before stdin is
                    closed; see bench.wire)
  shell20_ms        one turn of 20 steps that each call the Shell tool (`echo N`) under --yolo,
                    plus the final text step
  shell20_rss_mb    peak RSS of the kernel process over the Shell run (not its `sh` children)
  subagent_ms       one turn whose single tool call runs a foreground `coder` subagent (the
                    default agent's `Agent` tool) of SUBAGENT_STEPS scripted steps (Shell calls
                    under --yolo, then a final answer long enough to need no second request)
  replay_ms         `replay` of a 1,000-event session: request sent -> response read (after the
                    1,000 events)
  replay_rss_mb     peak RSS over the replay run
  readfile_ms       one turn whose single tool call is `ReadFile` of the first READFILE_LINES
                    lines of a READFILE_BYTES text file of 4 KiB lines (generated once per run)
  readfile_rss_mb   peak RSS over that run: kagent streams the file (issue 19), the Python
                    kernel streams it too; reading it whole would show as ~the file size
  soul_turn_ms      through kimi-cli (`kimi-kernel --kernel rust|python --wire`): a one-step turn
                    of SOUL_PARTS text parts after a warm-up turn
  soul_us_per_event soul_turn_ms / events of that turn (WireBackedSoul for kagent, KimiSoul for
                    python)
  mcp_ready_ms      with 2 stdio MCP servers configured (tests/mcp/kk_mcp_server.py, fastmcp):
                    spawn -> the response of a first one-step turn, which waits for both servers
  mcp_call_ms       the next turn: one MCP tool call (`kk_echo`, --yolo) and a text step
  door_*            the commands a user types, `kimi-kernel` against `kimi` (see bench.door)
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kk_common.sandbox import Sandbox

from kk_bench import door
from kk_bench.kernels import PYTHON, Binaries
from kk_bench.wire import JsonObj, Kernel, WireError

INIT = {"protocol_version": "1.10"}
SHELL_STEPS = 20
REPLAY_EVENTS = 1000
SOUL_PARTS = 200
SUBAGENT_STEPS = 5
READFILE_BYTES = 10**9
READFILE_LINES = 5
READFILE_TIMEOUT = 900.0

Metrics = dict[str, float]


def tool_call(call_id: str, name: str, arguments: JsonObj) -> str:
    """A scripted echo step that calls one tool (kosong's DSL)."""
    return "tool_call: " + json.dumps({"id": call_id, "name": name, "arguments": json.dumps(arguments)})


def shell_script(steps: int = SHELL_STEPS) -> list[str]:
    return [tool_call(f"c{i}", "Shell", {"command": f"echo {i}"}) for i in range(1, steps + 1)] + [
        "text: done"
    ]


def events(seen: list[JsonObj], kind: str | None = None) -> list[JsonObj]:
    return [
        m
        for m in seen
        if m.get("method") == "event" and (kind is None or m.get("params", {}).get("type") == kind)
    ]


def _mb(kib: int) -> float:
    """KiB (what the kernel reports) -> MB (10^6 bytes, the unit of the RSS target)."""
    return round(kib * 1024 / 1e6, 2)


def _finished(kernel: Kernel, response: JsonObj, what: str) -> None:
    status = response.get("result", {}).get("status")
    if status != "finished":
        raise WireError(f"{kernel.argv[0]}: {what} ended {status!r}, not 'finished': {response}")


def _spawn(
    argv: list[str], sb: Sandbox, *extra: str, env: dict[str, str] | None = None, timeout: float = 120.0
) -> Kernel:
    full = [*argv, "--work-dir", str(sb.work), "--config-file", str(sb.config_path), *extra]
    return Kernel(full, env=sb.env(env), cwd=sb.work, stderr_path=sb.root / "stderr.txt", timeout=timeout)


def _close(kernel: Kernel) -> int:
    done = kernel.close()
    if done.code != 0:
        raise WireError(f"{kernel.argv[0]} exited {done.code}; stderr:\n{kernel.stderr_tail()}")
    return done.peak_rss_kib


def startup(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    sb.write(["text: hello", "text: again"])
    sb.reset_share()
    with _spawn(bins.wire_argv(name), sb) as k:
        k.call("initialize", INIT)
        ready = time.perf_counter() - k.started
        cpu_ready = k.cpu_ms()
        first, _, turn = k.call("prompt", {"user_input": "hi"})
        cpu_turn = k.cpu_ms()
        _finished(k, first, "the one-step turn")
        second, _, warm = k.call("prompt", {"user_input": "hi again"})
        _finished(k, second, "the second one-step turn")
        rss = _close(k)
    metrics = {"ready_ms": ready * 1e3, "turn_ms": turn * 1e3, "turn_warm_ms": warm * 1e3, "rss_mb": _mb(rss)}
    if cpu_ready is not None and cpu_turn is not None:
        metrics.update(ready_cpu_ms=cpu_ready, turn_cpu_ms=cpu_turn - cpu_ready)
    return metrics


def shell20(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    sb.write(shell_script())
    sb.reset_share()
    with _spawn(bins.wire_argv(name), sb, "--yolo") as k:
        k.call("initialize", INIT)
        response, seen, seconds = k.call("prompt", {"user_input": "run the commands"})
        _finished(k, response, "the Shell turn")
        results = events(seen, "ToolResult")
        if len(results) != SHELL_STEPS:
            raise WireError(f"{k.argv[0]}: {len(results)} ToolResult events, expected {SHELL_STEPS}")
        failed = [r for r in results if r["params"]["payload"].get("return_value", {}).get("is_error")]
        if failed:
            raise WireError(f"{k.argv[0]}: Shell calls failed: {failed[:2]}")
        rss = _close(k)
    return {"shell20_ms": seconds * 1e3, "shell20_rss_mb": _mb(rss)}


def subagent_script(steps: int = SUBAGENT_STEPS) -> list[str]:
    agent = tool_call("c0", "Agent", {"description": "bench", "prompt": "Run the commands."})
    shell = [tool_call(f"s{i}", "Shell", {"command": f"echo {i}"}) for i in range(1, steps)]
    return [agent, *shell, "text: " + "The commands ran. " * 12, "text: done"]


def subagent(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    sb.write(subagent_script())
    sb.reset_share()
    with _spawn(bins.wire_argv(name), sb, "--yolo") as k:
        k.call("initialize", INIT)
        response, seen, seconds = k.call("prompt", {"user_input": "delegate"})
        _finished(k, response, "the subagent turn")
        inner = [
            e["params"]["payload"]["event"]
            for e in events(seen, "SubagentEvent")
        ]
        steps = [e for e in inner if e.get("type") == "StepBegin"]
        if len(steps) != SUBAGENT_STEPS:
            raise WireError(f"{k.argv[0]}: {len(steps)} subagent steps, expected {SUBAGENT_STEPS}")
        [result] = [
            r["params"]["payload"] for r in events(seen, "ToolResult")
        ]
        if result["return_value"].get("is_error"):
            raise WireError(f"{k.argv[0]}: the Agent call failed: {result}")
        _close(k)
    return {"subagent_ms": seconds * 1e3}


@dataclass(frozen=True)
class ReplaySession:
    pristine_share: Path
    session_id: str
    events: int


def _recorded(wire_jsonl: Path) -> tuple[str, list[JsonObj]]:
    lines = wire_jsonl.read_text(encoding="utf-8").splitlines()
    header, records = lines[0], [json.loads(line) for line in lines[1:] if line.strip()]
    return header, records


def make_replay_session(bins: Binaries, sb: Sandbox, n_events: int = REPLAY_EVENTS) -> ReplaySession:
    """A real session of the Python kernel (two scripted turns: a Shell call then text; text and
    thinking), whose wire.jsonl is then extended to ``n_events`` records by repeating the recorded
    turns with later timestamps (the documented wire.jsonl format: a metadata line, then one
    ``{"timestamp", "message"}`` per event/request)."""
    sb.write(
        [
            tool_call("c1", "Shell", {"command": "echo replay"}),
            "text: the command printed replay",
            "think: short thought\ntext: a second answer\nusage: input_other=10 output=5",
        ]
    )
    sb.reset_share()
    with _spawn(bins.wire_argv(PYTHON), sb, "--yolo") as k:
        k.call("initialize", INIT)
        for text in ("run it", "and now?"):
            response, _, _ = k.call("prompt", {"user_input": text})
            _finished(k, response, "a replay-session turn")
        _close(k)
    dirs = sb.session_dirs()
    if len(dirs) != 1:
        raise WireError(f"expected one session after the recording run, found {dirs}")
    wire = dirs[0] / "wire.jsonl"
    header, records = _recorded(wire)
    if not records:
        raise WireError(f"{wire} recorded no events")
    span = records[-1]["timestamp"] - records[0]["timestamp"] + 1.0
    out = [header]
    for i in range(n_events):
        rec = dict(records[i % len(records)])
        rec["timestamp"] = rec["timestamp"] + span * (i // len(records))
        out.append(json.dumps(rec, ensure_ascii=False))
    wire.write_text("\n".join(out) + "\n", encoding="utf-8")
    pristine = sb.root / "pristine-share"
    shutil.rmtree(pristine, ignore_errors=True)
    shutil.copytree(sb.share, pristine)
    return ReplaySession(pristine, dirs[0].name, n_events)


def replay(bins: Binaries, name: str, sb: Sandbox, session: ReplaySession) -> Metrics:
    sb.reset_share(session.pristine_share)
    with _spawn(bins.wire_argv(name), sb, "--session", session.session_id) as k:
        k.call("initialize", INIT)
        response, seen, seconds = k.call("replay")
        result = response.get("result", {})
        if result.get("events") != session.events or len(events(seen)) != session.events:
            raise WireError(
                f"{k.argv[0]}: replay answered {result} after {len(events(seen))} events; "
                f"expected {session.events}"
            )
        rss = _close(k)
    return {"replay_ms": seconds * 1e3, "replay_rss_mb": _mb(rss)}


def soul(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    parts = "\n".join(f"text: part {i} " for i in range(SOUL_PARTS))
    sb.write(["text: warm-up", parts])
    sb.reset_share()
    env = {"KIMI_KERNEL_BIN": str(bins.kagent)}
    with _spawn(bins.soul_argv(name), sb, env=env) as k:
        k.call("initialize", INIT)
        warm, _, _ = k.call("prompt", {"user_input": "warm up"})
        _finished(k, warm, "the warm-up turn")
        response, seen, seconds = k.call("prompt", {"user_input": "many parts"})
        _finished(k, response, "the multi-event turn")
        n = len(events(seen))
        if len(events(seen, "ContentPart")) != SOUL_PARTS:
            raise WireError(
                f"{k.argv}: {len(events(seen, 'ContentPart'))} ContentPart events, expected {SOUL_PARTS}"
            )
        _close(k)
    return {"soul_turn_ms": seconds * 1e3, "soul_events": float(n), "soul_us_per_event": seconds * 1e6 / n}


MCP_SERVER = Path(__file__).resolve().parents[2] / "tests" / "mcp" / "kk_mcp_server.py"


def mcp_config() -> str:
    """Two stdio servers (distinct tool names), run by the bench's Python (fastmcp comes
    with kimi-cli)."""
    servers = {
        name: {
            "command": sys.executable,
            "args": [str(MCP_SERVER), "stdio"],
            "env": {"KK_MCP_PREFIX": prefix},
        }
        for name, prefix in (("kk", "kk_"), ("k2", "k2_"))
    }
    return json.dumps({"mcpServers": servers})


def mcp(bins: Binaries, name: str, sb: Sandbox) -> Metrics:
    if not MCP_SERVER.is_file():
        raise WireError(f"the MCP bench server {MCP_SERVER} is missing (run the bench from the repository)")
    sb.write(["text: ready", tool_call("m1", "kk_echo", {"text": "bench"}), "text: done"])
    sb.reset_share()
    with _spawn(bins.wire_argv(name), sb, "--yolo", "--mcp-config", mcp_config()) as k:
        k.call("initialize", INIT)
        first, _, _ = k.call("prompt", {"user_input": "hi"})
        ready = time.perf_counter() - k.started
        _finished(k, first, "the first turn (after the MCP start-up)")
        response, seen, seconds = k.call("prompt", {"user_input": "call the MCP tool"})
        _finished(k, response, "the MCP tool turn")
        results = events(seen, "ToolResult")
        output = json.dumps([r["params"]["payload"].get("return_value") for r in results])
        if len(results) != 1 or "kk-echo: bench" not in output:
            raise WireError(f"{k.argv[0]}: the MCP call did not answer: {output[:400]}")
        _close(k)
    return {"mcp_ready_ms": ready * 1e3, "mcp_call_ms": seconds * 1e3}


def make_big_log(directory: Path, size: int = READFILE_BYTES) -> Path:
    """A text file of `size` bytes of 4 KiB numbered lines (written once, reused). Long lines
    keep the line count (250k) low: the Python kernel reads line by line through an async
    file API, about a hundred microseconds a line, so short lines would take it an hour."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "big.log"
    if path.exists() and path.stat().st_size == size:
        return path
    line_len = 4096
    block = "".join(f"{i:08d} {'x' * (line_len - 10)}\n" for i in range(256)).encode()
    with path.open("wb") as out:
        written = 0
        while written < size:
            chunk = block[: size - written]
            out.write(chunk)
            written += len(chunk)
    return path


def readfile(bins: Binaries, name: str, sb: Sandbox, log: Path) -> Metrics:
    sb.write([tool_call("r1", "ReadFile", {"path": str(log), "n_lines": READFILE_LINES}), "text: read"])
    sb.reset_share()
    # counting the lines of 1 GB takes the Python kernel minutes on a loaded machine
    with _spawn(bins.wire_argv(name), sb, "--yolo", timeout=READFILE_TIMEOUT) as k:
        k.call("initialize", INIT)
        response, seen, seconds = k.call("prompt", {"user_input": "read the log"})
        _finished(k, response, "the ReadFile turn")
        results = events(seen, "ToolResult")
        value = results[0]["params"]["payload"].get("return_value", {}) if results else {}
        if value.get("is_error") or not str(value.get("message", "")).startswith(
            f"{READFILE_LINES} lines read from file"
        ):
            raise WireError(f"{k.argv[0]}: ReadFile did not read {READFILE_LINES} lines: {value}")
        rss = _close(k)
    return {"readfile_ms": seconds * 1e3, "readfile_rss_mb": _mb(rss)}


Measure = Callable[[str, Sandbox], Metrics]


@dataclass(frozen=True)
class Plan:
    """The measures of one bench run, bound to the binaries (and the replay session)."""

    names: tuple[str, ...]
    funcs: dict[str, Measure]

    @staticmethod
    def build(bins: Binaries, workdir: Path, only: list[str] | None = None) -> Plan:
        funcs: dict[str, Measure] = {
            "startup": lambda n, sb: startup(bins, n, sb),
            "shell20": lambda n, sb: shell20(bins, n, sb),
            "subagent": lambda n, sb: subagent(bins, n, sb),
            "soul": lambda n, sb: soul(bins, n, sb),
            "mcp": lambda n, sb: mcp(bins, n, sb),
            "door": lambda n, sb: door.door(bins, n, sb),
        }
        wanted = [
            m
            for m in ("startup", "shell20", "subagent", "replay", "soul", "mcp", "door", "readfile")
            if not only or m in only
        ]
        if "readfile" in wanted:
            log = make_big_log(workdir / "readfile")
            funcs["readfile"] = lambda n, sb: readfile(bins, n, sb, log)
        if "replay" in wanted:
            session = make_replay_session(bins, Sandbox(workdir / "replay"))

            def run_replay(n: str, sb: Sandbox, s: Any = session) -> Metrics:
                return replay(bins, n, Sandbox(workdir / "replay"), s)

            funcs["replay"] = run_replay
        return Plan(tuple(wanted), {k: funcs[k] for k in wanted})
