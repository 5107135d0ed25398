"""`python -m kk_fuzz` (PYTHONPATH=scripts): run kagent's cargo-fuzz targets for a fixed time.

  PYTHONPATH=scripts python -m kk_fuzz [--seconds N] [--jobs P] [--only a,b] [--no-build]
      [--logs DIR]

Builds the targets of kagent/fuzz once (stable toolchain: RUSTC_BOOTSTRAP=1, --sanitizer
none; needs cargo-fuzz, see libfuzzer.INSTALL_HINT), runs each N seconds, P at a time, prints per
target `<name>: runs <executed>, crashes <k>, <s> s` and a total, and exits 1 if any crashed (the
inputs are saved under kagent/fuzz/regressions/<target>/). `nox -s fuzz -- ...` runs this.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kk_fuzz import runner

REPO_ROOT = Path(__file__).resolve().parents[2]
FUZZ_DIR = REPO_ROOT / "kagent" / "fuzz"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="kk_fuzz", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=60, help="fuzzing time per target")
    p.add_argument("--jobs", type=int, default=2, help="targets fuzzed at the same time")
    p.add_argument("--only", default="", help="comma-separated targets (default: all)")
    p.add_argument("--no-build", action="store_true", help="use the binaries already built")
    p.add_argument("--logs", type=Path, default=FUZZ_DIR / "logs", help="libFuzzer logs")
    args = p.parse_args(argv)
    if args.seconds < 1:
        p.error("--seconds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    targets = [t for t in args.only.split(",") if t] or runner.list_targets(FUZZ_DIR)
    try:
        reports = runner.campaign(
            FUZZ_DIR, targets, args.seconds, args.jobs, args.logs, build_first=not args.no_build
        )
    except runner.FuzzSetupError as exc:
        print(f"kk_fuzz: {exc}", file=sys.stderr)
        return 2
    crashes = sum(r.outcome.crashes for r in reports)
    runs = sum(r.outcome.executed for r in reports)
    print(f"total: {len(reports)} targets, runs {runs}, crashes {crashes}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
