"""Collaboration in a live session: whiteboard, chat and shared documents.

Everything here happens in the actor's current room and reaches that room's
members only; a private meeting's board, chat and documents never reach
anyone outside it (copying a private board into the plenary is a mediator's
explicit, audited act).
"""

from __future__ import annotations

from dataclasses import dataclass

from sessions.chat import ChatMessage
from sessions.commenting import Commenting
from sessions.documents import Presentation, SharedDocument, Visibility, can_download, can_see
from sessions.errors import Forbidden, InvalidPayload, NotFound
from sessions.outcome import Outcome
from sessions.permissions import Action
from sessions.roles import Role
from sessions.rooms import PLENARY
from sessions.whiteboard.board import BoardSnapshot
from sessions.whiteboard.log import LoggedOp
from sessions.whiteboard.ops import Clear, EditText, Erase, MoveObject, Recolor, parse_op


@dataclass(frozen=True, slots=True)
class BoardSync:
    """What a (re)joining client needs: a snapshot, or the ops it missed."""

    room_id: str
    snapshot: BoardSnapshot | None
    ops: tuple[LoggedOp, ...]
    history: tuple[int, int] = (0, 0)  # the asker's undo and redo steps, after ``ops``


class Collaboration(Commenting):
    # -- whiteboard --------------------------------------------------------------

    def wb_submit(
        self, actor: str, payload: object, aimed_at: str | None = None
    ) -> Outcome[LoggedOp]:
        """Validate and apply a client operation on the actor's room's board.

        ``aimed_at``: the room whose board the author drew on; if they have
        been moved since (into or out of a private meeting), the operation is
        refused rather than drawn on a board they were not looking at.
        """
        room_id = self._present_in(actor, aimed_at, "drawing")
        op = parse_op(payload)
        action = Action.CLEAR_BOARD if isinstance(op, Clear) else Action.DRAW
        self._require(action, actor, room_id=room_id)
        eff = self._effects()
        with self._audit_refusal(actor, Action.EDIT_OTHERS_DRAWINGS, room_id):
            entry = self._boards[room_id].submit(
                actor,
                op,
                # only these touch existing objects (someone else's, perhaps)
                may_edit_others=isinstance(op, Erase | MoveObject | EditText | Recolor)
                and self._allowed(Action.EDIT_OTHERS_DRAWINGS, actor, room_id),
                may_clear=True,
            )
        if isinstance(op, Clear):
            eff.audit("wb.clear", actor=actor, subject=room_id, seq=str(entry.seq))
        eff.board_op(room_id, entry, self.rooms.members(room_id))
        return eff.outcome(entry)

    def wb_sync(self, actor: str, since: int | None = None) -> Outcome[BoardSync]:
        """Ops after ``since`` if the client has that state, else a snapshot."""
        room_id = self._present(actor)
        board = self._boards[room_id]
        if since is not None and 0 <= since <= board.seq:
            sync = BoardSync(room_id, None, tuple(board.ops_since(since)), board.history(actor))
        else:
            sync = BoardSync(room_id, board.snapshot(), (), board.history(actor))
        return self._effects().outcome(sync)

    def show_board(self, actor: str) -> Outcome[None]:
        """Bring the actor's room to its board, as presenting a document does: the others in
        the room see the board open (the same rule as presenting); nobody outside is told."""
        room_id = self._present(actor)
        self._require(Action.PRESENT, actor, room_id=room_id)
        eff = self._effects()
        others = self.rooms.members(room_id) - {actor}
        eff.notify("wb:shown", {"room_id": room_id, "by": actor}, others, room_id)
        return eff.outcome(None)

    def copy_board(self, actor: str, from_room: str, to_room: str = PLENARY) -> Outcome[LoggedOp]:
        """Copy a (private meeting's) board onto another room's board."""
        self._present(actor)
        self._require(Action.COPY_BOARD, actor, subject=from_room)
        source, target = self.board(from_room), self.board(to_room)
        if from_room == to_room:
            raise InvalidPayload("a board cannot be copied onto itself")
        eff = self._effects()
        entry = target.paste_from(source, actor)
        eff.audit("wb.copy", actor=actor, subject=to_room, source=from_room, seq=str(entry.seq))
        eff.board_op(to_room, entry, self.rooms.members(to_room))
        return eff.outcome(entry)

    # -- chat ----------------------------------------------------------------------

    def chat_send(self, actor: str, text: str, aimed_at: str | None = None) -> Outcome[ChatMessage]:
        """Post in the actor's room; ``aimed_at``: the room it was typed in (refused if
        the actor has been moved since, so that nothing reaches another room)."""
        room_id = self._present_in(actor, aimed_at, "message")
        self._require(Action.CHAT, actor, room_id=room_id)
        message = self.chat_log.post(room_id, actor, text)
        eff = self._effects()
        eff.notify("chat:message", message.to_wire(), self.rooms.members(room_id), room_id)
        return eff.outcome(message)

    def chat_history(self, actor: str, since: int = 0) -> list[ChatMessage]:
        """The actor's current room's messages (members only, by construction)."""
        return self.chat_log.history(self._present(actor), since)

    def set_chat_keep(self, actor: str, enabled: bool) -> Outcome[None]:
        """The mediator proposes keeping the chat after the session (or not)."""
        self._present(actor)
        self._require(Action.SET_CHAT_RETENTION, actor)
        self.chat_log.set_keep_enabled(enabled)
        self.chat_log.set_agreement(actor, enabled)  # proposing it is agreeing to it
        eff = self._effects()
        eff.audit("chat.keep", actor=actor, enabled=str(enabled).lower())
        eff.notify("chat:keep", {"enabled": enabled}, self.lobby.admitted())
        return eff.outcome(None)

    def agree_chat_keep(self, pid: str, agreed: bool) -> Outcome[bool]:
        """A participant's (revocable) agreement; returns whether chat will be kept."""
        self.lobby.get(pid)
        self.chat_log.set_agreement(pid, agreed)
        eff = self._effects()
        eff.audit("chat.keep_agreement", actor=pid, subject=pid, agreed=str(agreed).lower())
        payload = {"participant_id": pid, "agreed": agreed}
        eff.notify("chat:keep_agreement", payload, self.admitted_mediators())
        return eff.outcome(self.chat_log.keep_after_session(self._took_part))

    # -- documents -------------------------------------------------------------------

    def _placed_roles(self) -> dict[str, tuple[Role, str | None]]:
        return {p: (self.lobby.role_of(p), room) for p, room in self.rooms.placed().items()}

    def _visible_doc(self, pid: str, doc_id: str) -> SharedDocument:
        doc = self.documents.get(doc_id)
        if not can_see(doc, pid, self.lobby.role_of(pid), self.rooms.room_of(pid)):
            raise NotFound(f"no document {doc_id}")  # do not reveal that it exists
        return doc

    def share_document(
        self,
        actor: str,
        doc_id: str,
        title: str,
        visibility: Visibility = Visibility.ROOM,
        pages: int | None = None,
        aimed_at: str | None = None,
    ) -> Outcome[SharedDocument]:
        """Share an uploaded document in the actor's room; ``aimed_at``: the room it was
        uploaded for (refused if the actor has been moved while it was uploading)."""
        room_id = self._may_share(actor, aimed_at)
        doc = self.documents.share(
            doc_id,
            actor,
            title,
            visibility,
            room_id=room_id,
            room_is_private=self.rooms.is_private(room_id),
            room_members=self.rooms.members(room_id),
            pages=pages,
        )
        eff = self._effects()
        eff.documents_changed = True
        eff.audit("doc.share", actor=actor, subject=doc_id, room=room_id, visibility=visibility)
        viewers = self.documents.viewers(doc, self._placed_roles())
        eff.notify("doc:shared", doc.to_wire(), viewers, room_id)
        return eff.outcome(doc)

    def check_share_document(
        self, actor: str, aimed_at: str | None = None, stored: int = 0
    ) -> Outcome[str]:
        """Refuses as :meth:`share_document` would for who ``actor`` is and where (before
        a file is even received), or when the session already has ``stored`` documents in
        the case file (shared or kept after withdrawal) up to the cap; the room it would
        be shared in."""
        room_id = self._may_share(actor, aimed_at)
        self.documents.check_capacity(stored)
        return self._effects().outcome(room_id)

    def _may_share(self, actor: str, aimed_at: str | None) -> str:
        room_id = self._present_in(actor, aimed_at, "document")
        self._require(Action.SHARE_DOCUMENT, actor, room_id=room_id)
        return room_id

    def reshare_document(
        self, actor: str, doc_id: str, visibility: Visibility = Visibility.ROOM
    ) -> Outcome[SharedDocument]:
        """The owner shares one of their documents again in the room they are in now
        (one shared in a private meeting, into the plenary; or to another audience)."""
        room_id = self._present(actor)
        self._require(Action.SHARE_DOCUMENT, actor, room_id=room_id)
        before = self._visible_doc(actor, doc_id)
        if before.owner != actor:
            raise Forbidden("only its owner may share a document again")
        placed = self._placed_roles()
        had = self.documents.viewers(before, placed)
        eff = self._effects()
        for shown_in in self.documents.presented_in(doc_id):
            self.documents.stop_presenting(shown_in)
            eff.notify("doc:stopped", {"room_id": shown_in}, self.rooms.members(shown_in), shown_in)
        doc = self.documents.reshare(
            doc_id,
            visibility,
            room_id=room_id,
            room_is_private=self.rooms.is_private(room_id),
            room_members=self.rooms.members(room_id),
        )
        has = self.documents.viewers(doc, placed)
        eff.documents_changed = True
        eff.audit("doc.reshare", actor=actor, subject=doc_id, room=room_id, visibility=visibility)
        eff.notify("doc:withdrawn", {"doc_id": doc_id}, had - has, before.room_id)
        eff.notify("doc:shared", doc.to_wire(), has - had, room_id)
        eff.notify("doc:updated", doc.to_wire(), has & had, room_id)
        return eff.outcome(doc)

    def withdraw_document(self, actor: str, doc_id: str, keep: bool = False) -> Outcome[None]:
        """The owner, or a mediator, stops sharing a document. Its file is deleted from
        the case file, unless a mediator chooses to ``keep`` it there."""
        self._present(actor)
        doc = self._visible_doc(actor, doc_id)
        if doc.owner != actor or keep:
            self._require(Action.MODERATE_CONTENT, actor, subject=doc_id)
        viewers = self.documents.viewers(doc, self._placed_roles())
        self.documents.unshare(doc_id)
        eff = self._effects()
        eff.documents_changed = True
        if not keep:
            eff.discard_document(doc_id)
        eff.audit("doc.withdraw", actor=actor, subject=doc_id, kept=str(keep).lower())
        eff.notify("doc:withdrawn", {"doc_id": doc_id}, viewers, doc.room_id)
        return eff.outcome(None)

    def set_document_download(
        self, actor: str, doc_id: str, allowed: bool
    ) -> Outcome[SharedDocument]:
        self._present(actor)
        self._require(Action.SET_DOCUMENT_DOWNLOAD, actor, subject=doc_id)
        self._visible_doc(actor, doc_id)
        doc = self.documents.set_download(doc_id, allowed)
        eff = self._effects()
        eff.documents_changed = True
        eff.audit("doc.download", actor=actor, subject=doc_id, allowed=str(allowed).lower())
        viewers = self.documents.viewers(doc, self._placed_roles())
        eff.notify("doc:updated", doc.to_wire(), viewers, doc.room_id)
        return eff.outcome(doc)

    def documents_for(self, pid: str) -> list[SharedDocument]:
        return self.documents.visible(pid, self.lobby.role_of(pid), self.rooms.room_of(pid))

    def can_download(self, pid: str, doc_id: str) -> bool:
        doc = self.documents.get(doc_id)
        return can_download(doc, pid, self.lobby.role_of(pid), self.rooms.room_of(pid))

    # -- follow me -------------------------------------------------------------------

    def present(
        self, actor: str, doc_id: str, page: int, zoom: float = 1.0
    ) -> Outcome[Presentation]:
        """Show a page of a document to the actor's room ("follow me")."""
        room_id = self._present(actor)
        self._require(Action.PRESENT, actor, room_id=room_id)
        self._visible_doc(actor, doc_id)
        members = {p: self.lobby.role_of(p) for p in self.rooms.members(room_id)}
        with self._audit_refusal(actor, Action.PRESENT, doc_id):
            shown = self.documents.present(room_id, actor, doc_id, page, zoom, members)
        eff = self._effects()
        followers = self.documents.followers(room_id, members)
        eff.notify("doc:page", shown.to_wire(), followers, room_id)
        return eff.outcome(shown)

    def stop_presenting(self, actor: str) -> Outcome[None]:
        room_id = self._present(actor)
        shown = self.documents.presentation(room_id)
        if shown is None:
            return self._effects().outcome(None)
        if shown.presenter != actor:
            self._require(Action.MODERATE_CONTENT, actor, subject=room_id)
        self.documents.stop_presenting(room_id)
        eff = self._effects()
        eff.notify("doc:stopped", {"room_id": room_id}, self.rooms.members(room_id), room_id)
        return eff.outcome(None)

    def follow(self, pid: str, following: bool) -> Outcome[Presentation | None]:
        """Stop or resume following; resuming returns the current page."""
        room_id = self._present(pid)
        self.documents.set_following(pid, following)
        shown = self.documents.presentation(room_id) if following else None
        return self._effects().outcome(shown)
