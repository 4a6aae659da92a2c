"""Commenting on a room's shared text: who may comment, reply and resolve, and who is told.

Whoever may edit a room's text (the permission matrix, in context: parties and mediators,
not observers) may comment on a range of it and reply; a comment is resolved by its author
or a mediator. Comments belong to the room like its text: each change is sent to the
room's members only, so a private meeting's comments never reach anyone outside it, and a
change is bound to the room it was made in (refused if its author has moved since).
Bringing a paragraph into the plenary (:meth:`sessions.drafting.Drafting.copy_text_block`)
does not bring its comments.

A change is *prepared* here (checked, numbered, its notification made) and applied with
:meth:`Commenting.commit_comment` only once the transport stored it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sessions.drafting import Drafting
from sessions.errors import Forbidden
from sessions.outcome import Outcome
from sessions.permissions import Action
from sessions.roles import is_mediator
from sessions.text_comments import (
    ADD,
    REPLY,
    RESOLVE,
    CommentBook,
    CommentEvent,
    Thread,
    check_body,
    decode_anchor,
)

COMMENT_EVENT = "text:comment"  # a thread as it now stands, to the room's members


@dataclass(frozen=True, slots=True)
class PendingComment:
    room_id: str
    event: CommentEvent
    thread: Thread


class Commenting(Drafting):
    def comments(self, room_id: str) -> CommentBook:
        """``room_id``'s comments (NotFound for a closed room)."""
        self.rooms.members(room_id)
        book = self._comment_books.get(room_id)
        if book is None:
            book = self._comment_books[room_id] = CommentBook(room_id)
        return book

    def comment_room(self, actor: str, aimed_at: str | None = None) -> str:
        """The room whose comments ``actor`` acts on (present; in ``aimed_at`` if given)."""
        return self._present_in(actor, aimed_at, "comment")

    def _prepare(self, actor: str, room_id: str, event: CommentEvent) -> Outcome[PendingComment]:
        thread = self.comments(room_id).after(event)
        eff = self._effects()
        members = self.rooms.members(room_id)
        eff.notify(
            COMMENT_EVENT, {"room_id": room_id, "comment": thread.to_wire()}, members, room_id
        )
        return eff.outcome(PendingComment(room_id, event, thread))

    def _event(
        self, actor: str, room_id: str, kind: str, thread: str, **rest: object
    ) -> CommentEvent:
        seq = self.comments(room_id).seq + 1
        return CommentEvent(seq, kind, thread, actor, round(self._clock().timestamp(), 3), **rest)  # type: ignore[arg-type]

    def add_comment(
        self, actor: str, aimed_at: str, start: str, end: str, body: str
    ) -> Outcome[PendingComment]:
        """A comment on the range from ``start`` to ``end`` (relative positions) of the
        actor's room's text."""
        room_id = self.comment_room(actor, aimed_at)
        self._require(Action.EDIT_TEXT, actor, room_id=room_id)
        decode_anchor(start)
        decode_anchor(end)
        event = self._event(
            actor, room_id, ADD, secrets.token_hex(16), body=check_body(body), anchor=(start, end)
        )
        return self._prepare(actor, room_id, event)

    def reply_comment(
        self, actor: str, aimed_at: str, thread: str, body: str
    ) -> Outcome[PendingComment]:
        room_id = self.comment_room(actor, aimed_at)
        self._require(Action.EDIT_TEXT, actor, room_id=room_id)
        self.comments(room_id).thread(thread)
        event = self._event(
            actor, room_id, REPLY, thread, body=check_body(body), reply=secrets.token_hex(16)
        )
        return self._prepare(actor, room_id, event)

    def resolve_comment(self, actor: str, aimed_at: str, thread: str) -> Outcome[PendingComment]:
        """Resolved by the comment's author or a mediator (who may edit the text)."""
        room_id = self.comment_room(actor, aimed_at)
        self._require(Action.EDIT_TEXT, actor, room_id=room_id)
        found = self.comments(room_id).thread(thread)
        if found.by != actor and not is_mediator(self.role_of(actor)):
            raise Forbidden("only its author or a mediator may resolve a comment")
        return self._prepare(actor, room_id, self._event(actor, room_id, RESOLVE, thread))

    def commit_comment(self, pending: PendingComment) -> Thread:
        """Applies a change the transport stored."""
        return self.comments(pending.room_id).apply(pending.event)

    def comment_list(self, actor: str) -> tuple[str, list[Thread]]:
        """The actor's room and its comments (its members may read them)."""
        room_id = self._present(actor)
        return room_id, self.comments(room_id).listing()

    def restore_comments(self, room_id: str, events: Iterable[CommentEvent]) -> int:
        return self.comments(room_id).restore(list(events))
