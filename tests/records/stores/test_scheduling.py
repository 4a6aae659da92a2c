from __future__ import annotations

from datetime import timedelta

import pytest

from records.db import Database
from records.errors import NotFound
from records.models import utcnow
from records.stores.scheduling import ScheduleStore
from tests.factories import make_case, make_mediator, make_session


async def test_sessions_are_listed_in_time_order(db: Database) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne)
    later = await make_session(db, case, anne, timedelta(days=9))
    sooner = await make_session(db, case, anne, timedelta(days=1))
    listed = await ScheduleStore(db).list_sessions(case.id, anne.id)
    assert [s.id for s in listed] == [sooner.id, later.id]
    assert listed[0].starts_at.tzinfo is not None


async def test_reissuing_a_link_revokes_the_previous_one(db: Database) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne)
    session = await make_session(db, case, anne)
    store = ScheduleStore(db)
    party = case.participants[0]
    expires = utcnow() + timedelta(days=3)
    first = await store.issue_link(session.id, party.id, anne.id, "a" * 32, expires)
    second = await store.issue_link(session.id, party.id, anne.id, "b" * 32, expires)
    assert (await store.get_join_info(first.jti)).link.revoked_at is not None
    assert (await store.get_join_info(second.jti)).link.revoked_at is None
    assert [x.jti for x in await store.list_links(session.id, anne.id)] == [second.jti]


async def test_links_are_bound_to_the_participants_role(db: Database) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne)
    session = await make_session(db, case, anne)
    counsel = case.participants[2]
    link = await ScheduleStore(db).issue_link(
        session.id, counsel.id, anne.id, "c" * 32, utcnow() + timedelta(days=3)
    )
    assert link.role.value == "counsel"


async def test_another_mediator_cannot_issue_or_revoke(db: Database) -> None:
    anne = await make_mediator(db, "anne@example.org")
    bob = await make_mediator(db, "bob@example.org")
    case = await make_case(db, anne)
    session = await make_session(db, case, anne)
    store = ScheduleStore(db)
    party = case.participants[0]
    with pytest.raises(NotFound):
        await store.issue_link(session.id, party.id, bob.id, "d" * 32, utcnow())
    link = await store.issue_link(session.id, party.id, anne.id, "e" * 32, utcnow())
    with pytest.raises(NotFound):
        await store.revoke_link(link.jti, bob.id)
    assert (await store.get_join_info(link.jti)).link.revoked_at is None


async def test_participant_of_another_case_is_refused(db: Database) -> None:
    anne = await make_mediator(db)
    case_a = await make_case(db, anne)
    case_b = await make_case(db, anne)
    session = await make_session(db, case_a, anne)
    with pytest.raises(NotFound):
        await ScheduleStore(db).issue_link(
            session.id, case_b.participants[0].id, anne.id, "f" * 32, utcnow()
        )


async def test_join_info_names_the_mediators_not_the_other_participants(db: Database) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne)
    session = await make_session(db, case, anne)
    store = ScheduleStore(db)
    link = await store.issue_link(
        session.id, case.participants[1].id, anne.id, "9" * 32, utcnow() + timedelta(days=3)
    )
    info = await store.get_join_info(link.jti)
    assert info.participant_name == "Marc Durand"
    assert info.case_public_title == "Médiation de voisinage"
    assert info.mediator_names == ["Anne"]
    assert "jeanne@example.org" not in repr(info)


async def test_the_end_stores_its_follow_up_once_until_it_is_done(db: Database) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne)
    ended, cancelled = await make_session(db, case, anne), await make_session(db, case, anne)
    store = ScheduleStore(db)
    await store.end_session(ended.id, {"p-b", "p-a", "m-anne"})
    await store.end_session(ended.id, {"p-c"})  # a takeover ends it again: nothing changes
    await store.cancel_session(cancelled.id, anne.id)
    await store.end_session(cancelled.id, {"p-a"})  # cancelled stays cancelled, nothing due
    assert (await store.get_session(ended.id, anne.id)).status == "ended"
    assert (await store.get_session(cancelled.id, anne.id)).status == "cancelled"
    assert await store.follow_ups_due() == [(ended.id, ["m-anne", "p-a", "p-b"])]
    await store.follow_up_done(ended.id)
    assert await store.follow_ups_due() == []
    with pytest.raises(NotFound):
        await store.end_session("no-such-session", {"p-a"})
