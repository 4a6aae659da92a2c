"""Shared-text events of the ``/session`` namespace (drafting together in a room).

Client-to-server, each with an ack ``{"ok": ...}``:

* ``text:update`` {update, room_id}: a Yjs update (base64) of the sender's room's text,
  made by their editor; ``room_id``: the room it was typed in (refused if the sender has
  been moved since). Checked (size, applies in full, keeps to the editor's schema),
  stored encrypted in the case file, then acknowledged with its ``seq`` and sent to the
  room's other members as ``text:update`` {room_id, seq, update}. Refusals:
  ``validation_error`` (not an update, or not allowed in the text),
  ``payload_too_large``, ``conflict`` (it needs an update the server does not have: the
  editor takes the text again), ``forbidden`` (an observer), ``not_stored``.
* ``text:copy`` {index} (mediators, in a private meeting): its text's ``index``-th
  paragraph is added at the end of the plenary's text (stored, then sent to the plenary).
* ``text:history`` {}: who changed the sender's room's text, run by run: ``versions``
  [{first, last, by, started, ended}] (seqs, a participant key, seconds since the epoch);
  ``text:version`` {seq}: that text as it stood after update ``seq`` (``update``: whole).
* ``text:sync`` {state_vector?}: the sender's room's text: ``update`` (the whole text, or
  what a copy at ``state_vector`` lacks), the server's ``state_vector`` (so the editor
  sends what the server lacks as a ``text:update``), ``seq``, ``room_id``, ``may_edit``
  and ``may_lock`` (a mediator: may lock paragraphs; a paragraph is locked by its
  ``locked`` attribute, and an update that changes a locked one, or locks one, from anyone
  else is refused: ``forbidden``).

Server-to-client: ``text:update`` (above), ``text:reset`` {room_id, seq} (a write failed:
the text went back to what is stored; take it again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from errors import ErrorCode
from sessions.service import LiveSession
from sessions.shared_text import MAX_UPDATE_BYTES, decode_update, encode_update, merged
from signaling.errors import SignalingError
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.protocol import Ack, Empty, Payload, RoomId, ok, parse

# twice the base64 of an update at the limit: between the two, the domain refuses it as
# too large (``payload_too_large``); beyond, the edge does, like any oversized field
Base64 = Annotated[str, Field(min_length=1, max_length=2 * (MAX_UPDATE_BYTES * 4) // 3)]


class TextUpdate(Payload):
    update: Base64
    room_id: RoomId  # the room it was typed in: refused if the sender has moved since


class TextCopy(Payload):
    index: Annotated[int, Field(ge=0, le=100_000)]  # the paragraph: a top-level block


class TextVersion(Payload):
    seq: Annotated[int, Field(ge=0, le=10_000_000)]


class TextSyncAsk(Payload):
    state_vector: Annotated[str, Field(max_length=64 * 1024)] | None = None


logger = logging.getLogger(__name__)

MODELS: list[type[Payload]] = [TextUpdate, TextSyncAsk, TextCopy, TextVersion]


class DraftingEvents:
    """Mixed into :class:`signaling.namespace.SessionNamespace`."""

    hub: LiveHub

    def _identity(self, sid: str) -> Identity:
        raise NotImplementedError

    async def _do(self, sid: str, action: Callable[[LiveSession, str], Any]) -> Any:
        raise NotImplementedError

    async def on_text_update(self, sid: str, data: Any) -> Ack:
        wanted = parse(TextUpdate, data)
        if self.hub.ports.texts is None:
            raise SignalingError(ErrorCode.NOT_STORED, "shared texts cannot be stored here")
        update = decode_update(wanted.update)
        entry = await self.hub.call(
            self._identity(sid),
            lambda s, k: s.text_update(k, update, wanted.room_id),
            connection=sid,
            content_only=True,
        )
        await self._keep_snapshot(sid, wanted.room_id, entry.seq)
        return ok(seq=entry.seq)  # stored by now; the others are sent it as text:update

    async def _keep_snapshot(self, sid: str, room_id: str, stored: int) -> None:
        """Stores the snapshot of ``room_id``'s text the domain took, if one is due
        (every :data:`~sessions.shared_text.SNAPSHOT_EVERY` updates; update ``stored`` and
        those before it are stored). A failure costs nothing but a longer opening."""
        texts = self.hub.ports.texts
        identity = self._identity(sid)
        session = self.hub.session(identity.session_id)
        # synchronous, between two awaits: no need of the session's lock for each keystroke
        snapshot = None if session is None else session.take_text_snapshot(room_id, stored)
        try:
            if snapshot is not None and texts is not None:
                await texts.keep_snapshot(identity.session_id, room_id, snapshot)
        except Exception as exc:  # the database may fail in any way; the updates are stored
            logger.warning(
                "session %s: a snapshot of a text not stored (%s)",
                identity.session_id, type(exc).__name__,
            )  # fmt: skip

    async def on_text_copy(self, sid: str, data: Any) -> Ack:
        index = parse(TextCopy, data).index
        if self.hub.ports.texts is None:
            raise SignalingError(ErrorCode.NOT_STORED, "shared texts cannot be stored here")
        entry = await self.hub.call(
            self._identity(sid),
            lambda s, k: s.copy_text_block(k, index),
            connection=sid,
            content_only=True,
        )
        return ok(seq=entry.seq)

    async def on_text_history(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        versions = await self.hub.read(
            self._identity(sid), lambda s, k: s.text_history(k), connection=sid
        )
        return ok(versions=[v.to_wire() for v in versions])

    async def on_text_version(self, sid: str, data: Any) -> Ack:
        seq = parse(TextVersion, data).seq
        identity = self._identity(sid)
        room_id, updates = await self.hub.read(
            identity, lambda s, k: s.text_version(k, seq), connection=sid
        )
        if updates is None:  # older than the snapshot the text was opened from
            texts = self.hub.ports.texts
            if texts is None:
                raise SignalingError(ErrorCode.NOT_STORED, "shared texts cannot be stored here")
            stored = await texts.updates_through(identity.session_id, room_id, seq)
            if len(stored) < seq:
                raise SignalingError(ErrorCode.NOT_FOUND, "this version is no longer readable")
            updates = [e.update for e in stored]
        state = await asyncio.to_thread(merged, updates)  # a long history: not in the loop
        return ok(seq=seq, update=encode_update(state))

    async def on_text_sync(self, sid: str, data: Any) -> Ack:
        asked = parse(TextSyncAsk, data).state_vector
        vector = None if asked is None else decode_update(asked)
        sync = await self._do(sid, lambda s, k: s.text_sync(k, vector))
        return ok(
            room_id=sync.room_id,
            seq=sync.seq,
            update=encode_update(sync.update),
            state_vector=encode_update(sync.state_vector),
            may_edit=sync.may_edit,
            may_lock=sync.may_lock,
        )
