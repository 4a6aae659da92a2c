"""The records package's errors (codes from the shared :mod:`errors` vocabulary)."""

from __future__ import annotations

from errors import CodedError, ErrorCode


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
