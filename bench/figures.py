"""Small figures shared by the benchmarks: percentiles and ratios."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by the nearest rank below; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b`` to three decimals; None when either is missing or zero."""
    return round(a / b, 3) if a and b else None
