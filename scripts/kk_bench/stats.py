"""Medians, spreads and the Python/kagent ratio of the bench samples."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    low: float
    high: float
    values: tuple[float, ...]

    @staticmethod
    def of(values: Sequence[float]) -> Summary:
        if not values:
            raise ValueError("no samples to summarise")
        return Summary(
            n=len(values),
            median=float(statistics.median(values)),
            low=float(min(values)),
            high=float(max(values)),
            values=tuple(float(v) for v in values),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["values"] = list(self.values)
        return data


def ratio(python: float, kagent: float) -> float | None:
    """Python/kagent: how many times more the Python kernel needs (> 1: kagent is better).
    None when kagent's value is zero (no meaningful ratio)."""
    if kagent == 0:
        return None
    return python / kagent


def paired_differences(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """a[i] - b[i] for samples taken in the same round (so under the same load)."""
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in count: {len(a)} vs {len(b)}")
    return [x - y for x, y in zip(a, b, strict=True)]
