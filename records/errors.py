"""Error codes shared by every layer, and the records package's root exception.

The codes live in the lowest package so that REST (server/), Socket.IO
(signaling/) and the domain (sessions/) all speak the same vocabulary. They
become an HTTP response or an error ack in exactly one place per transport.
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
    DOWNLOAD_NOT_ALLOWED = "download_not_allowed"
    CRYPTO = "crypto_error"
    CHAIN_BROKEN = "chain_broken"
    KEY_UNAVAILABLE = "key_unavailable"
    SHREDDED = "shredded"
    LEGAL_HOLD = "legal_hold"
    INTERNAL = "internal_error"


class CodedError(Exception):
    """An error with a client-visible code: the root of every package's errors.

    Each transport turns it into a response in exactly one place (the REST
    error middleware, the Socket.IO namespace's error ack).
    """

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, code: ErrorCode | str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = ErrorCode(code)

    @property
    def message(self) -> str:
        return str(self)


class RecordsError(CodedError):
    """Root of the records package's errors."""


class NotFound(RecordsError):
    code = ErrorCode.NOT_FOUND


class Conflict(RecordsError):
    code = ErrorCode.CONFLICT


class CryptoError(RecordsError):
    """Decryption or key failure: tampered ciphertext, wrong or missing key."""

    code = ErrorCode.CRYPTO


class Invalid(RecordsError):
    """A value the records layer refuses (bad kind, oversized field...)."""

    code = ErrorCode.VALIDATION


class Shredded(CryptoError):
    """The data key was destroyed: the item is erased for good."""

    code = ErrorCode.SHREDDED


class KeyUnavailable(CryptoError):
    """The key file (or KMS) cannot give the key needed: restore it, never regenerate."""

    code = ErrorCode.KEY_UNAVAILABLE
