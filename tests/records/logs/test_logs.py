from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from records.crypto.keys import FileKeyProvider
from records.db import Database
from records.errors import Invalid, NotFound
from records.logs.audit import AuditLog
from records.logs.chain import Problem
from records.logs.consent import ConsentLog
from records.models import AuditLogRow, ConsentLogRow
from records.service import Records
from records.stores.notices import NoticeTexts, default_text

SHA = hashlib.sha256(b"text").hexdigest()


async def give(log: ConsentLog, purpose: str = "confidentiality", decision: str = "given") -> None:
    await log.record(
        session_id="s1", participant_id="p1", purpose=purpose, decision=decision,  # type: ignore[arg-type]
        text_version=1, text_sha256=SHA, language="fr",
        mechanism={"kind": "button", "label_key": "consent.accept"}, typed_name=None,
    )  # fmt: skip


async def test_consent_current_and_history(records: Records) -> None:
    log = records.consent
    await give(log, "confidentiality")
    await give(log, "privacy")
    await give(log, "camera")
    await give(log, "camera", "withdrawn")
    current = await log.current("s1", "p1")
    assert {k: v.decision for k, v in current.items()} == {
        "confidentiality": "given", "privacy": "given", "camera": "withdrawn",
    }  # fmt: skip
    history = await log.history("p1")
    assert [e.seq for e in history] == [1, 2, 3, 4]
    assert history[0].at.tzinfo is not None and history[0].mechanism["kind"] == "button"
    assert await log.history("nobody") == []
    assert (await log.verify()).ok


async def test_consent_refuses_bad_values(records: Records) -> None:
    with pytest.raises(Invalid):
        await give(records.consent, decision="maybe")
    with pytest.raises(Invalid):
        await records.consent.record(
            session_id="s1", participant_id="p1", purpose="x", decision="given", text_version=1,
            text_sha256="nothex", language="fr", mechanism={}, typed_name=None,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [("edit", Problem.EDITED), ("delete", Problem.DELETED), ("truncate", Problem.TRUNCATED)],
)
async def test_tampered_audit_chain_is_reported(
    db: Database, records: Records, tamper: str, problem: Problem
) -> None:
    for i in range(5):
        await records.audit.append(
            actor="system", action="test", case_id=None, session_id=None, subject=None,
            detail={"i": i}, via="t",
        )  # fmt: skip
    assert (await records.audit.verify()).ok
    async with db.transaction() as s:
        if tamper == "edit":
            await s.execute(update(AuditLogRow).where(AuditLogRow.seq == 3).values(actor="eve"))
        elif tamper == "delete":
            await s.execute(delete(AuditLogRow).where(AuditLogRow.seq == 3))
        else:
            await s.execute(delete(AuditLogRow).where(AuditLogRow.seq == 5))
    report = await records.audit.verify()
    assert not report.ok and report.problem is problem
    assert report.seq in {3, 5}


async def test_edited_consent_decision_is_caught(db: Database, records: Records) -> None:
    await give(records.consent)
    await give(records.consent, "privacy")
    async with db.transaction() as s:
        await s.execute(
            update(ConsentLogRow).where(ConsentLogRow.seq == 1).values(decision="declined")
        )
    report = await records.consent.verify()
    assert not report.ok and report.problem is Problem.EDITED and report.position == 0


async def test_a_wrong_hmac_key_breaks_verification(
    db: Database, records: Records, tmp_path: Path
) -> None:
    await give(records.consent)
    other = FileKeyProvider(tmp_path / "other-keys.json")
    report = await ConsentLog(db, other, records.keystore).verify()
    assert not report.ok and report.problem is Problem.EDITED


async def test_concurrent_appends_from_two_engines_keep_one_chain(
    db_url: str, records: Records
) -> None:
    second = Database(db_url)
    try:
        logs = [records.audit, AuditLog(second, records.keys)]

        async def writer(log: AuditLog, n: int) -> None:
            for i in range(25):
                await log.append(
                    actor=f"w{n}", action="test", case_id=None, session_id=None, subject=None,
                    detail={"i": i}, via="t",
                )  # fmt: skip

        await asyncio.gather(*(writer(log, n) for n, log in enumerate(logs)))
    finally:
        await second.close()
    report = await records.audit.verify()
    assert report.ok and report.count == 50


async def test_purging_old_entries_keeps_the_chain_verifiable(
    db: Database, records: Records
) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    times = iter([now - timedelta(days=400 - i) for i in range(10)])
    log = AuditLog(db, records.keys, clock=lambda: next(times))
    for i in range(10):
        await log.append(
            actor="system", action="test", case_id=None, session_id=None, subject=None,
            detail={"i": i}, via="t",
        )  # fmt: skip
    async with db.transaction() as s:
        result = await log.purge_before(s, now - timedelta(days=395))
    assert result.deleted == 5 and result.first_seq == 6
    report = await log.verify()
    assert report.ok and report.count == 5
    async with db.transaction() as s:
        assert (await log.purge_before(s, now - timedelta(days=395))).deleted == 0
    await records.audit.append(
        actor="system", action="after", case_id=None, session_id=None, subject=None,
        detail={}, via="t",
    )  # fmt: skip
    assert (await log.verify()).count == 6


async def test_notice_texts_are_versioned_and_seeded(db: Database, records: Records) -> None:
    notices = NoticeTexts(db)
    fr = await notices.current("confidentiality", "fr")
    assert fr.version == 1 and "21-3" in fr.body and "1528-3" in fr.body
    assert fr.sha256 == hashlib.sha256(fr.body.encode()).hexdigest()
    assert (await notices.current("privacy", "en")).body == default_text("privacy", "en")
    v2 = await notices.publish("confidentiality", "fr", "Nouveau texte", "anne")
    assert v2.version == 2
    assert (await notices.current("confidentiality", "fr")).version == 2
    assert (await notices.get("confidentiality", "fr", 1)).body == fr.body
    with pytest.raises(NotFound):
        await notices.get("confidentiality", "fr", 9)
    assert await notices.seed_defaults() == 0
