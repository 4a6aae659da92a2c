"""Every refusal, whoever detects it, carries the audit event the caller writes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from errors import ErrorCode
from sessions.documents import Visibility
from sessions.errors import PARTICIPANT_REMOVED, Forbidden, InvalidPayload
from sessions.service import LiveSession
from tests.sessions.conftest import VERSION

RED = "#ff0000"
RECT = {"type": "rect", "id": "a", "x": 0, "y": 0, "w": 1, "h": 1, "color": RED, "width": 1}


def refused(call: Callable[[], object]) -> Forbidden:
    with pytest.raises(Forbidden) as info:
        call()
    exc = info.value
    assert exc.audit is not None
    assert exc.audit.kind == "permission.refused" and exc.audit.session_id == "s1"
    return exc


def test_editing_someone_elses_drawing(live: LiveSession) -> None:
    live.wb_submit("alice", RECT)
    exc = refused(lambda: live.wb_submit("bob", {"type": "erase", "targets": ["a"]}))
    assert exc.audit is not None and exc.audit.actor == "bob"
    assert exc.audit.details["action"] == "edit_others_drawings"


def test_knocking_on_a_locked_room(live: LiveSession) -> None:
    live.leave("bob")
    live.set_locked("med", True)
    exc = refused(lambda: live.knock("bob"))
    assert exc.code == ErrorCode.ROOM_LOCKED
    assert exc.audit is not None and exc.audit.details == {
        "action": "knock",
        "reason": "room_locked",
    }


def test_knocking_without_consent(bare: LiveSession) -> None:
    bare.connect("bob", "c")
    exc = refused(lambda: bare.knock("bob"))
    assert exc.code == ErrorCode.CONSENT_REQUIRED


def test_removed_participant_connecting(live: LiveSession) -> None:
    live.remove("med", "bob")
    exc = refused(lambda: live.connect("bob", "again"))
    assert exc.code == PARTICIPANT_REMOVED
    assert exc.audit is not None and exc.audit.subject == "bob"


def test_presenting_to_someone_who_may_not_see(live: LiveSession) -> None:
    live.share_document("med", "d", "Notes", Visibility.MEDIATORS)
    exc = refused(lambda: live.present("med", "d", 1))
    assert exc.audit is not None and exc.audit.subject == "d"


def test_matrix_refusal_names_the_target(live: LiveSession) -> None:
    exc = refused(lambda: live.remove("co", "med"))
    assert exc.audit is not None
    assert exc.audit.subject == "med"
    assert exc.audit.details == {
        "action": "remove",
        "role": "co_mediator",
        "reason": "outranks_target",
    }


def test_audit_events_never_carry_contents(live: LiveSession) -> None:
    live.set_chat_keep("med", True)
    outs = [
        live.chat_send("alice", "mon secret"),
        live.share_document("alice", "d", "Titre confidentiel"),
        live.wb_submit("alice", {**RECT, "id": "z"}),
    ]
    for out in outs:
        for event in out.audit:
            assert "secret" not in str(event) and "confidentiel" not in str(event)


def test_malformed_document_id(live: LiveSession) -> None:
    with pytest.raises(InvalidPayload):
        live.share_document("alice", "../etc/passwd", "x")


def test_consent_version_must_match(bare: LiveSession) -> None:
    bare.connect("bob", "c")
    bare.record_consent("bob", VERSION)
    assert bare.participant("bob").consented
