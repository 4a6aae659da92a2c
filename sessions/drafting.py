"""Drafting together: each room's shared text, edited by the room's members only.

A room's text is like its board: whoever is in the room reads it, the parties and
mediators edit it (observers read; the permission matrix decides, in context), every
accepted update is stored before anyone is sent it, and a private meeting's text never
reaches anyone outside the meeting, because every update is addressed to the members of
the room it was applied to. An update is bound to the room it was typed in: if its author
has been moved since, it is refused rather than written into another room's text. A
mediator may bring a paragraph of a private meeting's text into the plenary's (an explicit,
audited act, as copying a private board is), and lock a paragraph: nobody else may change it
until a mediator unlocks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sessions.core import SessionCore
from sessions.errors import InvalidPayload
from sessions.outcome import Outcome
from sessions.permissions import Action
from sessions.rooms import PLENARY
from sessions.shared_text import TextEntry, TextSnapshot, Version


@dataclass(frozen=True, slots=True)
class TextSync:
    """What an editor needs to catch up with its room's text."""

    room_id: str
    seq: int  # updates accepted so far
    update: bytes  # the whole text, or what the asker's copy lacks
    state_vector: bytes  # the server's, so the editor can send what the server lacks
    may_edit: bool
    may_lock: bool  # lock paragraphs, and change locked ones (mediators)


class Drafting(SessionCore):
    def text_update(
        self, actor: str, update: bytes, aimed_at: str | None = None
    ) -> Outcome[TextEntry]:
        """Validate and apply an editor's update to the actor's room's text."""
        room_id = self._present_in(actor, aimed_at, "text")
        self._require(Action.EDIT_TEXT, actor, room_id=room_id)
        may_lock = self._allowed(Action.LOCK_TEXT, actor, room_id)
        entry = self.text(room_id).apply(
            update, actor, self._clock().timestamp(), may_lock=may_lock
        )
        eff = self._effects()
        eff.text_update(room_id, entry, self.rooms.members(room_id) - {actor})
        return eff.outcome(entry)

    def text_sync(self, actor: str, state_vector: bytes | None = None) -> Outcome[TextSync]:
        """The actor's room's text: whole, or what a copy at ``state_vector`` lacks."""
        room_id = self._present(actor)
        text = self.text(room_id)
        update = text.state() if state_vector is None else text.missing(state_vector)
        may_edit = self._allowed(Action.EDIT_TEXT, actor, room_id)
        may_lock = self._allowed(Action.LOCK_TEXT, actor, room_id)
        sync = TextSync(room_id, text.seq, update, text.state_vector(), may_edit, may_lock)
        return self._effects().outcome(sync)

    def copy_text_block(self, actor: str, index: int, to_room: str = PLENARY) -> Outcome[TextEntry]:
        """A mediator brings a paragraph of the private meeting they are in (its ``index``-th
        block) into the plenary's text: added at its end, as the mediator's own update
        (nobody outside the meeting learns who wrote it there), audited."""
        room_id = self._present(actor)
        self._require(Action.COPY_TEXT, actor, subject=room_id)
        if room_id == to_room:
            raise InvalidPayload("this paragraph is in that text already")
        block = self.text(room_id).block(index)
        target = self.text(to_room)
        entry = target.apply(
            target.appending([block]), actor, self._clock().timestamp(), may_lock=True
        )
        eff = self._effects()
        eff.audit("text.copy", actor=actor, subject=to_room, source=room_id, seq=str(entry.seq))
        eff.text_update(to_room, entry, self.rooms.members(to_room) - {actor})
        return eff.outcome(entry)

    def text_history(self, actor: str) -> list[Version]:
        """Who changed the actor's room's text, run by run (its members may ask)."""
        return self.text(self._present(actor)).versions()

    def text_version(self, actor: str, seq: int) -> tuple[str, list[bytes] | None]:
        """The actor's room, and the updates that made its text as it stood after update
        ``seq`` (:func:`sessions.shared_text.merged` makes them one); None for a version
        older than the snapshot the text was opened from: the stored updates make it."""
        room_id = self._present(actor)
        return room_id, self.text(room_id).updates_until(seq)

    def take_text_snapshot(self, room_id: str, through: int) -> TextSnapshot | None:
        """A snapshot of ``room_id``'s text to store, if one is due (taken at or before
        update ``through``, which is stored)."""
        text = self._texts.get(room_id)
        return None if text is None else text.take_snapshot(through)

    def restore_text(
        self, room_id: str, entries: Iterable[TextEntry], snapshot: TextSnapshot | None = None
    ) -> int:
        """Put back a room's text from its stored updates (after a restart or a failed
        write), from ``snapshot`` if given; the last update taken."""
        return self.text(room_id).restore(entries, snapshot)

    def rooms_with_texts(self) -> frozenset[str]:
        return frozenset(self._texts)
