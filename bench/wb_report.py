"""The whiteboard benchmark's figures: what the clients saw, one line per run, the comparison.

:class:`Tally` is filled by the load (``bench/whiteboard.py``) during the
measuring window; :func:`summary` turns it into the figures written to JSON;
:func:`compare` sets Palabre against the baseline: at the target rate, along
the ladder of lower rates (the *sustained* load: the highest one a server kept
up with, with fan-out p99 under 50 ms) and with one operation in flight per
client (closed loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.figures import percentile, ratio

FANOUT_P99_TARGET_MS = 50.0
KEPT_UP = 0.97  # share of the offered operations acknowledged within the window


@dataclass
class Tally:
    """What the clients saw during the measuring window."""

    ack_ms: list[float] = field(default_factory=list)
    fanout_ms: list[float] = field(default_factory=list)
    sent: int = 0  # operations sent during the window
    acked: int = 0  # ... and acknowledged (then or later)
    completed: int = 0  # acknowledgements received during the window
    refused: int = 0
    delivered: int = 0
    errors: dict[str, int] = field(default_factory=dict)


def _ms(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(value, 2)


def summary(tally: Tally, seconds: float, cpu: float, client_cpu: float) -> dict[str, Any]:
    return {
        "sent": tally.sent,
        "acked": tally.acked,
        "refused": tally.refused,
        "errors": tally.errors,
        "ops_per_s": round(tally.completed / seconds, 1),
        "offered_per_s": round(tally.sent / seconds, 1),
        "deliveries_per_s": round(tally.delivered / seconds, 1),
        "ack_ms": {"p50": _ms(tally.ack_ms, 0.5), "p99": _ms(tally.ack_ms, 0.99)},
        "fanout_ms": {"p50": _ms(tally.fanout_ms, 0.5), "p99": _ms(tally.fanout_ms, 0.99)},
        "server_cpu_share": round(cpu / seconds, 2),
        "server_cpu_ms_per_op": (
            round(1000 * cpu / tally.completed, 3) if tally.completed else None
        ),
        "client_cpu_share": round(client_cpu / seconds, 2),
    }


def show(name: str, r: dict[str, Any]) -> None:
    print(
        f"  {name:<9} {r['ops_per_s']:>7.1f} ops/s (sent {r['offered_per_s']:.0f}/s)  "
        f"ack p50/p99 {r['ack_ms']['p50']}/"
        f"{r['ack_ms']['p99']} ms  fan-out p50/p99 {r['fanout_ms']['p50']}/"
        f"{r['fanout_ms']['p99']} ms  server {r['server_cpu_share']:.2f} core, "
        f"{r['server_cpu_ms_per_op']} ms/op  (client {r['client_cpu_share']:.2f} core)"
        + (f"  refused {r['refused']} {r['errors']}" if r["refused"] else "")
    )


def run_name(mode: str, rate: float, server: str) -> str:
    return f"open@{rate:g}/{server}" if mode == "open" else f"closed/{server}"


def _fast_enough(run: dict[str, Any]) -> bool:
    return (run["fanout_ms"]["p99"] or 1e9) < FANOUT_P99_TARGET_MS


def sustained(runs: dict[str, Any], server: str, clients: int, ladder: list[float]) -> float:
    """The highest offered load of the ladder ``server`` kept up with, fast enough; 0 if none."""
    best = 0.0
    for rate in ladder:
        run = runs[run_name("open", rate, server)]
        offered = clients * rate
        if run["ops_per_s"] >= KEPT_UP * offered and _fast_enough(run):
            best = max(best, offered)
    return best


def compare(runs: dict[str, Any], clients: int, rate: float, ladder: list[float]) -> dict[str, Any]:
    """Palabre against the baseline; ``clients`` in all, ``rate`` the target rate per client."""
    open_p = runs[run_name("open", rate, "palabre")]
    open_b = runs[run_name("open", rate, "baseline")]
    kept_up = {name: sustained(runs, name, clients, ladder) for name in ("baseline", "palabre")}
    checks: dict[str, Any] = {
        "fanout_p99_ms": open_p["fanout_ms"]["p99"],
        "baseline_fanout_p99_ms": open_b["fanout_ms"]["p99"],
        "fanout_p99_under_50ms": _fast_enough(open_p),
        "open_throughput_ratio": ratio(open_p["ops_per_s"], open_b["ops_per_s"]),
        "sustained_ops_per_s": kept_up,
        "sustained_ratio": ratio(kept_up["palabre"], kept_up["baseline"]),
    }
    if "closed/palabre" in runs:
        closed_p, closed_b = runs["closed/palabre"], runs["closed/baseline"]
        checks["closed_throughput_ratio"] = ratio(closed_p["ops_per_s"], closed_b["ops_per_s"])
        checks["closed_cpu_per_op_ratio"] = ratio(
            closed_p["server_cpu_ms_per_op"], closed_b["server_cpu_ms_per_op"]
        )
    checks["throughput_at_least_70pct"] = all(
        (v or 0) >= 0.7 for k, v in checks.items() if k.endswith("throughput_ratio")
    )
    return checks
