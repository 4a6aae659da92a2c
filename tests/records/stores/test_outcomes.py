"""Closing cases on both backends: encrypted summary, review edits, filters for statistics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from records.db import Database
from records.errors import Conflict, Invalid, NotFound
from records.models import CaseItemVersionRow, CaseOutcomeRow
from records.service import Records
from records.stores.cases import MediationType
from records.stores.outcomes import Closing, Confirmation, Outcome, PartyKind, Referral
from tests.factories import make_case, make_mediator

CLOSING = Closing(
    outcome=Outcome.NO_AGREEMENT, referral=Referral.COURT_ORDERED,
    party_kinds=(PartyKind.INDIVIDUAL, PartyKind.PUBLIC_BODY), departement="2a",
    session_minutes=(60, 45), language="fr", summary="Mme Rose Blanc a quitté la séance.",
    organisations=("Mairie de Sartène",), court_reference="RG 26/00042",
)  # fmt: skip


async def test_close_review_and_list(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    bob = await make_mediator(db, "bob@example.org")
    case = await make_case(db, anne, store=records.cases)
    store = records.outcomes
    done = await store.close_case(case.id, anne.id, CLOSING, via="t")
    assert (done.departement, done.region) == ("2A", "Corse")
    assert done.judicial and not done.outcome.agreement
    assert done.record().sessions == 2
    text = await store.get_summary(case.id, anne.id, via="t")
    assert text.summary == CLOSING.summary and text.organisations == ("Mairie de Sartène",)
    async with db.transaction() as s:
        blobs = list(await s.scalars(select(CaseItemVersionRow.ciphertext)))
        assert blobs and all(b"Rose" not in b for b in blobs)
    with pytest.raises(NotFound):
        await store.get_summary(case.id, bob.id, via="t")
    with pytest.raises(NotFound):
        await store.close_case(case.id, bob.id, CLOSING, via="t")
    with pytest.raises(Invalid):
        bad = Closing(**{**CLOSING.__dict__, "departement": "99"})
        await store.close_case(case.id, anne.id, bad, via="t")

    edits = [{"op": "redact", "start": 0, "end": 3}, {"op": "revert", "id": "r1"}]
    document = {"format": "palabre-case-summary", "summary": {"text": "Partie A est partie."}}
    with pytest.raises(Conflict):  # not the summary that is stored
        await store.set_review(
            case.id, anne.id, edits, confirmation=Confirmation("autre", document), via="t"
        )
    confirmation = Confirmation(CLOSING.summary, document)
    reviewed = await store.set_review(case.id, anne.id, edits, confirmation=confirmation, via="t")
    assert reviewed.edits == tuple(edits) and reviewed.confirmed_at is not None
    assert await store.get_confirmed(case.id, anne.id, via="t") == document
    assert (await store.get_summary(case.id, anne.id, via="t")).summary == CLOSING.summary
    with pytest.raises(Invalid):
        await store.set_review(case.id, anne.id, [{"op": "redact", "start": "0"}], via="t")
    again = await store.close_case(case.id, anne.id, CLOSING, via="t")  # a correction
    assert again.edits == () and again.confirmed_at is None
    assert await store.get_confirmed(case.id, anne.id, via="t") is None

    other = await make_case(db, anne, store=records.cases)
    await store.close_case(other.id, anne.id, CLOSING, via="t")
    async with db.transaction() as s:
        await s.execute(
            update(CaseOutcomeRow)
            .where(CaseOutcomeRow.case_id == other.id)
            .values(closed_at=datetime(2024, 6, 1, tzinfo=UTC))
        )
    year = datetime.now(UTC).year
    assert [o.case_id for o in await store.list_closed(anne.id, year=year)] == [case.id]
    assert [o.case_id for o in await store.list_closed(anne.id, year=2024)] == [other.id]
    assert len(await store.list_closed(anne.id)) == 2
    assert await store.list_closed(anne.id, mediation_type=MediationType.JUDICIAL) == []
    assert await store.list_closed(bob.id) == []
