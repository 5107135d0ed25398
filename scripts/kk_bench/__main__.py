"""`python -m kk_bench` (PYTHONPATH=scripts): kagent against kimi-cli 1.51.0's Python kernel.

  PYTHONPATH=scripts python -m kk_bench [--rounds N]
      [--only startup,shell20,subagent,replay,soul,mcp,door,readfile] [--dist DIR] [--out FILE]
                  [--kagent PATH] [--kimi PATH] [--kimi-kernel PATH] [--workdir DIR]

Runs the measures of bench.measures for both kernels, alternating them round by round, writes
the medians (and every sample) to dist/bench.json and prints the table. `nox -s bench` runs this
inside a venv holding the host wheel (hence kagent, kimi-kernel and kimi-cli 1.51).
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from kk_bench import kernels, report, runner, sizes
from kk_bench.measures import Plan

ALL = ("startup", "shell20", "subagent", "replay", "soul", "mcp", "door", "readfile")


def parse(argv: list[str] | None) -> argparse.Namespace:
    from kk_common.matrix import REPO_ROOT

    p = argparse.ArgumentParser(
        prog="python -m kk_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--only", default="", help=f"comma-separated subset of {','.join(ALL)}")
    p.add_argument("--dist", type=Path, default=REPO_ROOT / "dist")
    p.add_argument("--out", type=Path, default=None, help="default: DIST/bench.json")
    p.add_argument("--kagent")
    p.add_argument("--kimi")
    p.add_argument("--kimi-kernel")
    p.add_argument("--workdir", type=Path, default=None, help="default: a temporary dir, removed")
    args = p.parse_args(argv)
    args.only = [m for m in args.only.split(",") if m]
    unknown = sorted(set(args.only) - set(ALL))
    if unknown:
        p.error(f"unknown measures {unknown}; choose from {', '.join(ALL)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    bins = kernels.locate(args.kagent, args.kimi, args.kimi_kernel)
    print(
        f"[bench] kagent: {bins.kagent}\n[bench] python: {bins.kimi}\n"
        f"[bench] kimi-kernel: {bins.kimi_kernel}",
        file=sys.stderr,
        flush=True,
    )
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kk-bench-"))
    created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    load_before = report.loadavg()
    start = time.monotonic()
    try:
        plan = Plan.build(bins, workdir, args.only or None)
        samples = runner.run_rounds(plan, args.rounds, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    data = report.build(
        samples,
        sizes.collect(args.dist),
        rounds=args.rounds,
        kernels={"kagent": str(bins.kagent), "python": str(bins.kimi), "kimi-kernel": str(bins.kimi_kernel)},
        load_before=load_before,
        load_after=report.loadavg(),
        seconds=time.monotonic() - start,
        created=created,
    )
    out = args.out or args.dist / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(report.table(data), end="")
    print(f"[bench] wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
