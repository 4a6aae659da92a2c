"""Errors of the live-session domain.

Every error carries a client-visible ``code`` from the shared :class:`errors.ErrorCode`
vocabulary (the constants below are short names for some of its members). The
transport turns an error into an error ack in exactly one place.

A refused action (:class:`Forbidden`) also carries the audit event describing
the refusal: the caller writes it to the audit log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from errors import CodedError, ErrorCode

if TYPE_CHECKING:
    from sessions.events import AuditEvent

# Short names for codes of the session domain (members of the shared ErrorCode).
INVALID_STATE = ErrorCode.INVALID_STATE
PARTICIPANT_REMOVED = ErrorCode.PARTICIPANT_REMOVED
PARTICIPANT_DECLINED = ErrorCode.PARTICIPANT_DECLINED
NOTHING_TO_UNDO = ErrorCode.NOTHING_TO_UNDO
NOTHING_TO_REDO = ErrorCode.NOTHING_TO_REDO
BOARD_FULL = ErrorCode.BOARD_FULL
OVER_BUDGET = ErrorCode.OVER_BUDGET


class SessionError(CodedError):
    """Root of the session domain's errors."""

    code = ErrorCode.BAD_REQUEST


class Forbidden(SessionError):
    """An action the actor's role or the session's state does not permit."""

    code = ErrorCode.FORBIDDEN

    def __init__(
        self, message: str, code: str | None = None, audit: AuditEvent | None = None
    ) -> None:
        super().__init__(message, code)
        self.audit = audit


class ConsentRequired(Forbidden):
    code = ErrorCode.CONSENT_REQUIRED


class NotInRoom(Forbidden):
    code = ErrorCode.NOT_IN_ROOM


class RoomLocked(Forbidden):
    code = ErrorCode.ROOM_LOCKED


class SessionClosed(SessionError):
    code = ErrorCode.SESSION_CLOSED


class NotJoined(SessionError):
    code = ErrorCode.NOT_JOINED


class NotFound(SessionError):
    code = ErrorCode.NOT_FOUND


class Conflict(SessionError):
    code = ErrorCode.CONFLICT


class InvalidState(SessionError):
    """A transition the state machine does not allow from the current state."""

    code = INVALID_STATE


class InvalidPayload(SessionError):
    """A payload that fails validation (the edge should have caught it)."""

    code = ErrorCode.VALIDATION
