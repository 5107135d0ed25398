"""Comparison of two runs with a readable diff."""

from __future__ import annotations

import difflib

from .runner import Run


def diff_lines(ref: list[str], sub: list[str], ref_name: str, sub_name: str) -> str:
    """Empty string when equal, else a unified diff (reference -> subject)."""
    if ref == sub:
        return ""
    diff = difflib.unified_diff(
        ref,
        sub,
        fromfile=f"reference ({ref_name})",
        tofile=f"subject ({sub_name})",
        lineterm="",
        n=4,
    )
    out: list[str] = []
    removed: list[str] = []
    for line in diff:
        if line.startswith("-") and not line.startswith("---"):
            removed.append(line[1:])
        elif line.startswith("+") and not line.startswith("+++") and removed:
            out.append(_first_difference(removed.pop(0), line[1:]))
        else:
            removed.clear()
        out.append(_clip(line))
    return "\n".join(out)


def _first_difference(ref: str, sub: str, context: int = 160) -> str:
    """A hint line pointing at where a changed line starts to differ."""
    limit = min(len(ref), len(sub))
    at = next((i for i in range(limit) if ref[i] != sub[i]), limit)
    start = max(0, at - context)
    return (
        f"?  first difference at char {at}:\n"
        f"?    reference: ...{ref[start : at + context]}\n"
        f"?    subject:   ...{sub[start : at + context]}"
    )


def _clip(line: str, limit: int = 2000) -> str:
    if len(line) <= limit:
        return line
    return line[:limit] + f"... [{len(line) - limit} more chars]"


def describe_failure(subject: Run, diff: str) -> str:
    parts = [f"scenario {subject.scenario.name!r}: normalized transcripts differ", diff]
    for i, phase in enumerate(subject.phases):
        if phase.stderr.strip():
            tail = "\n".join(phase.stderr.strip().splitlines()[-15:])
            parts.append(
                f"--- subject stderr, phase {i} ({phase.kernel}), last lines:\n{tail}"
            )
    return "\n".join(parts)
