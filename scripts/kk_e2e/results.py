"""Check results and the target x check -> pass/fail table that ends `nox -s e2e`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    seconds: float = 0.0


@dataclass
class TargetReport:
    target: str
    mode: str
    checks: list[Check]
    note: str = ""
    wheel: str = ""  # file name of the wheel proved
    wheel_sha256: str = ""  # its hash: a report vouches for these bytes only

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


def render_table(reports: Iterable[TargetReport]) -> str:
    """A plain-text table: one row per target x check, then a PASS/FAIL summary line."""
    rows: list[tuple[str, str, str, str, str]] = []
    reports = list(reports)
    for rep in reports:
        if not rep.checks:
            rows.append((rep.target, rep.mode, "(no checks ran)", "FAIL", rep.note))
        for c in rep.checks:
            detail = c.detail.replace("\n", " ")
            if len(detail) > 110:
                detail = detail[:107] + "..."
            rows.append(
                (rep.target, rep.mode, c.name, "pass" if c.ok else "FAIL", detail)
            )
    header = ("target", "e2e", "check", "result", "detail")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = []

    def fmt(r: tuple[str, str, str, str, str]) -> str:
        return "  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4]

    lines.append(fmt(header))
    lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    lines.extend(fmt(r) for r in rows)
    failed = sum(1 for r in rows if r[3] == "FAIL")
    lines.append("")
    for rep in reports:
        for c in rep.checks:
            if not c.ok:
                lines.append(f"FAIL {rep.target} / {c.name}: {c.detail}")
    for rep in reports:
        if rep.note:
            lines.append(f"note [{rep.target}]: {rep.note}")
    total = len(rows)
    verdict = "PASS" if failed == 0 and total else "FAIL"
    lines.append(f"e2e verdict {verdict}")
    lines.append(f"e2e: {total - failed} passed, {failed} failed")
    return "\n".join(lines)


def write_json(reports: Iterable[TargetReport], path: Path) -> None:
    data = [
        {
            "target": r.target,
            "mode": r.mode,
            "ok": r.ok,
            "note": r.note,
            "wheel": r.wheel,
            "wheel_sha256": r.wheel_sha256,
            "checks": [asdict(c) for c in r.checks],
        }
        for r in reports
    ]
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
