"""A sealed agreement in the case file: encrypted at rest, listed, read back whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from records.agreements.documents import fill
from records.agreements.pdf import SignatureEvidence, check_sealed, seal_agreement
from records.agreements.seal import load_or_create_seal
from records.agreements.signed import read_signed, store_signed
from records.agreements.templates import default_text
from records.db import Database
from records.errors import NotFound
from records.models import CaseItemVersionRow
from records.service import Records
from records.stores.casefile import ItemKind
from tests.factories import make_case, make_mediator

AT = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


async def test_the_sealed_pdf_is_stored_encrypted_and_listed(
    db: Database, records: Records, tmp_path: Path
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    seal = load_or_create_seal("Org", tmp_path / "org")
    document = fill(default_text("mediated_agreement", "fr"), {"parties": "Jeanne Dupont"})
    signer = SignatureEvidence("Jeanne Dupont", AT, "Europe/Paris", "email_code", "j•••@ex.org")
    sealed = await seal_agreement(document, [signer], seal, language="fr",
                                  case_reference=case.reference, sealed_at=AT)  # fmt: skip
    actor = f"mediator:{anne.id}"
    info = await store_signed(
        records.casefile, case.id, sealed, template="mediated_agreement", language="fr",
        case_reference=case.reference, sealed_at=AT, actor=actor, via="test",
    )  # fmt: skip
    assert info.kind is ItemKind.AGREEMENT

    listed = await records.casefile.list_items(case.id, kinds={ItemKind.AGREEMENT})
    assert [i.id for i in listed] == [info.id]

    async with db.transaction() as s:
        at_rest = await s.scalar(
            select(CaseItemVersionRow.ciphertext).where(CaseItemVersionRow.item_id == info.id)
        )
    assert at_rest is not None
    assert b"%PDF" not in at_rest and sealed.pdf[-2000:] not in at_rest
    assert b"Jeanne" not in at_rest and b"mediated_agreement" not in at_rest

    signer = f"participant:{case.participants[0].id}"  # a signer, from their link
    meta, pdf = await read_signed(records.casefile, case.id, info.id, actor=signer, via="test")
    assert pdf == sealed.pdf
    assert (meta.template, meta.language, meta.text_sha256) == (
        "mediated_agreement", "fr", sealed.sha256,
    )  # fmt: skip
    assert meta.name == f"mediated_agreement-{case.reference}-2026-12-07.pdf"
    assert (await check_sealed(pdf, seal.certificate())).ok
    trail = await records.audit.for_case(case.id)
    assert [(e.action, e.actor) for e in trail[:2]] == [
        ("item.read", signer), ("item.write", actor),
    ]  # newest first  # fmt: skip
    description = next(
        i for i in await records.casefile.list_items(case.id) if i.kind is ItemKind.DESCRIPTION
    )
    with pytest.raises(NotFound):  # nothing but a signed agreement is read this way
        await read_signed(records.casefile, case.id, description.id, actor=signer, via="test")
    assert len(await records.audit.for_case(case.id)) == len(trail)
