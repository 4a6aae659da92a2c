"""Palabre's one error vocabulary: the client-visible codes and the coded-error root.

This package sits below every layer (``server → signaling → sessions → records →
errors``) and imports nothing of Palabre's, so that REST, Socket.IO, the live-session
domain and the records all raise and read the same codes. It knows nothing of HTTP nor
of acks: ``server/errors.py`` holds the one table from code to HTTP status, and the
Socket.IO namespace turns a coded error into an error ack.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Client-visible error codes (REST bodies and Socket.IO error acks)."""

    BAD_REQUEST = "bad_request"
    INVALID_JSON = "invalid_json"
    VALIDATION = "validation_error"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_AUTHENTICATED = "not_authenticated"
    BAD_CREDENTIALS = "bad_credentials"
    THROTTLED = "throttled"
    RATE_LIMITED = "rate_limited"  # one connection sends an event kind too fast
    OVER_BUDGET = "over_budget"  # one person's share (board, chat, documents) is used up
    CSRF = "csrf_failed"
    FORBIDDEN = "forbidden"
    ADMIN_REQUIRED = "admin_required"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    LINK_INVALID = "link_invalid"
    LINK_EXPIRED = "link_expired"
    LINK_REVOKED = "link_revoked"
    SESSION_CLOSED = "session_closed"
    SESSION_CANCELLED = "session_cancelled"  # the mediator cancelled the session
    SESSION_STARTED = "session_started"  # people took part in it: it can no longer move
    SETUP_DONE = "setup_done"
    CONSENT_REQUIRED = "consent_required"
    NOT_JOINED = "not_joined"
    BAD_SDP = "bad_sdp"
    UNSUPPORTED_CODEC = "unsupported_codec"
    ROOM_LOCKED = "room_locked"
    NOT_IN_ROOM = "not_in_room"
    INVALID_STATE = "invalid_state"
    PARTICIPANT_REMOVED = "participant_removed"
    PARTICIPANT_DECLINED = "participant_declined"
    NOTHING_TO_UNDO = "nothing_to_undo"
    NOTHING_TO_REDO = "nothing_to_redo"
    BOARD_FULL = "board_full"
    CHAT_FULL = "chat_full"
    DOCUMENTS_FULL = "documents_full"
    NOT_STORED = "not_stored"
    UNSUPPORTED_TYPE = "unsupported_type"
    EMPTY_FILE = "empty_file"
    BROKEN_FILE = "broken_file"
    FILE_TOO_COMPLEX = "file_too_complex"
    IMAGE_TOO_LARGE = "image_too_large"
    UPLOAD_IN_PROGRESS = "upload_in_progress"
    SERVER_BUSY = "server_busy"
    SESSION_ELSEWHERE = "session_elsewhere"  # another node runs this live session: go there
    SESSION_MOVING = "session_moving"  # the session is changing node: retry in a moment
    SESSION_UNAVAILABLE = "session_unavailable"  # the node running it did not answer in time
    DOWNLOAD_NOT_ALLOWED = "download_not_allowed"
    CRYPTO = "crypto_error"
    KEY_UNAVAILABLE = "key_unavailable"
    SHREDDED = "shredded"
    E2EE_UNSUPPORTED = "e2ee_unsupported"  # the case requires frame encryption this browser lacks
    # signing a frozen text (records.agreements.signing)
    TEXT_CHANGED = "text_changed"  # the hash signed is not the frozen text's
    TEXT_WITHDRAWN = "text_withdrawn"  # the mediator withdrew the text
    ALREADY_SIGNED = "already_signed"
    MEDIATOR_SIGNS_LAST = "mediator_signs_last"
    CODE_WRONG = "code_wrong"
    CODE_EXPIRED = "code_expired"  # none asked, or past its ten minutes
    SIGNER_LOCKED = "signer_locked"  # too many wrong codes: wait (Retry-After)
    INTERNAL = "internal_error"


class CodedError(Exception):
    """An error with a client-visible code: the root of every package's errors.

    Each transport turns it into a response in exactly one place (the REST error
    middleware with its code-to-status table, the Socket.IO namespace's error ack).
    """

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, code: ErrorCode | str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = ErrorCode(code)

    @property
    def message(self) -> str:
        return str(self)


__all__ = ["CodedError", "ErrorCode"]
