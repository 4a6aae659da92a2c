"""Sign-in throttling: growing delays per (account, address), never a lock-out for everyone.

An attempt is *reserved* before the password is checked: ``begin`` decides and
counts it in one synchronous step (no await in between), so parallel attempts
cannot all slip through; a successful sign-in gives the reservation back.

Three counters slow guessing down, each with its own allowance of free
failures, then delays that double from ``first_delay`` up to ``window``:

* the pair (account, address): ``max_failures`` free failures. An attacker
  elsewhere never slows the owner down through it;
* the account, over every address it has never signed in from: bounds
  guessing spread over many addresses (``wide_factor`` x ``max_failures``);
* the address, over every account it has never signed in to: bounds
  spraying random e-mails from one place.

An address an account signed in from successfully ("known pair") is exempt
from the last two, so a mediator at their usual address is never held up by
someone hammering their account from elsewhere or by colleagues' typos.

Every table is bounded (least recently touched entry evicted first), so
random e-mails and addresses cannot grow memory without limit. Accounts are
keyed by a hash of the e-mail, not the address itself.

The rules live in :class:`ThrottlePolicy`, which decides from the rows it is
shown; where the rows are kept is the throttle's business. :class:`LoginThrottle`
keeps them in this process (one node); :class:`server.throttle_redis.RedisThrottle`
keeps them in Redis, shared by every node behind the load balancer, so that
spreading guesses over the nodes gains an attacker nothing.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

KNOWN_PAIR_SECONDS = 90 * 86400  # how long a successful sign-in vouches for its address


class TooManyAttempts(Exception):
    """The attempt is refused without checking the password."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class Failures:
    """One counter's row: failures counted, and when the last one was."""

    count: int
    last: float


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt; hand it back to ``succeeded`` or ``release``."""

    pair: str
    account: str | None
    address: str | None


def account_key(account: str) -> str:
    return hashlib.blake2b(account.strip().lower().encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Keys:
    """The rows one attempt reads: the pair, its account and its address."""

    pair: str
    account: str
    address: str

    @classmethod
    def of(cls, account: str, address: str) -> Keys:
        acct = account_key(account)
        return cls(f"{acct}|{address}", acct, address)


@dataclass(frozen=True)
class Rows:
    """What the throttle holds for one attempt's keys, read at one moment."""

    pair: Failures | None
    account: Failures | None
    address: Failures | None
    known_since: float | None  # when the pair last signed in successfully


@dataclass(frozen=True)
class Plan:
    """The policy's answer: wait (refused), or the reservation to count."""

    wait: float
    attempt: Attempt | None
    expired: tuple[str, ...] = ()  # rows quiet for long enough: drop them ("pair", ...)
    known_expired: bool = False


class ThrottlePolicy:
    """The rules, decided from rows: free failures, doubling delays, known pairs exempt."""

    def __init__(
        self, max_failures: int, window_seconds: float, *, first_delay: float, wide_factor: int
    ) -> None:
        self.free = max_failures
        self.wide_free = max_failures * wide_factor
        self.window = float(window_seconds)
        self.first = min(first_delay, self.window)

    def _delay(self, failures: int, free: int) -> float:
        if failures < free:
            return 0.0
        return min(self.first * 2.0 ** min(failures - free, 64), self.window)

    def _wait(self, row: Failures | None, free: int, now: float) -> float | None:
        """Seconds to wait for this row; None: quiet for a window after its last delay
        (the row is forgotten)."""
        if row is None:
            return 0.0
        delay = self._delay(row.count, free)
        if now - row.last > delay + self.window:
            return None
        return max(0.0, row.last + delay - now)

    def plan(self, keys: Keys, rows: Rows, now: float, *, account_wide: bool) -> Plan:
        known = rows.known_since is not None and now - rows.known_since <= KNOWN_PAIR_SECONDS
        known_expired = rows.known_since is not None and not known
        wide_account = account_wide and not known
        checks = [("pair", rows.pair, self.free)]
        if wide_account:
            checks.append(("account", rows.account, self.wide_free))
        if not known:
            checks.append(("address", rows.address, self.wide_free))
        wait, expired = 0.0, []
        for name, row, free in checks:
            row_wait = self._wait(row, free, now)
            if row_wait is None:
                expired.append(name)
            else:
                wait = max(wait, row_wait)
        if wait > 0:
            return Plan(wait, None, tuple(expired), known_expired)
        attempt = Attempt(
            keys.pair, keys.account if wide_account else None, None if known else keys.address
        )
        return Plan(0.0, attempt, tuple(expired), known_expired)

    def row_lifetime(self) -> float:
        """How long a row can matter after its last failure (its delay, then a window)."""
        return 2 * self.window


def refused(plan: Plan) -> TooManyAttempts:
    return TooManyAttempts(max(1, math.ceil(plan.wait)))


class Throttle(Protocol):
    """What sign-in asks of a throttle (wherever its rows are kept)."""

    async def begin(self, account: str, address: str, *, account_wide: bool = True) -> Attempt:
        """Reserves an attempt, or raises TooManyAttempts.

        ``account_wide=False`` skips the per-account counter (for a secret that
        is not an account's, such as the setup code, where it would only let
        strangers block the operator).
        """
        ...

    async def release(self, attempt: Attempt) -> None:
        """Gives the reservation back: the password was not checked."""
        ...

    async def succeeded(self, attempt: Attempt) -> None:
        """The right password: the pair starts afresh and its address is known from now on."""
        ...


class _Table:
    """Failure counts per key, at most ``max_entries`` of them."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._rows: OrderedDict[str, Failures] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> Failures | None:
        return self._rows.get(key)

    def bump(self, key: str, now: float) -> None:
        row = self._rows.get(key)
        if row is None:
            while len(self._rows) >= self._max:
                self._rows.popitem(last=False)
            self._rows[key] = Failures(1, now)
        else:
            row.count += 1
            row.last = now
            self._rows.move_to_end(key)

    def refund(self, key: str) -> None:
        row = self._rows.get(key)
        if row is not None:
            row.count -= 1
            if row.count <= 0:
                del self._rows[key]

    def drop(self, key: str) -> None:
        self._rows.pop(key, None)


class LoginThrottle:
    """The throttle of one process: bounded tables in memory.

    ``begin`` reads, decides and counts without an await in between, so it is
    atomic in the event loop.
    """

    def __init__(
        self,
        max_failures: int,
        window_seconds: float,
        *,
        first_delay: float = 15.0,
        wide_factor: int = 4,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy = ThrottlePolicy(
            max_failures, window_seconds, first_delay=first_delay, wide_factor=wide_factor
        )
        self._clock = clock
        self._tables = {
            "pair": _Table(max_entries),
            "account": _Table(max_entries),
            "address": _Table(max_entries),
        }
        self._known: OrderedDict[str, float] = OrderedDict()
        self._max_known = max_entries

    def size(self) -> int:
        """Entries held over every table (bounded by 4 x max_entries)."""
        return sum(len(t) for t in self._tables.values()) + len(self._known)

    async def begin(self, account: str, address: str, *, account_wide: bool = True) -> Attempt:
        now = self._clock()
        keys = Keys.of(account, address)
        named = {"pair": keys.pair, "account": keys.account, "address": keys.address}
        tables = self._tables
        rows = Rows(
            tables["pair"].get(keys.pair),
            tables["account"].get(keys.account),
            tables["address"].get(keys.address),
            self._known.get(keys.pair),
        )
        plan = self._policy.plan(keys, rows, now, account_wide=account_wide)
        for name in plan.expired:
            tables[name].drop(named[name])
        if plan.known_expired:
            del self._known[keys.pair]
        if plan.attempt is None:
            raise refused(plan)
        attempt = plan.attempt
        tables["pair"].bump(attempt.pair, now)
        if attempt.account is not None:
            tables["account"].bump(attempt.account, now)
        if attempt.address is not None:
            tables["address"].bump(attempt.address, now)
        return attempt

    async def release(self, attempt: Attempt) -> None:
        self._release(attempt)

    def _release(self, attempt: Attempt) -> None:
        self._tables["pair"].refund(attempt.pair)
        if attempt.account is not None:
            self._tables["account"].refund(attempt.account)
        if attempt.address is not None:
            self._tables["address"].refund(attempt.address)

    async def succeeded(self, attempt: Attempt) -> None:
        self._release(attempt)
        self._tables["pair"].drop(attempt.pair)
        self._known[attempt.pair] = self._clock()
        self._known.move_to_end(attempt.pair)
        while len(self._known) > self._max_known:
            self._known.popitem(last=False)
