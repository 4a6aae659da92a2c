"""Receiving an uploaded file without letting it hold the server.

- :class:`UploadDesk` is the per-process budget of uploads: one upload in
  flight per person (a second one at the same time is refused with
  ``upload_in_progress``), at most :data:`WORKERS` files checked and stored
  at once (their bytes are in memory only then), and each check run in a
  worker thread under a time limit (``file_too_complex`` when it runs out:
  the check stops itself at its :class:`~records.files.check.Deadline`).
- :func:`receive` streams the request body into a spooled temporary file
  (in memory up to :data:`SPOOL_BYTES`, then on disk), refusing it as soon as
  it passes the limit: many slow uploads at once cost little memory.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import IO, TypeVar

from aiohttp import web

from errors import CodedError, ErrorCode
from records.files.check import Deadline

T = TypeVar("T")

MB = 1024 * 1024
CHUNK = 64 * 1024
SPOOL_BYTES = 1 * MB
WORKERS = 2  # files checked, encrypted and stored at the same time
CHECK_SECONDS = 20.0  # time limit to check one file
WAIT_SECONDS = 60.0  # how long an upload may wait for a worker


class UploadBusy(CodedError):
    """The uploader (or the server) is busy with other uploads; try again shortly."""

    code = ErrorCode.UPLOAD_IN_PROGRESS


class UploadDesk:
    def __init__(
        self,
        *,
        workers: int = WORKERS,
        check_seconds: float = CHECK_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self._in_flight: set[tuple[str, str]] = set()
        self._workers = asyncio.Semaphore(workers)
        self.check_seconds = check_seconds
        self._wait_seconds = wait_seconds

    def in_flight(self, session_id: str, who: str) -> bool:
        return (session_id, who) in self._in_flight

    @asynccontextmanager
    async def slot(self, session_id: str, who: str) -> AsyncIterator[None]:
        """The person's one upload in flight; refused while another one is."""
        key = (session_id, who)
        if key in self._in_flight:
            raise UploadBusy("your previous file is still being shared; wait for it to finish")
        self._in_flight.add(key)
        try:
            yield
        finally:
            self._in_flight.discard(key)

    @asynccontextmanager
    async def worker(self) -> AsyncIterator[None]:
        """One of the few places where a whole file may be in memory."""
        try:
            async with asyncio.timeout(self._wait_seconds):
                await self._workers.acquire()
        except TimeoutError:
            raise UploadBusy(
                "the server is busy with other files; try again in a minute",
                ErrorCode.SERVER_BUSY,
            ) from None
        try:
            yield
        finally:
            self._workers.release()

    async def check(self, work: Callable[[Deadline], T]) -> T:
        """Runs ``work`` in a worker thread; it must stop at the deadline it is given.

        Past the deadline (and a grace second, should ``work`` not stop) the
        upload is refused; the thread is left to finish on its own."""
        deadline = Deadline(self.check_seconds)
        task = asyncio.ensure_future(asyncio.to_thread(work, deadline))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # retrieved, if late
        try:
            async with asyncio.timeout(self.check_seconds + 1.0):
                return await asyncio.shield(task)
        except TimeoutError:
            deadline.check()  # raises: the time is up
            raise


UPLOAD_DESK_KEY = web.AppKey("upload_desk", UploadDesk)


async def receive(request: web.Request, limit: int) -> IO[bytes]:
    """The request body in a spooled temporary file (rewound), refused past ``limit``."""
    too_large = CodedError(
        f"a shared document is at most {limit // MB} MB", ErrorCode.PAYLOAD_TOO_LARGE
    )
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        size = 0
        async for chunk in request.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool
