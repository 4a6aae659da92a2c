"""Bad input and faults: tampering, wrong or missing keys, a crash while storing."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from records.crypto.keys import FileKeyProvider
from records.db import Database
from records.errors import CryptoError, KeyUnavailable
from records.models import CaseItemRow, CaseItemVersionRow
from records.service import Records, open_records
from records.stores.casefile import ItemKind
from tests.factories import make_case, make_mediator

ROOT = Path(__file__).resolve().parents[2]


async def test_tampered_ciphertext_is_refused(db: Database, records: Records) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    item = await records.casefile.put_item(
        case.id, ItemKind.AGREEMENT, b"accord", actor="t", via="t"
    )
    async with db.transaction() as s:
        blob = await s.scalar(
            select(CaseItemVersionRow.ciphertext).where(CaseItemVersionRow.item_id == item.id)
        )
        assert blob is not None
        flipped = blob[:-1] + bytes([blob[-1] ^ 1])
        await s.execute(
            update(CaseItemVersionRow)
            .where(CaseItemVersionRow.item_id == item.id)
            .values(ciphertext=flipped)
        )
    with pytest.raises(CryptoError, match="does not authenticate"):
        await records.casefile.get_item(item.id, actor="t", via="t")
    # nothing else lost
    assert (await records.cases.get_case(case.id, anne.id)).description


async def test_a_wrong_key_file_cannot_decrypt(db: Database, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = await open_records(db, tmp_path / "a" / "keys.json")
    try:
        anne = await make_mediator(db)
        case = await make_case(db, anne, store=first.cases)
    finally:
        await first.close()
    wrong = await open_records(db, tmp_path / "b" / "keys.json", keys=FileKeyProvider(
        tmp_path / "b" / "keys.json"), keys_url=first.keys_db.url)  # fmt: skip
    try:
        with pytest.raises(CryptoError, match="KEK"):
            await wrong.cases.get_case(case.id, anne.id)
    finally:
        await wrong.close()


async def test_a_missing_key_file_is_an_error_not_a_new_key(db: Database, tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    first = await open_records(db, key_file)
    try:
        anne = await make_mediator(db)
        await make_case(db, anne, store=first.cases)
        keys_url = first.keys_db.url
    finally:
        await first.close()
    key_file.unlink()
    with pytest.raises(KeyUnavailable, match="missing"):
        await open_records(db, key_file, keys_url=keys_url)
    assert not key_file.exists()


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from records.stores.casefile import ItemKind
    from records.db import Database
    from records.service import open_records

    async def main(url, key_file, case_id):
        db = Database(url)
        records = await open_records(db, Path(key_file), seed=False)
        n = 0
        while True:
            info = await records.casefile.put_item(
                case_id, ItemKind.DOCUMENT, bytes([n % 256]) * (8 << 20), actor="t", via="t")
            print(info.id, flush=True)
            n += 1

    asyncio.run(main(*sys.argv[1:]))
    """
)


async def test_a_crash_while_storing_leaves_no_partial_item(
    db_url: str, db: Database, records: Records, tmp_path: Path
) -> None:
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    key_file = tmp_path / "var" / "keys.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, db_url, str(key_file), case.id,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    committed = []
    try:
        assert proc.stdout is not None and proc.stderr is not None
        for _ in range(2):
            line = await asyncio.wait_for(proc.stdout.readline(), 60)
            assert line, await proc.stderr.read()
            committed.append(line.decode().strip())
        await asyncio.sleep(0.15)  # somewhere in the middle of the next document
    finally:
        proc.kill()
        await proc.wait()
    async with db.transaction() as s:
        items = list(await s.scalars(select(CaseItemRow.id).where(CaseItemRow.kind == "document")))
        versions = await s.scalar(
            select(func.count()).select_from(CaseItemVersionRow).join(
                CaseItemRow, CaseItemRow.id == CaseItemVersionRow.item_id
            ).where(CaseItemRow.kind == "document")
        )  # fmt: skip
    assert set(committed) <= set(items)
    assert versions == len(items)  # no item without its ciphertext, none half-written
    for item_id in items:
        got = await records.casefile.get_item(item_id, actor="t", via="t")
        assert len(got.content) == 8 << 20 and len(set(got.content)) == 1
    assert (await records.audit.verify()).ok
    assert (await records.cases.get_case(case.id, anne.id)).description
