"""Reading a room's shared text back from the text journal (its latest snapshot and the
updates after it): when a node opens the session,
and after a write of it failed (what was applied but not stored is dropped, and the room is
told ``text:reset`` to take the text again; an editor's own updates that were lost are
sent again by its next sync, since they are still in its copy)."""

from __future__ import annotations

import logging

from sessions.service import LiveSession
from signaling.live_state import LiveState
from signaling.ports import Emitter, TextStore

logger = logging.getLogger(__name__)

TEXT_RESET_EVENT = "text:reset"


class TextRecovery:
    def __init__(self, store: TextStore | None, emitter: Emitter) -> None:
        self._store = store
        self._out = emitter

    async def load(
        self, session: LiveSession, room_id: str, *, keep_through: int | None = None
    ) -> None:
        """A room's text from what is stored (after ``keep_through``, nothing stays)."""
        if self._store is None:
            return
        stored = await self._store.load(session.session_id, room_id, keep_through)
        entries, snapshot = stored.entries, stored.snapshot
        if not entries and snapshot is None and room_id not in session.rooms_with_texts():
            return  # nothing written in this room yet: its text is made at first use
        taken = session.restore_text(room_id, entries, snapshot)
        last = entries[-1].seq if entries else 0 if snapshot is None else snapshot.seq
        if taken < last:
            logger.error(
                "session %s: text %s loaded up to update %d of %d stored",
                session.session_id, room_id, taken, last,
            )  # fmt: skip

    async def rewind(self, live: LiveState, room_id: str, seq: int) -> None:
        """A write of ``room_id``'s text failed after update ``seq``: the text is read back
        (what is stored beyond ``seq`` is deleted first) and the room takes it again."""
        if room_id not in live.session.rooms_with_texts():
            return  # the room closed meanwhile
        try:
            await self.load(live.session, room_id, keep_through=seq)
        except Exception as exc:  # the database may fail in any way: the next write retries
            logger.warning(
                "session %s: text %s not read back (%s)",
                live.session.session_id, room_id, type(exc).__name__,
            )  # fmt: skip
        members = live.session.members(room_id)
        sids = [sid for key, sid in sorted(live.sids.items()) if key in members]
        if sids:
            payload = {"room_id": room_id, "seq": live.session.text(room_id).seq}
            await self._out.emit(TEXT_RESET_EVENT, payload, sids)
