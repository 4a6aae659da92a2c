"""The signing store on SQLite and PostgreSQL: what is at rest (the text and the signature
encrypted, the code only as an HMAC), a lock that holds for another node or after a
restart (a second store on the same database), a new code that replaces the last one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from errors import ErrorCode
from records.agreements.documents import fill
from records.agreements.signing import (
    PersonKind,
    Signature,
    SigningRefused,
    SigningStore,
    TextKind,
    TextState,
)
from records.models import AgreementSignerRow, AgreementTextRow
from records.service import Records
from records.stores.accounts import AccountStore
from records.stores.cases import Case, MediationType, NewCase, NewParticipant, ParticipantRole

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def _case(records: Records) -> tuple[Case, str]:
    mediator = await AccountStore(records.db).create_mediator("anne@example.org", "Anne", "x")
    case = await records.cases.create_case(
        mediator.id,
        NewCase(
            reference="2030-001", title="T", public_title="Médiation",
            mediation_type=MediationType.CONSUMER, description="", co_mediator_ids=[],
            participants=[NewParticipant("Jeanne Martin", ParticipantRole.PARTY, "j@example.org")],
        ),
    )  # fmt: skip
    return case, mediator.id


def _store(records: Records, clock: Clock) -> SigningStore:
    """Another node's (or a restarted server's) store on the same database and keys."""
    return SigningStore(records.db, records.keystore, records.keys, records.audit, clock=clock)


def _signature(code: str, sha: str) -> Signature:
    return Signature(sha, "Jeanne Martin", code, "UA", "Europe/Paris", None, "J. Martin")


async def test_a_lock_holds_across_nodes_and_the_secrets_are_not_in_clear(
    records: Records,
) -> None:
    clock = Clock()
    one, two = _store(records, clock), _store(records, clock)
    case, mediator = await _case(records)
    document = fill("# Protocole\n\nBati+ rembourse 1 200 € à {{parties}}.", {"parties": "Jeanne"})
    party = (PersonKind.PARTICIPANT, case.participants[0].id)
    text = await one.freeze(
        case.id, kind=TextKind.MEDIATED_AGREEMENT, language="fr", document=document,
        signers=[party, (PersonKind.MEDIATOR, mediator)],
        actor=f"mediator:{mediator}", via="test",
    )  # fmt: skip
    signer = text.signers[0].id
    first, _ = await one.new_code(case.id, text.id, signer, channel="shown", actor="t", via="t")
    clock.now += timedelta(minutes=2)
    code, expires = await two.new_code(case.id, text.id, signer, channel="shown", actor="t",
                                       via="t")  # fmt: skip
    assert expires == clock.now + timedelta(minutes=10)
    if first != code:  # the earlier code no longer works
        with pytest.raises(SigningRefused) as refused:
            await one.sign(case.id, text.id, signer, _signature(first, text.sha256), actor="t",
                           via="t")  # fmt: skip
        assert refused.value.code is ErrorCode.CODE_WRONG
    async with records.db.transaction() as s:
        row = (await s.execute(select(AgreementSignerRow).where(
            AgreementSignerRow.id == signer))).scalar_one()  # fmt: skip
        stored = (await s.execute(select(AgreementTextRow))).scalar_one()
    assert row.code_hash is not None and code not in row.code_hash and len(row.code_hash) == 64
    assert b"rembourse" not in stored.ciphertext

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):  # alternately on each node: the count is the database's
        store = one if _ % 2 else two
        with pytest.raises(SigningRefused) as refused:
            await store.sign(case.id, text.id, signer, _signature(wrong, text.sha256), actor="t",
                             via="t")  # fmt: skip
    assert refused.value.code is ErrorCode.SIGNER_LOCKED
    restarted = _store(records, clock)
    with pytest.raises(SigningRefused) as refused:
        await restarted.new_code(case.id, text.id, signer, channel="shown", actor="t", via="t")
    assert refused.value.code is ErrorCode.SIGNER_LOCKED and refused.value.retry_after == 900

    clock.now += timedelta(minutes=15)
    code, _ = await restarted.new_code(case.id, text.id, signer, channel="shown", actor="t",
                                       via="t")  # fmt: skip
    signed = await one.sign(case.id, text.id, signer, _signature(code, text.sha256), actor="t",
                            via="t")  # fmt: skip
    assert signed.signers[0].signed and not signed.all_signed
    assert signed.state is TextState.OPEN
    async with records.db.transaction() as s:
        row = (await s.execute(select(AgreementSignerRow).where(
            AgreementSignerRow.id == signer))).scalar_one()  # fmt: skip
    assert row.ciphertext is not None and b"Jeanne" not in row.ciphertext
    assert row.code_hash is None and row.method == "code_shown_by_mediator"
    [by] = await two.signatures(case.id, text.id)
    assert (by.typed_name, by.signed_at) == ("Jeanne Martin", clock.now)
    assert await two.read_document(case.id, text.id) == document


async def test_a_new_version_withdraws_the_open_one_of_its_kind_not_other_kinds(
    records: Records,
) -> None:
    clock = Clock()
    store = _store(records, clock)
    case, mediator = await _case(records)
    party = (PersonKind.PARTICIPANT, case.participants[0].id)
    signers = [party, (PersonKind.MEDIATOR, mediator)]

    async def freeze(kind: TextKind, words: str) -> str:
        text = await store.freeze(
            case.id, kind=kind, language="fr", document=fill(f"# Texte\n\n{words}", {}),
            signers=signers, actor=f"mediator:{mediator}", via="test",
        )  # fmt: skip
        return text.id

    first = await freeze(TextKind.MEDIATED_AGREEMENT, "Bati+ rembourse 1 000 €.")
    entry = await freeze(TextKind.AGREEMENT_TO_MEDIATE, "Les parties entrent en médiation.")
    loose = await freeze(TextKind.FREE, "Une note.")
    signer = (await store.get_text(case.id, first)).signers[0].id
    code, _ = await store.new_code(case.id, first, signer, channel="shown", actor="t", via="t")
    sha = (await store.get_text(case.id, first)).sha256
    await store.sign(case.id, first, signer, _signature(code, sha), actor="t", via="t")

    clock.now += timedelta(minutes=5)
    second = await freeze(TextKind.MEDIATED_AGREEMENT, "Bati+ rembourse 1 200 €.")
    await freeze(TextKind.FREE, "Une autre note.")

    states = {t.id: t.state for t in await store.list_texts(case.id)}
    assert states[first] is TextState.WITHDRAWN  # signed by one already: replaced all the same
    assert states[second] is TextState.OPEN
    assert states[entry] is TextState.OPEN and states[loose] is TextState.OPEN
    with pytest.raises(SigningRefused) as refused:
        await store.new_code(case.id, first, signer, channel="shown", actor="t", via="t")
    assert refused.value.code is ErrorCode.TEXT_WITHDRAWN
    withdrawn = [e for e in await records.audit.for_case(case.id) if e.action == "text.withdrawn"]
    assert [(e.subject, e.detail["superseded_by"]) for e in withdrawn] == [
        (f"text:{first}", second)
    ]
