"""Shared fakes and factories for the session domain tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessions.roles import Role
from sessions.service import LiveSession

VERSION = "consent-v1"

# The cast of a typical mediation: a mediator and a co-mediator, two parties,
# the first party's counsel, and an observer (a trainee mediator).
CAST: dict[str, Role] = {
    "med": Role.MEDIATOR,
    "co": Role.CO_MEDIATOR,
    "alice": Role.PARTY,
    "bob": Role.PARTY,
    "counsel_a": Role.COUNSEL,
    "obs": Role.OBSERVER,
}


class FakeClock:
    """An injected clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def device(pid: str) -> str:
    """The id ``pid``'s browser keeps for their link."""
    return f"device-of-{pid}"


def enter(session: LiveSession, pid: str, *, by: str = "med") -> None:
    """Connect, consent, knock and (for non-mediators) get admitted."""
    session.connect(pid, f"conn-{pid}", device(pid))
    session.record_consent(pid, VERSION)
    session.knock(pid)
    if session.participant(pid).state.value == "waiting":
        session.admit(by, pid, observers_agreed=True)


@pytest.fixture
def bare(clock: FakeClock) -> LiveSession:
    """A session with the cast registered, nobody connected."""
    session = LiveSession("s1", VERSION, clock=clock)
    for pid, role in CAST.items():
        session.register(pid, role)
    return session


@pytest.fixture
def live(bare: LiveSession) -> LiveSession:
    """A session with the whole cast admitted into the plenary."""
    for pid in CAST:
        enter(bare, pid)
    return bare
