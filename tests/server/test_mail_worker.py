"""The outbox's sender against a real SMTP server (aiosmtpd), on SQLite and PostgreSQL.

Time is a clock the test moves: the back-off, the lease and giving up are checked
without waiting for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from records.db import Database
from records.models import MailRow
from records.service import Records, open_records
from records.stores.cases import MediationType, NewCase, NewParticipant, ParticipantRole
from records.stores.outbox import MailContents, MailState, NewMail
from server.config import SmtpConfig
from server.mail import messages
from server.mail.transport import Accepted, SmtpTransport
from server.mail.worker import MailWorker, RetryPolicy
from tests.smtp import MailServer

ADDRESS = "jeanne.martin@example.org"
POLICY = RetryPolicy(
    first=timedelta(seconds=30), cap=timedelta(minutes=30), give_up_after=timedelta(hours=6),
    lease=timedelta(minutes=3),
)  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
async def smtp() -> AsyncIterator[MailServer]:
    server = MailServer()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def _case(records: Records) -> tuple[str, str]:
    from records.stores.accounts import AccountStore

    mediator = await AccountStore(records.db).create_mediator("anne@example.org", "Anne", "x")
    case = await records.cases.create_case(
        mediator.id,
        NewCase(
            reference="2030-001", title="Martin / Bati+", public_title="Médiation",
            mediation_type=MediationType.CONSUMER,
            description="", co_mediator_ids=[],
            participants=[NewParticipant("Jeanne Martin", ParticipantRole.PARTY, ADDRESS)],
        ),
    )  # fmt: skip
    return case.id, case.participants[0].id


async def _queue(records: Records, clock: Clock, n: int = 1) -> tuple[str, list[str]]:
    case_id, participant_id = await _case(records)
    ids = []
    for i in range(n):
        contents = MailContents(
            to=ADDRESS, subject=f"Invitation à une séance de médiation — {i}",
            text="Votre lien : https://palabre.test/join#SECRET-TOKEN", html="<p>lien</p>",
        )  # fmt: skip
        queued = await records.outbox.create_mail(
            NewMail(
                case_id=case_id, session_id=None, participant_id=participant_id,
                kind="invitation", language="fr",
                message_id=messages.new_message_id("mediation@palabre.test"), contents=contents,
            ),
            clock(), actor="mediator:x", via="test",
        )  # fmt: skip
        ids.append(queued.id)
    return case_id, ids


def _worker(records: Records, smtp: MailServer, clock: Clock) -> MailWorker:
    transport = SmtpTransport(
        SmtpConfig(host="127.0.0.1", port=smtp.port, security="none"), timeout=5
    )
    return MailWorker(
        records.outbox, transport, "mediation@palabre.test", policy=POLICY, clock=clock
    )


async def _state(records: Records) -> list[tuple[str, int, str | None]]:
    async with records.db.transaction() as s:
        rows = (await s.execute(select(MailRow.state, MailRow.attempts, MailRow.last_reply))).all()
    return [(r.state, r.attempts, r.last_reply) for r in rows]


async def test_down_then_up_sends_once_and_a_restart_loses_nothing(
    records: Records, smtp: MailServer, clock: Clock, db_url: str, tmp_path: Path
) -> None:
    case_id, [mail_id] = await _queue(records, clock)
    worker = _worker(records, smtp, clock)
    assert await worker.run_once() == 1  # nothing listens: not sent, due again in 30 s
    [(state, attempts, reply)] = await _state(records)
    assert (state, attempts) == ("waiting", 1)
    assert reply and "Connect" in reply
    assert await records.outbox.get_next_due() == clock.now + timedelta(seconds=30)
    assert await worker.run_once() == 0  # not due yet
    clock.advance(timedelta(seconds=31))
    assert await worker.run_once() == 1  # still down: the wait doubles
    [row] = await records.outbox.list_mail(case_id)
    assert row.next_attempt_at == clock.now + timedelta(seconds=60)

    # the node restarts: a new database connection, new services, a new worker
    await records.close()
    await records.db.close()
    db = Database(db_url)
    reopened = await open_records(db, tmp_path / "var" / "keys.json")
    try:
        await smtp.start()
        worker = _worker(reopened, smtp, clock)
        clock.advance(timedelta(seconds=61))
        assert await worker.run_once() == 1
        [message] = await smtp.wait_for(1)
        clock.advance(timedelta(hours=1))
        assert await worker.run_once() == 0
        assert len(smtp.received) == 1  # once, not twice
        [(state, attempts, reply)] = await _state(reopened)
        assert (state, attempts) == ("sent", 3)
        assert reply and "queued as TEST1" in reply
        [status] = await reopened.outbox.list_mail(case_id)
        assert status.sent_at == clock.now - timedelta(hours=1)
        assert message["Message-ID"] == (await _message_id(reopened, mail_id))
        actions = [e.action for e in await reopened.audit.for_case(case_id)]
        assert actions.count("mail.queued") == 1
        assert actions.count("mail.deferred") == 1
        assert actions.count("mail.sent") == 1
    finally:
        await reopened.close()
        await db.close()


async def _message_id(records: Records, mail_id: str) -> str:
    async with records.db.transaction() as s:
        return str(await s.scalar(select(MailRow.message_id).where(MailRow.id == mail_id)))


async def test_two_workers_on_one_database_send_each_message_once(
    records: Records, smtp: MailServer, clock: Clock, db_url: str, tmp_path: Path
) -> None:
    await _queue(records, clock, 6)
    await smtp.start()
    db2 = Database(db_url)
    other = await open_records(db2, tmp_path / "var" / "keys.json")
    try:
        one, two = _worker(records, smtp, clock), _worker(other, smtp, clock)
        tried = await asyncio.gather(one.run_once(), two.run_once(), one.run_once())
        assert sum(tried) == 6
        received = await smtp.wait_for(6)
        assert await one.run_once() == 0 and await two.run_once() == 0
        assert len(received) == 6
        assert len({m["Message-ID"] for m in received}) == 6
        assert {s for s, _, _ in await _state(records)} == {"sent"}
    finally:
        await other.close()
        await db2.close()


class Hanging:
    """A transport that never answers (the node dies while sending)."""

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> Accepted:
        self.called.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_crash_while_sending_is_retried_after_the_lease(
    records: Records, smtp: MailServer, clock: Clock
) -> None:
    await _queue(records, clock)
    hanging = Hanging()
    dying = MailWorker(records.outbox, hanging, "m@palabre.test", policy=POLICY, clock=clock)
    task = asyncio.create_task(dying.run_once())
    await hanging.called.wait()
    task.cancel()  # the node dies mid-send
    with pytest.raises(asyncio.CancelledError):
        await task
    [(state, _, _)] = await _state(records)
    assert state == "sending"
    await smtp.start()
    worker = _worker(records, smtp, clock)
    assert await worker.run_once() == 0  # its lease still holds
    clock.advance(POLICY.lease + timedelta(seconds=1))
    assert await worker.run_once() == 1
    assert len(await smtp.wait_for(1)) == 1
    [(state, _, _)] = await _state(records)
    assert state == "sent"


async def test_a_refusal_for_good_fails_with_the_servers_reason(
    records: Records, smtp: MailServer, clock: Clock
) -> None:
    case_id, _ = await _queue(records, clock)
    smtp.refuse = f"550 5.1.1 <{ADDRESS}>: Recipient address rejected"
    await smtp.start()
    assert await _worker(records, smtp, clock).run_once() == 1
    [status] = await records.outbox.list_mail(case_id)
    assert status.state is MailState.FAILED
    assert status.last_code == 550
    assert status.last_reply is not None and "Recipient address rejected" in status.last_reply
    assert ADDRESS not in status.last_reply  # servers quote the address: masked
    actions = [e.action for e in await records.audit.for_case(case_id)]
    assert "mail.failed" in actions
    assert smtp.received == []


async def test_a_refusal_for_now_is_retried_then_given_up_with_its_reason(
    records: Records, smtp: MailServer, clock: Clock
) -> None:
    case_id, _ = await _queue(records, clock)
    smtp.refuse = "451 4.7.1 Greylisted, try again later"
    await smtp.start()
    worker = _worker(records, smtp, clock)
    delays = []
    while True:
        assert await worker.run_once() == 1
        [(state, attempts, reply)] = await _state(records)
        if state == "failed":
            break
        [status] = await records.outbox.list_mail(case_id)
        delays.append(status.next_attempt_at - clock.now)
        clock.advance(delays[-1])
    assert delays[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(delays) == POLICY.cap
    assert reply == "4.7.1 Greylisted, try again later"
    assert attempts == len(delays) + 1


async def test_a_message_to_an_erased_person_is_never_sent(
    records: Records, smtp: MailServer, clock: Clock
) -> None:
    case_id, _ = await _queue(records, clock)
    [status] = await records.outbox.list_mail(case_id)
    assert status.participant_id is not None
    await records.casefile.shred_participant(
        case_id, status.participant_id, actor="mediator:x", via="test"
    )
    await smtp.start()
    assert await _worker(records, smtp, clock).run_once() == 1
    [(state, _, reply)] = await _state(records)
    assert state == "failed" and reply is not None and reply.startswith("erased")
    assert smtp.received == []


class Broken:
    """A transport with a bug: the message is put back to wait, the round goes on."""

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> Accepted:
        self.calls += 1
        raise RuntimeError("a bug")


async def test_a_bug_while_sending_puts_the_message_back_to_wait(
    records: Records, clock: Clock
) -> None:
    await _queue(records, clock, 2)
    broken = Broken()
    worker = MailWorker(records.outbox, broken, "m@palabre.test", policy=POLICY, clock=clock)
    assert await worker.run_once() == 2
    assert broken.calls == 2
    assert {(s, a, r) for s, a, r in await _state(records)} == {
        ("waiting", 1, "internal error: RuntimeError")
    }
