"""Seeded random sessions: whatever happens, a private meeting never leaks.

After every action: nobody hears or sees anyone outside their own room, a
waiting plenary without mediator hears nobody, and every notification about
a private meeting goes to members of that meeting only.
"""

from __future__ import annotations

import random

import pytest

from sessions.documents import Visibility
from sessions.errors import SessionError
from sessions.lobby import State
from sessions.outcome import Outcome
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from tests.sessions.conftest import CAST, VERSION, FakeClock

CONTENT_EVENTS = {"chat:message", "wb:op", "doc:shared", "doc:page"}
PIDS = list(CAST)


def check_invariants(live: LiveSession, out: Outcome[object] | None) -> None:
    for pid in PIDS:
        room = live.room_of(pid)
        audience = live.audience(pid)
        if room is None:
            assert audience.audio == audience.video == frozenset()
            continue
        others = live.members(room) - {pid}
        assert audience.video <= others
        assert audience.audio <= others
        if not live.rooms.is_live(room):
            assert audience.audio == frozenset()
    if out is None:
        return
    for note in out.notifications:
        if note.event in CONTENT_EVENTS and note.room_id and live.rooms.exists(note.room_id):
            if live.rooms.is_private(note.room_id):
                assert note.recipients <= live.members(note.room_id), note


def random_action(
    rng: random.Random, live: LiveSession, clock: FakeClock, n: int
) -> Outcome[object]:
    actor = rng.choice(PIDS)
    other = rng.choice(PIDS)
    rooms = [PLENARY, *live.rooms.private_meetings()]
    if live.participant(actor).state is not State.ADMITTED and rng.random() < 0.8:
        choice = 10  # mostly: get back in
    else:
        choice = rng.randrange(15)
    if choice == 0:
        members = set(rng.sample(PIDS, rng.randint(1, 3)))
        return live.open_private_meeting(actor, members, join=rng.random() < 0.7)
    if choice == 1:
        return live.move(actor, other, rng.choice(rooms))
    if choice == 2 and len(rooms) > 1:
        return live.close_private_meeting(actor, rng.choice(rooms[1:]))
    if choice == 3:
        return live.chat_send(actor, f"message {n}")
    if choice == 4:
        return live.wb_submit(
            actor,
            {
                "type": "stroke",
                "id": f"s{n}",
                "points": [[0, 0], [n, n]],
                "color": "#123456",
                "width": 1,
            },
        )
    if choice == 5:
        visibility = rng.choice(list(Visibility))
        return live.share_document(actor, f"d{n}", "Pièce", visibility, pages=3)
    if choice == 6:
        docs = live.documents_for(actor)
        if docs:
            return live.present(actor, rng.choice(docs).doc_id, rng.randint(1, 3))
    if choice == 7:
        return live.set_media_state(actor, True, True, rng.random() < 0.5)
    if choice == 8:
        return live.set_plenary_talk(actor, rng.random() < 0.5)
    if choice == 9 and rng.random() < 0.3:
        return live.leave(actor)
    if choice == 10:
        state = live.participant(actor).state
        if state is State.LEFT:
            live.connect(actor, f"c-{actor}-{n}")
            return live.knock(actor)
        if state is State.WAITING:
            return live.admit(rng.choice(["med", "co", other]), actor, observers_agreed=True)
    if choice == 11:
        out = live.disconnect(actor, live.lobby.connection_of(actor) or "")
        clock.advance(rng.choice([1, 5, 12]))
        return out
    if choice == 12:
        return live.tick()
    if choice == 13:
        return live.connect(actor, f"c-{actor}-{n}")
    if choice == 14:
        mine = [d for d in live.documents_for(actor) if d.owner == actor]
        if mine:
            visibility = rng.choice(list(Visibility))
            return live.reshare_document(actor, rng.choice(mine).doc_id, visibility)
    return live.return_all_to_plenary(actor)


@pytest.mark.parametrize("seed", range(25))
def test_random_sessions_never_leak(seed: int, live: LiveSession, clock: FakeClock) -> None:
    rng = random.Random(seed)
    accepted = 0
    check_invariants(live, None)
    for n in range(250):
        try:
            out = random_action(rng, live, clock, n)
        except SessionError:
            check_invariants(live, None)
            continue
        accepted += 1
        check_invariants(live, out)
        # Keep the mediators around so that the session stays interesting.
        for pid in ("med", "co"):
            if live.participant(pid).state is not State.ADMITTED:
                live.connect(pid, f"c-{pid}-{n}")
                live.record_consent(pid, VERSION)
                live.knock(pid)
    assert accepted > 60
