"""The commands REST and other nodes send a live session: encoded, decoded, refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sessions.documents import Visibility
from signaling import commands
from signaling.commands import (
    BoardOf,
    Caller,
    CheckShare,
    Command,
    ConsentDeclined,
    ConsentRecorded,
    DocumentAccess,
    LinkRevoked,
    ParticipantErased,
    RoomOf,
    SessionClosed,
    ShareDocument,
)
from signaling.identity import Identity

SID = "s-0123456789abcdef"
JEANNE = Identity(SID, "p-jeanne", "party", "Jeanne Dupont", "jti-1", 2_000_000_000.0)
DEVICE = "d" * 32
CALLER = Caller.of(JEANNE, DEVICE)

EVERY_KIND: list[Command] = [
    LinkRevoked(session_id=SID, key="p-jeanne", link_id="jti-1"),
    LinkRevoked(session_id=SID, key="p-jeanne"),
    ParticipantErased(session_id=SID, key="p-jeanne"),
    SessionClosed(session_id=SID),
    ConsentRecorded(session_id=SID, key="p-jeanne"),
    ConsentDeclined(session_id=SID, key="p-jeanne"),
    RoomOf(session_id=SID, caller=CALLER),
    CheckShare(session_id=SID, caller=CALLER, room_id="plenary", stored=3),
    ShareDocument(
        session_id=SID,
        caller=CALLER,
        doc_id="doc-1",
        title="Accord.pdf",
        visibility=Visibility.MEMBERS,
        pages=2,
        room_id=None,
    ),
    DocumentAccess(session_id=SID, caller=CALLER, doc_id="doc-1"),
    BoardOf(session_id=SID, caller=Caller.of(JEANNE), room_id="plenary"),
]


@pytest.mark.parametrize("command", EVERY_KIND, ids=lambda c: type(c).__name__)
def test_every_command_comes_back_the_same_through_json(command: Command) -> None:
    wire = json.loads(json.dumps(commands.encode(command)))
    assert commands.decode(wire) == command
    assert type(commands.decode(wire)) is type(command)


def test_only_what_the_live_session_must_answer_is_a_request() -> None:
    requests = {type(c).__name__ for c in EVERY_KIND if c.needs_live}
    assert requests == {
        "ConsentDeclined", "RoomOf", "CheckShare", "ShareDocument", "DocumentAccess", "BoardOf",
    }  # fmt: skip


def test_the_caller_is_the_identity_the_rest_node_authenticated() -> None:
    assert CALLER.identity(SID) == JEANNE
    assert CALLER.device == DEVICE


SECRET = "Mme Jeanne Dupont, 06 12 34 56 78"


def _with(**changes: Any) -> dict[str, Any]:
    wire = commands.encode(ShareDocument(
        session_id=SID, caller=CALLER, doc_id="doc-1", title="t", visibility=Visibility.ROOM,
    ))  # fmt: skip
    return {**wire, **changes}


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "link_revoked",
        {},
        {"kind": "drop_database", "session_id": SID},
        {"kind": "link_revoked", "session_id": SID},  # no key
        {"kind": "link_revoked", "session_id": SID, "key": "p-1", "extra": SECRET},
        {"kind": "link_revoked", "session_id": SID, "key": SECRET},  # not a key's form
        {"kind": "link_revoked", "session_id": "x" * 65, "key": "p-1"},
        {"kind": "link_revoked", "session_id": 12, "key": "p-1"},
        _with(title=SECRET * 100),  # too long
        _with(visibility="everyone"),
        _with(stored=1),  # a field of another kind
        _with(
            caller={
                **commands.encode(RoomOf(session_id=SID, caller=CALLER))["caller"],
                "role": "admin",
            }
        ),
        _with(caller={**CALLER.model_dump(), "device": SECRET}),
        _with(pages=-1),
        _with(pages="2"),
    ],
)
def test_anything_else_is_refused_without_quoting_it(data: Any) -> None:
    with pytest.raises(ValueError) as refused:
        commands.decode(data)
    assert "Jeanne" not in str(refused.value) and "06 12" not in str(refused.value)
