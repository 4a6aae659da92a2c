"""Errors raised by the relay.

Client-visible codes come from the shared :class:`errors.ErrorCode`
vocabulary, so the signaling layer turns a :class:`RelayError` into an error ack
without translating anything.
"""

from __future__ import annotations

from errors import CodedError, ErrorCode


class RelayError(CodedError):
    """Root of the relay's errors; ``code`` is safe to show to the client."""


class MalformedSdpError(RelayError):
    """The SDP could not be parsed or is not a usable WebRTC description."""

    code = ErrorCode.BAD_SDP


class UnsupportedCodecError(RelayError):
    """A media section the client wants to send offers neither VP8 nor Opus."""

    code = ErrorCode.UNSUPPORTED_CODEC


class GlareError(RelayError):
    """The client offered while the relay's own offer was outstanding.

    The relay is the impolite peer: the client rolls back its offer, answers
    the relay's offer, then offers again.
    """

    code = ErrorCode.CONFLICT


class SignalingStateError(RelayError):
    """An answer or candidate arrived when none was expected."""

    code = ErrorCode.BAD_REQUEST


class UnknownParticipantError(RelayError):
    """The participant has not joined the relay (or has left)."""

    code = ErrorCode.NOT_JOINED


class AlreadyJoinedError(RelayError):
    code = ErrorCode.CONFLICT


class BadCandidateError(RelayError):
    code = ErrorCode.BAD_REQUEST


class BadLabelError(RelayError):
    """A track label mapping names an unknown label or media section."""

    code = ErrorCode.VALIDATION


class PortsExhaustedError(RelayError):
    """No UDP port of the configured range is free for a new peer connection."""

    code = ErrorCode.SERVER_BUSY


class RelayClosedError(RelayError):
    code = ErrorCode.SESSION_CLOSED
