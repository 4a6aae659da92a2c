"""The organisation's templates of the agreement texts, and their versions.

Four kinds, in French and English: the agreement to mediate (``agreement_to_mediate``),
the mediated agreement (``mediated_agreement``), the record of the end of a mediation
without agreement (``closing_record``) and the report to the judge, which says whether an
agreement was reached and nothing else (``court_report``). The built-in texts are in
``records/agreements/texts``; an organisation's edits are stored as versions, each with
who saved it and when, never overwritten. Going back to the built-in text is a version
too (``body`` NULL), so the history says when that happened and who did it.

Who may save is the caller's rule (organisation administrators: ``server.rest``); this
layer checks what is saved: a template naming a field outside
:data:`records.agreements.documents.FIELDS` is refused, listing the names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from records.agreements.documents import TemplateError, check_template
from records.db import Database
from records.errors import Conflict, Invalid
from records.models import TextTemplateRow, utcnow

TemplateKind = Literal["agreement_to_mediate", "mediated_agreement", "closing_record",
                       "court_report"]  # fmt: skip
Language = Literal["fr", "en"]
KINDS: tuple[TemplateKind, ...] = get_args(TemplateKind)
LANGUAGES: tuple[Language, ...] = get_args(Language)
BUILT_IN = "palabre (built-in text)"


class UnknownFields(Invalid):
    """A template names fields that do not exist; ``names`` lists them."""

    def __init__(self, message: str, names: tuple[str, ...]) -> None:
        super().__init__(message)
        self.names = names


@dataclass(frozen=True, slots=True)
class Template:
    kind: str
    language: str
    version: int  # 0: the built-in text, never edited
    body: str
    sha256: str
    built_in: bool  # the built-in text (never edited, or reset to it)
    edited_by: str
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    version: int
    sha256: str
    built_in: bool
    edited_by: str
    edited_at: datetime


def sha256(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def default_text(kind: str, language: str) -> str:
    if kind not in KINDS or language not in LANGUAGES:
        raise Invalid("unknown template kind or language")
    path = resources.files("records") / "agreements" / "texts" / f"{kind}.{language}.md"
    return path.read_text("utf-8")


def _template(kind: str, language: str, row: TextTemplateRow | None) -> Template:
    if row is None:
        body = default_text(kind, language)
        return Template(kind, language, 0, body, sha256(body), True, BUILT_IN, None)
    built_in = row.body is None
    body = default_text(kind, language) if row.body is None else row.body
    return Template(kind, language, row.version, body, sha256(body), built_in, row.edited_by,
                    row.edited_at)  # fmt: skip


class TextTemplates:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def current(self, kind: str, language: str) -> Template:
        default_text(kind, language)  # checks both
        async with self._db.transaction() as s:
            row = await s.scalar(
                select(TextTemplateRow)
                .where(TextTemplateRow.kind == kind, TextTemplateRow.language == language)
                .order_by(TextTemplateRow.version.desc())
                .limit(1)
            )
            return _template(kind, language, row)

    async def list_current(self) -> list[Template]:
        """Every kind in every language, each as it is now."""
        latest = (
            select(
                TextTemplateRow.kind,
                TextTemplateRow.language,
                func.max(TextTemplateRow.version).label("version"),
            )
            .group_by(TextTemplateRow.kind, TextTemplateRow.language)
            .subquery()
        )
        async with self._db.transaction() as s:
            rows = await s.scalars(
                select(TextTemplateRow).join(
                    latest,
                    (TextTemplateRow.kind == latest.c.kind)
                    & (TextTemplateRow.language == latest.c.language)
                    & (TextTemplateRow.version == latest.c.version),
                )
            )
            found = {(r.kind, r.language): r for r in rows}
        return [_template(k, lang, found.get((k, lang))) for k in KINDS for lang in LANGUAGES]

    async def history(self, kind: str, language: str) -> list[TemplateVersion]:
        """The saved versions, newest first."""
        default_text(kind, language)
        async with self._db.transaction() as s:
            rows = await s.scalars(
                select(TextTemplateRow)
                .where(TextTemplateRow.kind == kind, TextTemplateRow.language == language)
                .order_by(TextTemplateRow.version.desc())
            )
            return [
                TemplateVersion(r.version, r.sha256, r.body is None, r.edited_by, r.edited_at)
                for r in rows
            ]

    async def save(self, kind: str, language: str, body: str, *, edited_by: str) -> Template:
        """A new version; :class:`UnknownFields` (a 400 naming them) for a field that does
        not exist, :class:`Invalid` for an empty text or a brace pair that does not close."""
        default_text(kind, language)
        try:
            check_template(body)
        except TemplateError as exc:
            if exc.unknown:
                raise UnknownFields(str(exc), exc.unknown) from None
            raise Invalid(str(exc)) from None
        return await self._add(kind, language, body, edited_by)

    async def reset(self, kind: str, language: str, *, edited_by: str) -> Template:
        """Back to the built-in text, as a new version (the edits stay in the history)."""
        default_text(kind, language)
        return await self._add(kind, language, None, edited_by)

    async def _add(self, kind: str, language: str, body: str | None, edited_by: str) -> Template:
        if not edited_by or len(edited_by) > 80:
            raise Invalid("edited_by must be 1 to 80 characters")
        digest = sha256(body if body is not None else default_text(kind, language))
        try:
            async with self._db.transaction() as s:
                latest = await s.scalar(
                    select(func.max(TextTemplateRow.version)).where(
                        TextTemplateRow.kind == kind, TextTemplateRow.language == language
                    )
                )
                row = TextTemplateRow(
                    kind=kind, language=language, version=(latest or 0) + 1, body=body,
                    sha256=digest, edited_by=edited_by, edited_at=utcnow(),
                )  # fmt: skip
                s.add(row)
                await s.flush()
                return _template(kind, language, row)
        except IntegrityError:
            raise Conflict("another version was saved at the same time: retry") from None
