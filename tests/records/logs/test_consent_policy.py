"""The consent policy: which texts each purpose is given against, and what holds when."""

from __future__ import annotations

from records.db import Database
from records.logs.consent_policy import CHAT_PURPOSE, OBSERVER_PURPOSE, PURPOSES, ConsentPolicy
from records.service import Records
from tests.factories import make_case, make_mediator


async def participant(db: Database, records: Records) -> str:
    """A participant of a case (whose personal consent fields can be sealed)."""
    case = await make_case(db, await make_mediator(db), store=records.cases)
    return case.participants[0].id


async def give(records: Records, pid: str, purpose: str, decision: str = "given") -> None:
    kind = PURPOSES.get(purpose, "confidentiality")
    text = await records.notices.current(kind, "fr")
    await records.consent.record(
        session_id="s1", participant_id=pid, purpose=purpose, decision=decision,  # type: ignore[arg-type]
        text_version=text.version, text_sha256=text.sha256, language="fr",
        mechanism={"form": "test"}, typed_name=None,
    )  # fmt: skip


async def test_consent_holds_for_both_purposes_on_the_current_texts(
    db: Database, records: Records
) -> None:
    policy = ConsentPolicy(records.consent, records.notices)
    p1 = await participant(db, records)
    before = await policy.version()
    await give(records, p1, "mediation")
    assert not await policy.has_consent("s1", p1)
    await give(records, p1, "privacy")
    assert await policy.has_consent("s1", p1)
    await records.notices.publish("privacy", "fr", "Nouvelle notice de confidentialité.", "anne")
    assert await policy.version() != before
    assert not await policy.has_consent("s1", p1)  # a new text: consent again
    await policy.withdraw("s1", p1, "TestBrowser")
    current = await records.consent.current("s1", p1)
    assert current["mediation"].decision == "withdrawn"


async def test_observers_need_every_partys_agreement(records: Records) -> None:
    policy = ConsentPolicy(records.consent, records.notices)
    await give(records, "p1", OBSERVER_PURPOSE)
    assert await policy.observers_agreed("s1", ["p1"])
    assert not await policy.observers_agreed("s1", ["p1", "p2"])
    await give(records, "p2", OBSERVER_PURPOSE, "declined")
    assert not await policy.observers_agreed("s1", ["p1", "p2"])
    assert await policy.observers_agreed("s1", [])  # no party, nobody to ask


async def test_the_chat_retention_text_is_a_notice_like_the_others(
    db: Database, records: Records
) -> None:
    policy = ConsentPolicy(records.consent, records.notices)
    p1 = await participant(db, records)
    first = await policy.chat_notice("en")
    assert first.version == 1 and "chat" in first.body.lower()
    assert (await policy.chat_notice("xx")).language == "fr"
    newer = await records.notices.publish(
        "chat_retention", "fr", "Le médiateur propose de garder la discussion.", "anne"
    )
    assert (await policy.chat_notice("fr")).version == newer.version == 2
    await policy.record_chat_agreement("s1", p1, True, "fr", "TestBrowser")
    await policy.record_chat_agreement("s1", p1, False, "fr", "TestBrowser")
    entry = (await records.consent.current("s1", p1))[CHAT_PURPOSE]
    assert (entry.decision, entry.text_version, entry.text_sha256) == (
        "withdrawn", 2, newer.sha256,
    )  # fmt: skip
