"""Mediator accounts and their sign-in sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from records.db import Database
from records.errors import Conflict, NotFound
from records.models import AuthSessionRow, MediatorRow, utcnow


@dataclass(frozen=True)
class Mediator:
    id: str
    email: str
    display_name: str
    created_at: datetime
    is_admin: bool = False


@dataclass(frozen=True)
class MediatorCredentials:
    mediator: Mediator
    password_hash: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mediator(row: MediatorRow) -> Mediator:
    return Mediator(row.id, row.email, row.display_name, row.created_at, bool(row.is_admin))


class AccountStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def count_mediators(self) -> int:
        async with self._db.transaction() as s:
            return int(await s.scalar(select(func.count()).select_from(MediatorRow)) or 0)

    async def create_mediator(
        self, email: str, display_name: str, password_hash: str, *, admin: bool = False
    ) -> Mediator:
        """Creates an account; the first account ever created is an administrator."""
        row = MediatorRow(
            email=normalise_email(email), display_name=display_name, password_hash=password_hash
        )
        try:
            async with self._db.transaction() as s:
                first = not await s.scalar(select(func.count()).select_from(MediatorRow))
                row.is_admin = admin or first
                s.add(row)
        except IntegrityError as exc:
            raise Conflict("an account with this email already exists") from exc
        return _mediator(row)

    async def create_first_mediator(
        self, email: str, display_name: str, password_hash: str
    ) -> Mediator:
        """Creates the first account, refusing once any account exists."""
        async with self._db.transaction() as s:
            count = await s.scalar(select(func.count()).select_from(MediatorRow))
            if count:
                raise Conflict("setup is already done")
            row = MediatorRow(
                email=normalise_email(email),
                display_name=display_name,
                password_hash=password_hash,
                is_admin=True,
            )
            s.add(row)
        return _mediator(row)

    async def get_credentials(self, email: str) -> MediatorCredentials | None:
        async with self._db.transaction() as s:
            row = await s.scalar(
                select(MediatorRow).where(
                    MediatorRow.email == normalise_email(email), MediatorRow.disabled.is_(False)
                )
            )
            return None if row is None else MediatorCredentials(_mediator(row), row.password_hash)

    async def set_password_hash(self, mediator_id: str, password_hash: str) -> None:
        async with self._db.transaction() as s:
            row = await s.get(MediatorRow, mediator_id)
            if row is None:
                raise NotFound("no such mediator")
            row.password_hash = password_hash

    async def get_mediator(self, mediator_id: str) -> Mediator:
        async with self._db.transaction() as s:
            row = await s.get(MediatorRow, mediator_id)
            if row is None or row.disabled:
                raise NotFound("no such mediator")
            return _mediator(row)

    async def get_mediators_by_email(self, emails: list[str]) -> dict[str, Mediator]:
        wanted = {normalise_email(e) for e in emails}
        if not wanted:
            return {}
        async with self._db.transaction() as s:
            rows = await s.scalars(
                select(MediatorRow).where(
                    MediatorRow.email.in_(wanted), MediatorRow.disabled.is_(False)
                )
            )
            return {r.email: _mediator(r) for r in rows}

    async def create_auth_session(self, mediator_id: str, lifetime: timedelta) -> str:
        """Returns the opaque cookie token; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        async with self._db.transaction() as s:
            s.add(
                AuthSessionRow(
                    token_hash=_token_hash(token),
                    mediator_id=mediator_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return token

    async def get_auth_session(self, token: str) -> Mediator | None:
        async with self._db.transaction() as s:
            row = await s.get(AuthSessionRow, _token_hash(token))
            if row is None or row.expires_at <= utcnow():
                return None
            mediator = await s.get(MediatorRow, row.mediator_id)
            if mediator is None or mediator.disabled:
                return None
            return _mediator(mediator)

    async def delete_auth_session(self, token: str) -> None:
        async with self._db.transaction() as s:
            await s.execute(
                delete(AuthSessionRow).where(AuthSessionRow.token_hash == _token_hash(token))
            )
