"""Rounds: every round runs every measure once per kernel, alternating which kernel goes first
(kagent first in even rounds, Python first in odd ones), so both see the same machine load."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from kk_bench.kernels import KERNELS
from kk_bench.measures import Metrics, Plan
from kk_bench.sandbox import Sandbox

# samples[metric][kernel] = one value per round
Samples = dict[str, dict[str, list[float]]]


def order(round_index: int, kernels: tuple[str, ...] = KERNELS) -> tuple[str, ...]:
    return kernels if round_index % 2 == 0 else tuple(reversed(kernels))


def run_rounds(
    plan: Plan,
    rounds: int,
    workdir: Path,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
) -> Samples:
    if rounds < 1:
        raise ValueError("at least one round")
    samples: Samples = {}
    for r in range(rounds):
        for measure in plan.names:
            for kernel in order(r):
                metrics: Metrics = plan.funcs[measure](kernel, Sandbox(workdir / measure / kernel))
                for metric, value in metrics.items():
                    samples.setdefault(metric, {k: [] for k in KERNELS})[kernel].append(value)
                shown = ", ".join(f"{m}={v:.2f}" for m, v in metrics.items())
                log(f"[bench] round {r + 1}/{rounds} {measure:8} {kernel:6} {shown}")
    return samples
