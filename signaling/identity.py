"""Who is on a connection."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """An authenticated member of one session.

    ``key`` is unique within the session: ``p-<participant id>`` for
    people invited by link, ``m-<mediator id>`` for mediators.
    """

    session_id: str
    key: str
    role: str  # mediator, co_mediator, party, counsel, observer
    display_name: str

    @property
    def is_mediator(self) -> bool:
        return self.role in {"mediator", "co_mediator"}
