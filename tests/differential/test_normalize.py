"""The normalizer rewrites only run-specific values, and keeps identity between them."""

from __future__ import annotations

from .normalize import Normalizer

U1 = "2523fdd6-faac-4414-8dab-a4cf5352c89d"
U2 = "84db05da-54a7-4ab0-a120-21d81fbde1f3"


def test_uuids_numbered_by_first_appearance() -> None:
    norm = Normalizer([])
    out = norm.value({"a": U2, "b": [U1, U2], "c": f"kimi -r {U1}"})
    assert out == {
        "a": "<UUID-1>",
        "b": ["<UUID-2>", "<UUID-1>"],
        "c": "kimi -r <UUID-2>",
    }


def test_roots_and_hex_ids() -> None:
    norm = Normalizer(["/tmp/run-a"])
    path = "/tmp/run-a/share/sessions/6854894b308f1b3bcc7ecdc3f3955a17/x"
    assert norm.text(path) == "<ROOT>/share/sessions/<HEX-1>/x"
    assert norm.text("hook 089f9ebf4b52 done") == "hook <HEX-2> done"
    # a 12-digit hex run inside a longer token is not an id
    assert norm.text("tc-089f9ebf4b52x") == "tc-089f9ebf4b52x"


def test_export_file_name() -> None:
    norm = Normalizer(["/r"])
    name = "/r/work/kimi-export-2523fdd6-20261123-011500.md"
    assert norm.text(name) == "<ROOT>/work/kimi-export-<ID8>-<STAMP>.md"
    # anything else that looks alike stays
    assert norm.text("kimi-export-2523fdd6-2026112-011500.md").startswith(
        "kimi-export-2523"
    )


def test_timestamps_durations_and_server_info_kept() -> None:
    norm = Normalizer([])
    assert norm.value({"timestamp": 1795373721.17, "n": 3}) == {
        "timestamp": "<TS>",
        "n": 3,
    }
    assert norm.value({"duration_ms": 9}) == {"duration_ms": "<DURATION>"}
    assert norm.text("at `2026-11-22T19:23:10.662347+00:00`.") == "at `<ISO-TIME>`."
    # kagent answers initialize with kimi-cli's server name and version: compared as they are
    server = {"protocol_version": "1.10", "server": {"name": "Kimi Code CLI", "version": "1.51.0"}}
    assert norm.value(server) == server
    # a "version" elsewhere (state.json) is data, not normalized; so is a "kernel" key
    assert norm.value({"version": 1}) == {"version": 1}
    assert norm.value({"kernel": "rust"}) == {"kernel": "rust"}


def test_step_retry_wait_window() -> None:
    def retry(wait: float, attempt: int) -> object:
        msg = {
            "type": "StepRetry",
            "payload": {"next_attempt": attempt, "wait_s": wait},
        }
        return Normalizer([]).value(msg)["payload"]["wait_s"]

    assert retry(0.55, 2) == "<wait 0.3s + jitter>"
    assert retry(0.61, 3) == "<wait 0.6s + jitter>"
    assert retry(0.9, 2) == 0.9  # outside [0.3, 0.8]: kept raw, so the diff shows it
    assert retry(0.1, 2) == 0.1


def test_plan_slugs() -> None:
    norm = Normalizer(["/r"])
    out = norm.value(
        {
            "plan_slug": "booster-gold-bishop",
            "text": "Plan file: /r/home/.kimi/plans/booster-gold-bishop.md",
        }
    )
    assert out == {
        "plan_slug": "<PLAN-SLUG-1>",
        "text": "Plan file: <ROOT>/home/.kimi/plans/<PLAN-SLUG-1>.md",
    }


def test_everything_else_is_kept() -> None:
    msg = {"type": "ContentPart", "payload": {"type": "text", "text": "Hello 42 tc-1"}}
    assert Normalizer(["/tmp"]).value(msg) == msg


def test_builtin_skills_dirs_share_one_placeholder() -> None:
    oracle_dir = "/venv/lib/python3.13/site-packages/kimi_cli/skills"
    kagent_dir = "/tmp/run-a/share/kagent/builtin-skills/0.1.0"
    norm = Normalizer(["/tmp/run-a"], [oracle_dir, kagent_dir])
    prompt = "- skill-creator\n  - Path: {}/skill-creator/SKILL.md"
    assert norm.text(prompt.format(oracle_dir)) == prompt.format("<BUILTIN_SKILLS>")
    assert norm.text(prompt.format(kagent_dir)) == prompt.format("<BUILTIN_SKILLS>")
    # other paths under the same roots stay what they were
    assert norm.text("/tmp/run-a/share/kagent/x") == "<ROOT>/share/kagent/x"
    assert norm.text("/venv/lib/python3.13/site-packages/kimi_cli/x") == (
        "/venv/lib/python3.13/site-packages/kimi_cli/x"
    )
    # skill slash commands are compared like every other command
    init = {
        "protocol_version": "1.10",
        "server": {"name": "kagent", "version": "0.1.0"},
        "slash_commands": [{"name": "skill:x", "description": "d", "aliases": []}],
    }
    assert norm.value(init)["slash_commands"] == init["slash_commands"]


def test_background_task_ids_pids_and_run_times() -> None:
    norm = Normalizer([])
    text = "Task ID: bash-k3y9q2zz\nStatus: failed (Finished at: 2026-12-02 13:14:00, Duration: 1m 5s)"
    assert norm.text(text) == (
        "Task ID: <TASK-1>\nStatus: failed (Finished at: <ISO-TIME>, Duration: <DURATION>)"
    )
    # identity kept: the same id is the same placeholder, another id another one
    assert norm.text("bash-k3y9q2zz agent-00000001 bash-k3y9q2zz") == (
        "<TASK-1> <TASK-2> <TASK-1>"
    )
    assert norm.text('<notification id="n1a2b3c4d">') == '<notification id="<NOTE-1>">'
    # not an id: a word that only looks like one, or a longer run of characters
    assert norm.text("bash-scripts bash-k3y9q2zz9 n1a2b3c4") == (
        "bash-scripts bash-k3y9q2zz9 n1a2b3c4"
    )
    assert norm.value({"child_pid": 4242, "exit_code": -15, "duration_s": 0.25}) == {
        "child_pid": "<PID>",
        "exit_code": -15,
        "duration_s": "<DURATION>",
    }
    assert norm.value({"heartbeat_at": 1795373721.17, "interrupted": True}) == {
        "heartbeat_at": "<TS>",
        "interrupted": True,
    }
