"""The durable state of a live session: what a takeover or a restart carries on from.

Its record form reads back the same over many shapes, and a fresh session resumed from it
carries on where the first one stood: the admitted come back to their room from their own
device without knocking, the waiting still wait, removal and decline stay final, the lock,
the private meetings and who is in which stay, ids are not reused.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.durable import DurableState, ParticipantState, RoomState
from sessions.errors import Forbidden, InvalidPayload, RoomLocked, SessionClosed
from sessions.lobby import State
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from tests.sessions.conftest import CAST, VERSION, FakeClock, device, enter

EMPTY = DurableState().to_record()
KEYS = st.text("abcdefghij:-_0123456789", min_size=1, max_size=12)


@st.composite
def durable_states(draw: st.DrawFn) -> DurableState:
    rooms = draw(st.lists(KEYS.map(lambda k: f"private-{k}"), unique=True, max_size=4))
    where = st.sampled_from([None, PLENARY, *rooms])
    people = draw(st.lists(KEYS, unique=True, max_size=8))
    optional = st.none() | KEYS
    stamps = st.none() | st.floats(0, 2e9, allow_nan=False)
    participants = tuple(
        ParticipantState(
            pid, draw(st.sampled_from(list(State))), draw(optional), draw(optional),
            draw(where), draw(stamps),
        )
        for pid in people
    )  # fmt: skip
    opened = tuple(
        RoomState(r, draw(st.text(max_size=80)), draw(st.none() | st.sampled_from(people or ["m"])))
        for r in rooms
    )
    some = st.frozensets(st.sampled_from(people)) if people else st.just(frozenset[str]())
    return DurableState(
        participants=participants,
        rooms=opened,
        locked=draw(st.booleans()),
        ended=draw(st.booleans()),
        plenary_talk=draw(st.booleans()),
        took_part=draw(some),
        held_audio=draw(some),
        held_video=draw(some),
        chat_keep=draw(st.booleans()),
        chat_agreements=tuple((p, draw(st.booleans())) for p in people),
        chat_reserved=draw(st.integers(0, 2**53)),
    )


@settings(max_examples=200, deadline=None)
@given(durable_states())
def test_the_record_form_reads_back_the_same(state: DurableState) -> None:
    assert DurableState.from_record(state.to_record()) == state


@pytest.mark.parametrize(
    "broken",
    [
        None,
        {"v": 2},
        {**EMPTY, "locked": "yes"},
        {**EMPTY, "chat_reserved": -1},
        {
            **DurableState().to_record(),
            "participants": [["p", "admitted", None, None, "gone", None]],
        },
        {**EMPTY, "participants": [["p", "floating", None, None, None, None]]},
        {**EMPTY, "rooms": [["plenary", "", None]]},
        {**EMPTY, "rooms": [["private-a", "", None]] * 2},
    ],
)
def test_a_record_that_is_not_a_state_is_refused(broken: object) -> None:
    with pytest.raises(InvalidPayload):
        DurableState.from_record(broken)


def fresh(clock: FakeClock, *, resume_grace: float = 60) -> LiveSession:
    session = LiveSession("s1", VERSION, clock=clock, resume_grace=timedelta(seconds=resume_grace))
    for pid, role in CAST.items():
        session.register(pid, role)
    return session


def resumed(before: LiveSession, clock: FakeClock, **kw: float) -> LiveSession:
    """What another node makes of ``before``, through the record form."""
    after = fresh(clock, **kw)
    after.resume(DurableState.from_record(before.durable_state().to_record()))
    return after


@pytest.fixture
def busy(live: LiveSession) -> LiveSession:
    """A caucus (med, alice), bob in the plenary, counsel removed, obs waiting, locked, co
    stopped microphone."""
    live.open_private_meeting("med", {"alice"}, "Aparté")
    live.remove("med", "counsel_a")
    live.leave("obs")
    live.knock("obs")
    live.mute("med", "bob")
    live.set_locked("med", True)
    return live


def test_a_resumed_session_carries_on_where_it_stood(busy: LiveSession, clock: FakeClock) -> None:
    caucus = busy.rooms.private_meetings()[0]
    after = resumed(busy, clock)
    # the same, but every waiting or admitted participant disconnected at the resume
    now = clock().timestamp()
    before = busy.durable_state()
    present = (State.WAITING, State.ADMITTED)
    assert after.durable_state() == dataclasses.replace(
        before,
        participants=tuple(
            dataclasses.replace(p, dropped_at=now if p.state in present else None)
            for p in before.participants
        ),
    )
    assert after.rooms.placed() == busy.rooms.placed()
    assert after.rooms.view(caucus).label == "Aparté"
    assert after.rooms.view(caucus).opened_by == "med"
    assert after.lobby.locked
    assert after.held("bob") == {"audio"}
    assert after.participants_who_took_part() == busy.participants_who_took_part()
    # nobody is connected yet: the admitted keep their place
    assert after.connected() == frozenset()
    # alice comes back from her device: straight into the caucus, nobody lets her in
    result = after.connect("alice", "c2-alice", device("alice")).value
    assert result.resumed and result.state is State.ADMITTED and not result.contending
    assert after.room_of("alice") == caucus
    after.connect("bob", "c2-bob", device("bob"))
    assert after.room_of("bob") == PLENARY
    assert after.participant("bob").state is State.ADMITTED
    # the waiting observer still waits, and the mediator's list says so
    after.connect("med", "c2-med", device("med"))
    after.connect("obs", "c2-obs", device("obs"))
    assert after.participant("obs").state is State.WAITING
    assert [v.participant_id for v in after.lobby_list("med") if v.state is State.WAITING] == [
        "obs"
    ]
    # removed stays removed; the lock holds
    with pytest.raises(Forbidden):
        after.connect("counsel_a", "c2-counsel", device("counsel_a"))
    after.leave("bob")
    with pytest.raises(RoomLocked):
        after.knock("bob")
    # private meetings keep their isolation: bob's message reaches the plenary only
    after.set_locked("med", False)
    after.knock("bob")
    after.admit("med", "bob")
    msg = after.chat_send("bob", "hello")
    assert "alice" not in {r for n in msg.notifications for r in n.recipients}


def test_another_device_still_needs_the_mediator(busy: LiveSession, clock: FakeClock) -> None:
    after = resumed(busy, clock)
    result = after.connect("alice", "c2-other", "another-device").value
    assert result.contending and after.room_of("alice") is not None
    assert after.lobby.connection_of("alice") is None


def test_the_resume_grace_starts_at_the_resume_and_then_the_seat_is_lost(
    busy: LiveSession, clock: FakeClock
) -> None:
    busy.disconnect("alice", "conn-alice")
    clock.advance(8)  # alice dropped 8 s before the node died: more than her normal grace
    after = resumed(busy, clock, resume_grace=30)  # is left once the resume grace is over
    clock.advance(25)
    assert after.tick().value == []
    after.connect("alice", "c2-alice", device("alice"))
    assert after.room_of("alice") is not None
    clock.advance(31)
    assert set(after.tick().value) == {"med", "bob", "co", "obs"}
    assert after.room_of("bob") is None and after.participant("bob").state is State.LEFT
    assert after.participant("obs").state is State.LEFT
    assert after.room_of("alice") is not None  # she came back in time


def test_a_long_break_loses_the_seats_as_the_grace_would(
    busy: LiveSession, clock: FakeClock
) -> None:
    for pid in ("med", "alice", "bob", "co", "obs"):
        busy.disconnect(pid, f"conn-{pid}")
    clock.advance(3600)  # everyone gone for lunch: the session was let go
    after = resumed(busy, clock)
    after.tick()
    assert after.rooms.placed() == {}
    assert after.participant("alice").state is State.LEFT
    assert after.participant("counsel_a").state is State.REMOVED


def test_room_ids_after_a_resume_are_new(busy: LiveSession, clock: FakeClock) -> None:
    before = set(busy.rooms.private_meetings())
    after = resumed(busy, clock)
    enter_again = ("med", "bob")
    for pid in enter_again:
        after.connect(pid, f"c2-{pid}", device(pid))
    opened = after.open_private_meeting("med", {"bob"}).value.room_id
    assert opened not in before and opened != PLENARY
    assert set(after.rooms.private_meetings()) == before | {opened}


def test_someone_no_longer_invited_does_not_come_back(busy: LiveSession, clock: FakeClock) -> None:
    after = LiveSession("s1", VERSION, clock=clock)
    for pid, role in CAST.items():
        if pid != "alice":
            after.register(pid, role)
    after.resume(busy.durable_state())
    caucus = busy.rooms.private_meetings()[0]
    assert after.members(caucus) == {"med"}
    assert "alice" not in after.participants_who_took_part()


def test_an_ended_session_stays_ended(live: LiveSession, clock: FakeClock) -> None:
    live.open_private_meeting("med", {"alice"})
    live.end("med")
    after = resumed(live, clock)
    with pytest.raises(SessionClosed):
        after.connect("alice", "c2-alice", device("alice"))
    assert after.rooms.placed() == {} and after.rooms.private_meetings() == []


def test_declined_stays_declined(bare: LiveSession, clock: FakeClock) -> None:
    enter(bare, "med")
    bare.connect("bob", "conn-bob", device("bob"))
    bare.record_consent("bob", VERSION)
    bare.knock("bob")
    bare.decline("med", "bob")
    after = resumed(bare, clock)
    with pytest.raises(Forbidden):
        after.connect("bob", "c2-bob", device("bob"))


def test_chat_message_numbers_are_not_given_again_after_a_resume(
    live: LiveSession, clock: FakeClock
) -> None:
    live.chat_send("alice", "first")
    stored = live.durable_state()  # what the node stored last
    given = [live.chat_send("alice", f"m{i}").value.seq for i in range(3)]
    # more messages within the reserved block: nothing new to store for them
    assert live.durable_state() == stored
    after = fresh(clock)  # the node dies; another resumes from what was stored
    after.resume(stored)
    after.connect("bob", "c2-bob", device("bob"))
    assert after.chat_send("bob", "hello").value.seq > max(given)
