"""Misbehaving kagents (real processes written in Python) for the bad-case tests."""

from __future__ import annotations

from pathlib import Path

from runtime._kk import fake_kagent

PRELUDE = """
def send(obj):
    sys.stdout.write(json.dumps(obj) + "\\n")
    sys.stdout.flush()

def event(kind, payload):
    send({"jsonrpc": "2.0", "method": "event", "params": {"type": kind, "payload": payload}})

def answer_initialize(msg):
    send({"jsonrpc": "2.0", "id": msg["id"], "result": {
        "protocol_version": "1.10", "server": {"name": "fake-kagent", "version": "0"},
        "slash_commands": []}})

def serve(on_prompt):
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("method") == "initialize":
            answer_initialize(msg)
        elif msg.get("method") == "prompt":
            on_prompt(msg)
"""


def exits_at_startup(d: Path) -> Path:
    return fake_kagent(d, 'sys.stderr.write("boom: cannot start\\n")\nsys.exit(3)\n')


def prints_non_json(d: Path) -> Path:
    return fake_kagent(d, 'print("hello world", flush=True)\ntime.sleep(60)\n')


def never_answers(d: Path) -> Path:
    return fake_kagent(d, "time.sleep(300)\n")


def dies_mid_turn(d: Path) -> Path:
    return fake_kagent(
        d,
        PRELUDE
        + """
def on_prompt(msg):
    event("TurnBegin", {"user_input": msg["params"]["user_input"]})
    event("StepBegin", {"n": 1})
    sys.stderr.write("fake kagent: crashing now\\n")
    sys.stderr.flush()
    os._exit(7)

serve(on_prompt)
""",
    )


def unknown_response_id(d: Path) -> Path:
    return fake_kagent(
        d,
        PRELUDE
        + """
def on_prompt(msg):
    send({"jsonrpc": "2.0", "id": "no-such-id", "result": {}})
    event("TurnBegin", {"user_input": msg["params"]["user_input"]})
    event("StepBegin", {"n": 1})
    event("ContentPart", {"type": "text", "text": "still answering"})
    event("TurnEnd", {})
    send({"jsonrpc": "2.0", "id": msg["id"], "result": {"status": "finished"}})

serve(on_prompt)
""",
    )


def goes_silent_after_initialize(d: Path) -> Path:
    """Answers `initialize`, then reads on but never answers again (a stuck kernel)."""
    return fake_kagent(
        d,
        PRELUDE
        + """
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("method") == "initialize":
        answer_initialize(msg)
""",
    )


def closes_stdout_and_stays(d: Path) -> Path:
    """Answers `initialize`, closes its stdout on the prompt and stays alive."""
    return fake_kagent(
        d,
        PRELUDE
        + """
def on_prompt(msg):
    sys.stdout.close()
    os.close(1)
    time.sleep(300)

serve(on_prompt)
""",
    )


def floods_stderr(d: Path, mib: int) -> Path:
    """Writes `mib` MiB of stderr lines, then serves prompts normally."""
    return fake_kagent(
        d,
        PRELUDE
        + f"""
line = "e" * 1023 + "\\n"
for _ in range({mib} * 1024):
    sys.stderr.write(line)
sys.stderr.flush()

def on_prompt(msg):
    send({{"jsonrpc": "2.0", "id": msg["id"], "result": {{"status": "finished"}}}})

serve(on_prompt)
""",
    )
