"""Comment events of the ``/session`` namespace: comments on the room's shared text.

Client-to-server, each with an ack ``{"ok": ...}``:

* ``text:comment`` {room_id, start, end, body}: a comment on the range of the sender's
  room's text from ``start`` to ``end`` (Yjs relative positions, base64, as
  ``Y.encodeRelativePosition`` makes them); ``room_id``: the room it was made in (refused
  if the sender has moved since). Acknowledged with the ``comment`` once stored.
* ``text:reply`` {room_id, comment, body}: a reply to a comment (its ``id``).
* ``text:resolve`` {room_id, comment}: the comment is resolved (its author or a mediator).
* ``text:comments`` {}: the sender's room (``room_id``) and its ``comments``.

A comment is ``{id, by, at, body, anchor: {start, end}, replies: [{id, by, at, body}],
resolved: null | {by, at}}`` (``by``: a participant key; ``at``: seconds since the
epoch). Each change is stored encrypted in the case file (under the session's lock,
before anyone is told), then the comment as it now stands goes to the room's members as
``text:comment`` {room_id, comment}. Refusals: ``validation_error`` (an empty or too long
body, an anchor that is not a relative position, a resolved comment), ``not_found``,
``forbidden`` (an observer; resolving someone else's comment), ``not_in_room``,
``not_stored``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field

from errors import ErrorCode
from sessions.commenting import PendingComment
from sessions.outcome import Outcome
from sessions.service import LiveSession
from sessions.text_comments import MAX_BODY
from signaling.errors import SignalingError
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.live_state import LiveState
from signaling.ports import TextStore
from signaling.protocol import Ack, Empty, Payload, RoomId, ok, parse

Anchor = Annotated[str, Field(min_length=2, max_length=200)]
Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY)]
CommentId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class TextComment(Payload):
    room_id: RoomId
    start: Anchor
    end: Anchor
    body: Body


class TextReply(Payload):
    room_id: RoomId
    comment: CommentId
    body: Body


class TextResolve(Payload):
    room_id: RoomId
    comment: CommentId


MODELS: list[type[Payload]] = [TextComment, TextReply, TextResolve]


class CommentEvents:
    """Mixed into :class:`signaling.namespace.SessionNamespace`."""

    hub: LiveHub

    def _identity(self, sid: str) -> Identity:
        raise NotImplementedError

    def _comment_store(self) -> TextStore:
        store = self.hub.ports.texts
        if store is None:
            raise SignalingError(ErrorCode.NOT_STORED, "comments cannot be stored here")
        return store

    async def _comments_ready(self, sid: str, room_id: str | None) -> Identity:
        """The comments of ``room_id`` (None: the sender's room) are read back from the
        case file, once per room and process (after a restart, for a late joiner)."""
        store = self._comment_store()
        identity = self._identity(sid)

        async def step(live: LiveState) -> None:
            room = room_id or live.session.room_of(identity.key)
            if room is None or room not in live.session.rooms.open_room_ids():
                return  # the domain refuses the action itself
            book = live.session.comments(room)
            if not book.loaded:  # after a failed write, what was not acknowledged goes
                events = await store.load_comments(identity.session_id, room, book.failed_after)
                live.session.restore_comments(room, events)

        await self.hub.with_live(identity, sid, step)
        return identity

    async def _change(
        self,
        sid: str,
        room_id: str,
        action: Callable[[LiveSession, str], Outcome[PendingComment]],
    ) -> Ack:
        identity = await self._comments_ready(sid, room_id)
        store = self._comment_store()
        pending: list[PendingComment] = []
        session_of: list[LiveSession] = []

        def step(s: LiveSession, key: str) -> Outcome[PendingComment]:
            outcome = action(s, key)
            pending.append(outcome.value)
            session_of.append(s)
            return outcome

        async def stored() -> None:
            change, session = pending[0], session_of[0]
            try:
                await store.store_comment(identity.session_id, change.room_id, change.event)
            except Exception:
                book = session.comments(change.room_id)
                book.loaded, book.failed_after = False, book.seq  # read back before the next
                raise SignalingError(
                    ErrorCode.NOT_STORED, "the comment could not be saved; please try again"
                ) from None
            session.commit_comment(change)

        change = await self.hub.call(
            identity, step, connection=sid, content_only=True, stored=stored
        )
        return ok(comment=change.thread.to_wire())

    async def on_text_comment(self, sid: str, data: Any) -> Ack:
        wanted = parse(TextComment, data)
        return await self._change(
            sid,
            wanted.room_id,
            lambda s, k: s.add_comment(k, wanted.room_id, wanted.start, wanted.end, wanted.body),
        )

    async def on_text_reply(self, sid: str, data: Any) -> Ack:
        wanted = parse(TextReply, data)
        return await self._change(
            sid,
            wanted.room_id,
            lambda s, k: s.reply_comment(k, wanted.room_id, wanted.comment, wanted.body),
        )

    async def on_text_resolve(self, sid: str, data: Any) -> Ack:
        wanted = parse(TextResolve, data)
        return await self._change(
            sid, wanted.room_id, lambda s, k: s.resolve_comment(k, wanted.room_id, wanted.comment)
        )

    async def on_text_comments(self, sid: str, data: Any) -> Ack:
        parse(Empty, data)
        identity = await self._comments_ready(sid, None)
        room_id, threads = await self.hub.read(
            identity, lambda s, k: s.comment_list(k), connection=sid
        )
        return ok(room_id=room_id, comments=[t.to_wire() for t in threads])
