"""Live sessions' stored state: encrypted under the case key, fenced by the claim's epoch,
gone with the session, its case, or an erased participant's case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from records.db import Database
from records.models import CaseRow, LiveStateRow, SessionRow
from records.rights.retention import DEFAULT_POLICIES, purge
from records.rights.subjects import erase_subject
from records.service import Records
from records.stores.live import StaleWriter
from tests.factories import make_case, make_mediator, make_session


def state(n: int) -> dict[str, Any]:
    return {"participants": [["participant:p1", "admitted", "c1+p1", "dev", "private-ab"]],
            "rooms": [["private-ab", "Aparté Dupont", "mediator:m1"]], "n": n}  # fmt: skip


async def rows(db: Database) -> list[LiveStateRow]:
    async with db.transaction() as s:
        return list(await s.scalars(select(LiveStateRow)))


async def test_a_claimed_state_is_stored_encrypted_and_read_back(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    session = await make_session(db, case, anne)
    live = records.live
    first = await live.claim(case.id, session.id)
    assert (first.epoch, first.revision, first.data) == (1, 0, None)
    assert await live.load(case.id, session.id) is None
    assert await live.save(case.id, session.id, first.epoch, state(1)) == 1
    assert await live.save(case.id, session.id, first.epoch, state(2)) == 2
    assert await live.load(case.id, session.id) == (2, state(2))
    (row,) = await rows(db)
    assert row.ciphertext is not None and b"Dupont" not in row.ciphertext
    assert b"participant:p1" not in row.ciphertext
    again = await live.claim(case.id, session.id)  # another node takes it
    assert (again.epoch, again.revision, again.data) == (2, 2, state(2))


async def test_a_writer_that_lost_the_claim_cannot_overwrite_the_new_holder(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    session = await make_session(db, case, anne)
    live = records.live
    old = await live.claim(case.id, session.id)
    await live.save(case.id, session.id, old.epoch, state(1))
    new = await live.claim(case.id, session.id)
    with pytest.raises(StaleWriter):  # before the new holder wrote anything
        await live.save(case.id, session.id, old.epoch, state(99))
    await live.save(case.id, session.id, new.epoch, state(2))
    with pytest.raises(StaleWriter):  # and after
        await live.save(case.id, session.id, old.epoch, state(99))
    assert await live.load(case.id, session.id) == (2, state(2))
    assert await live.drop(session.id)
    with pytest.raises(StaleWriter):  # ended: nobody brings it back
        await live.save(case.id, session.id, new.epoch, state(3))
    assert await rows(db) == []
    assert not await live.drop(session.id)


async def test_the_state_goes_with_the_session_the_case_and_an_erased_participant(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    other = await make_case(db, anne, store=records.cases)
    one = await make_session(db, case, anne)
    two = await make_session(db, case, anne, timedelta(days=3))
    elsewhere = await make_session(db, other, anne)
    live = records.live
    for c, s in ((case, one), (case, two), (other, elsewhere)):
        await live.save(c.id, s.id, (await live.claim(c.id, s.id)).epoch, state(1))
    async with db.transaction() as s:  # a session deleted
        await s.execute(delete(SessionRow).where(SessionRow.id == one.id))
    assert {r.session_id for r in await rows(db)} == {two.id, elsewhere.id}
    await erase_subject(records, case.participants[0].id, actor="t", via="t")
    assert {r.session_id for r in await rows(db)} == {elsewhere.id}
    # the other case, past retention, is purged with its live state
    closed = datetime.now(UTC) - timedelta(days=20 * 365)
    async with db.transaction() as s:
        await s.execute(update(CaseRow).where(CaseRow.id == other.id).values(closed_at=closed))
    await purge(records, DEFAULT_POLICIES, datetime.now(UTC))
    assert await rows(db) == []


async def test_an_unreadable_state_is_claimed_as_nothing(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    session = await make_session(db, case, anne)
    live = records.live
    await live.save(case.id, session.id, (await live.claim(case.id, session.id)).epoch, state(1))
    async with db.transaction() as s:
        await s.execute(update(LiveStateRow).values(ciphertext=b"\x00" * 40))
    claim = await live.claim(case.id, session.id)
    assert claim.data is None and claim.epoch == 2
    assert await live.load(case.id, session.id) is None
