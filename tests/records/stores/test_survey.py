"""The satisfaction survey's tables name nobody, a ballot is spent once, and an answer
cannot be joined back to the link that drew its ballot (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text

from records.db import Database, is_sqlite
from records.errors import Conflict, NotFound
from records.models import SurveyIssuedRow
from records.stores.scheduling import ScheduleStore
from records.stores.survey import SurveyAnswer, SurveyStore
from tests.factories import make_case, make_mediator, make_session

NOW = datetime(2026, 12, 7, 14, 31, 12, tzinfo=UTC)
ANSWER_COLUMNS = {
    "id", "mediation_type", "region", "month", "heard", "understood", "tool_worked",
    "recommend", "comment",
}  # fmt: skip
BALLOT_COLUMNS = {"token_hash", "mediation_type", "region", "month"}


async def _links(db: Database, sessions: int = 2) -> tuple[list[str], set[str]]:
    """Two sessions of one case (one bucket), a link for each party of each: the link
    ids, and every identifier a row could leak (links, sessions, case, participants)."""
    anne = await make_mediator(db)
    case = await make_case(db, anne)
    schedule = ScheduleStore(db)
    parties = [p for p in case.participants if p.role.value == "party"]
    links: list[str] = []
    known = {case.id, anne.id, *(p.id for p in case.participants)}
    for _ in range(sessions):
        session = await make_session(db, case, anne)
        known.add(session.id)
        for party in parties:
            jti = secrets.token_hex(16)
            await schedule.issue_link(
                session.id, party.id, anne.id, jti, session.starts_at + timedelta(hours=3)
            )
            links.append(jti)
            known.add(jti)
    return links, known


async def _columns(db: Database, table: str) -> dict[str, str]:
    async with db.engine.connect() as conn:
        found = await conn.run_sync(lambda c: inspect(c).get_columns(table))
    return {col["name"]: str(col["type"]) for col in found}


async def _raw(db: Database, table: str) -> list[tuple[object, ...]]:
    query = text(f"SELECT * FROM {table}")  # noqa: S608 - our own table names
    async with db.transaction() as tx:
        return [tuple(r) for r in (await tx.execute(query)).all()]


async def test_the_tables_hold_no_identifier_and_no_time_finer_than_the_month(
    db: Database,
) -> None:
    answers = await _columns(db, "survey_answers")
    assert set(answers) == ANSWER_COLUMNS
    assert set(await _columns(db, "survey_ballots")) == BALLOT_COLUMNS
    for name, kind in {**answers, **await _columns(db, "survey_ballots")}.items():
        assert not re.search(r"case|session|participant|link|_at$|time|date", name), name
        assert not re.search(r"DATE|TIME", kind.upper()), (name, kind)
    links, known = await _links(db, sessions=1)
    store = SurveyStore(db)
    for link in links:
        ballot = await store.issue(link, "Bretagne", NOW)
        await store.answer(ballot, SurveyAnswer(4, 5, 3, "partly", "Merci"))
    rows = await _raw(db, "survey_answers")
    assert len(rows) == 2
    for row in rows:
        values = {str(v) for v in row}
        assert not values & known  # no id of a link, session, case or person
        assert "2026-12" in values and not any(re.search(r"\d\d:\d\d", v) for v in values)
        assert {"neighbourhood", "Bretagne", "4", "5", "3", "partly", "Merci"} <= values
    assert await _raw(db, "survey_ballots") == []  # spent ballots are gone


async def test_a_ballot_is_spent_once_and_a_link_draws_one(db: Database) -> None:
    links, _ = await _links(db, sessions=1)
    store = SurveyStore(db)
    ballot = await store.issue(links[0], "unspecified", NOW)
    with pytest.raises(Conflict):
        await store.issue(links[0], "unspecified", NOW)
    await store.answer(ballot, SurveyAnswer(1, 1, 1, "no"))
    with pytest.raises(Conflict):
        await store.answer(ballot, SurveyAnswer(5, 5, 5, "yes"))
    with pytest.raises(Conflict):
        await store.answer(secrets.token_urlsafe(32), SurveyAnswer(5, 5, 5, "yes"))
    with pytest.raises(NotFound):
        await store.issue("0" * 32, "unspecified", NOW)
    assert [a.answer.heard for a in await store.answers()] == [1]


async def test_an_answer_cannot_be_joined_back_to_who_gave_it(db: Database) -> None:
    """Two parties of two sessions of one bucket answer in a known order: the rows hold
    the same bucket, no identifier, and come back in random-id order, not in the order
    they were written; what is left of the ballots names no link."""
    links, known = await _links(db, sessions=2)
    store = SurveyStore(db)
    ballots = [await store.issue(link, "Bretagne", NOW) for link in links]
    for score, ballot in enumerate(reversed(ballots), start=1):
        await store.answer(ballot, SurveyAnswer(score, score, score, "yes"))
    rows = await _raw(db, "survey_answers")
    assert {row[1:4] for row in rows} == {("neighbourhood", "Bretagne", "2026-12")}
    assert not {str(v) for row in rows for v in row} & known
    ids = [str(row[0]) for row in rows]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and len(set(ids)) == 4
    if is_sqlite(db.url):  # no rowid: a scan follows the random key, not the writing order
        assert ids == sorted(ids)
    stored = await store.answers()
    assert [s.answer.heard for s in stored] == [
        row[4] for row in sorted(rows, key=lambda r: str(r[0]))
    ]
    assert await _raw(db, "survey_ballots") == []
    async with db.transaction() as tx:
        issued = set((await tx.execute(select(SurveyIssuedRow.link_id))).scalars())
    assert issued == set(links)  # who drew a ballot, never which one
    assert set(await _columns(db, "survey_issued")) == {"link_id"}


async def test_bad_answers_are_refused_before_the_store() -> None:
    for bad in ((0, 3, 3, "yes"), (3, 6, 3, "yes"), (3, 3, 9, "yes"), (3, 3, 3, "maybe")):
        with pytest.raises(ValueError):
            SurveyAnswer(*bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SurveyAnswer(3, 3, 3, "yes", "x" * 1001)


async def test_answers_are_selected_by_year_and_type(db: Database) -> None:
    links, _ = await _links(db, sessions=1)
    store = SurveyStore(db)
    await store.answer(await store.issue(links[0], "Bretagne", NOW), SurveyAnswer(2, 2, 2, "no"))
    last_year = NOW.replace(year=2025)
    await store.answer(
        await store.issue(links[1], "Bretagne", last_year), SurveyAnswer(3, 3, 3, "yes")
    )
    assert [a.month for a in await store.answers(year=2026)] == ["2026-12"]
    assert [a.month for a in await store.answers(year=2025)] == ["2025-12"]
    assert len(await store.answers(mediation_type="neighbourhood")) == 2
    assert await store.answers(mediation_type="family") == []
