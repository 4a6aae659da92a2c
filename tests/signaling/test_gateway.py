"""The gateway: each command runs where its session runs, and only there (fakes throughout)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from errors import ErrorCode
from sessions.roles import Role
from sessions.rooms import RoomKind
from sessions.service import LiveSession
from signaling.commands import (
    BoardOf,
    Caller,
    Command,
    ConsentDeclined,
    ConsentRecorded,
    LinkRevoked,
    ParticipantErased,
    RoomOf,
    SessionClosed,
)
from signaling.errors import SignalingError
from signaling.gateway import HolderUnavailable, SessionGateway
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.placement import Claim, LostLease

SID = "s-1"
ANNE = Identity(SID, "m-anne", "mediator", "Anne")
JEANNE = Identity(SID, "p-jeanne", "party", "Jeanne", "jti-1", None)


class FakeHub:
    """The hub's calls the gateway makes, recorded; questions answered by a real domain."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.session = LiveSession(SID, "v1")
        self.session.register("m-anne", Role.MEDIATOR)
        self.session.register("p-jeanne", Role.PARTY)

    async def link_revoked(self, session_id: str, key: str, link_id: str | None) -> None:
        self.calls.append(("link_revoked", session_id, key, link_id))

    async def session_closed(self, session_id: str) -> None:
        self.calls.append(("session_closed", session_id))

    async def consent_recorded(self, session_id: str, key: str) -> None:
        self.calls.append(("consent_recorded", session_id, key))

    async def consent_declined(self, session_id: str, key: str) -> None:
        self.calls.append(("consent_declined", session_id, key))

    async def read(
        self, identity: Identity, query: Callable[[LiveSession, str], Any], *, device: Any = None
    ) -> Any:
        self.calls.append(("read", identity, device))
        return query(self.session, identity.key)


class FakePlacement:
    def __init__(self, node_id: str, holder: str | None) -> None:
        self._node_id = node_id
        self.held_by = holder
        self.claims: list[str] = []

    @property
    def node_id(self) -> str:
        return self._node_id

    async def holder(self, session_id: str) -> str | None:
        return self.held_by

    async def claim(self, session_id: str) -> Claim:
        self.claims.append(session_id)
        if self.held_by is None:
            self.held_by = self._node_id
        return Claim(self.held_by, self.held_by == self._node_id)

    async def release(self, session_id: str) -> None:
        return None

    def on_lost(self, callback: LostLease) -> None:
        return None

    def drain(self) -> None:
        return None


class FakeTransport:
    def __init__(self, answer: Any = None) -> None:
        self.sent: list[tuple[str, str, Command]] = []
        self.answer = answer

    async def notify(self, node: str, command: Command) -> None:
        self.sent.append(("notify", node, command))

    async def request(self, node: str, command: Command) -> Any:
        self.sent.append(("request", node, command))
        return self.answer


def gateway(
    holder: str | None, transport: FakeTransport | None = None, me: str = "node-a"
) -> tuple[SessionGateway, FakeHub, FakePlacement]:
    hub, placement = FakeHub(), FakePlacement(me, holder)
    return SessionGateway(cast(LiveHub, hub), placement, transport), hub, placement


REVOKED = LinkRevoked(session_id=SID, key="p-jeanne", link_id="jti-1")
ROOM_OF = RoomOf(session_id=SID, caller=Caller.of(JEANNE, "d" * 32))


async def test_a_session_this_node_runs_gets_the_command_on_its_hub() -> None:
    transport = FakeTransport()
    gw, hub, _ = gateway("node-a", transport)
    await gw.send(REVOKED)
    assert hub.calls == [("link_revoked", SID, "p-jeanne", "jti-1")]
    assert transport.sent == []


async def test_a_session_another_node_runs_gets_it_through_the_transport_only() -> None:
    transport = FakeTransport(answer="plenary")
    gw, hub, placement = gateway("node-b", transport)
    await gw.send(REVOKED)
    assert await gw.room_of(JEANNE, "d" * 32) == "plenary"
    assert transport.sent == [("notify", "node-b", REVOKED), ("request", "node-b", ROOM_OF)]
    assert hub.calls == [] and placement.claims == []


async def test_a_session_nobody_runs_needs_nothing_for_a_notification() -> None:
    transport = FakeTransport()
    gw, hub, placement = gateway(None, transport)
    notifications: list[Command] = [
        REVOKED,
        ParticipantErased(session_id=SID, key="p-jeanne"),
        SessionClosed(session_id=SID),
        ConsentRecorded(session_id=SID, key="p-jeanne"),
    ]
    for command in notifications:
        assert await gw.send(command) is None
    assert hub.calls == [] and transport.sent == [] and placement.claims == []


async def test_a_request_for_a_session_nobody_runs_claims_it_here() -> None:
    gw, hub, placement = gateway(None, FakeTransport())
    assert await gw.room_of(JEANNE, "d" * 32) is None  # Jeanne is in no room yet
    assert placement.claims == [SID] and placement.held_by == "node-a"
    assert [c[0] for c in hub.calls] == ["read"]


async def test_a_request_whose_claim_another_node_won_goes_there() -> None:
    transport = FakeTransport(answer=None)
    gw, hub, placement = gateway(None, transport)

    async def lost(session_id: str) -> Claim:
        return Claim("node-b", mine=False)

    placement.claim = lost  # type: ignore[method-assign]
    await gw.send(ConsentDeclined(session_id=SID, key="p-jeanne"))
    assert [(kind, node) for kind, node, _ in transport.sent] == [("request", "node-b")]
    assert hub.calls == []


async def test_another_nodes_session_and_no_transport_is_a_coded_refusal() -> None:
    gw, hub, _ = gateway("node-b", None)
    with pytest.raises(HolderUnavailable) as refused:
        await gw.send(ROOM_OF)
    assert refused.value.code is ErrorCode.SESSION_UNAVAILABLE
    assert hub.calls == []


async def test_a_node_sent_a_command_for_a_session_it_no_longer_runs_never_loads_it() -> None:
    gw, hub, _ = gateway("node-c")
    assert await gw.receive(REVOKED) is None  # dropped: the store has it anyway
    with pytest.raises(HolderUnavailable):
        await gw.receive(ROOM_OF)
    assert hub.calls == []


async def test_a_received_command_for_its_own_session_runs() -> None:
    gw, hub, _ = gateway("node-a")
    await gw.receive(SessionClosed(session_id=SID))
    await gw.receive(ParticipantErased(session_id=SID, key="p-jeanne"))
    await gw.receive(ConsentDeclined(session_id=SID, key="p-jeanne"))
    assert hub.calls == [
        ("session_closed", SID),
        ("link_revoked", SID, "p-jeanne", None),  # every link of theirs
        ("consent_declined", SID, "p-jeanne"),
    ]


async def test_a_board_comes_back_typed_and_an_unknown_room_is_not_found() -> None:
    gw, _hub, _ = gateway("node-a")
    kind, snapshot = await gw.board_of(ANNE, "plenary")
    assert kind is RoomKind.PLENARY and snapshot.room_id == "plenary" and snapshot.objects == ()
    with pytest.raises(SignalingError) as missing:
        await gw.board_of(ANNE, "no-such-room")
    assert missing.value.code is ErrorCode.NOT_FOUND
    assert await gw.document_access(JEANNE, None, "doc-1") == (False, False)


async def test_a_board_from_another_node_is_read_back_from_its_wire_form() -> None:
    wire = {"kind": "private", "snapshot": {"room_id": "pm-1", "seq": 4, "objects": []}}
    gw, _hub, _ = gateway("node-b", FakeTransport(answer=wire))
    kind, snapshot = await gw.board_of(ANNE, "pm-1")
    assert kind is RoomKind.PRIVATE and (snapshot.room_id, snapshot.seq) == ("pm-1", 4)
    sent = gw.transport.sent  # type: ignore[union-attr]
    assert isinstance(sent[0][2], BoardOf)
