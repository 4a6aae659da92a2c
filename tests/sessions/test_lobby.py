from __future__ import annotations

from datetime import timedelta

import pytest

from records.errors import ErrorCode
from sessions.errors import (
    PARTICIPANT_DECLINED,
    PARTICIPANT_REMOVED,
    Conflict,
    ConsentRequired,
    Forbidden,
    InvalidPayload,
    InvalidState,
    NotFound,
    NotJoined,
    RoomLocked,
    SessionClosed,
)
from sessions.lobby import (
    KICK_DECLINED,
    KICK_REMOVED,
    KICK_REPLACED,
    KICK_SESSION_ENDED,
    Lobby,
    State,
)
from sessions.roles import Role
from tests.sessions.conftest import VERSION, FakeClock


@pytest.fixture
def lobby(clock: FakeClock) -> Lobby:
    lobby = Lobby("s1", VERSION, clock=clock)
    lobby.register("med", Role.MEDIATOR)
    lobby.register("co", Role.CO_MEDIATOR)
    lobby.register("alice", Role.PARTY)
    lobby.register("obs", Role.OBSERVER)
    return lobby


def waiting(lobby: Lobby, pid: str = "alice") -> None:
    lobby.attach(pid, f"c-{pid}")
    lobby.record_consent(pid, VERSION)
    assert lobby.knock(pid) is State.WAITING


def admitted(lobby: Lobby, pid: str = "alice") -> None:
    waiting(lobby, pid)
    lobby.admit(pid)


def test_initial_state(lobby: Lobby) -> None:
    view = lobby.get("alice")
    assert view.state is State.INVITED
    assert not view.consented and not view.connected
    assert lobby.is_open and not lobby.locked
    assert lobby.consent_version == VERSION


def test_register_twice_and_unknown(lobby: Lobby) -> None:
    with pytest.raises(Conflict):
        lobby.register("alice", Role.PARTY)
    with pytest.raises(NotFound):
        lobby.get("mallory")
    with pytest.raises(NotFound):
        lobby.attach("mallory", "c")


def test_empty_consent_version_refused(clock: FakeClock) -> None:
    with pytest.raises(InvalidPayload):
        Lobby("s", "", clock=clock)


def test_happy_path(lobby: Lobby) -> None:
    lobby.attach("alice", "c1")
    assert lobby.record_consent("alice", VERSION).state is State.CONSENTED
    assert lobby.knock("alice") is State.WAITING
    assert lobby.waiting() == ["alice"]
    assert not lobby.can_publish("alice")
    lobby.admit("alice")
    assert lobby.admitted() == ["alice"]
    assert lobby.can_publish("alice")


def test_knock_requires_connection_and_consent(lobby: Lobby) -> None:
    with pytest.raises(NotJoined):
        lobby.knock("alice")
    lobby.attach("alice", "c1")
    with pytest.raises(ConsentRequired) as info:
        lobby.knock("alice")
    assert info.value.code == ErrorCode.CONSENT_REQUIRED


def test_consent_for_outdated_text_refused(lobby: Lobby) -> None:
    with pytest.raises(Conflict):
        lobby.record_consent("alice", "consent-v0")
    assert lobby.get("alice").state is State.INVITED


def test_new_text_version_closes_the_media_gate(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.set_consent_version("consent-v2")
    assert not lobby.can_publish("alice")
    assert not lobby.get("alice").consented
    lobby.record_consent("alice", "consent-v2")
    assert lobby.can_publish("alice")
    with pytest.raises(InvalidPayload):
        lobby.set_consent_version("")


def test_mediators_enter_directly_but_publish_only_with_consent(lobby: Lobby) -> None:
    lobby.attach("med", "cm")
    assert lobby.knock("med") is State.ADMITTED
    assert not lobby.can_publish("med")
    lobby.record_consent("med", VERSION)
    assert lobby.can_publish("med")


def test_co_mediator_enters_even_when_locked(lobby: Lobby) -> None:
    lobby.lock()
    lobby.attach("co", "cc")
    assert lobby.knock("co") is State.ADMITTED


def test_lock_stops_knocks_but_not_admission_of_waiting(lobby: Lobby) -> None:
    waiting(lobby, "alice")
    lobby.lock()
    lobby.attach("obs", "co")
    lobby.record_consent("obs", VERSION)
    with pytest.raises(RoomLocked) as info:
        lobby.knock("obs")
    assert info.value.code == ErrorCode.ROOM_LOCKED
    lobby.admit("alice")
    lobby.unlock()
    assert lobby.knock("obs") is State.WAITING


def test_knock_twice_is_idempotent(lobby: Lobby) -> None:
    waiting(lobby)
    assert lobby.knock("alice") is State.WAITING
    lobby.admit("alice")
    assert lobby.knock("alice") is State.ADMITTED


def test_admit_only_waiting(lobby: Lobby) -> None:
    with pytest.raises(InvalidState):
        lobby.admit("alice")
    admitted(lobby)
    with pytest.raises(InvalidState):
        lobby.admit("alice")


def test_decline_is_final(lobby: Lobby) -> None:
    waiting(lobby)
    kick = lobby.decline("alice")
    assert kick is not None and kick.connection_id == "c-alice" and kick.reason == KICK_DECLINED
    assert lobby.get("alice").state is State.DECLINED
    with pytest.raises(Forbidden) as info:
        lobby.attach("alice", "c2")
    assert info.value.code == PARTICIPANT_DECLINED
    with pytest.raises(Forbidden):
        lobby.knock("alice")
    with pytest.raises(InvalidState):
        lobby.decline("alice")


def test_decline_only_waiting(lobby: Lobby) -> None:
    admitted(lobby)
    with pytest.raises(InvalidState):
        lobby.decline("alice")


@pytest.mark.parametrize("stage", ["invited", "waiting", "admitted"])
def test_remove_from_any_stage(lobby: Lobby, stage: str) -> None:
    if stage == "waiting":
        waiting(lobby)
    elif stage == "admitted":
        admitted(lobby)
    kick = lobby.remove("alice")
    assert lobby.get("alice").state is State.REMOVED
    assert (kick is None) is (stage == "invited")
    if kick:
        assert kick.reason == KICK_REMOVED
    with pytest.raises(Forbidden) as info:
        lobby.attach("alice", "again")
    assert info.value.code == PARTICIPANT_REMOVED
    with pytest.raises(Forbidden):
        lobby.record_consent("alice", VERSION)
    with pytest.raises(Forbidden):
        lobby.remove("alice")
    assert not lobby.can_publish("alice")


def test_leave_and_come_back_needs_admission(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.leave("alice")
    assert lobby.get("alice").state is State.LEFT
    assert lobby.knock("alice") is State.WAITING
    with pytest.raises(InvalidState):
        lobby.leave("obs")


def test_withdraw_consent_while_admitted(lobby: Lobby) -> None:
    admitted(lobby)
    assert lobby.withdraw_consent("alice") is State.ADMITTED
    view = lobby.get("alice")
    assert view.state is State.LEFT and not view.consented
    assert not lobby.can_publish("alice")
    with pytest.raises(ConsentRequired):
        lobby.knock("alice")
    lobby.record_consent("alice", VERSION)
    assert lobby.knock("alice") is State.WAITING


def test_withdraw_consent_before_knocking(lobby: Lobby) -> None:
    lobby.record_consent("alice", VERSION)
    assert lobby.withdraw_consent("alice") is State.CONSENTED
    assert lobby.get("alice").state is State.INVITED


def test_reconnect_within_grace_keeps_admission(lobby: Lobby, clock: FakeClock) -> None:
    admitted(lobby)
    assert lobby.detach("alice", "c-alice")
    assert not lobby.get("alice").connected
    clock.advance(9.9)
    assert lobby.sweep() == []
    result = lobby.attach("alice", "c-new")
    assert result.resumed and result.state is State.ADMITTED and result.kicked is None
    assert lobby.connection_of("alice") == "c-new"


def test_grace_boundary_is_inclusive(lobby: Lobby, clock: FakeClock) -> None:
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    clock.advance(10)
    assert lobby.attach("alice", "c2").resumed


def test_reconnect_after_grace_needs_admission(lobby: Lobby, clock: FakeClock) -> None:
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    clock.advance(10.1)
    result = lobby.attach("alice", "c-new")
    assert not result.resumed and result.state is State.LEFT
    assert lobby.knock("alice") is State.WAITING


def test_sweep_expires_dropped_participants(lobby: Lobby, clock: FakeClock) -> None:
    admitted(lobby)
    waiting(lobby, "obs")
    lobby.detach("alice", "c-alice")
    clock.advance(5)
    lobby.detach("obs", "c-obs")
    clock.advance(6)
    assert lobby.sweep() == ["alice"]
    clock.advance(5)
    assert lobby.sweep() == ["obs"]
    assert lobby.get("obs").state is State.LEFT
    assert lobby.sweep() == []


def test_custom_grace(clock: FakeClock) -> None:
    lobby = Lobby("s", VERSION, clock=clock, grace=timedelta(seconds=30))
    lobby.register("alice", Role.PARTY)
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    clock.advance(25)
    assert lobby.attach("alice", "x").resumed


def test_no_resume_after_end(lobby: Lobby) -> None:
    admitted(lobby)
    lobby.detach("alice", "c-alice")
    lobby.end()
    with pytest.raises(SessionClosed):
        lobby.attach("alice", "c2")


def test_second_connection_replaces_first(lobby: Lobby) -> None:
    admitted(lobby)
    result = lobby.attach("alice", "tab-2")
    assert result.kicked is not None
    assert result.kicked.connection_id == "c-alice"
    assert result.kicked.reason == KICK_REPLACED
    assert result.state is State.ADMITTED and not result.resumed
    # The old tab's disconnect does not touch the new one.
    assert not lobby.detach("alice", "c-alice")
    assert lobby.get("alice").connected


def test_same_connection_attaching_twice_is_harmless(lobby: Lobby) -> None:
    lobby.attach("alice", "c1")
    assert lobby.attach("alice", "c1").kicked is None


def test_second_tab_while_waiting(lobby: Lobby) -> None:
    waiting(lobby)
    result = lobby.attach("alice", "tab-2")
    assert result.kicked is not None and result.state is State.WAITING


def test_detach_unknown_is_false(lobby: Lobby) -> None:
    assert not lobby.detach("nobody", "x")
    assert not lobby.detach("alice", "x")


def test_end_of_session(lobby: Lobby) -> None:
    admitted(lobby)
    waiting(lobby, "obs")
    lobby.attach("med", "cm")
    lobby.knock("med")
    kicks = lobby.end()
    assert {k.participant_id for k in kicks} == {"alice", "obs", "med"}
    assert all(k.reason == KICK_SESSION_ENDED for k in kicks)
    assert not lobby.is_open
    assert lobby.get("alice").state is State.LEFT
    assert not lobby.can_publish("alice")
    for call in (
        lambda: lobby.attach("co", "cc"),
        lambda: lobby.knock("co"),
        lambda: lobby.admit("obs"),
        lobby.end,
    ):
        with pytest.raises(SessionClosed) as info:
            call()
        assert info.value.code == ErrorCode.SESSION_CLOSED


def test_participants_listing(lobby: Lobby) -> None:
    waiting(lobby)
    views = {v.participant_id: v for v in lobby.participants()}
    assert set(views) == {"med", "co", "alice", "obs"}
    assert views["alice"].state is State.WAITING and views["alice"].connected
    assert lobby.role_of("obs") is Role.OBSERVER
    assert lobby.has_consent("alice") and not lobby.has_consent("obs")
