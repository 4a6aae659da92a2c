"""Errors of the signaling layer; each becomes an error ack in one place (the namespace)."""

from __future__ import annotations

from errors import CodedError, ErrorCode


class SignalingError(CodedError):
    """A refusal the client is told about with a code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message, code)
