"""The hub's stores on records: a board operation goes in and comes out as the domain's LoggedOp."""

from __future__ import annotations

import pytest

from records.db import Database
from records.service import Records
from records.stores.journal import JournalEntry
from records.stores.scheduling import ScheduleStore
from sessions.whiteboard.log import LoggedOp
from sessions.whiteboard.ops import parse_op
from signaling.stores import CaseOf, JournalBoards
from tests.factories import make_case, make_mediator, make_session

STROKE = {"type": "stroke", "id": "a", "points": [[1.0, 2.0]], "color": "#112233", "width": 2.0}
MOVE = {"type": "move", "target": "a", "dx": 1.5, "dy": -2.0}


async def boards_of(db: Database, records: Records) -> tuple[JournalBoards, str, str]:
    """The store, a case and its session (whose case the store looks up itself)."""
    anne = await make_mediator(db)
    case = await make_case(db, anne, store=records.cases)
    session = await make_session(db, case, anne)
    return JournalBoards(records.journal, CaseOf(ScheduleStore(db))), case.id, session.id


async def test_operations_come_back_as_they_were_stored(db: Database, records: Records) -> None:
    boards, _, s1 = await boards_of(db, records)
    ops = [LoggedOp(1, "p-jeanne", parse_op(STROKE)), LoggedOp(2, "m-anne", parse_op(MOVE))]
    await boards.store(s1, "plenary", ops[:1])  # before the case is known: looked up first
    await boards.store(s1, "plenary", ops[1:])
    assert list(await boards.load(s1, "plenary")) == ops
    assert list(await boards.load(s1, "caucus-1")) == []


async def test_loading_stops_at_an_operation_that_cannot_be_read_back(
    db: Database, records: Records, caplog: pytest.LogCaptureFixture
) -> None:
    boards, case_id, s1 = await boards_of(db, records)
    first = LoggedOp(1, "p-jeanne", parse_op(STROKE))
    await records.journal.append(
        case_id, s1, "plenary",
        [JournalEntry.of(1, first.to_wire()), JournalEntry(2, b"not json"),
         JournalEntry.of(3, {"seq": 3, "author": "p-jeanne", "op": MOVE})],
    )  # fmt: skip
    assert list(await boards.load(s1, "plenary")) == [first]
    [error] = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
    assert "operation 2 of 3" in error and "not json" not in error
