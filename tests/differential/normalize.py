"""Normalization of kernel output before comparison.

Only run-specific values are rewritten: ids generated at random (UUIDs, hex digests of
paths), sandbox paths, each kernel's built-in skills directory, timestamps, server
name/version, and the jittered retry wait. Everything else must match byte for byte.
"""

from __future__ import annotations

import re
from typing import Any

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX32_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
# HookRequest ids: 12 random hex digits
HEX12_RE = re.compile(r"(?<![0-9a-zA-Z_-])[0-9a-f]{12}(?![0-9a-zA-Z_-])")
ISO_TIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:?\d{2}|Z)?"
)
# plan mode files: <home>/.kimi/plans/<random-hero-slug>.md
PLAN_FILE_RE = re.compile(r"(plans/)([a-z0-9]+(?:-[a-z0-9]+)+)(\.md)")
# /export's default file name: the session id's first 8 hex digits and the local time
EXPORT_NAME_RE = re.compile(r"kimi-export-[0-9a-f]{8}-\d{8}-\d{6}\.md")
# background task ids (kind, "-", 8 random base-36 characters) and notification ids
TASK_ID_RE = re.compile(r"(?<![0-9a-zA-Z_-])(?:bash|agent)-[0-9a-z]{8}(?![0-9a-zA-Z_-])")
NOTIFICATION_ID_RE = re.compile(r"(?<![0-9a-zA-Z_-])n[0-9a-f]{8}(?![0-9a-zA-Z_-])")
# a task's run time in a notification body ("Duration: <1s", "Duration: 1m 5s")
TASK_DURATION_RE = re.compile(r"Duration: (?:<1s|(?:\d+[hms] ?)+)")
# subagent instance ids: "a" and 8 random hex digits (with a digit among them, so that
# words made of the letters a-f are left alone)
AGENT_ID_RE = re.compile(r"(?<![0-9A-Za-z_-])a(?=[a-f]*[0-9])[0-9a-f]{8}(?![0-9A-Za-z_-])")
SLUG_KEYS = {"plan_slug"}
TIMESTAMP_KEYS = {
    "timestamp",
    "created_at",
    "updated_at",
    "time",
    "mtime",
    "wire_mtime",
    # background tasks and their notifications
    "started_at",
    "heartbeat_at",
    "finished_at",
    "kill_requested_at",
    "last_viewed_at",
    "claimed_at",
    "acked_at",
}
DURATION_KEYS = {"duration_ms", "duration_s"}
# process ids of a background task
PID_KEYS = {"worker_pid", "child_pid", "child_pgid"}


BUILTIN_SKILLS = "<BUILTIN_SKILLS>"


class Normalizer:
    """Stateful: the n-th distinct UUID seen becomes <UUID-n>, so identity is kept.

    ``builtin_skills`` are the directories each kernel keeps its built-in skills in (the
    oracle: its ``kimi_cli/skills``; kagent: the copies it writes under the share dir): the
    same files, so one placeholder. They are replaced before the sandbox roots.
    """

    def __init__(
        self, roots: list[str], builtin_skills: list[str] | None = None
    ) -> None:
        # longest first so nested roots win
        self._roots = sorted({r for r in roots if r}, key=len, reverse=True)
        self._builtin = sorted(
            {d for d in builtin_skills or [] if d}, key=len, reverse=True
        )
        self._uuids: dict[str, str] = {}
        self._hexes: dict[str, str] = {}
        self._slugs: dict[str, str] = {}
        self._tasks: dict[str, str] = {}
        self._notes: dict[str, str] = {}
        self._agents: dict[str, str] = {}

    def text(self, value: str) -> str:
        for builtin in self._builtin:
            value = value.replace(builtin, BUILTIN_SKILLS)
        for root in self._roots:
            value = value.replace(root, "<ROOT>")
        value = ISO_TIME_RE.sub("<ISO-TIME>", value)
        value = EXPORT_NAME_RE.sub("kimi-export-<ID8>-<STAMP>.md", value)
        value = UUID_RE.sub(self._uuid, value)
        value = HEX32_RE.sub(self._hex, value)
        value = HEX12_RE.sub(self._hex, value)
        value = TASK_ID_RE.sub(lambda m: self._numbered(self._tasks, "TASK", m), value)
        value = NOTIFICATION_ID_RE.sub(
            lambda m: self._numbered(self._notes, "NOTE", m), value
        )
        value = TASK_DURATION_RE.sub("Duration: <DURATION>", value)
        value = AGENT_ID_RE.sub(self._agent, value)
        value = PLAN_FILE_RE.sub(
            lambda m: m.group(1) + self._slug(m.group(2)) + m.group(3), value
        )
        return value

    @staticmethod
    def _numbered(seen: dict[str, str], label: str, match: re.Match[str]) -> str:
        key = match.group(0)
        if key not in seen:
            seen[key] = f"<{label}-{len(seen) + 1}>"
        return seen[key]

    def _agent(self, match: re.Match[str]) -> str:
        key = match.group(0)
        if key not in self._agents:
            self._agents[key] = f"<AGENT-{len(self._agents) + 1}>"
        return self._agents[key]

    def _slug(self, slug: str) -> str:
        if slug not in self._slugs:
            self._slugs[slug] = f"<PLAN-SLUG-{len(self._slugs) + 1}>"
        return self._slugs[slug]

    def _uuid(self, match: re.Match[str]) -> str:
        key = match.group(0)
        if key not in self._uuids:
            self._uuids[key] = f"<UUID-{len(self._uuids) + 1}>"
        return self._uuids[key]

    def _hex(self, match: re.Match[str]) -> str:
        key = match.group(0)
        if key not in self._hexes:
            self._hexes[key] = f"<HEX-{len(self._hexes) + 1}>"
        return self._hexes[key]

    def value(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return self.mapping(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            if key in SLUG_KEYS:
                return self._slug(value)
            return self.text(value)
        if (
            key in TIMESTAMP_KEYS
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            return "<TS>"
        if (
            key in DURATION_KEYS
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            return "<DURATION>"
        if key in PID_KEYS and isinstance(value, int) and not isinstance(value, bool):
            return "<PID>"
        return value

    def mapping(self, obj: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, val in obj.items():
            out[self.text(key)] = self.value(val, key)
        _step_retry(out)
        return out


def _step_retry(obj: dict[str, Any]) -> None:
    """StepRetry.wait_s is jittered: initial=0.3*2^(attempt-1) capped at 5, jitter <= 0.5.

    Replaced by the deterministic base when inside the allowed window, kept raw (and so
    failing the comparison) when outside it.
    """
    if obj.get("type") != "StepRetry":
        return
    payload = obj.get("payload")
    if not isinstance(payload, dict):
        return
    wait = payload.get("wait_s")
    attempt = payload.get("next_attempt")
    if not isinstance(wait, (int, float)) or not isinstance(attempt, int):
        return
    base = min(0.3 * 2 ** (attempt - 2), 5.0)
    if base - 1e-6 <= wait <= base + 0.5 + 1e-6:
        payload["wait_s"] = f"<wait {base:g}s + jitter>"
