"""The nodes benchmark's figures: several loads merged into one, and each set-up against one node.

``bench/nodes.py`` runs the same load on one node without Redis (the
reference), one node with Redis, and two nodes with Redis; and the same relay
load in one process, then spread over two. :func:`whiteboard_checks` and
:func:`relay_checks` set each against the reference of the same run: the
target is to stay within 15 % of its CPU per operation (per forwarded stream).
"""

from __future__ import annotations

from typing import Any

from bench.figures import ratio
from bench.wb_report import KEPT_UP, Tally

TARGET = 0.15  # at most 15 % more CPU than one node, per operation or per stream
LOSS = 0.01  # a relay step losing this much is not judged
REFERENCE = "one_node"
SETUPS = {
    "one_node": "1 node",
    "one_node_redis": "1 node + Redis",
    "two_nodes_redis": "2 nodes + Redis",
}
RELAY_REFERENCE = "one_process"
RELAY_SETUPS = {"one_process": "1 relay process", "two_processes": "2 relay processes"}


def merge(tallies: list[Tally]) -> Tally:
    """The tallies of loads run side by side (one per node), as one."""
    out = Tally()
    for t in tallies:
        out.ack_ms += t.ack_ms
        out.fanout_ms += t.fanout_ms
        out.sent += t.sent
        out.acked += t.acked
        out.completed += t.completed
        out.refused += t.refused
        out.delivered += t.delivered
        for code, n in t.errors.items():
            out.errors[code] = out.errors.get(code, 0) + n
    return out


def _verdict(r: float | None) -> bool | None:
    return None if r is None else r <= 1 + TARGET


def whiteboard_checks(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each set-up of ``runs`` (named as in :data:`SETUPS`) against one node without Redis.

    ``within_15pct`` compares the nodes' CPU per acknowledged operation (the
    sum over nodes); Redis's own CPU is given apart, with and without it.
    ``cpu_above_idle_per_op_ratio``: the same less what the nodes use with no
    client (context: a second node costs its idle CPU whatever the load).
    ``kept_up``: the set-up acknowledged 97 % of what was offered in the window
    (a set-up that fell behind spends less CPU per operation sent than it owes).
    """
    ref = runs[REFERENCE]
    checks: dict[str, Any] = {}
    for name, run in runs.items():
        if name == REFERENCE:
            continue
        cpu = ratio(run["server_cpu_ms_per_op"], ref["server_cpu_ms_per_op"])
        with_redis = ratio(
            (run["server_cpu_ms_per_op"] or 0) + (run.get("redis_cpu_ms_per_op") or 0),
            ref["server_cpu_ms_per_op"],
        )
        checks[name] = {
            "cpu_per_op_ratio": cpu,
            "cpu_per_op_ratio_with_redis": with_redis,
            "within_15pct": _verdict(cpu),
            "cpu_above_idle_per_op_ratio": ratio(
                run.get("cpu_ms_per_op_above_idle"), ref.get("cpu_ms_per_op_above_idle")
            ),
            "throughput_ratio": ratio(run["ops_per_s"], ref["ops_per_s"]),
            "ack_p99_ratio": ratio(run["ack_ms"]["p99"], ref["ack_ms"]["p99"]),
            "fanout_p99_ratio": ratio(run["fanout_ms"]["p99"], ref["fanout_ms"]["p99"]),
        }
    checks["kept_up"] = {
        name: run["ops_per_s"] >= KEPT_UP * run["offered_per_s"] for name, run in runs.items()
    }
    checks["all_within_15pct"] = all(
        checks[name]["within_15pct"] is True for name in runs if name != REFERENCE
    )
    return checks


def relay_checks(steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The relay load spread over two processes against the same load in one.

    Not judged (``within_15pct`` None) when either lost 1 % or more of its
    video or audio: a relay that forwarded less spent less per stream.
    """
    ref = steps[RELAY_REFERENCE]
    lossless = {
        name: step["video_loss"] < LOSS and step["audio_loss"] < LOSS
        for name, step in steps.items()
    }
    checks: dict[str, Any] = {}
    for name, step in steps.items():
        if name == RELAY_REFERENCE:
            continue
        cpu = ratio(step["cpu_s_per_video_stream_s"], ref["cpu_s_per_video_stream_s"])
        judged = lossless[name] and lossless[RELAY_REFERENCE]
        checks[name] = {
            "cpu_per_stream_ratio": cpu,
            "within_15pct": _verdict(cpu) if judged else None,
        }
    checks["under_1pct_loss"] = lossless
    checks["all_within_15pct"] = all(
        checks[name]["within_15pct"] is True for name in steps if name != RELAY_REFERENCE
    )
    return checks


def _pct(r: float | None) -> str:
    return "n/a" if r is None else f"{(r - 1) * 100:+.1f} %"


def verdict_lines(wb: dict[str, Any], relay: dict[str, Any] | None) -> list[str]:
    """One line per comparison: the ratio, and the 15 % target met or not."""
    lines = []
    for name, label in SETUPS.items():
        if name in wb:
            c = wb[name]
            lines.append(
                f"  whiteboard {label:<17} CPU/op {_pct(c['cpu_per_op_ratio'])} vs 1 node "
                f"({_pct(c['cpu_per_op_ratio_with_redis'])} counting Redis, "
                f"{_pct(c['cpu_above_idle_per_op_ratio'])} above idle): "
                + ("target met" if c["within_15pct"] else "target NOT met")
                + ("" if wb.get("kept_up", {}).get(name, True) else "; fell behind the load")
            )
    for name, label in RELAY_SETUPS.items():
        if relay is not None and name in relay:
            c = relay[name]
            verdict = {True: "target met", False: "target NOT met"}.get(
                c["within_15pct"], "not judged (a step lost 1 % or more)"
            )
            lines.append(
                f"  relay      {label:<17} CPU/stream {_pct(c['cpu_per_stream_ratio'])} vs 1 "
                f"process: {verdict}"
            )
    return lines


def show_relay(name: str, step: dict[str, Any]) -> None:
    print(
        f"  {RELAY_SETUPS[name]:<17} {step['video_streams']} streams  "
        f"cpu/stream/s {step['cpu_s_per_video_stream_s'] * 1000:.3f} ms  "
        f"relays {'+'.join(f'{c:.2f}' for c in step['relay_cpu_share'])} core  "
        f"loss v={step['video_loss'] * 100:.2f}% a={step['audio_loss'] * 100:.2f}%  "
        f"(clients {step['client_cpu_share']:.2f} core)"
        + ("" if step["setup_complete"] else "  SET-UP INCOMPLETE"),
        flush=True,
    )


def over_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """A relay set-up's figures over its rounds: CPU over all windows, the worst loss."""
    out = {key: rounds[0][key] for key in ("processes", "sessions", "video_streams")}
    stream_seconds = sum(r["video_streams"] * r["window_s"] for r in rounds)
    cpu = sum(r["relay_cpu_s"] for r in rounds)
    return {
        **out,
        "setup_complete": all(r["setup_complete"] for r in rounds),
        "cpu_s_per_video_stream_s": cpu / stream_seconds,
        "relay_cpu_share": [
            round(sum(r["relay_cpu_share"][i] for r in rounds) / len(rounds), 3)
            for i in range(out["processes"])
        ],
        "client_cpu_share": round(sum(r["client_cpu_share"] for r in rounds) / len(rounds), 3),
        "video_loss": max(r["video_loss"] for r in rounds),
        "audio_loss": max(r["audio_loss"] for r in rounds),
        "rounds": rounds,
    }
