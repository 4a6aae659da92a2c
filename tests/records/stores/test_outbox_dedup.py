"""The outbox's dedup key, on SQLite and PostgreSQL: a message with a key already stored is
not queued again, even when several callers try at the same moment; messages without a key
are never merged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from records.service import Records
from records.stores.accounts import AccountStore
from records.stores.cases import Case, MediationType, NewCase, NewParticipant, ParticipantRole
from records.stores.outbox import MailContents, NewMail
from tests.dbfaults import inserts_refused

NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


async def test_one_message_per_dedup_key_even_at_once(records: Records) -> None:
    case, mail = await _case_and_mail(records)
    results = await asyncio.gather(
        *(records.outbox.create_mail_once(mail("reminder:a"), NOW, actor="system", via="mail")
          for _ in range(4))
    )  # fmt: skip
    assert sum(r is not None for r in results) == 1
    again = await records.outbox.create_mail_once(mail("reminder:a"), NOW, actor="x", via="mail")
    assert again is None
    assert await records.outbox.queued_keys(["reminder:a", "reminder:b"]) == {"reminder:a"}
    for _ in range(2):
        assert await records.outbox.create_mail_once(mail(None), NOW, actor="x", via="mail")
    assert len(await records.outbox.list_mail(case.id)) == 3
    entries = [e for e in await records.audit.for_case(case.id) if e.action == "mail.queued"]
    assert len(entries) == 3  # the refused ones left nothing in the audit log
    assert (await records.audit.verify()).ok


async def test_a_refused_insert_is_an_error_not_a_message_sent_already(records: Records) -> None:
    """The database refusing the row (a constraint, a trigger) is not a duplicate: the
    caller hears of it, whatever the error's class, instead of counting it as queued."""
    _, mail = await _case_and_mail(records)
    async with inserts_refused(records.db, "mail_outbox"):
        with pytest.raises(DBAPIError):
            await records.outbox.create_mail_once(mail("moved:s:p:1"), NOW, actor="x", via="t")
    assert await records.outbox.queued_keys(["moved:s:p:1"]) == set()
    assert await records.outbox.create_mail_once(mail("moved:s:p:1"), NOW, actor="x", via="t")


async def _case_and_mail(records: Records) -> tuple[Case, Callable[[str | None], NewMail]]:
    mediator = await AccountStore(records.db).create_mediator("anne@example.org", "Anne", "x")
    case = await records.cases.create_case(
        mediator.id,
        NewCase(
            reference="2030-001", title="T", public_title="Médiation",
            mediation_type=MediationType.CONSUMER, description="", co_mediator_ids=[],
            participants=[NewParticipant("Jeanne", ParticipantRole.PARTY, "j@example.org")],
        ),
    )  # fmt: skip
    pid = case.participants[0].id

    def mail(key: str | None) -> NewMail:
        return NewMail(
            case_id=case.id, session_id=None, participant_id=pid, kind="reminder",
            language="fr", message_id="<x@palabre.test>",
            contents=MailContents("j@example.org", "s", "t", "<p>t</p>"), dedup_key=key,
        )  # fmt: skip

    return case, mail
