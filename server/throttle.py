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
keyed by a hash of the e-mail, not the address itself. In-process: with
several server processes each keeps its own tables.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

KNOWN_PAIR_SECONDS = 90 * 86400  # how long a successful sign-in vouches for its address


class TooManyAttempts(Exception):
    """The attempt is refused without checking the password."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Failures:
    count: int
    last: float


class _Table:
    """Failure counts per key, at most ``max_entries`` of them."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._rows: OrderedDict[str, _Failures] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> _Failures | None:
        return self._rows.get(key)

    def bump(self, key: str, now: float) -> None:
        row = self._rows.get(key)
        if row is None:
            while len(self._rows) >= self._max:
                self._rows.popitem(last=False)
            self._rows[key] = _Failures(1, now)
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


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt; hand it back to ``succeeded`` or ``release``."""

    pair: str
    account: str | None
    address: str | None


def account_key(account: str) -> str:
    return hashlib.blake2b(account.strip().lower().encode(), digest_size=16).hexdigest()


class LoginThrottle:
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
        self._free = max_failures
        self._wide_free = max_failures * wide_factor
        self._window = float(window_seconds)
        self._first = min(first_delay, self._window)
        self._clock = clock
        self._pairs = _Table(max_entries)
        self._accounts = _Table(max_entries)
        self._addresses = _Table(max_entries)
        self._known: OrderedDict[str, float] = OrderedDict()
        self._max_known = max_entries

    def size(self) -> int:
        """Entries held over every table (bounded by 4 x max_entries)."""
        return len(self._pairs) + len(self._accounts) + len(self._addresses) + len(self._known)

    def _delay(self, failures: int, free: int) -> float:
        if failures < free:
            return 0.0
        return min(self._first * 2.0 ** min(failures - free, 64), self._window)

    def _wait(self, table: _Table, key: str, free: int, now: float) -> float:
        row = table.get(key)
        if row is None:
            return 0.0
        delay = self._delay(row.count, free)
        if now - row.last > delay + self._window:  # quiet for a window after the last delay
            table.drop(key)
            return 0.0
        return max(0.0, row.last + delay - now)

    def _is_known(self, pair: str, now: float) -> bool:
        since = self._known.get(pair)
        if since is None:
            return False
        if now - since > KNOWN_PAIR_SECONDS:
            del self._known[pair]
            return False
        return True

    def begin(self, account: str, address: str, *, account_wide: bool = True) -> Attempt:
        """Reserves an attempt, or raises TooManyAttempts. Synchronous: atomic in the event loop.

        ``account_wide=False`` skips the per-account counter (for a secret that
        is not an account's, such as the setup code, where it would only let
        strangers block the operator).
        """
        now = self._clock()
        acct = account_key(account)
        pair = f"{acct}|{address}"
        known = self._is_known(pair, now)
        wait = self._wait(self._pairs, pair, self._free, now)
        wide_account = account_wide and not known
        if wide_account:
            wait = max(wait, self._wait(self._accounts, acct, self._wide_free, now))
        if not known:
            wait = max(wait, self._wait(self._addresses, address, self._wide_free, now))
        if wait > 0:
            raise TooManyAttempts(max(1, math.ceil(wait)))
        self._pairs.bump(pair, now)
        if wide_account:
            self._accounts.bump(acct, now)
        if not known:
            self._addresses.bump(address, now)
        return Attempt(pair, acct if wide_account else None, None if known else address)

    def release(self, attempt: Attempt) -> None:
        """Gives the reservation back: the password was not checked."""
        self._pairs.refund(attempt.pair)
        if attempt.account is not None:
            self._accounts.refund(attempt.account)
        if attempt.address is not None:
            self._addresses.refund(attempt.address)

    def succeeded(self, attempt: Attempt) -> None:
        """The right password: the pair starts afresh and its address is known from now on."""
        self.release(attempt)
        self._pairs.drop(attempt.pair)
        self._known[attempt.pair] = self._clock()
        self._known.move_to_end(attempt.pair)
        while len(self._known) > self._max_known:
            self._known.popitem(last=False)
