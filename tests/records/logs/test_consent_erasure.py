"""Erasure leaves consent entries that are truly pseudonymous, and the chain verifies.

The typed name, the browser string and the observers' names of a consent entry
are sealed under the participant's own key: they are never stored in clear, the
export decrypts them, and erasure (key destroyed, ciphertext dropped) leaves
none of them anywhere in the database, not even in the SQLite file's bytes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from records.db import Base, Database, is_sqlite
from records.logs.chain import utc_iso
from records.logs.consent import Personal
from records.models import AuditLogRow, ConsentLogRow, ParticipantRow
from records.rights.subjects import erase_subject, export_html, export_subject
from records.service import Records, open_records
from tests.factories import make_case, make_mediator

SHA = hashlib.sha256(b"t").hexdigest()
NAME = "Zéphyrine Quillardeau"
BROWSER = "SentinelBrowser/7.3 (X11; Quokka)"
OBSERVER = "Observatrice Hirondelle"
SECRETS = (NAME, BROWSER, OBSERVER)


async def give(records: Records, pid: str, purpose: str = "privacy") -> None:
    await records.consent.record(
        session_id="s1", participant_id=pid, purpose=purpose, decision="given",
        text_version=1, text_sha256=SHA, language="fr",
        mechanism={"form": "join-page", "user_agent": BROWSER, "observers": OBSERVER},
        typed_name=NAME,
    )  # fmt: skip


async def legacy(records: Records, pid: str, typed_name: str | None = NAME) -> None:
    """An entry exactly as written before migration 0007: name and browser in clear."""
    mechanism = {"form": "join-page", "user_agent": BROWSER}
    row: dict[str, Any] = {
        "at": utc_iso(datetime.now(UTC)), "session_id": "s1", "participant_id": pid,
        "purpose": "privacy", "decision": "given", "text_version": 1, "text_sha256": SHA,
        "language": "fr", "mechanism": json.dumps(mechanism, sort_keys=True),
        "typed_name": typed_name,
    }  # fmt: skip
    async with records.db.transaction() as s:  # format 1: what 0007 sets on existing rows
        await records.consent.chain.append(
            s, {**row, "mechanism": mechanism}, {**row, "entry_format": 1}
        )


async def rows_text(db: Database) -> str:
    """Every row of every table of the main database, as text (bytes decoded loosely)."""
    out = []
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for r in await conn.execute(select(table)):
                for v in r:
                    out.append(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
    return "\n".join(out)


def file_bytes(records: Records) -> bytes:
    """The SQLite files (main and keys, with any WAL) as they are on disk."""
    data = b""
    for url in (records.db.url, records.keys_db.url):
        path = Path(url.partition(":///")[2])
        for f in (path, path.with_name(path.name + "-wal")):
            if f.exists():
                data += f.read_bytes()
    return data


async def assert_nowhere(records: Records) -> None:
    text = await rows_text(records.db)
    for secret in SECRETS:
        assert secret not in text
    if is_sqlite(records.db.url):  # secure_delete: not even in freed pages
        raw = file_bytes(records)
        for secret in SECRETS:
            assert secret.encode() not in raw, secret


async def test_erasure_leaves_no_typed_name_or_browser_anywhere(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne, marc = case.participants[0].id, case.participants[1].id
    await give(records, jeanne, "mediation")
    await give(records, jeanne, "privacy")
    await give(records, marc)
    async with db.transaction() as s:
        stored = list(await s.scalars(select(ConsentLogRow.mechanism)))
    assert stored and all(json.loads(m) == {"form": "join-page"} for m in stored)

    doc = await export_subject(records, jeanne, actor="cli", via="cli")
    assert [c["typed_name"] for c in doc["consents"]] == [NAME, NAME]
    assert doc["consents"][0]["mechanism"]["user_agent"] == BROWSER
    assert doc["consents"][0]["personal_data"] == "read"
    assert NAME in export_html(doc) and BROWSER in export_html(doc)

    report = await erase_subject(records, jeanne, actor="cli", via="cli")
    assert (await records.consent.verify()).ok and (await records.audit.verify()).ok
    # marc keeps his: the same text is in his sealed entry, so look only at jeanne's rows
    async with db.transaction() as s:
        mine = list(await s.scalars(select(ConsentLogRow).where(
            ConsentLogRow.participant_id == jeanne)))  # fmt: skip
    assert len(mine) == 2
    assert all(r.personal is None and r.personal_key_id is None and r.typed_name is None
               and r.personal_sha256 for r in mine)  # fmt: skip
    assert all(json.loads(r.mechanism) == {"form": "join-page"} for r in mine)

    history = await records.consent.history(jeanne, decrypt=True)
    assert [(e.purpose, e.decision, e.personal) for e in history] == [
        ("mediation", "given", Personal.ERASED), ("privacy", "given", Personal.ERASED),
    ]  # fmt: skip
    assert all(e.typed_name is None and e.mechanism == {"form": "join-page"} for e in history)
    assert all(e.text_sha256 == SHA and e.language == "fr" for e in history)
    after = await export_subject(records, jeanne, actor="cli", via="cli")
    assert {c["personal_data"] for c in after["consents"]} == {"erased"}
    page = export_html(after)
    assert "[erased]" in page and NAME not in page and BROWSER not in page
    [theirs] = (await export_subject(records, marc, actor="cli", via="cli"))["consents"]
    assert theirs["typed_name"] == NAME  # another person's entries stay readable

    # the report says exactly that
    [consent] = [k for k in report["kept"] if k["what"].startswith("consent log")]
    for kept in ("participant id", "purpose", "decision", "SHA-256", "language", "time"):
        assert kept in consent["what"]
    assert "typed" in consent["why"] and "browser" in consent["why"]
    assert "destroyed" in consent["why"] and "digest" in consent["why"]
    assert "pseudonymous" in consent["what"]
    assert any("2 consent log" in e for e in report["erased"])

    await erase_subject(records, marc, actor="cli", via="cli")
    assert (await records.consent.verify()).ok
    await assert_nowhere(records)


async def test_under_legal_hold_the_report_says_the_name_is_kept_encrypted(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne = case.participants[0].id
    await give(records, jeanne)
    await records.cases.set_legal_hold(case.id, anne.id, True)
    report = await erase_subject(records, jeanne, actor="cli", via="cli")
    [consent] = [k for k in report["kept"] if k["what"].startswith("consent log")]
    assert "encrypted" in consent["what"] and "legal hold" in consent["why"]
    assert [e.typed_name for e in await records.consent.history(jeanne, decrypt=True)] == [NAME]
    assert NAME not in await rows_text(db)


async def test_entries_from_before_0007_are_sealed_at_start_and_the_chain_still_verifies(
    db: Database, records: Records, tmp_path: Path
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne, marc = case.participants[0].id, case.participants[1].id
    await legacy(records, jeanne)
    await legacy(records, marc)
    await legacy(records, jeanne, typed_name=None)
    await give(records, jeanne, "mediation")  # a new entry after them: MACed again too
    assert (await records.consent.verify()).ok  # format-1 entries verify as they are
    # marc was erased by the earlier version: his key is gone, his name still in clear
    await records.keystore.shred(case.id, f"p:{marc}")
    async with db.transaction() as s:
        await s.execute(update(ParticipantRow).where(ParticipantRow.id == marc).values(
            display_name="[erased]", erased_at=datetime.now(UTC)))  # fmt: skip
    assert NAME in await rows_text(db)

    started = await open_records(db, tmp_path / "var" / "keys.json")  # the next start
    try:
        assert (await started.consent.verify()).ok and (await started.audit.verify()).ok
        async with db.transaction() as s:
            rows = list(await s.scalars(select(ConsentLogRow).order_by(ConsentLogRow.seq)))
        assert [r.entry_format for r in rows] == [2, 2, 2, 2]
        assert all(r.typed_name is None for r in rows)
        assert [r.personal is not None for r in rows] == [True, False, True, True]
        assert rows[1].personal_sha256 is not None  # marc's: only a digest, nothing to open
        for secret in SECRETS:
            assert secret not in await rows_text(db)
        async with db.transaction() as s:
            [audited] = list(await s.scalars(select(AuditLogRow.detail).where(
                AuditLogRow.action == "consent.seal_legacy")))  # fmt: skip
        detail = json.loads(audited)
        assert (detail["entries"], detail["remaced"], detail["from_seq"]) == (3, 4, 1)
        assert detail["new_head_mac"] == rows[-1].mac != detail["old_head_mac"]
        history = await started.consent.history(jeanne, decrypt=True)
        assert [(e.typed_name, e.mechanism.get("user_agent"), e.personal) for e in history] == [
            (NAME, BROWSER, Personal.READ), (None, BROWSER, Personal.READ),
            (NAME, BROWSER, Personal.READ),
        ]  # fmt: skip
        [his] = await started.consent.history(marc, decrypt=True)
        assert his.personal is Personal.ERASED and his.typed_name is None
        assert await started.consent.seal_legacy(started.audit) is None  # once only

        report = await erase_subject(started, jeanne, actor="cli", via="cli")
        assert not any("in clear" in k["what"] for k in report["kept"])
        assert (await started.consent.verify()).ok
        await assert_nowhere(started)
    finally:
        await started.close()


async def test_a_broken_chain_is_not_signed_again_and_the_report_says_what_stays_in_clear(
    db: Database, records: Records
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    jeanne = case.participants[0].id
    await legacy(records, jeanne)
    await legacy(records, jeanne)
    async with db.transaction() as s:  # someone edits the log without the key
        await s.execute(update(ConsentLogRow).where(ConsentLogRow.seq == 2).values(
            decision="declined"))  # fmt: skip
    assert await records.consent.seal_legacy(records.audit) is None
    report = await erase_subject(records, jeanne, actor="cli", via="cli")
    [clear] = [k for k in report["kept"] if "in clear" in k["what"]]
    assert clear["what"].startswith("2 consent log") and "does not verify" in clear["why"]
    report_ok = await records.consent.verify()
    assert not report_ok.ok and report_ok.seq == 2  # still shows the tampering


def test_migration_0007_marks_the_existing_entries_as_format_1(tmp_path: Path) -> None:
    import asyncio

    from sqlalchemy import text

    from records.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005_shared_documents")

    async def go(sql: str) -> Any:
        database = Database(url)
        try:
            async with database.engine.begin() as conn:
                result = await conn.execute(text(sql))
                return result.all() if result.returns_rows else []
        finally:
            await database.close()

    asyncio.run(go(
        "INSERT INTO consent_log (seq, at, session_id, participant_id, purpose, decision, "
        "text_version, text_sha256, language, mechanism, typed_name, mac, prev_mac) VALUES "
        "(1, 'a', 's', 'p', 'privacy', 'given', 1, 'h', 'fr', '{}', 'X', 'm', 'p')"
    ))  # fmt: skip
    upgrade(url)
    rows = asyncio.run(go("SELECT entry_format, personal, typed_name FROM consent_log"))
    assert [tuple(r) for r in rows] == [(1, None, "X")]
