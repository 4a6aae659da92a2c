"""Sign-in throttling: too many failures for an account or from an address within a window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Sliding-window failure counter per key (account email, client address).

    In-process: with several server processes each keeps its own window,
    which still bounds guessing to (processes x max_failures) per window.
    """

    def __init__(
        self,
        max_failures: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self._window:
            q.popleft()
        if not q:
            del self._failures[key]
        return q

    def retry_after(self, keys: list[str]) -> int:
        """Seconds until a new attempt is allowed (0 when allowed now)."""
        wait = 0.0
        for key in keys:
            q = self._recent(key)
            if len(q) >= self._max:
                wait = max(wait, q[0] + self._window - self._clock())
        return int(wait) + 1 if wait > 0 else 0

    def fail(self, keys: list[str]) -> None:
        now = self._clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)

    def succeed(self, keys: list[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)
