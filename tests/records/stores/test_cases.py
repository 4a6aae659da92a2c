from __future__ import annotations

import pytest

from records.db import Database
from records.errors import Conflict, NotFound
from records.service import Records
from records.stores.accounts import AccountStore
from records.stores.cases import CaseStore, NewParticipant, ParticipantRole
from tests.factories import make_case, make_mediator


async def test_mediator_emails_are_unique_case_insensitively(db: Database) -> None:
    await make_mediator(db, "anne@example.org")
    with pytest.raises(Conflict):
        await AccountStore(db).create_mediator("ANNE@example.org", "Other", "h")
    assert await AccountStore(db).count_mediators() == 1


async def test_first_mediator_only_once(db: Database) -> None:
    store = AccountStore(db)
    await store.create_first_mediator("a@example.org", "A", "h")
    with pytest.raises(Conflict):
        await store.create_first_mediator("b@example.org", "B", "h")


async def test_case_round_trip_keeps_participants_in_order(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    loaded = await records.cases.get_case(case.id, anne.id)
    assert [p.display_name for p in loaded.participants] == [
        "Jeanne Dupont",
        "Marc Durand",
        "Me Paul Girard",
    ]
    assert loaded.participants[2].role is ParticipantRole.COUNSEL
    assert loaded.mediators[0].id == anne.id and loaded.mediators[0].role == "lead"
    assert loaded.description == "Confidential description"


async def test_only_the_cases_mediators_see_it(db: Database) -> None:
    anne = await make_mediator(db, "anne@example.org")
    bob = await make_mediator(db, "bob@example.org")
    cleo = await make_mediator(db, "cleo@example.org")
    case = await make_case(db, anne, co_ids=[cleo.id])
    store = CaseStore(db)
    with pytest.raises(NotFound):
        await store.get_case(case.id, bob.id)
    assert await store.list_cases(bob.id) == []
    assert [c.id for c in await store.list_cases(cleo.id)] == [case.id]
    assert (await store.get_case(case.id, cleo.id)).mediators[1].role == "co"
    with pytest.raises(NotFound):
        await store.add_participant(case.id, bob.id, NewParticipant("X", ParticipantRole.PARTY))


async def test_unknown_co_mediator_leaves_nothing_half_written(db: Database) -> None:
    anne = await make_mediator(db)
    with pytest.raises(NotFound):
        await make_case(db, anne, co_ids=["f" * 24])
    assert await CaseStore(db).list_cases(anne.id) == []


async def test_add_participant_appends(db: Database) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne)
    added = await CaseStore(db).add_participant(
        case.id, anne.id, NewParticipant("Observer", ParticipantRole.OBSERVER)
    )
    loaded = await CaseStore(db).get_case(case.id, anne.id)
    assert loaded.participants[-1] == added
