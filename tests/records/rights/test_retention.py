from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from records.db import Database
from records.errors import Invalid
from records.models import CaseItemRow, CaseRow
from records.rights.retention import (
    DEFAULT_POLICIES,
    load_policies,
    purge,
    register,
    register_markdown,
)
from records.service import open_records
from records.stores.casefile import ItemKind
from tests.factories import make_case, make_mediator


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_purge_applies_each_policy_once(db: Database, tmp_path: Path) -> None:
    clock = Clock(datetime(2030, 1, 1, tzinfo=UTC))
    records = await open_records(db, tmp_path / "keys.json", clock=clock)
    try:
        anne = await make_mediator(db)
        old = await make_case(db, anne, store=records.cases)
        held = await make_case(db, anne, store=records.cases)
        fresh = await make_case(db, anne, store=records.cases)
        cf = records.casefile
        chat = await cf.put_item(fresh.id, ItemKind.CHAT, b"hello", actor="t", via="t")
        doc = await cf.put_item(fresh.id, ItemKind.DOCUMENT, b"doc", actor="t", via="t")
        closed = clock.now - timedelta(days=6 * 365)
        async with db.transaction() as s:
            await s.execute(
                update(CaseRow).where(CaseRow.id.in_([old.id, held.id])).values(closed_at=closed)
            )
            await s.execute(update(CaseRow).where(CaseRow.id == held.id).values(legal_hold=True))
        clock.now += timedelta(days=31)  # the chat is past 30 days, the document is not
        counts = await purge(records, DEFAULT_POLICIES, clock.now)
        assert counts["case_file"] == 1 and counts["chat"] == 1 and counts["documents"] == 0
        async with db.transaction() as s:
            cases = set(await s.scalars(select(CaseRow.id)))
            items = set(await s.scalars(select(CaseItemRow.id)))
        assert cases == {held.id, fresh.id}
        assert chat.id not in items and doc.id in items
        assert await records.keystore.key_ids(old.id) == []
        again = await purge(records, DEFAULT_POLICIES, clock.now)
        assert set(again.values()) == {0}
        clock.now += timedelta(days=400)  # the audit entries of the first runs expire
        later = await purge(records, DEFAULT_POLICIES, clock.now)
        assert later["documents"] == 1 and later["audit_log"] > 0
        assert (await records.audit.verify()).ok
        actions = [e.action for e in await records.audit.for_case(old.id)]
        assert actions == []  # purged with the rest of that year's audit
    finally:
        await records.close()


def test_policy_file_json_and_toml(tmp_path: Path) -> None:
    j = tmp_path / "r.json"
    j.write_text(json.dumps({"chat": 7, "audit_log": {"days": 180}}))
    by = {p.category: p for p in load_policies(j)}
    assert by["chat"].days == 7 and by["audit_log"].days == 180
    t = tmp_path / "r.toml"
    t.write_text("[documents]\ndays = 90\n")
    assert {p.category: p for p in load_policies(t)}["documents"].days == 90
    for bad in ({"nope": 3}, {"chat": -1}, {"chat": "7"}, {"accounts": 3}):
        j.write_text(json.dumps(bad))
        with pytest.raises(Invalid):
            load_policies(j)


def test_register_comes_from_the_policy_table() -> None:
    reg = register(DEFAULT_POLICIES, "Cabinet Exemple")
    assert [a["category"] for a in reg["activities"]] == [p.category for p in DEFAULT_POLICIES]
    assert reg["version"] == 1 and reg["controller"] == "Cabinet Exemple"
    md = register_markdown(DEFAULT_POLICIES, "Cabinet Exemple")
    assert "| chat |" in md and "30 days after message kept, then delete" in md
