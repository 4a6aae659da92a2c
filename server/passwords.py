"""Password hashing (argon2id), the password policy, and how many hashes run at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current recommended costs
# Verified against when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("palabre-timing-equaliser")


def check_policy(password: str) -> str | None:
    """A reason the password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password must have at most {MAX_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


T = TypeVar("T")


class HashingBusy(Exception):
    """Too many password checks are already waiting; the caller should refuse, not queue."""


class PasswordHashing:
    """Runs argon2 in worker threads, at most ``max_concurrent`` at once.

    Each computation takes 64 MiB (the library's memory cost) and a core for
    tens of milliseconds, so parallel sign-ins are queued here rather than
    run all together; beyond ``max_waiting`` queued ones, HashingBusy. A slot
    is held until its thread really ends, even if the caller is cancelled.
    """

    def __init__(
        self,
        max_concurrent: int,
        max_waiting: int,
        *,
        verify: Callable[[str | None, str], bool] = verify_password,
        hash: Callable[[str], str] = hash_password,
    ) -> None:
        self._slots = asyncio.Semaphore(max_concurrent)
        self._max_waiting = max_waiting
        self._waiting = 0
        self._verify = verify
        self._hash = hash

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await self._run(self._verify, password_hash, password)

    async def hash(self, password: str) -> str:
        return await self._run(self._hash, password)

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        if self._waiting >= self._max_waiting:
            raise HashingBusy
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            future = asyncio.get_running_loop().run_in_executor(None, fn, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return await asyncio.shield(future)
