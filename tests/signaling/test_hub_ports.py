"""The live hub on in-memory ports: no database, no HTTP server, no Socket.IO.

Each port of :mod:`signaling.ports` is a fake that records what reached it,
in one shared log, so that a test can say what the hub asked of each concern
(roster, consent gate, audit trail, board store, document store, live state, archive)
and in which order relative to what it emitted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from sessions.chat import ChatMessage
from sessions.documents import SharedDocument
from sessions.durable import DurableState
from sessions.errors import Forbidden
from sessions.events import AuditEvent
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from sessions.whiteboard.board import BoardSnapshot
from sessions.whiteboard.log import LoggedOp, Paste
from sessions.whiteboard.ops import Stroke
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.ports import ChatKeepNotice, HubPorts, LiveClaim, LiveStateTaken, RosterEntry
from tests.signaling.fakes import FakeRelay

SESSION = "s-1"
VERSION = "c1.p1"
ANNE = Identity(SESSION, "m-anne", "mediator", "Anne")
JEANNE = Identity(SESSION, "p-jeanne", "party", "Jeanne", link_id="link-j")
MARC = Identity(SESSION, "p-marc", "party", "Marc", link_id="link-m")
SIDS = {ANNE.key: "sid-anne", JEANNE.key: "sid-jeanne", MARC.key: "sid-marc"}


@dataclass
class Log:
    """What reached the ports and the emitter, in order: (who, what)."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def of(self, who: str) -> list[Any]:
        return [what for name, what in self.calls if name == who]

    def index(self, who: str, what: Any) -> int:
        return self.calls.index((who, what))


class FakeRoster:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.entries = [
            RosterEntry(ANNE.key, "mediator", "Anne"),
            RosterEntry(JEANNE.key, "party", "Jeanne"),
            RosterEntry(MARC.key, "party", "Marc"),
        ]
        self.took_part: list[str] = []  # as the end stored it
        self.media_encryption_policy = "required"

    async def roster(self, session_id: str) -> Sequence[RosterEntry]:
        return self.entries

    async def revoke_link(self, session_id: str, key: str) -> None:
        self.log.calls.append(("roster.revoke", key))

    async def revoked_links(self, session_id: str, link_ids: Collection[str]) -> set[str]:
        return set()

    async def media_encryption(self, session_id: str) -> str:
        return self.media_encryption_policy

    async def end_session(self, session_id: str, took_part: Collection[str]) -> None:
        self.log.calls.append(("roster.end", session_id))
        self.took_part = sorted(took_part)


class FakeConsent:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.given = {JEANNE.key, MARC.key}

    async def version(self, session_id: str) -> str:
        return VERSION

    async def has_consent(self, session_id: str, key: str, version: str) -> bool:
        return key.startswith("m-") or (key in self.given and version == VERSION)

    async def observers_allowed(self, session_id: str) -> bool:
        return True

    async def withdraw(self, session_id: str, key: str, user_agent: str) -> None:
        self.log.calls.append(("consent.withdraw", key))

    async def chat_keep_notice(self, language: str) -> ChatKeepNotice:
        return ChatKeepNotice(language, 1, "0" * 64, "kept")

    async def record_chat_agreement(
        self, session_id: str, key: str, agreed: bool, language: str, user_agent: str
    ) -> None:
        self.log.calls.append(("consent.chat", (key, agreed)))


class FakeAudit:
    def __init__(self, log: Log) -> None:
        self.log = log

    async def append(self, events: Sequence[AuditEvent]) -> None:
        for event in events:
            self.log.calls.append(("audit", (event.kind, event.actor, event.subject)))


class FakeBoards:
    """Stores operations as the domain made them, by (session, room)."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.stored: dict[tuple[str, str], list[LoggedOp]] = {}

    def store(self, session_id: str, room_id: str, ops: Sequence[LoggedOp]) -> asyncio.Future[None]:
        self.stored.setdefault((session_id, room_id), []).extend(ops)
        for op in ops:
            self.log.calls.append(("boards.store", (room_id, op.seq)))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def load(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> Sequence[LoggedOp]:
        self.log.calls.append(("boards.load", room_id))
        return list(self.stored.get((session_id, room_id), []))


class FakeDocuments:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.saved: dict[str, list[SharedDocument]] = {}

    async def save(self, session_id: str, documents: Sequence[SharedDocument]) -> None:
        self.saved[session_id] = list(documents)
        self.log.calls.append(("documents.save", tuple(d.doc_id for d in documents)))

    async def load(self, session_id: str) -> Sequence[SharedDocument]:
        return self.saved.get(session_id, [])

    async def discard(self, session_id: str, doc_ids: Sequence[str]) -> None:
        self.log.calls.append(("documents.discard", tuple(doc_ids)))


class FakeLiveStates:
    """The durable state as stored, fenced by the epoch of the last claim."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.epoch = 0
        self.state: DurableState | None = None
        self.failing = False

    async def claim(self, session_id: str) -> LiveClaim:
        self.epoch += 1
        self.log.calls.append(("live.claim", self.epoch))
        return LiveClaim(self.epoch, self.state)

    async def save(self, session_id: str, epoch: int, state: DurableState) -> None:
        if self.failing:
            raise ConnectionError("database down")
        if epoch != self.epoch:
            raise LiveStateTaken(session_id)
        self.state = state
        self.log.calls.append(("live.save", epoch))

    async def drop(self, session_id: str) -> None:
        self.state = None
        self.log.calls.append(("live.drop", session_id))


class FakeArchive:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.boards: list[BoardSnapshot] = []
        self.chats: list[list[ChatMessage]] = []

    async def keep_board(self, session_id: str, board: BoardSnapshot, ended_by: str) -> None:
        self.boards.append(board)
        self.log.calls.append(("archive.board", (board.seq, ended_by)))

    async def keep_chat(self, session_id: str, messages: Sequence[ChatMessage]) -> None:
        self.chats.append(list(messages))
        self.log.calls.append(("archive.chat", len(messages)))


class FakeEmitter:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.sent: list[tuple[str, Any, tuple[str, ...]]] = []

    async def emit(self, event: str, data: Any, to: str | list[str]) -> None:
        sids = (to,) if isinstance(to, str) else tuple(to)
        self.sent.append((event, data, sids))
        self.log.calls.append(("emit", (event, sids)))

    async def drop(self, sid: str) -> None:
        self.log.calls.append(("drop", sid))

    def to(self, key: str, event: str) -> list[Any]:
        return [data for e, data, sids in self.sent if e == event and SIDS[key] in sids]


@dataclass
class Fakes:
    log: Log
    roster: FakeRoster
    consent: FakeConsent
    audit: FakeAudit
    boards: FakeBoards
    documents: FakeDocuments
    archive: FakeArchive
    emitter: FakeEmitter
    live: FakeLiveStates

    def ports(self) -> HubPorts:
        return HubPorts(
            self.roster, self.consent, self.audit, self.boards, self.documents, self.archive,
            self.live,
        )  # fmt: skip

    def hub(self) -> LiveHub:
        return LiveHub(self.ports(), FakeRelay(), self.emitter)


@pytest.fixture
def fakes() -> Fakes:
    log = Log()
    return Fakes(
        log, FakeRoster(log), FakeConsent(log), FakeAudit(log), FakeBoards(log),
        FakeDocuments(log), FakeArchive(log), FakeEmitter(log), FakeLiveStates(log),
    )  # fmt: skip


@pytest.fixture
async def hub(fakes: Fakes) -> AsyncIterator[LiveHub]:
    made = fakes.hub()
    yield made
    await made.close()


def stroke(obj_id: str) -> dict[str, Any]:
    return {
        "type": "stroke",
        "id": obj_id,
        "points": [[1.0, 2.0]],
        "color": "#112233",
        "width": 2.0,
    }


async def act(hub: LiveHub, who: Identity, step: Any, content_only: bool = False) -> Any:
    return await hub.call(who, step, connection=SIDS[who.key], content_only=content_only)


async def enter(hub: LiveHub, who: Identity) -> None:
    """Connects ``who`` and knocks (a mediator is in at once; the others wait)."""
    await hub.connect(who, SIDS[who.key], None if who.link_id is None else "device-" + who.key)
    await act(hub, who, lambda s, k: s.knock(k))


async def admit(hub: LiveHub, who: Identity) -> None:
    await enter(hub, who)
    await hub.admit(ANNE, SIDS[ANNE.key], who.key)  # as the namespace does


def draw(obj_id: str, room: str | None = None) -> Any:
    return lambda s, k: s.wb_submit(k, stroke(obj_id), room)


async def test_lobby_admit_board_private_meeting_and_end_reach_their_ports(
    hub: LiveHub, fakes: Fakes
) -> None:
    log = fakes.log
    await enter(hub, ANNE)
    await admit(hub, JEANNE)
    await admit(hub, MARC)
    assert ("audit", ("lobby.knock", JEANNE.key, JEANNE.key)) in log.calls
    assert ("audit", ("lobby.admit", ANNE.key, JEANNE.key)) in log.calls
    assert log.of("boards.load") == [PLENARY]  # the session's plenary board, read back once

    # a board operation: stored as the domain's LoggedOp, then shown to the room
    entry = await act(hub, JEANNE, draw("j1"), content_only=True)
    [stored] = fakes.boards.stored[(SESSION, PLENARY)]
    assert stored == entry and stored.author == JEANNE.key and isinstance(stored.op, Stroke)
    everyone = tuple(sorted(SIDS.values()))
    shown = log.index("emit", ("wb:op", everyone))
    assert log.index("boards.store", (PLENARY, 1)) < shown
    assert fakes.emitter.to(MARC.key, "wb:op")[0]["op"]["id"] == "j1"

    # a private meeting: its board is stored under its room, shown to its members only
    view = await act(hub, ANNE, lambda s, k: s.open_private_meeting(k, [JEANNE.key]))
    assert ("audit", ("room.open", ANNE.key, view.room_id)) in log.calls
    secret = await act(hub, JEANNE, draw("secret", view.room_id), content_only=True)
    assert fakes.boards.stored[(SESSION, view.room_id)] == [secret]
    assert [e["op"]["id"] for e in fakes.emitter.to(MARC.key, "wb:op")] == ["j1"]
    assert [e["op"]["id"] for e in fakes.emitter.to(JEANNE.key, "wb:op")] == ["j1", "secret"]

    # a document shared in it: its state is stored as the domain's SharedDocument
    await act(hub, JEANNE, lambda s, k: s.share_document(k, "doc-1", "offre.txt"))
    [doc] = fakes.documents.saved[SESSION]
    assert (doc.doc_id, doc.owner, doc.room_id) == ("doc-1", JEANNE.key, view.room_id)
    assert not fakes.emitter.to(MARC.key, "doc:shared")

    # the end: links stop working, the plenary board is archived, nothing else is kept
    await hub.end(ANNE)
    assert log.of("roster.end") == [SESSION]
    assert fakes.roster.took_part == sorted(SIDS)  # stored with the end, for its follow-up
    assert [b.seq for b in fakes.archive.boards] == [1]
    assert [o.id for o in fakes.archive.boards[0].objects] == ["j1"]
    assert fakes.archive.chats == []
    assert ("audit", ("session.end", ANNE.key, None)) in log.calls
    assert log.of("consent.withdraw") == [] and log.of("roster.revoke") == []


async def test_a_refused_action_reaches_the_audit_trail_and_nothing_is_stored(
    hub: LiveHub, fakes: Fakes
) -> None:
    await enter(hub, ANNE)
    await admit(hub, JEANNE)
    await admit(hub, MARC)
    await act(hub, JEANNE, draw("j1"), content_only=True)
    with pytest.raises(Forbidden):  # a party may not clear the board
        await act(hub, MARC, lambda s, k: s.wb_submit(k, {"type": "clear"}), content_only=True)
    assert ("audit", ("permission.refused", MARC.key, PLENARY)) in fakes.log.calls
    assert [op.seq for op in fakes.boards.stored[(SESSION, PLENARY)]] == [1]
    assert [e["op"]["type"] for e in fakes.emitter.to(ANNE.key, "wb:op")] == ["stroke"]


async def test_a_declined_participant_s_link_is_revoked_through_the_roster(
    hub: LiveHub, fakes: Fakes
) -> None:
    await enter(hub, ANNE)
    await enter(hub, MARC)
    await act(hub, ANNE, lambda s, k: s.decline(k, MARC.key))
    assert fakes.log.of("roster.revoke") == [MARC.key]
    assert ("audit", ("lobby.decline", ANNE.key, MARC.key)) in fakes.log.calls


async def test_a_board_copied_into_an_empty_plenary_is_stored_before_later_drawings(
    hub: LiveHub, fakes: Fakes
) -> None:
    """Everyone is in a private meeting; the mediator copies its board onto the plenary's.
    Nobody is in the plenary to be shown the copy, but it is on the plenary's board: it
    must be stored, or the next drawing there does not follow on from what is stored."""
    await enter(hub, ANNE)
    await admit(hub, JEANNE)
    view = await act(hub, ANNE, lambda s, k: s.open_private_meeting(k, [JEANNE.key]))
    await act(hub, JEANNE, draw("idea", view.room_id), content_only=True)
    copied = await act(hub, ANNE, lambda s, k: s.copy_board(k, view.room_id, PLENARY))
    assert isinstance(copied.op, Paste)
    await act(hub, ANNE, lambda s, k: s.close_private_meeting(k, view.room_id))
    await act(hub, JEANNE, draw("after", PLENARY), content_only=True)
    plenary = fakes.boards.stored[(SESSION, PLENARY)]
    assert [op.seq for op in plenary] == [1, 2]
    assert plenary[0] == copied


async def test_a_hub_picks_a_session_up_from_what_its_stores_hold(fakes: Fakes) -> None:
    first = fakes.hub()
    await enter(first, ANNE)
    await admit(first, JEANNE)
    for obj_id in ("a", "b", "c"):
        await act(first, JEANNE, draw(obj_id), content_only=True)
    await act(first, JEANNE, lambda s, k: s.share_document(k, "doc-2", "plan.pdf", pages=3))
    await first.close()

    again = fakes.hub()  # a restart: the same stores, nothing in memory
    try:
        await enter(again, ANNE)
        session = again.session(SESSION)
        assert isinstance(session, LiveSession)
        board = session.board(PLENARY)
        assert board.seq == 3 and sorted(o.id for o in board.snapshot().objects) == ["a", "b", "c"]
        assert [d.doc_id for d in session.documents.all()] == ["doc-2"]
        await enter(again, JEANNE)  # let in before the restart: in again at once
        assert session.participant(JEANNE.key).state.value == "admitted"
        entry = await act(again, JEANNE, draw("d"), content_only=True)
        assert entry.seq == 4
        assert [op.seq for op in fakes.boards.stored[(SESSION, PLENARY)]] == [1, 2, 3, 4]
    finally:
        await again.close()


async def test_the_chat_everyone_agreed_to_keep_reaches_the_archive_as_messages(
    hub: LiveHub, fakes: Fakes
) -> None:
    await enter(hub, ANNE)
    await admit(hub, JEANNE)
    await act(hub, ANNE, lambda s, k: s.set_chat_keep(k, True))
    await act(hub, JEANNE, lambda s, k: s.agree_chat_keep(k, True))
    sent = await act(hub, JEANNE, lambda s, k: s.chat_send(k, "à garder"))
    await hub.end(ANNE)
    [kept] = fakes.archive.chats
    assert kept == [sent] and kept[0].text == "à garder"


# -- the durable state ----------------------------------------------------------------------


async def test_the_durable_state_is_stored_before_anyone_is_told_and_only_when_it_changes(
    hub: LiveHub, fakes: Fakes
) -> None:
    log = fakes.log
    await enter(hub, ANNE)
    await enter(hub, JEANNE)
    before = len(log.of("live.save"))
    start = len(log.calls)
    await hub.admit(ANNE, SIDS[ANNE.key], JEANNE.key)
    after = [who for who, _what in log.calls[start:]]
    assert after.count("live.save") == 1 and "emit" in after
    assert after.index("live.save") < after.index("emit")  # stored, then told
    stored = fakes.live.state
    assert stored is not None and stored.participant(JEANNE.key) is not None
    # drawings and messages change nothing that outlives the process: nothing written
    await act(hub, JEANNE, draw("j1"), content_only=True)
    await act(hub, JEANNE, lambda s, k: s.chat_send(k, "bonjour"), content_only=True)
    # (but for the first message, which reserves a block of message numbers)
    assert len(log.of("live.save")) == before + 2
    for i in range(20):
        await act(hub, JEANNE, draw(f"j{i + 2}"), content_only=True)
        await act(hub, JEANNE, lambda s, k: s.chat_send(k, "encore"), content_only=True)
    assert len(log.of("live.save")) == before + 2


async def test_a_failed_store_does_not_stop_the_session_and_is_done_again(
    hub: LiveHub, fakes: Fakes
) -> None:
    await enter(hub, ANNE)
    await admit(hub, JEANNE)
    fakes.live.failing = True
    view = await act(hub, ANNE, lambda s, k: s.open_private_meeting(k, [JEANNE.key]))
    live = hub.session(SESSION)
    assert live is not None and live.room_of(JEANNE.key) == view.room_id
    stored = fakes.live.state
    assert stored is not None and stored.rooms == ()
    fakes.live.failing = False
    await act(hub, ANNE, lambda s, k: s.set_locked(k, True))  # the next change stores all
    stored = fakes.live.state
    assert stored is not None and [r.room_id for r in stored.rooms] == [view.room_id]
    assert stored.locked


async def test_a_node_that_lost_the_session_stops_storing_it(hub: LiveHub, fakes: Fakes) -> None:
    await enter(hub, ANNE)
    await admit(hub, JEANNE)
    taken = await fakes.live.claim(SESSION)  # another node takes the session over
    saves = len(fakes.log.of("live.save"))
    await act(hub, ANNE, lambda s, k: s.set_locked(k, True))  # the action stands here...
    await act(hub, ANNE, lambda s, k: s.set_locked(k, False))
    assert len(fakes.log.of("live.save")) == saves  # ...but nothing is written over theirs
    assert taken.epoch == fakes.live.epoch


async def test_another_hub_resumes_the_session_where_it_stood(fakes: Fakes) -> None:
    first = fakes.hub()
    try:
        await enter(first, ANNE)
        await admit(first, JEANNE)
        await admit(first, MARC)
        view = await act(first, ANNE, lambda s, k: s.open_private_meeting(k, [JEANNE.key]))
        await act(first, ANNE, lambda s, k: s.remove(k, MARC.key))
        await act(first, JEANNE, draw("secret", view.room_id), content_only=True)
    finally:
        await first.close()
    second = fakes.hub()  # another node, the same stores
    try:
        hello = await second.connect(JEANNE, "sid-j2", "device-" + JEANNE.key)
        assert hello["state"] == "admitted" and hello["resumed"]
        live = second.session(SESSION)
        assert live is not None and live.room_of(JEANNE.key) == view.room_id
        assert [o.id for o in live.board(view.room_id).snapshot().objects] == ["secret"]
        assert live.participant(MARC.key).state.value == "removed"
        assert fakes.log.of("live.claim") == [1, 2]
    finally:
        await second.close()


class FakeFollowUp:
    def __init__(self, log: Log) -> None:
        self.log = log

    async def session_ended(self, session_id: str, took_part: Collection[str]) -> None:
        self.log.calls.append(("follow_up", (session_id, tuple(sorted(took_part)))))


class FailingOnce(FakeRoster):
    """A roster whose database is down the first time the end is stored."""

    def __init__(self, log: Log) -> None:
        super().__init__(log)
        self.failures = 1

    async def end_session(self, session_id: str, took_part: Collection[str]) -> None:
        if self.failures:
            self.failures -= 1
            self.log.calls.append(("roster.end.failed", session_id))
            raise ConnectionError("database down")
        await super().end_session(session_id, took_part)


async def until_logged(log: Log, who: str, within: float = 5.0) -> None:
    """Polls (the hub's tick runs each second) until ``who`` shows in the log."""
    deadline = asyncio.get_running_loop().time() + within
    while not log.of(who):
        assert asyncio.get_running_loop().time() < deadline, f"{who} not logged in time"
        await asyncio.sleep(0.02)


async def test_the_end_is_stored_before_anyone_is_told_then_followed_up_once(
    fakes: Fakes,
) -> None:
    log = fakes.log
    hub = LiveHub(replace(fakes.ports(), follow_up=FakeFollowUp(log)), FakeRelay(), fakes.emitter)
    try:
        await enter(hub, ANNE)
        await admit(hub, JEANNE)
        await hub.end(ANNE)
        await until_logged(log, "follow_up")
        told = log.index(
            "emit", ("session:ended", tuple(sorted(SIDS[k] for k in (ANNE.key, JEANNE.key))))
        )
        assert (
            log.index("roster.end", SESSION)
            < told
            < log.index("follow_up", (SESSION, (ANNE.key, JEANNE.key)))
        )
        assert len(log.of("follow_up")) == 1 and len(log.of("roster.end")) == 1
    finally:
        await hub.close()


class SlowFollowUp:
    """What follows an end, still running when the server stops."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.finished = False

    async def session_ended(self, session_id: str, took_part: Collection[str]) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()  # a database that does not answer
        finally:
            await asyncio.sleep(0.05)  # its rollback's round trip
            self.finished = True


async def test_closing_the_hub_waits_for_what_follows_an_end_to_stop(fakes: Fakes) -> None:
    """Nothing the hub started is left running once close() returns: the database closes
    next, and a task still using it then could wait forever."""
    follow_up = SlowFollowUp()
    hub = LiveHub(replace(fakes.ports(), follow_up=follow_up), FakeRelay(), fakes.emitter)
    await enter(hub, ANNE)
    await admit(hub, JEANNE)
    await hub.end(ANNE)
    await asyncio.wait_for(follow_up.started.wait(), 5)
    await hub.close()
    assert follow_up.finished


async def test_an_end_the_database_refused_is_stored_by_the_tick_then_followed_up(
    fakes: Fakes,
) -> None:
    log = fakes.log
    ports = replace(fakes.ports(), roster=FailingOnce(log), follow_up=FakeFollowUp(log))
    hub = LiveHub(ports, FakeRelay(), fakes.emitter)
    try:
        await enter(hub, ANNE)
        await admit(hub, JEANNE)
        await hub.end(ANNE)  # told all the same: the live state stored says it ended
        assert fakes.emitter.to(JEANNE.key, "session:ended")
        assert log.of("roster.end.failed") == [SESSION] and not log.of("follow_up")
        await until_logged(log, "follow_up")  # the next tick stored it, then followed up
        assert log.of("roster.end") == [SESSION]
        assert log.of("follow_up") == [(SESSION, (ANNE.key, JEANNE.key))]
    finally:
        await hub.close()


async def test_a_node_that_finds_an_ended_session_not_stored_stores_its_end(
    fakes: Fakes,
) -> None:
    log = fakes.log
    first = fakes.hub()
    try:
        await enter(first, ANNE)
        await admit(first, JEANNE)
    finally:
        await first.close()
    assert fakes.live.state is not None  # the first node stopped as it ended the session:
    fakes.live.state = replace(fakes.live.state, ended=True)  # stored ended, nothing more
    second = LiveHub(
        replace(fakes.ports(), follow_up=FakeFollowUp(log)), FakeRelay(), fakes.emitter
    )
    try:
        with contextlib.suppress(Exception):  # an ended session takes nobody in
            await second.connect(ANNE, "sid-anne-2")
        await until_logged(log, "follow_up")
        assert log.of("roster.end") == [SESSION]
        assert log.of("follow_up") == [(SESSION, (ANNE.key, JEANNE.key))]
    finally:
        await second.close()
