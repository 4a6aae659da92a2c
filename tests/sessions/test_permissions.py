from __future__ import annotations

from datetime import UTC, datetime

import pytest

from errors import ErrorCode
from sessions.errors import ConsentRequired, Forbidden, NotInRoom
from sessions.permissions import (
    MATRIX,
    Action,
    Condition,
    PermissionContext,
    decide,
    is_allowed,
    require,
)
from sessions.roles import Role, enters_directly, is_mediator, outranks

R = Role
A = Action
ALL = frozenset(Role)
MEDIATORS = frozenset({R.MEDIATOR, R.CO_MEDIATOR})
LEAD = frozenset({R.MEDIATOR})
SPEAKERS = frozenset({R.MEDIATOR, R.CO_MEDIATOR, R.PARTY, R.COUNSEL})

# Written independently of the matrix: who may do what when every
# contextual condition holds (in the room, room live, consented, lower target).
EXPECTED: dict[Action, frozenset[Role]] = {
    A.VIEW_LOBBY: MEDIATORS,
    A.ADMIT: MEDIATORS,
    A.DECLINE: MEDIATORS,
    A.REMOVE: MEDIATORS,
    A.LOCK_ROOM: MEDIATORS,
    A.END_SESSION: LEAD,
    A.MUTE_OTHER: MEDIATORS,
    A.STOP_CAMERA_OTHER: MEDIATORS,
    A.START_PRIVATE_MEETING: MEDIATORS,
    A.CLOSE_PRIVATE_MEETING: MEDIATORS,
    A.MOVE_PARTICIPANT: MEDIATORS,
    A.CHANGE_ROOM: MEDIATORS,
    A.SET_PLENARY_TALK: MEDIATORS,
    A.PUBLISH_MEDIA: ALL,
    A.SHARE_SCREEN: SPEAKERS,
    A.SHARE_DOCUMENT: SPEAKERS,
    A.SET_DOCUMENT_DOWNLOAD: MEDIATORS,
    A.MODERATE_CONTENT: MEDIATORS,
    A.PRESENT: SPEAKERS,
    A.DRAW: SPEAKERS,
    A.EDIT_TEXT: SPEAKERS,
    A.COPY_TEXT: MEDIATORS,
    A.LOCK_TEXT: MEDIATORS,
    A.EDIT_OTHERS_DRAWINGS: MEDIATORS,
    A.CLEAR_BOARD: MEDIATORS,
    A.COPY_BOARD: MEDIATORS,
    A.CHAT: ALL,
    A.SET_CHAT_RETENTION: LEAD,
    A.CALL_MEDIATOR: ALL - MEDIATORS,
}

# Actions a participant in a plenary without mediator (and without leave to
# talk) may not do unless they are a mediator.
NEEDS_LIVE_ROOM = {A.SHARE_SCREEN, A.SHARE_DOCUMENT, A.PRESENT, A.DRAW, A.EDIT_TEXT, A.CHAT}
NEEDS_ROOM_MEMBERSHIP = NEEDS_LIVE_ROOM | {A.EDIT_OTHERS_DRAWINGS, A.CLEAR_BOARD, A.LOCK_TEXT}
NEEDS_CONSENT = {A.PUBLISH_MEDIA, A.SHARE_SCREEN}
ACTS_ON_OTHERS = {A.REMOVE, A.MUTE_OTHER, A.STOP_CAMERA_OTHER, A.MOVE_PARTICIPANT}

AT = datetime(2026, 11, 22, tzinfo=UTC)


def test_matrix_covers_every_action_and_role() -> None:
    assert set(MATRIX) == set(Action)
    for row in MATRIX.values():
        assert set(row) == set(Role)
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_every_role_and_action_in_favourable_context(action: Action, role: Role) -> None:
    ctx = PermissionContext(role=role, target_role=Role.OBSERVER)
    assert is_allowed(action, ctx) is (role in EXPECTED[action])


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_outside_the_room(action: Action, role: Role) -> None:
    ctx = PermissionContext(role=role, in_room=False, target_role=Role.OBSERVER)
    expected = role in EXPECTED[action] and action not in NEEDS_ROOM_MEMBERSHIP
    assert is_allowed(action, ctx) is expected


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_plenary_without_mediator(action: Action, role: Role) -> None:
    ctx = PermissionContext(role=role, room_live=False, target_role=Role.OBSERVER)
    expected = role in EXPECTED[action] and (action not in NEEDS_LIVE_ROOM or is_mediator(role))
    assert is_allowed(action, ctx) is expected


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_without_consent(action: Action, role: Role) -> None:
    ctx = PermissionContext(role=role, consented=False, target_role=Role.OBSERVER)
    expected = role in EXPECTED[action] and action not in NEEDS_CONSENT
    assert is_allowed(action, ctx) is expected


@pytest.mark.parametrize("target", list(Role))
@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.CO_MEDIATOR])
@pytest.mark.parametrize("action", sorted(ACTS_ON_OTHERS))
def test_acting_on_others_needs_a_lower_rank(action: Action, role: Role, target: Role) -> None:
    ctx = PermissionContext(role=role, target_role=target)
    assert is_allowed(action, ctx) is outranks(role, target)


def test_rank_order() -> None:
    assert outranks(R.MEDIATOR, R.CO_MEDIATOR)
    assert not outranks(R.CO_MEDIATOR, R.MEDIATOR)
    assert not outranks(R.CO_MEDIATOR, R.CO_MEDIATOR)
    assert not outranks(R.PARTY, R.OBSERVER)
    assert {r for r in Role if enters_directly(r)} == MEDIATORS


def test_decision_reports_failed_condition() -> None:
    decision = decide(A.CHAT, PermissionContext(role=R.PARTY, room_live=False))
    assert not decision and decision.failed is Condition.ROOM_LIVE
    assert decide(A.ADMIT, PermissionContext(role=R.PARTY)).failed is None


def test_require_raises_with_audit_event() -> None:
    with pytest.raises(Forbidden) as info:
        ctx = PermissionContext(role=R.CO_MEDIATOR)
        require(A.END_SESSION, ctx, session_id="s", actor="co", at=AT)
    assert info.value.code == ErrorCode.FORBIDDEN
    audit = info.value.audit
    assert audit is not None
    assert audit.kind == "permission.refused"
    assert audit.actor == "co" and audit.session_id == "s" and audit.at == AT
    assert audit.details == {"action": "end_session", "role": "co_mediator", "reason": "role"}


def test_require_precise_codes() -> None:
    with pytest.raises(ConsentRequired) as consent:
        require(
            A.PUBLISH_MEDIA,
            PermissionContext(role=R.PARTY, consented=False),
            session_id="s",
            actor="a",
            at=AT,
        )
    assert consent.value.code == ErrorCode.CONSENT_REQUIRED
    with pytest.raises(NotInRoom) as room:
        require(
            A.CHAT,
            PermissionContext(role=R.PARTY, in_room=False),
            session_id="s",
            actor="a",
            at=AT,
            subject="private-1",
        )
    assert room.value.code == ErrorCode.NOT_IN_ROOM
    assert room.value.audit is not None and room.value.audit.subject == "private-1"


def test_require_passes_silently() -> None:
    require(A.CHAT, PermissionContext(role=R.OBSERVER), session_id="s", actor="o", at=AT)
