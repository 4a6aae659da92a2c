"""Small figures shared by the benchmarks: percentiles and ratios."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by the nearest rank below; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` to three decimals; None when either is missing or zero."""
    return round(a / b, 3) if a and b else None


def timed(fn: Callable[[], object], repeat: int) -> dict[str, float]:
    """Median and best wall time of ``repeat`` calls of ``fn``."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return {"median_s": statistics.median(runs), "best_s": min(runs), "runs": repeat}
