"""Reminders before a session, on SQLite and PostgreSQL, received by a real SMTP server
(aiosmtpd): one per person invited by e-mail and per start time, even with two nodes
running the loop at once against the same database and when a round runs twice; none for
someone not invited by e-mail or when the case wants none; a new one after a move. Time is
a clock the test sets: nobody waits a day."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from records.db import Database
from records.models import MailRow
from records.service import open_records
from records.stores.scheduling import ScheduleStore
from server.app import create_app
from server.config import Config
from server.context import SERVICES
from server.mail.notify import Notifier
from server.mail.reminders import Reminders
from server.mail.transport import SmtpTransport
from server.mail.worker import MailWorker, RetryPolicy
from tests.server.conftest import Api, create_case, make_config, schedule
from tests.server.test_session_notices import MOVE, calendar_of, invite, text_of
from tests.smtp import MailServer, env

FAST = RetryPolicy(first=timedelta(milliseconds=50), cap=timedelta(milliseconds=200))
# the session of tests.server.conftest.schedule: 14 March 2030, 14:30 in Paris (13:30 UTC)
STARTS = datetime(2030, 3, 14, 13, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def smtp() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def config(tmp_path: Path, db_url: str, smtp: MailServer) -> Config:
    return make_config(tmp_path, db_url, **env(smtp))


@pytest.fixture
async def server(config: Config) -> AsyncIterator[TestServer]:
    app = await create_app(config, setup_code="SETUPCODE42", mail_policy=FAST)
    async with TestServer(app) as srv:
        yield srv


@pytest.fixture
async def nodes(server: TestServer, config: Config) -> AsyncIterator[Any]:
    """Makes the reminder loop of another node: its own connections to the same database,
    its own records services, the clock given."""
    svc = server.app[SERVICES]
    async with AsyncExitStack() as stack:

        async def make(clock: Clock) -> Reminders:
            db = Database(config.database_url)
            stack.push_async_callback(db.close)
            records = await open_records(
                db, config.records.key_file, keys_url=config.records.keys_database_url
            )
            stack.push_async_callback(records.close)
            schedule_ = ScheduleStore(db)
            assert svc.mail is not None
            notifier = Notifier(
                schedule_, records.cases, svc.links, records.outbox, config.smtp, svc.mail.wake
            )
            return Reminders(schedule_, notifier, clock=clock)

        yield make


async def send_due(server: TestServer, clock: Clock) -> None:
    """What is due at the test's time goes out (the app's own sender lives in real time)."""
    svc = server.app[SERVICES]
    worker = MailWorker(
        svc.records.outbox, SmtpTransport(svc.config.smtp, timeout=5), svc.config.smtp.sender,
        policy=FAST, clock=clock,
    )  # fmt: skip
    while await worker.run_once():
        pass


async def reminders_in_db(server: TestServer) -> list[tuple[str | None, str]]:
    svc = server.app[SERVICES]
    async with svc.db.transaction() as s:
        rows = (
            await s.execute(
                select(MailRow.participant_id, MailRow.language).where(MailRow.kind == "reminder")
            )
        ).all()
    return sorted((r.participant_id, r.language) for r in rows)


async def test_two_nodes_twice_queue_one_reminder_per_invited_person(
    anne: Api, smtp: MailServer, server: TestServer, nodes: Any
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    jeanne, roux, girard = case["participants"]
    await invite(anne, session["id"], jeanne["id"], "fr")
    await invite(anne, session["id"], girard["id"], "en")
    await smtp.wait_for(2)
    early = Clock(STARTS - timedelta(hours=25))  # not yet: 24 h before, by default
    one, two = await nodes(early), await nodes(early)
    assert await one.run_once() == 0
    assert await reminders_in_db(server) == []
    later = Clock(STARTS - timedelta(hours=23))
    one, two = await nodes(later), await nodes(later)
    counts = await asyncio.gather(one.run_once(), two.run_once(), one.run_once())
    assert sum(counts) == 2
    assert await one.run_once() == 0 and await two.run_once() == 0  # and again: nothing
    assert await reminders_in_db(server) == sorted([(jeanne["id"], "fr"), (girard["id"], "en")])
    await send_due(server, later)
    received = await smtp.wait_for(4)
    reminders = {m["To"]: m for m in received[2:]}
    assert set(reminders) == {"jeanne@example.org", "girard@example.org"}  # Roux: no invitation
    fr, en = reminders["jeanne@example.org"], reminders["girard@example.org"]
    assert fr["Subject"] == "Rappel : séance de médiation — 14 mars 2030"
    assert en["Subject"] == "Reminder: mediation session — 14 March 2030"
    assert "14 mars 2030 à 14:30" in text_of(fr) and "http://127.0.0.1/join#" in text_of(fr)
    assert "14 March 2030 at 14:30" in text_of(en)
    invitation = next(m for m in received[:2] if m["To"] == "jeanne@example.org")
    assert calendar_of(fr)["UID"] == calendar_of(invitation)["UID"]
    assert calendar_of(fr)["DTSTART"] == "20300314T133000Z"
    # a sentinel through the same outbox: nothing else was sent meanwhile
    await invite(anne, session["id"], jeanne["id"], "fr")
    assert len(await smtp.wait_for(5)) == 5
    await asyncio.sleep(0)
    assert len(smtp.received) == 5
    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=100")).json()
    assert [e["action"] for e in audit["entries"]].count("mail.queued") == 5
    assert roux["id"] not in {p for p, _ in await reminders_in_db(server)}


async def test_a_session_moved_after_its_reminder_gets_one_for_its_new_time(
    anne: Api, smtp: MailServer, server: TestServer, nodes: Any
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    jeanne = case["participants"][0]
    await invite(anne, session["id"], jeanne["id"], "fr")
    clock = Clock(STARTS - timedelta(hours=2))
    node = await nodes(clock)
    assert await node.run_once() == 1
    r = await anne.post(f"/api/sessions/{session['id']}/move", MOVE)  # a week later
    assert r.status == 200
    assert await node.run_once() == 0  # the new time is not within 24 hours yet
    clock.now = datetime(2030, 3, 21, 8, 15, tzinfo=UTC) - timedelta(hours=1)
    assert await node.run_once() == 1
    assert await node.run_once() == 0
    assert len(await reminders_in_db(server)) == 2
    await send_due(server, clock)
    received = await smtp.wait_for(4)  # invitation, reminder, moved, reminder
    last = received[-1] if received[-1]["Subject"].startswith("Rappel") else received[-2]
    assert "21 mars 2030 à 09:15" in text_of(last)
    # past its start: no reminder any more
    clock.now = datetime(2030, 3, 21, 9, 0, tzinfo=UTC)
    assert await node.run_once() == 0


async def test_no_reminder_when_the_case_wants_none(
    anne: Api, smtp: MailServer, server: TestServer, nodes: Any
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    await invite(anne, session["id"], case["participants"][0]["id"], "fr")
    path = f"/api/cases/{case['id']}/reminder"
    r = await anne.client.put(path, json={"hours": 0}, headers=anne._headers())
    assert r.status == 200
    node = await nodes(Clock(STARTS - timedelta(minutes=30)))
    assert await node.run_once() == 0
    r = await anne.client.put(path, json={"hours": 1}, headers=anne._headers())
    assert await node.run_once() == 1  # within the hour now the case wants one
    assert len(await reminders_in_db(server)) == 1
