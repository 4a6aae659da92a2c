"""The per-connection token buckets, on a fake clock."""

from __future__ import annotations

from signaling.budget import EventBudgets, Rate, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(Rate(burst=3, per_second=2.0), clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.25  # half a token
    assert not bucket.take()
    clock.now += 0.25
    assert bucket.take() and not bucket.take()
    clock.now += 60  # refills up to the burst, no further
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_a_clock_going_back_gives_nothing() -> None:
    clock = Clock()
    bucket = TokenBucket(Rate(burst=1, per_second=1.0), clock)
    assert bucket.take()
    clock.now -= 50
    assert not bucket.take()


def test_budgets_are_per_connection_and_per_event_kind() -> None:
    clock = Clock()
    rates = {"chat:send": Rate(2, 1.0), "wb": Rate(1, 1.0)}
    budgets = EventBudgets(rates, Rate(1, 1.0), clock)
    assert budgets.allow("a", "chat:send") and budgets.allow("a", "chat:send")
    assert not budgets.allow("a", "chat:send")
    assert budgets.allow("b", "chat:send")  # another connection: its own bucket
    assert budgets.allow("a", "chat:history")  # another kind: the area's (default) bucket
    assert budgets.allow("a", "wb:op") and not budgets.allow("a", "wb:sync")  # one area
    budgets.forget("a")
    assert len(budgets) == 1 and budgets.allow("a", "chat:send")
