"""How the nodes benchmark judges its runs: merged tallies, ratios to one node, the 15 % target."""

from __future__ import annotations

from typing import Any

import pytest

from bench.nodes import Window, figures, over_rounds, parse
from bench.nodes_report import merge, relay_checks, verdict_lines, whiteboard_checks
from bench.wb_report import Tally, summary


def run(cpu_ms: float, ops: float = 100.0, p99: float = 10.0, redis_ms: float | None = None) -> Any:
    out: dict[str, Any] = {
        "cpu_ms_per_op_above_idle": None if cpu_ms is None else cpu_ms - 1.0,
        "ops_per_s": ops,
        "offered_per_s": 100.0,
        "ack_ms": {"p50": p99 / 4, "p99": p99},
        "fanout_ms": {"p50": p99 / 4, "p99": p99 * 1.5},
        "server_cpu_ms_per_op": cpu_ms,
    }
    if redis_ms is not None:
        out["redis_cpu_ms_per_op"] = redis_ms
    return out


def test_tallies_of_loads_run_side_by_side_add_up() -> None:
    one = Tally(ack_ms=[1.0, 2.0], fanout_ms=[3.0], sent=4, acked=3, completed=3, delivered=7)
    one.errors = {"rate_limited": 1}
    two = Tally(ack_ms=[5.0], fanout_ms=[6.0, 7.0], sent=2, acked=2, completed=1, refused=1)
    two.errors = {"rate_limited": 2, "bench_timeout": 1}
    both = merge([one, two])
    assert both.ack_ms == [1.0, 2.0, 5.0] and both.fanout_ms == [3.0, 6.0, 7.0]
    assert (both.sent, both.acked, both.completed, both.refused, both.delivered) == (6, 5, 4, 1, 7)
    assert both.errors == {"rate_limited": 3, "bench_timeout": 1}
    assert one.errors == {"rate_limited": 1}  # the parts are left alone
    # CPU summed over the nodes, spread over the operations acknowledged on all of them
    assert summary(both, seconds=2.0, cpu=0.008, client_cpu=0.0)["server_cpu_ms_per_op"] == 2.0


def test_each_set_up_is_set_against_one_node_without_redis() -> None:
    runs = {
        "one_node": run(2.0, p99=10.0),
        "one_node_redis": run(2.2, p99=12.0, redis_ms=0.2),
        "two_nodes_redis": run(2.4, ops=98.0, redis_ms=0.3),
    }
    checks = whiteboard_checks(runs)
    assert checks["one_node_redis"] == {
        "cpu_per_op_ratio": 1.1,
        "cpu_per_op_ratio_with_redis": 1.2,
        "within_15pct": True,
        "cpu_above_idle_per_op_ratio": 1.2,
        "throughput_ratio": 1.0,
        "ack_p99_ratio": 1.2,
        "fanout_p99_ratio": 1.2,
    }
    assert checks["two_nodes_redis"]["cpu_per_op_ratio"] == 1.2
    assert checks["two_nodes_redis"]["within_15pct"] is False
    assert checks["two_nodes_redis"]["throughput_ratio"] == 0.98
    assert checks["all_within_15pct"] is False
    assert checks["kept_up"] == {"one_node": True, "one_node_redis": True, "two_nodes_redis": True}
    lines = verdict_lines(checks, None)
    assert lines[0].split() == [
        "whiteboard", "1", "node", "+", "Redis", "CPU/op", "+10.0", "%", "vs", "1", "node",
        "(+20.0", "%", "counting", "Redis,", "+20.0", "%", "above", "idle):", "target", "met",
    ]  # fmt: skip
    assert lines[1].endswith("target NOT met")


def test_exactly_15_percent_more_is_within_the_target_and_falling_behind_shows() -> None:
    runs = {"one_node": run(2.0), "one_node_redis": run(2.3, ops=90.0)}
    checks = whiteboard_checks(runs)
    assert checks["one_node_redis"]["within_15pct"] is True
    assert checks["all_within_15pct"] is True
    assert checks["kept_up"] == {"one_node": True, "one_node_redis": False}
    assert verdict_lines(checks, None)[0].endswith("target met; fell behind the load")


def test_a_set_up_with_no_acknowledged_operation_has_no_ratio_and_misses_the_target() -> None:
    runs = {"one_node": run(2.0), "two_nodes_redis": run(None, ops=0.0)}  # type: ignore[arg-type]
    checks = whiteboard_checks(runs)
    assert checks["two_nodes_redis"]["cpu_per_op_ratio"] is None
    assert checks["two_nodes_redis"]["within_15pct"] is None
    assert checks["all_within_15pct"] is False
    assert verdict_lines(checks, None)[0].endswith("target NOT met; fell behind the load")


def test_the_relay_spread_over_two_processes_against_one() -> None:
    steps = {
        "one_process": {"cpu_s_per_video_stream_s": 0.004, "video_loss": 0.0, "audio_loss": 0.0},
        "two_processes": {"cpu_s_per_video_stream_s": 0.0044, "video_loss": 0.0, "audio_loss": 0},
    }
    checks = relay_checks(steps)
    assert checks["two_processes"] == {"cpu_per_stream_ratio": 1.1, "within_15pct": True}
    assert checks["under_1pct_loss"] == {"one_process": True, "two_processes": True}
    assert checks["all_within_15pct"] is True
    steps["two_processes"]["audio_loss"] = 0.02  # forwarded less: spent less, not judged
    checks = relay_checks(steps)
    assert checks["two_processes"] == {"cpu_per_stream_ratio": 1.1, "within_15pct": None}
    assert checks["under_1pct_loss"] == {"one_process": True, "two_processes": False}
    assert checks["all_within_15pct"] is False
    assert verdict_lines({}, checks)[0].endswith("not judged (a step lost 1 % or more)")
    steps["two_processes"]["audio_loss"] = 0.0
    steps["two_processes"]["cpu_s_per_video_stream_s"] = 0.005
    checks = relay_checks(steps)
    assert checks["all_within_15pct"] is False
    assert verdict_lines({}, checks) == [
        "  relay      2 relay processes CPU/stream +25.0 % vs 1 process: target NOT met"
    ]


def test_quick_mode_is_small_and_rooms_must_split_evenly_over_two_nodes() -> None:
    quick = parse(["--quick"])
    assert quick.rooms % 2 == 0 and quick.rooms * 8 * quick.rate <= 128
    assert quick.seconds <= 5 and quick.publishers * quick.subscribers <= 4
    full = parse(["--rooms", "10", "--redis-db", "7"])
    assert (full.rooms, full.redis_db, full.quick) == (10, 7, False)
    with pytest.raises(SystemExit):
        parse(["--rooms", "5"])


def test_a_set_up_over_several_rounds_counts_every_window() -> None:
    first = Window(Tally(ack_ms=[1.0], sent=100, completed=100), [0.1, 0.1], 0.5, 0.01)
    second = Window(Tally(ack_ms=[3.0], sent=100, completed=50), [0.1, 0.2], 0.5, 0.02, 300)
    out = figures([first, second], seconds=5.0, with_redis=True)
    assert out["ops_per_s"] == 15.0  # 150 acknowledged over 2 windows of 5 s
    assert out["server_cpu_ms_per_op"] == 3.333  # 0.5 s of the nodes' CPU over 150 ops
    assert out["cpu_ms_per_op_by_round"] == [2.0, 6.0]
    assert out["node_cpu_share_by_round"] == [[0.02, 0.02], [0.02, 0.04]]
    assert out["nodes"] == 2
    assert out["redis_cpu_ms_per_op"] == 0.2 and out["redis_cpu_share"] == 0.003
    assert out["channel_messages_per_op"] == 2.0
    second.idle_cpu = 0.25
    out = figures([first, second], seconds=5.0, with_redis=False)
    assert out["idle_cpu_share"] == 0.025  # 0.25 s over 2 windows of 5 s
    assert out["cpu_ms_per_op_above_idle"] == 1.667  # (0.5 - 0.25) s over 150 ops
    assert "redis_cpu_share" not in figures([first], seconds=5.0, with_redis=False)


def test_a_relay_set_up_over_rounds_spreads_all_its_cpu_and_keeps_the_worst_loss() -> None:
    def step(cpu_s: float, window_s: float, loss: float) -> dict[str, Any]:
        return {
            "processes": 2, "sessions": 2, "video_streams": 10, "setup_complete": True,
            "window_s": window_s, "relay_cpu_s": cpu_s, "relay_cpu_share": [0.1, 0.3],
            "client_cpu_share": 0.2, "video_loss": loss, "audio_loss": 0.0,
        }  # fmt: skip

    out = over_rounds([step(0.2, 8.0, 0.0), step(0.6, 12.0, 0.004)])
    assert out["cpu_s_per_video_stream_s"] == 0.8 / (10 * 20.0)
    assert out["relay_cpu_share"] == [0.1, 0.3] and out["client_cpu_share"] == 0.2
    assert out["video_loss"] == 0.004 and out["audio_loss"] == 0.0
    assert len(out["rounds"]) == 2 and out["setup_complete"] is True
