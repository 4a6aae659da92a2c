"""Who is on a connection."""

from __future__ import annotations

from dataclasses import dataclass

from records.stores.invites import past_its_time


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
    link_id: str | None = None  # the invite link it came with (None: a signed-in mediator)
    expires_at: float | None = None  # POSIX time after which the link no longer works

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and past_its_time(self.expires_at, now)

    @property
    def is_mediator(self) -> bool:
        return self.role in {"mediator", "co_mediator"}
