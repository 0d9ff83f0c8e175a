"""Percentiles and summaries of timings; every workload reports through these."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: p99 of 200 samples is the 198th smallest."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Stats:
    count: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, millis: list[float]) -> Stats:
        return cls(
            count=len(millis),
            p50=round(percentile(millis, 50), 2),
            p95=round(percentile(millis, 95), 2),
            p99=round(percentile(millis, 99), 2),
            max=round(max(millis), 2),
            mean=round(statistics.fmean(millis), 2),
        )


@dataclass
class Stopwatch:
    seconds: float = 0.0
    cpu_seconds: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """Wall and CPU time of the block (CPU tells a busy machine apart from slow code)."""
    watch = Stopwatch()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - started
        watch.cpu_seconds = time.process_time() - cpu
