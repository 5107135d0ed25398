"""Comparison of two runs with a readable diff."""

from __future__ import annotations

import difflib

from .runner import Run


def diff_runs(reference: Run, subject: Run) -> str:
    """Empty string when equal, else a unified diff (reference -> subject)."""
    ref = reference.normalized()
    sub = subject.normalized()
    if ref == sub:
        return ""
    ref_name = "+".join(reference.plan)
    sub_name = "+".join(subject.plan)
    diff = difflib.unified_diff(
        ref,
        sub,
        fromfile=f"reference ({ref_name})",
        tofile=f"subject ({sub_name})",
        lineterm="",
        n=4,
    )
    return "\n".join(_clip(line) for line in diff)


def _clip(line: str, limit: int = 2000) -> str:
    return (
        line
        if len(line) <= limit
        else line[:limit] + f"... [{len(line) - limit} more chars]"
    )


def describe_failure(reference: Run, subject: Run, diff: str) -> str:
    parts = [f"scenario {subject.scenario.name!r}: normalized transcripts differ", diff]
    for i, phase in enumerate(subject.phases):
        if phase.stderr.strip():
            tail = "\n".join(phase.stderr.strip().splitlines()[-15:])
            parts.append(
                f"--- subject stderr, phase {i} ({phase.kernel}), last lines:\n{tail}"
            )
    return "\n".join(parts)
