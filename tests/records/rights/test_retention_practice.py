"""Retention of what the practice around the sessions keeps: the e-mail outbox and the
satisfaction survey (SQLite, PostgreSQL). Each is a category of the policy table, so the
purge and the art. 30 register say the same thing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from records.models import MailRow, SurveyAnswerRow, SurveyBallotRow
from records.rights.retention import DEFAULT_POLICIES, purge, register
from records.service import Records
from records.stores.outbox import MailContents, MailState, NewMail
from tests.factories import make_case, make_mediator, make_session


async def _queue(records: Records, case_id: str, session_id: str | None, pid: str,
                 at: datetime, state: MailState) -> str:  # fmt: skip
    queued = await records.outbox.create_mail(
        NewMail(
            case_id=case_id, session_id=session_id, participant_id=pid, kind="invitation",
            language="fr", message_id="<m@palabre.test>",
            contents=MailContents("j@example.org", "s", "t", "<p>t</p>"),
        ),
        at, actor="test", via="test",
    )  # fmt: skip
    async with records.db.transaction() as s:
        await s.execute(update(MailRow).where(MailRow.id == queued.id).values(state=state.value))
    return queued.id


async def test_mail_done_with_goes_unless_its_session_is_still_to_come(
    records: Records,
) -> None:
    anne = await make_mediator(records.db)
    case = await make_case(records.db, anne, store=records.cases)
    pid = case.participants[0].id
    now = datetime.now(UTC)
    past = await make_session(records.db, case, anne, starts_in=timedelta(days=1))
    later = await make_session(records.db, case, anne, starts_in=timedelta(days=200))
    long_ago = now - timedelta(days=1)
    gone = await _queue(records, case.id, past.id, pid, long_ago, MailState.SENT)
    failed = await _queue(records, case.id, None, pid, long_ago, MailState.FAILED)
    upcoming = await _queue(records, case.id, later.id, pid, long_ago, MailState.SENT)
    fresh = await _queue(records, case.id, past.id, pid, now + timedelta(days=80), MailState.SENT)

    counts = await purge(records, DEFAULT_POLICIES, now + timedelta(days=92))

    async with records.db.transaction() as s:
        left = set(await s.scalars(select(MailRow.id)))
    assert counts["mail"] == 2
    assert left == {upcoming, fresh} and not {gone, failed} & left
    # the session to come is told of a move: its invitation is still there
    assert pid in await records.outbox.list_invited(later.id)


async def test_ballots_and_answers_go_by_whole_months(records: Records) -> None:
    async with records.db.transaction() as s:
        for month in ("2030-01", "2030-03", "2030-05"):
            await s.execute(
                insert(SurveyBallotRow).values(
                    token_hash=month.ljust(64, "0"), mediation_type="consumer",
                    region="Bretagne", month=month,
                )
            )  # fmt: skip
        for i, month in enumerate(("2027-04", "2027-05", "2030-05")):
            await s.execute(
                insert(SurveyAnswerRow).values(
                    id=f"{i:032x}", mediation_type="consumer", region="Bretagne", month=month,
                    heard=4, understood=5, tool_worked=5, recommend="yes", comment=None,
                )
            )  # fmt: skip

    counts = await purge(records, DEFAULT_POLICIES, datetime(2030, 5, 20, tzinfo=UTC))

    async with records.db.transaction() as s:
        ballots = sorted(await s.scalars(select(SurveyBallotRow.month)))
        answers = sorted(await s.scalars(select(SurveyAnswerRow.month)))
    assert counts["survey_ballots"] == 1 and ballots == ["2030-03", "2030-05"]  # cut: 2030-03
    assert counts["survey_answers"] == 1 and answers == ["2027-05", "2030-05"]  # cut: 2027-05


def test_the_register_names_the_mail_server_and_the_survey() -> None:
    by = {a["category"]: a for a in register(DEFAULT_POLICIES, "Cabinet")["activities"]}
    assert "SMTP" in by["mail"]["recipients"]
    assert by["mail"]["retention"].startswith("90 days after")
    assert "not identifiable" in by["survey_answers"]["data_subjects"]
    assert by["survey_ballots"]["days"] == 60
