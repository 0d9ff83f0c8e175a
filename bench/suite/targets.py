"""The targets of issue 6, on a 2-core machine, and how a measurement is judged against one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """Upper bounds: milliseconds per request (p50, p99), or seconds for a run, or a lower bound on a ratio."""

    p50_ms: float | None = None
    p99_ms: float | None = None
    seconds: float | None = None
    min_ratio: float | None = None

    def describe(self) -> str:
        parts = []
        if self.p50_ms is not None:
            parts.append(f"p50 < {self.p50_ms:g} ms")
        if self.p99_ms is not None:
            parts.append(f"p99 < {self.p99_ms:g} ms")
        if self.seconds is not None:
            parts.append(f"< {self.seconds:g} s" if self.seconds < 120 else f"< {self.seconds / 60:g} min")
        if self.min_ratio is not None:
            parts.append(f"≥ {self.min_ratio:.0%} of the raw insert's rows/s")
        return ", ".join(parts)

    def met_by_latency(self, p50: float, p99: float) -> bool:
        return (self.p50_ms is None or p50 < self.p50_ms) and (self.p99_ms is None or p99 < self.p99_ms)


LIST = Target(p50_ms=50, p99_ms=150)
SEARCH = Target(p99_ms=150)
DETAIL = Target(p99_ms=150)
KANBAN = Target(p99_ms=200)
REPORT = Target(p99_ms=1000)
DUPLICATE_CHECK = Target(p99_ms=20)
SEED = Target(seconds=30 * 60)
IMPORT = Target(min_ratio=0.5)
SCAN = Target(seconds=60)
