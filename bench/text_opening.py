"""Opening a shared text: replaying every stored update, against its latest snapshot and the
updates after it (what a node does when it opens a session), in the same run.

    .venv/bin/python bench/texts.py --opening-only [--updates N]

In process, on a fresh SQLite database in a temporary folder: a text of ``updates`` Yjs
updates (a keystroke each, typed by two people in turn, checked and applied as the live
path does, a snapshot taken every :data:`sessions.shared_text.SNAPSHOT_EVERY`) is stored
encrypted through the hub's text store; then it is opened both ways, three times each
(the median kept): rows read, milliseconds to read, decrypt and rebuild the text, and
whether both give the same text and history.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pycrdt import Doc, XmlElement, XmlFragment, XmlText

from records.db import Database
from records.migrate import upgrade_async
from records.service import open_records
from records.stores.accounts import AccountStore
from records.stores.cases import MediationType, NewCase, NewParticipant, ParticipantRole
from records.stores.scheduling import ScheduleStore
from sessions import shared_text
from sessions.shared_text import FRAGMENT, SharedText, TextEntry
from signaling.stores import CaseOf, JournalTexts

ROOM = "plenary"


def keystrokes(n: int) -> list[bytes]:
    """``n`` updates: a paragraph, then a character each at its end."""
    doc: Doc[Any] = Doc()
    fragment = doc.get(FRAGMENT, type=XmlFragment)
    out = []

    def edit(change: Any) -> None:
        before = doc.get_state()
        with doc.transaction():
            change()
        out.append(doc.get_update(before))

    run = XmlText()
    edit(lambda: fragment.children.append(XmlElement("paragraph", {}, [run])))
    for i in range(n - 1):
        edit(lambda i=i: run.insert(len(str(run)), "abcdefghij klmnop"[i % 17]))
    return out


async def _timed(step: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = await step()
    return (time.perf_counter() - start) * 1000, value


async def opening(updates: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'palabre.db'}"
        await upgrade_async(url)
        db = Database(url)
        records = await open_records(db, Path(tmp) / "keys.json")
        try:
            return await _opening(db, records, updates)
        finally:
            await records.close()
            await db.close()


async def _opening(db: Database, records: Any, updates: int) -> dict[str, Any]:
    anne = await AccountStore(db).create_mediator("anne@example.org", "Anne", "x-hash")
    case = await records.cases.create_case(
        anne.id,
        NewCase(
            reference="B-1", title="bench", public_title="bench",
            mediation_type=MediationType.NEIGHBOURHOOD, description="", co_mediator_ids=[],
            participants=[NewParticipant("Jeanne", ParticipantRole.PARTY, None)],
        ),
    )  # fmt: skip
    session = await ScheduleStore(db).schedule_session(
        case.id, anne.id, datetime.now(UTC) + timedelta(days=1), "Europe/Paris", 90
    )
    store = JournalTexts(records.texts, CaseOf(ScheduleStore(db)))
    live = SharedText(ROOM)
    made = time.perf_counter()
    snapshots = 0
    for i, update in enumerate(keystrokes(updates)):
        entry = live.apply(update, ("p-1", "p-2")[(i // 50) % 2], 1_000.0 + i)
        await store.store(session.id, ROOM, [entry])
        taken = live.take_snapshot(entry.seq)
        if taken is not None:
            await store.keep_snapshot(session.id, ROOM, taken)
            snapshots += 1
    print(f"opening: {updates} updates stored, {snapshots} snapshots "
          f"({time.perf_counter() - made:.1f} s)")  # fmt: skip
    journal = records.texts

    async def full() -> SharedText:
        stored = await journal.load(case.id, session.id, ROOM)
        text = SharedText(ROOM)
        text.restore(TextEntry.from_record(e.seq, e.data()) for e in stored)
        return text

    async def from_snapshot() -> SharedText:
        opened = await store.load(session.id, ROOM)
        text = SharedText(ROOM)
        text.restore(opened.entries, opened.snapshot)
        return text

    figures: dict[str, Any] = {}
    texts: dict[str, SharedText] = {}
    for name, step in (("full_replay", full), ("snapshot_and_tail", from_snapshot)) * 3:
        before = journal.rows_read
        ms, texts[name] = await _timed(step)
        figures.setdefault(name, {"ms": [], "rows_read": journal.rows_read - before})
        figures[name]["ms"].append(round(ms, 1))
    for name in figures:
        figures[name]["median_ms"] = statistics.median(figures[name]["ms"])
        print(f"  {name:18} {figures[name]['median_ms']:9.1f} ms  "
              f"{figures[name]['rows_read']:6d} update rows read")  # fmt: skip
    a, b = texts["full_replay"], texts["snapshot_and_tail"]
    same = a.xml() == b.xml() and a.versions() == b.versions() and a.seq == b.seq == updates
    ratio = figures["full_replay"]["median_ms"] / max(
        figures["snapshot_and_tail"]["median_ms"], 1e-3
    )
    print(f"  full replay / snapshot and tail: {ratio:.1f}x; same text and history: {same}")
    return {
        "updates": updates,
        "snapshot_every": shared_text.SNAPSHOT_EVERY,
        "snapshots": snapshots,
        **figures,
        "ratio_full_over_snapshot": round(ratio, 2),
        "same_text_and_history": same,
    }
