"""What every check of an uploaded file shares: its refusal and its time limit.

The checks (:mod:`records.files.uploads`, :mod:`records.files.pdfs`, :mod:`records.files.images`)
are plain synchronous code meant to run in a worker thread; each loop over
the file calls :meth:`Deadline.check`, so a file that would take too long is
refused (``file_too_complex``) instead of keeping a worker busy.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from errors import ErrorCode
from records.errors import RecordsError


class UploadRefused(RecordsError):
    """A file Palabre will not take; ``code`` says why."""

    code = ErrorCode.UNSUPPORTED_TYPE


def refuse(code: ErrorCode, message: str) -> UploadRefused:
    return UploadRefused(message, code)


class Deadline:
    """A point in time after which checking a file stops with a refusal."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._at = None if seconds is None else clock() + seconds

    @classmethod
    def none(cls) -> Deadline:
        return cls(None)

    def check(self) -> None:
        if self._at is not None and self._clock() > self._at:
            raise refuse(
                ErrorCode.FILE_TOO_COMPLEX,
                "this file is too complex to check in time; save it again (print it to PDF, "
                "export the image) and share the new file",
            )
