"""Stored first, then shown: delivery order, grouping and failures of the board pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from sessions.events import Notification
from sessions.outcome import Outcome
from signaling.errors import SignalingError
from signaling.pipeline import BOARD_OP_EVENT, BOARD_OPS_EVENT, StoredFirst, messages

ROOM = frozenset({"m-anne", "p-jeanne", "p-marc"})


def board(seq: int, room: str = "plenary", to: frozenset[str] = ROOM) -> Outcome[int]:
    return Outcome(seq, notifications=(Notification(BOARD_OP_EVENT, {"seq": seq}, to, room),))


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


class Harness:
    """A pipeline whose writes finish when the test says so."""

    def __init__(self) -> None:
        self.writes: dict[int, asyncio.Future[None]] = {}
        self.delivered: list[list[Any]] = []
        self.recovered: list[set[str]] = []
        self.pipeline = StoredFirst(self.store, self.deliver, self.recover)

    async def store(self, room: str, ops: Sequence[Mapping[str, Any]]) -> None:
        future = asyncio.get_running_loop().create_future()
        self.writes[int(ops[0]["seq"])] = future
        await future

    async def deliver(self, outcomes: Sequence[Outcome[Any]]) -> None:
        self.delivered.append([o.value for o in outcomes])

    async def recover(self, rooms: set[str]) -> None:
        self.recovered.append(rooms)

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
    await asyncio.sleep(0.01)
    assert h.delivered == []  # nothing before 1 is stored
    h.finish(1)
    await asyncio.gather(*done)
    assert h.delivered == [[1, 2, 3]]
    await h.pipeline.close()


async def test_a_failed_write_is_refused_and_the_others_still_go_out_in_order() -> None:
    h = Harness()
    done = [h.pipeline.submit(board(seq)) for seq in (1, 2, 3)]
    await asyncio.sleep(0)
    h.finish(1)
    h.finish(2, OSError("disk full"))
    h.finish(3)
    assert (await done[0]).value == 1
    with pytest.raises(SignalingError) as refused:
        await done[1]
    assert refused.value.code == "not_stored"
    assert (await done[2]).value == 3
    assert h.delivered == [[1], [3]] and h.recovered == [{"plenary"}]
    await h.pipeline.close()
