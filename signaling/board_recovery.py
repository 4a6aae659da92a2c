"""A board whose write failed goes back to what is stored: in memory at once (its room is
told to take it again), read back from the store before anyone writes to it again, and an
operation on a board that cannot be read back yet is refused as not stored."""

from __future__ import annotations

import logging
from typing import Any

from errors import ErrorCode
from sessions.outcome import Outcome
from sessions.service import LiveSession
from signaling.errors import SignalingError
from signaling.live_state import LiveState
from signaling.pipeline import board_ops
from signaling.ports import BoardStore, Emitter

logger = logging.getLogger(__name__)


class BoardRecovery:
    def __init__(self, store: BoardStore, emitter: Emitter) -> None:
        self._store = store
        self._out = emitter

    async def rewind(self, live: LiveState, room_id: str, seq: int) -> None:
        """Puts a room's board back to its operation ``seq`` (the last one stored), in
        memory, without the database, and tells the room to take it again; the board
        is read back before anyone writes to it again."""
        board = live.session.board(room_id)
        if board.seq > seq:
            live.session.restore_board(room_id, board.log[:seq])
            await self.reset(live, room_id)
        live.stale.add(room_id)

    async def reset(self, live: LiveState, room_id: str) -> None:
        members = live.session.members(room_id)
        sids = [sid for key, sid in sorted(live.sids.items()) if key in members]
        if sids:
            seq = live.session.board(room_id).seq
            await self._out.emit("wb:reset", {"room_id": room_id, "seq": seq}, sids)

    async def reload(self, live: LiveState) -> None:
        """Reads back the boards whose write failed (under the session's lock); one
        that cannot be read now stays to be read before its next write."""
        for room_id in sorted(live.stale):
            if room_id not in live.session.rooms_with_boards():
                live.stale.discard(room_id)
                continue
            seq = live.session.board(room_id).seq
            try:
                await self.load(live.session, room_id, keep_through=seq)
            except Exception as exc:  # the database may fail in any way
                logger.warning(
                    "session %s: board %s not read back yet (%s)",
                    live.session.session_id, room_id, type(exc).__name__,
                )  # fmt: skip
                continue
            live.stale.discard(room_id)
            if live.session.board(room_id).seq != seq:
                await self.reset(live, room_id)

    def refuse_on_stale(self, live: LiveState, outcome: Outcome[Any]) -> None:
        """An operation on a board that could not be read back is not taken: its board
        goes back to before it, and its author is told it was not stored."""
        stale = {room: ops for room, ops in board_ops(outcome).items() if room in live.stale}
        for room_id, ops in stale.items():
            board = live.session.board(room_id)
            live.session.restore_board(room_id, board.log[: ops[0].seq - 1])
        if stale:
            raise SignalingError(
                ErrorCode.NOT_STORED, "the drawing could not be saved; please try again"
            )

    async def load(
        self, session: LiveSession, room_id: str, *, keep_through: int | None = None
    ) -> None:
        """A room's board from what is stored (after ``keep_through``, nothing stays);
        if what is stored does not follow on, what does is loaded and the rest logged
        (what cannot be read back at all the store leaves out and logs)."""
        stored = await self._store.load(session.session_id, room_id, keep_through)
        loaded = session.restore_board(room_id, stored)
        if loaded < len(stored):
            logger.error(
                "session %s: board %s loaded up to operation %d of %d stored",
                session.session_id, room_id, loaded, len(stored),
            )  # fmt: skip
