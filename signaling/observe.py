"""What signaling tells whoever watches it (the server's metrics), as a small Protocol.

Signaling knows nothing of Prometheus: the server passes an observer into the
namespace's constructor, and the hub hands it to the one place board operations
are stored and shown (:class:`signaling.pipeline.StoredFirst`).
"""

from __future__ import annotations

from typing import Protocol


class BoardObserver(Protocol):
    def board_ops(self, count: int, seconds: float, stored: bool) -> None:
        """``count`` board operations of one outcome were delivered (``stored``) or refused,
        ``seconds`` after they were submitted (what their author waited for the ack)."""


class NoObserver:
    """Watches nothing (tests, tools)."""

    def board_ops(self, count: int, seconds: float, stored: bool) -> None:
        return None
