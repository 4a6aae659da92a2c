"""Token buckets: how fast one connection may send each kind of event.

A :class:`TokenBucket` holds up to ``burst`` tokens and refills at ``rate``
tokens a second; each event takes one. :class:`EventBudgets` keeps one bucket
per (connection, event kind): a connection flooding ``chat:send`` is slowed
down on that event only, and another connection in the same room is never
affected. The kind of an event is its area (``chat``, ``wb``, ``doc``, ...),
with a few events that may legitimately come fast or must stay cheap given a
rate of their own (:data:`RATES`). Pure and synchronous, the clock injected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Rate:
    burst: int  # events allowed at once
    per_second: float  # then, on average


# A person drawing with a pen sends one operation per stroke (a few a second);
# a browser trickles ICE candidates at the start of a call.
RATES: Mapping[str, Rate] = {
    "wb:op": Rate(burst=60, per_second=20.0),
    "wb": Rate(burst=20, per_second=5.0),
    # an editor sends an update per change (a keystroke, typing fast: ten a second)
    "text:update": Rate(burst=120, per_second=30.0),
    "text": Rate(burst=20, per_second=5.0),
    # a template filled from the case file, a text frozen into it: a few a minute
    "text:template": Rate(burst=5, per_second=0.2),
    "text:freeze": Rate(burst=3, per_second=0.1),
    # comments are typed, not streamed: a few a minute, a burst when replying in turn
    "text:comment": Rate(burst=10, per_second=0.5),
    "text:reply": Rate(burst=10, per_second=0.5),
    "text:resolve": Rate(burst=10, per_second=1.0),
    "chat:send": Rate(burst=10, per_second=2.0),
    "chat": Rate(burst=20, per_second=5.0),
    "doc:present": Rate(burst=30, per_second=10.0),
    "doc": Rate(burst=20, per_second=5.0),
    "rtc:candidate": Rate(burst=200, per_second=50.0),
    "rtc": Rate(burst=20, per_second=5.0),
    "media:state": Rate(burst=20, per_second=5.0),
    "lobby": Rate(burst=60, per_second=20.0),  # cheap: asking one's own state
    "lobby:call": Rate(burst=2, per_second=1 / 30),  # a call to the mediators: no pestering
    # each new public key starts a new epoch for the whole room: a page announces itself
    # once per connection; a distributor hands out one key per change of its room
    "e2ee:hello": Rate(burst=4, per_second=0.2),
    "e2ee": Rate(burst=20, per_second=5.0),
}
DEFAULT_RATE = Rate(burst=40, per_second=10.0)


class TokenBucket:
    def __init__(self, rate: Rate, clock: Clock, now: float | None = None) -> None:
        self._rate = rate
        self._clock = clock
        self._tokens = float(rate.burst)
        self._last = clock() if now is None else now

    def take(self) -> bool:
        """Takes a token if there is one; False means over the rate (nothing taken)."""
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._tokens = min(float(self._rate.burst), self._tokens + elapsed * self._rate.per_second)
        self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class EventBudgets:
    """One bucket per connection and event kind; forget a connection when it closes."""

    def __init__(
        self,
        rates: Mapping[str, Rate] = RATES,
        default: Rate = DEFAULT_RATE,
        clock: Clock = time.monotonic,
    ) -> None:
        self._rates = rates
        self._default = default
        self._clock = clock
        self._buckets: dict[str, dict[str, TokenBucket]] = {}

    def allow(self, connection: str, event: str) -> bool:
        kind = event if event in self._rates else event.split(":", 1)[0]
        buckets = self._buckets.setdefault(connection, {})
        bucket = buckets.get(kind)
        if bucket is None:
            bucket = buckets[kind] = TokenBucket(self._rates.get(kind, self._default), self._clock)
        return bucket.take()

    def forget(self, connection: str) -> None:
        self._buckets.pop(connection, None)

    def __len__(self) -> int:
        return len(self._buckets)
