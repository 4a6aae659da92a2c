"""Stored first, then shown: delivery order, grouping and failures of the board pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from sessions.events import Notification
from sessions.outcome import BOARD_OP_EVENT, BoardWrite, Outcome
from sessions.whiteboard.log import LoggedOp
from sessions.whiteboard.ops import Clear
from signaling.errors import SignalingError
from signaling.pipeline import BOARD_OPS_EVENT, StoredFirst, messages

ROOM = frozenset({"m-anne", "p-jeanne", "p-marc"})


def board(seq: int, room: str = "plenary", to: frozenset[str] = ROOM) -> Outcome[int]:
    write = BoardWrite(room, LoggedOp(seq, "m-anne", Clear(type="clear")))
    note = Notification(BOARD_OP_EVENT, {"seq": seq}, to, room)
    return Outcome(seq, board_writes=(write,), notifications=(note,))


def chat(text: str) -> Outcome[None]:
    return Outcome(None, notifications=(Notification("chat:message", {"text": text}, ROOM),))


def test_consecutive_board_operations_for_the_same_people_go_out_as_one_message() -> None:
    caucus = frozenset({"m-anne", "p-jeanne"})
    out = messages(
        [board(1), board(2), chat("hello"), board(3), board(4, "caucus-1", caucus), board(5)]
    )
    assert [(m.event, m.recipients) for m in out] == [
        (BOARD_OPS_EVENT, ROOM),
        ("chat:message", ROOM),
        (BOARD_OP_EVENT, ROOM),
        (BOARD_OP_EVENT, caucus),
        (BOARD_OP_EVENT, ROOM),
    ]
    assert out[0].payload == {"room_id": "plenary", "entries": [{"seq": 1}, {"seq": 2}]}
    assert out[2].payload == {"seq": 3}


class Observed(StoredFirst):
    """The pipeline, telling when it starts putting rooms back (its first ``discard``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.discarding = asyncio.Event()

    def discard(self, rooms: Iterable[str]) -> None:
        super().discard(rooms)
        self.discarding.set()


class Harness:
    """A pipeline whose writes finish when the test says so."""

    def __init__(self) -> None:
        self.writes: dict[int, asyncio.Future[None]] = {}
        self.over: dict[int, asyncio.Event] = {}  # the write's coroutine has returned
        self.delivered: list[list[Any]] = []
        self.recovered: list[set[str]] = []
        self.pipeline = Observed(self.store, self.deliver, self.recover)

    async def store(self, room: str, ops: Sequence[LoggedOp]) -> None:
        seq = ops[0].seq
        future = asyncio.get_running_loop().create_future()
        self.writes[seq] = future
        self.over[seq] = asyncio.Event()
        try:
            await future
        finally:
            self.over[seq].set()

    async def deliver(self, outcomes: Sequence[Outcome[Any]]) -> None:
        self.delivered.append([o.value for o in outcomes])

    async def recover(self, stored: Mapping[str, int]) -> None:
        self.pipeline.discard(stored)  # as the hub does, under the session's lock
        self.recovered.append(dict(stored))

    def finish(self, seq: int, error: Exception | None = None) -> None:
        if error is None:
            self.writes[seq].set_result(None)
        else:
            self.writes[seq].set_exception(error)


async def test_outcomes_stored_out_of_order_are_delivered_in_order_and_together() -> None:
    h = Harness()
    done = [h.pipeline.submit(board(seq)) for seq in (1, 2, 3)]
    await asyncio.sleep(0)
    h.finish(3)
    h.finish(2)
    await h.over[3].wait()
    await h.over[2].wait()  # 2 and 3 are stored: still nothing goes out before 1
    assert h.delivered == []
    h.finish(1)
    await asyncio.gather(*done)
    assert h.delivered == [[1, 2, 3]]
    await h.pipeline.close()


async def test_a_failed_write_is_refused_and_other_rooms_still_go_out_in_order() -> None:
    h = Harness()
    caucus = frozenset({"m-anne", "p-jeanne"})
    done = [h.pipeline.submit(board(1)), h.pipeline.submit(board(2))]
    done.append(h.pipeline.submit(board(3, "caucus-1", caucus)))
    await asyncio.sleep(0)
    h.finish(1)
    h.finish(2, OSError("disk full"))
    h.finish(3)
    assert (await done[0]).value == 1
    with pytest.raises(SignalingError) as refused:
        await done[1]
    assert refused.value.code == "not_stored"
    assert (await done[2]).value == 3
    assert h.delivered == [[1], [3]] and h.recovered == [{"plenary": 1}]
    await h.pipeline.close()


async def test_after_a_failed_write_nothing_later_of_its_room_goes_out_even_if_stored() -> None:
    h = Harness()
    done = [h.pipeline.submit(board(seq)) for seq in (1, 2, 3)]
    await asyncio.sleep(0)
    h.finish(1)
    h.finish(2, ConnectionResetError("the database went away"))
    h.finish(3)  # numbered after the gap: it must never be shown
    results = await asyncio.gather(*done, return_exceptions=True)
    assert isinstance(results[0], Outcome) and results[0].value == 1
    assert [getattr(r, "code", None) for r in results[1:]] == ["not_stored", "not_stored"]
    assert h.delivered == [[1]] and h.recovered == [{"plenary": 1}]
    await h.pipeline.close()


async def test_what_was_queued_before_the_board_went_back_is_refused_and_writing_goes_on() -> None:
    h = Harness()
    first = [h.pipeline.submit(board(seq)) for seq in (1, 2)]
    await asyncio.sleep(0)
    h.finish(1, ConnectionResetError("the database went away"))
    await h.pipeline.discarding.wait()  # it now waits for write 2 before putting the board back
    assert h.recovered == []
    late = h.pipeline.submit(board(3))  # drawn meanwhile, after the gap
    await asyncio.sleep(0)
    h.finish(3)
    h.finish(2)
    results = await asyncio.gather(*first, late, return_exceptions=True)
    assert [getattr(r, "code", None) for r in results] == ["not_stored"] * 3
    assert h.recovered == [{"plenary": 0}] and h.delivered == []
    again = h.pipeline.submit(board(1))  # the board went back to 0: numbering goes on from there
    await asyncio.sleep(0)
    h.finish(1)
    assert (await again).value == 1 and h.delivered == [[1]]
    await h.pipeline.close()
