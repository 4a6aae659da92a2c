"""The satisfaction survey: one-time ballots, and answers nobody can trace back.

When a session has ended, each personal link may draw one ballot (:meth:`issue`): a
random token handed to the page, of which only the SHA-256 is stored, beside the bucket
it counts in (mediation type, region, month) and nothing else. ``survey_issued`` notes
that the link drew its ballot, never which one. Answering (:meth:`answer`) deletes the
ballot and writes the answer row in the same transaction: the answers, the bucket and a
random id. No row names a participant, a case, a session or a link, no time is finer
than the month, and neither table keeps the order rows were written in (no autoincrement,
no SQLite rowid; rows are read back in the order of their random keys). So once a ballot
is spent, nothing in the database ties the answer to the link that drew it.

The free-text comment is stored as typed (bounded in length) and only ever leaves in
aggregate, with the rest of the survey's statistics, never beside a case.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from errors import ErrorCode
from records.db import Database
from records.errors import Conflict, NotFound
from records.models import (
    CaseRow,
    InviteLinkRow,
    SessionRow,
    SurveyAnswerRow,
    SurveyBallotRow,
    SurveyIssuedRow,
)

RECOMMEND = ("yes", "partly", "no")
SCALE = range(1, 6)  # 1 (not at all) to 5 (entirely)
MAX_COMMENT = 1000


@dataclass(frozen=True)
class SurveyAnswer:
    """One questionnaire; the bucket is the ballot's, not the answerer's to choose."""

    heard: int
    understood: int
    tool_worked: int
    recommend: str
    comment: str | None = None

    def __post_init__(self) -> None:
        for name in ("heard", "understood", "tool_worked"):
            if getattr(self, name) not in SCALE:
                raise ValueError(f"{name} must be 1 to 5")
        if self.recommend not in RECOMMEND:
            raise ValueError(f"recommend must be one of {RECOMMEND}")
        if self.comment is not None and len(self.comment) > MAX_COMMENT:
            raise ValueError(f"comment longer than {MAX_COMMENT} characters")


@dataclass(frozen=True)
class StoredAnswer:
    mediation_type: str
    region: str
    month: str
    answer: SurveyAnswer


def ballot_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


class SurveyStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def issue(self, link_id: str, region: str, now: datetime) -> str:
        """A new ballot for the link's session bucket; :class:`Conflict` if the link
        already drew its one ballot."""
        token = secrets.token_urlsafe(32)
        try:
            async with self._db.transaction() as tx:
                kind = (
                    await tx.execute(
                        select(CaseRow.mediation_type)
                        .join(SessionRow, SessionRow.case_id == CaseRow.id)
                        .join(InviteLinkRow, InviteLinkRow.session_id == SessionRow.id)
                        .where(InviteLinkRow.jti == link_id)
                    )
                ).scalar_one_or_none()
                if kind is None:
                    raise NotFound("no such link")
                await tx.execute(insert(SurveyIssuedRow).values(link_id=link_id))
                await tx.execute(
                    insert(SurveyBallotRow).values(
                        token_hash=ballot_hash(token), mediation_type=kind, region=region,
                        month=month_of(now),
                    )
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(
                "this link has already had its questionnaire", ErrorCode.CONFLICT
            ) from None
        return token

    async def answer(self, token: str, answer: SurveyAnswer) -> None:
        """Spend the ballot and store the answer; :class:`Conflict` for a ballot already
        spent (or never issued)."""
        digest = ballot_hash(token)
        async with self._db.transaction() as tx:
            found = select(SurveyBallotRow).where(SurveyBallotRow.token_hash == digest)
            ballot = (await tx.execute(found)).scalar_one_or_none()
            spent = await tx.execute(
                delete(SurveyBallotRow).where(SurveyBallotRow.token_hash == digest)
            )
            if ballot is None or spent.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(
                    "this questionnaire has already been answered, or the ballot is not valid",
                    ErrorCode.CONFLICT,
                )
            await tx.execute(
                insert(SurveyAnswerRow).values(
                    id=secrets.token_hex(16), mediation_type=ballot.mediation_type,
                    region=ballot.region, month=ballot.month, heard=answer.heard,
                    understood=answer.understood, tool_worked=answer.tool_worked,
                    recommend=answer.recommend, comment=answer.comment or None,
                )
            )  # fmt: skip

    async def purge_ballots_before(self, month: str) -> int:
        """Delete the unused ballots drawn before ``month`` (YYYY-MM); how many."""
        async with self._db.transaction() as tx:
            done = await tx.execute(delete(SurveyBallotRow).where(SurveyBallotRow.month < month))
        return int(getattr(done, "rowcount", 0) or 0)

    async def purge_answers_before(self, month: str) -> int:
        """Delete the answers given before ``month`` (YYYY-MM); how many."""
        async with self._db.transaction() as tx:
            done = await tx.execute(delete(SurveyAnswerRow).where(SurveyAnswerRow.month < month))
        return int(getattr(done, "rowcount", 0) or 0)

    async def answers(
        self, *, year: int | None = None, mediation_type: str | None = None
    ) -> list[StoredAnswer]:
        """The organisation's answers, in the order of their random ids."""
        query = select(SurveyAnswerRow).order_by(SurveyAnswerRow.id)
        if year is not None:
            query = query.where(SurveyAnswerRow.month.like(f"{year:04d}-%"))
        if mediation_type is not None:
            query = query.where(SurveyAnswerRow.mediation_type == mediation_type)
        async with self._db.transaction() as tx:
            rows = (await tx.execute(query)).scalars().all()
        return [
            StoredAnswer(
                r.mediation_type, r.region, r.month,
                SurveyAnswer(r.heard, r.understood, r.tool_worked, r.recommend, r.comment),
            )
            for r in rows
        ]  # fmt: skip
