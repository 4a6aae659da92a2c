"""Versioned notice texts: the confidentiality undertaking, the privacy notice, the
chat-retention agreement and the public request form's privacy notice (which text each
consent is given against: :mod:`records.logs.consent_policy`, :mod:`records.stores.requests`).

Every published version is kept forever (a consent entry points to the exact
version and SHA-256 of the text shown). ``seed_defaults`` publishes the
built-in French and English texts (``records/texts``) as version 1 when a
kind/language has none yet.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from records.db import Database
from records.errors import Conflict, Invalid, NotFound
from records.models import NoticeTextRow, utcnow

logger = logging.getLogger(__name__)

NoticeKind = Literal["confidentiality", "privacy", "chat_retention", "request_privacy"]
Language = Literal["fr", "en"]
KINDS: tuple[NoticeKind, ...] = get_args(NoticeKind)
LANGUAGES: tuple[Language, ...] = get_args(Language)
MAX_BODY = 100_000


@dataclass(frozen=True, slots=True)
class NoticeText:
    kind: str
    language: str
    version: int
    body: str
    sha256: str
    published_by: str
    published_at: datetime


def text_sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def default_text(kind: str, language: str) -> str:
    return (resources.files("records") / "texts" / f"{kind}.{language}.md").read_text("utf-8")


def _out(r: NoticeTextRow) -> NoticeText:
    return NoticeText(r.kind, r.language, r.version, r.body, r.sha256, r.published_by,
                      r.published_at)  # fmt: skip


class NoticeTexts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def publish(
        self, kind: NoticeKind, language: Language, body: str, published_by: str
    ) -> NoticeText:
        if kind not in KINDS or language not in LANGUAGES:
            raise Invalid("unknown notice kind or language")
        if not body.strip() or len(body) > MAX_BODY:
            raise Invalid(f"a notice text has 1 to {MAX_BODY} characters")
        if not published_by or len(published_by) > 120:
            raise Invalid("published_by must be 1 to 120 characters")
        try:
            async with self._db.transaction() as s:
                latest = await s.scalar(
                    select(func.max(NoticeTextRow.version)).where(
                        NoticeTextRow.kind == kind, NoticeTextRow.language == language
                    )
                )
                row = NoticeTextRow(
                    kind=kind, language=language, version=(latest or 0) + 1, body=body,
                    sha256=text_sha256(body), published_by=published_by, published_at=utcnow(),
                )  # fmt: skip
                s.add(row)
                await s.flush()
                out = _out(row)
        except IntegrityError:
            raise Conflict("another version was published at the same time: retry") from None
        logger.info("published %s notice (%s) version %d", kind, language, out.version)
        return out

    async def current(self, kind: NoticeKind, language: Language) -> NoticeText:
        async with self._db.transaction() as s:
            row = await s.scalar(
                select(NoticeTextRow)
                .where(NoticeTextRow.kind == kind, NoticeTextRow.language == language)
                .order_by(NoticeTextRow.version.desc())
                .limit(1)
            )
            if row is None:
                raise NotFound(f"no {kind} notice in {language}")
            return _out(row)

    async def get(self, kind: NoticeKind, language: Language, version: int) -> NoticeText:
        async with self._db.transaction() as s:
            row = await s.get(NoticeTextRow, (kind, language, version))
            if row is None:
                raise NotFound(f"no {kind} notice in {language} version {version}")
            return _out(row)

    async def seed_defaults(self) -> int:
        """Publish the built-in texts where none exists yet; returns how many."""
        done = 0
        for kind in KINDS:
            for language in LANGUAGES:
                async with self._db.transaction() as s:
                    exists = await s.scalar(
                        select(func.count()).where(
                            NoticeTextRow.kind == kind, NoticeTextRow.language == language
                        )
                    )
                if exists:
                    continue
                try:
                    await self.publish(
                        kind,
                        language,
                        default_text(kind, language),
                        "palabre (default text)",
                    )
                    done += 1
                except Conflict:
                    pass  # another process seeded it
        return done
