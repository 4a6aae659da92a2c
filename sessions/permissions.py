"""The permission matrix: which role may do what, and under which conditions.

The matrix is data: for each (action, role) it holds either ``None`` (never)
or the set of :class:`Condition` that must all hold in the caller-supplied
:class:`PermissionContext`. :func:`require` raises :class:`Forbidden` (or a
subclass with a more precise code) carrying the audit event of the refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sessions.errors import ConsentRequired, Forbidden, NotInRoom
from sessions.events import AuditEvent
from sessions.roles import Role, outranks


class Action(StrEnum):
    # lobby and session control
    VIEW_LOBBY = "view_lobby"
    ADMIT = "admit"
    DECLINE = "decline"
    REMOVE = "remove"
    LOCK_ROOM = "lock_room"
    END_SESSION = "end_session"
    # moderation of others' media
    MUTE_OTHER = "mute_other"
    STOP_CAMERA_OTHER = "stop_camera_other"
    # rooms
    START_PRIVATE_MEETING = "start_private_meeting"
    CLOSE_PRIVATE_MEETING = "close_private_meeting"
    MOVE_PARTICIPANT = "move_participant"
    CHANGE_ROOM = "change_room"  # move oneself between rooms
    SET_PLENARY_TALK = "set_plenary_talk"
    # own media
    PUBLISH_MEDIA = "publish_media"
    SHARE_SCREEN = "share_screen"
    # documents
    SHARE_DOCUMENT = "share_document"
    SET_DOCUMENT_DOWNLOAD = "set_document_download"
    MODERATE_CONTENT = "moderate_content"  # withdraw documents, stop presentations of others
    PRESENT = "present"  # drive "follow me"
    # whiteboard
    DRAW = "draw"
    EDIT_OTHERS_DRAWINGS = "edit_others_drawings"
    CLEAR_BOARD = "clear_board"
    COPY_BOARD = "copy_board"  # private meeting board -> plenary
    # shared texts
    EDIT_TEXT = "edit_text"
    COPY_TEXT = "copy_text"  # a private meeting's paragraph -> the plenary's text
    LOCK_TEXT = "lock_text"  # lock a paragraph of the text, and change locked ones
    # chat
    CHAT = "chat"
    SET_CHAT_RETENTION = "set_chat_retention"
    # asking for a mediator's attention (raise a hand, on hold during a private meeting)
    CALL_MEDIATOR = "call_mediator"


class Condition(StrEnum):
    """A contextual requirement; each maps to the code of its refusal."""

    IN_ROOM = "in_room"  # the actor is in the room the action concerns
    ROOM_LIVE = "room_live"  # private meeting, or plenary with a mediator / talk allowed
    CONSENTED = "consented"  # consent recorded for the current text version
    OUTRANKS_TARGET = "outranks_target"  # the target's role is below the actor's


@dataclass(frozen=True, slots=True)
class PermissionContext:
    """What the matrix needs to know about the situation of one action."""

    role: Role
    in_room: bool = True
    room_live: bool = True
    consented: bool = True
    target_role: Role | None = None


_C = Condition
Rule = frozenset[Condition] | None

_ALWAYS: Rule = frozenset()
_OVER: Rule = frozenset({_C.OUTRANKS_TARGET})
_IN: Rule = frozenset({_C.IN_ROOM})
_LIVE: Rule = frozenset({_C.IN_ROOM, _C.ROOM_LIVE})
_MEDIA: Rule = frozenset({_C.CONSENTED})
_SCREEN: Rule = frozenset({_C.CONSENTED, _C.IN_ROOM})
_SCREEN_LIVE: Rule = frozenset({_C.CONSENTED, _C.IN_ROOM, _C.ROOM_LIVE})


def _row(
    mediator: Rule, co_mediator: Rule, party: Rule, counsel: Rule, observer: Rule
) -> dict[Role, Rule]:
    return {
        Role.MEDIATOR: mediator,
        Role.CO_MEDIATOR: co_mediator,
        Role.PARTY: party,
        Role.COUNSEL: counsel,
        Role.OBSERVER: observer,
    }


_A = Action
#: (action) -> (role) -> conditions, or None for "never".
MATRIX: Mapping[Action, Mapping[Role, Rule]] = {
    #                              mediator  co_mediator party   counsel observer
    _A.VIEW_LOBBY:            _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.ADMIT:                 _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.DECLINE:               _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.REMOVE:                _row(_OVER, _OVER, None, None, None),
    _A.LOCK_ROOM:             _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.END_SESSION:           _row(_ALWAYS, None, None, None, None),
    _A.MUTE_OTHER:            _row(_OVER, _OVER, None, None, None),
    _A.STOP_CAMERA_OTHER:     _row(_OVER, _OVER, None, None, None),
    _A.START_PRIVATE_MEETING: _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.CLOSE_PRIVATE_MEETING: _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.MOVE_PARTICIPANT:      _row(_OVER, _OVER, None, None, None),
    _A.CHANGE_ROOM:           _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.SET_PLENARY_TALK:      _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.PUBLISH_MEDIA:         _row(_MEDIA, _MEDIA, _MEDIA, _MEDIA, _MEDIA),
    _A.SHARE_SCREEN:          _row(_SCREEN, _SCREEN, _SCREEN_LIVE, _SCREEN_LIVE, None),
    _A.SHARE_DOCUMENT:        _row(_IN, _IN, _LIVE, _LIVE, None),
    _A.SET_DOCUMENT_DOWNLOAD: _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.MODERATE_CONTENT:      _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.PRESENT:               _row(_IN, _IN, _LIVE, _LIVE, None),
    _A.DRAW:                  _row(_IN, _IN, _LIVE, _LIVE, None),
    _A.EDIT_OTHERS_DRAWINGS:  _row(_IN, _IN, None, None, None),
    _A.CLEAR_BOARD:           _row(_IN, _IN, None, None, None),
    _A.COPY_BOARD:            _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.EDIT_TEXT:             _row(_IN, _IN, _LIVE, _LIVE, None),
    _A.COPY_TEXT:             _row(_ALWAYS, _ALWAYS, None, None, None),
    _A.LOCK_TEXT:             _row(_IN, _IN, None, None, None),
    _A.CHAT:                  _row(_IN, _IN, _LIVE, _LIVE, _LIVE),
    _A.SET_CHAT_RETENTION:    _row(_ALWAYS, None, None, None, None),
    _A.CALL_MEDIATOR:         _row(None, None, _ALWAYS, _ALWAYS, _ALWAYS),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    failed: Condition | None = None  # the first unmet condition, if any

    def __bool__(self) -> bool:
        return self.allowed


_CHECK_ORDER = (_C.CONSENTED, _C.IN_ROOM, _C.ROOM_LIVE, _C.OUTRANKS_TARGET)


def _holds(condition: Condition, ctx: PermissionContext) -> bool:
    if condition is _C.IN_ROOM:
        return ctx.in_room
    if condition is _C.ROOM_LIVE:
        return ctx.room_live
    if condition is _C.CONSENTED:
        return ctx.consented
    # OUTRANKS_TARGET: acting on nobody in particular is fine.
    return ctx.target_role is None or outranks(ctx.role, ctx.target_role)


def decide(action: Action, ctx: PermissionContext) -> Decision:
    """Look the action up in the matrix and evaluate its conditions."""
    rule = MATRIX[action][ctx.role]
    if rule is None:
        return Decision(allowed=False)
    for condition in _CHECK_ORDER:
        if condition in rule and not _holds(condition, ctx):
            return Decision(allowed=False, failed=condition)
    return Decision(allowed=True)


def is_allowed(action: Action, ctx: PermissionContext) -> bool:
    return decide(action, ctx).allowed


def require(
    action: Action,
    ctx: PermissionContext,
    *,
    session_id: str,
    actor: str,
    at: datetime,
    subject: str | None = None,
) -> None:
    """Raise a :class:`Forbidden` (with its audit event) unless the action is allowed."""
    decision = decide(action, ctx)
    if decision.allowed:
        return
    reason = decision.failed.value if decision.failed else "role"
    audit = AuditEvent(
        kind="permission.refused",
        session_id=session_id,
        at=at,
        actor=actor,
        subject=subject,
        details={"action": action.value, "role": ctx.role.value, "reason": reason},
    )
    message = f"{action.value} refused for {ctx.role.value} ({reason})"
    if decision.failed is _C.CONSENTED:
        raise ConsentRequired(message, audit=audit)
    if decision.failed is _C.IN_ROOM:
        raise NotInRoom(message, audit=audit)
    raise Forbidden(message, audit=audit)
