"""Command line of the e2e runner: `python -m kk_e2e [TARGET...]`.

Runs each selected target's wheel from dist/ as platform-matrix.toml's `e2e` field says (or
natively with --native, which the GitHub release workflow uses on each target's own runner),
prints the target x check -> pass/fail table, and exits 1 if any check failed. With
--build-missing (what `nox -s e2e` passes), the wheels that dist/ lacks are built first with
`python -m kk_build wheels TARGET...`, the code of `nox -s wheels`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kk_common.matrix import REPO_ROOT, Target, load_matrix

from kk_e2e.results import Check, TargetReport, render_table, write_json
from kk_e2e.wheel import find_wheel


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m kk_e2e", description=__doc__)
    p.add_argument(
        "targets", nargs="*", help="targets from platform-matrix.toml (default: all)"
    )
    p.add_argument(
        "--dist", type=Path, default=REPO_ROOT / "dist", help="where the wheels are"
    )
    p.add_argument(
        "--work", type=Path, help="scratch directory (default: a new temp dir)"
    )
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    p.add_argument(
        "--native",
        action="store_true",
        help="run the selected targets natively whatever their e2e mode (their own runner)",
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch directory")
    p.add_argument(
        "--build-missing",
        action="store_true",
        help="first build the wheels dist/ lacks with `python -m kk_build wheels` (needs the "
        "ci/requirements-build.txt tools; only for the repository's own dist/)",
    )
    return p.parse_args(argv)


def select(targets: list[Target], names: list[str]) -> list[Target]:
    by_name = {t.name: t for t in targets}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(
            f"unknown target(s) {unknown}; platform-matrix.toml lists {sorted(by_name)}"
        )
    return [by_name[n] for n in names] if names else targets


def build_missing(targets: list[Target], dist: Path) -> str | None:
    """Build the selected targets' wheels that ``dist`` lacks; an error message, or None."""
    missing = [t.name for t in targets if find_wheel(dist, t) is None]
    if not missing:
        return None
    if dist.resolve() != (REPO_ROOT / "dist").resolve():
        return f"e2e: {dist} lacks wheels for {missing} (only dist/ is built into)"
    print(f"[e2e] dist/ lacks wheels for {missing}: building them with kk_build", flush=True)
    scripts = str(REPO_ROOT / "scripts")
    pythonpath = os.pathsep.join(p for p in (scripts, os.environ.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "kk_build", "wheels", *missing]
    code = subprocess.run(cmd, env={**os.environ, "PYTHONPATH": pythonpath}, check=False).returncode
    return f"e2e: `{' '.join(cmd)}` exited {code}" if code != 0 else None


def run_target(
    target: Target, dist: Path, work: Path, native: bool, keep: bool
) -> TargetReport:
    # Imported here: the runners need lief, which only the e2e venv has; --help works without.
    from kk_e2e.runners import INSPECT_NOTE, RUNNERS

    mode = "native" if native else target.e2e
    wheel = find_wheel(dist, target)
    if wheel is None:
        return TargetReport(
            target.name,
            mode,
            [
                Check(
                    "wheel present",
                    False,
                    f"no wheel tagged {target.wheel_tag} in {dist}; "
                    f"build it with `nox -s wheels -- {target.name}`",
                )
            ],
        )
    log: list[str] = []
    print(f"[e2e] {target.name}: {mode} with {wheel.name}", flush=True)
    start = time.monotonic()
    checks = RUNNERS[mode](target, wheel, work / target.name, log, keep)
    for line in log:
        print(f"[e2e] {line}", flush=True)
    for c in checks:
        print(
            f"[e2e] {target.name}: {c.name}: {'pass' if c.ok else 'FAIL'} ({c.seconds:.1f}s)",
            flush=True,
        )
    print(f"[e2e] {target.name}: done in {time.monotonic() - start:.1f}s", flush=True)
    note = INSPECT_NOTE if mode == "inspect-only" else ""
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return TargetReport(target.name, mode, checks, note, wheel.name, digest)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    targets = select(load_matrix(), args.targets)
    if args.build_missing:
        error = build_missing(targets, args.dist)
        if error is not None:
            print(error, file=sys.stderr)
            return 1
    work = args.work or Path(tempfile.mkdtemp(prefix="kk-e2e-"))
    work.mkdir(parents=True, exist_ok=True)
    reports = [
        run_target(t, args.dist.resolve(), work, args.native, args.keep)
        for t in targets
    ]
    if args.json:
        write_json(reports, args.json)
    ok = all(r.ok for r in reports)
    if ok and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"[e2e] scratch files kept in {work}")
    print()
    print(render_table(reports))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
