"""Errors of the signaling layer; each becomes an error ack in one place (the namespace)."""

from __future__ import annotations

from errors import CodedError, ErrorCode


class SignalingError(CodedError):
    """A refusal the client is told about with a code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message, code)


class SessionElsewhere(SignalingError):
    """Another node runs this live session (``holder``): the client is sent there."""

    def __init__(self, holder: str, *, moving: bool = False) -> None:
        if moving:
            super().__init__(ErrorCode.SESSION_MOVING, "the session is moving: retry shortly")
        else:
            super().__init__(ErrorCode.SESSION_ELSEWHERE, "the session runs on another node")
        self.holder = holder
