"""Shared documents in a live session: who may see them, and "follow me".

Only metadata lives here (the file itself is in the encrypted case file);
every change is stored (``Outcome.documents_changed``) so that a session
picked up again after a break or a restart shares the same documents.
Visibility:

- ``room``: whoever is currently in the room it was shared in; once a private
  meeting closes, the members it had (room ids are never reused);
- ``private_meeting_members``: the members of the private meeting at the time
  of sharing, wherever they are later (shared in a private meeting only);
- ``mediators``: the mediator and co-mediators (if shared in a private
  meeting: those of them who were in it).

The owner always sees their own document. Downloading needs the mediator's
leave (``download_allowed``), except for the owner.

"Follow me": per room, a presenter shows (document, page, zoom); the other
members follow unless they chose to stop following. Moving to another room
resets a participant to following.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from errors import ErrorCode
from sessions.errors import Conflict, Forbidden, InvalidPayload, NotFound
from sessions.roles import Role, is_mediator
from sessions.text import clean_text

MAX_TITLE_LENGTH = 200
MAX_DOCUMENTS = 200
MAX_PAGE = 10_000
MIN_ZOOM, MAX_ZOOM = 0.1, 10.0
DOC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Visibility(StrEnum):
    ROOM = "room"
    MEMBERS = "private_meeting_members"
    MEDIATORS = "mediators"


@dataclass(frozen=True, slots=True)
class SharedDocument:
    doc_id: str
    owner: str
    title: str
    visibility: Visibility
    room_id: str  # where it was shared
    audience: frozenset[str]  # shared in a private meeting: its members then
    download_allowed: bool = False
    pages: int | None = None

    def to_wire(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "owner": self.owner,
            "title": self.title,
            "visibility": self.visibility.value,
            "room_id": self.room_id,
            "download_allowed": self.download_allowed,
            "pages": self.pages,
        }

    def to_record(self) -> dict[str, Any]:
        """What is stored to share it again after the live session was let go:
        the wire form and who was in the private meeting it was shared in."""
        return {**self.to_wire(), "audience": sorted(self.audience)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SharedDocument:
        """Reads back :meth:`to_record`; raises ``InvalidPayload`` on anything else."""
        try:
            doc = cls(
                doc_id=str(record["doc_id"]),
                owner=str(record["owner"]),
                title=str(record["title"]),
                visibility=Visibility(record["visibility"]),
                room_id=str(record["room_id"]),
                audience=frozenset(str(p) for p in record.get("audience", ())),
                download_allowed=record.get("download_allowed") is True,
                pages=record.get("pages"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidPayload(f"not a shared document's record: {exc}") from None
        if not DOC_ID.fullmatch(doc.doc_id) or not (
            doc.pages is None or (type(doc.pages) is int and 1 <= doc.pages <= MAX_PAGE)
        ):
            raise InvalidPayload("not a shared document's record")
        return doc


@dataclass(frozen=True, slots=True)
class Presentation:
    room_id: str
    presenter: str
    doc_id: str
    page: int
    zoom: float
    version: int  # increases with every change in this room

    def to_wire(self) -> dict[str, Any]:
        return {
            "room_id": self.room_id,
            "presenter": self.presenter,
            "doc_id": self.doc_id,
            "page": self.page,
            "zoom": self.zoom,
            "version": self.version,
        }


def _audience(
    visibility: Visibility, room_is_private: bool, room_members: Iterable[str]
) -> frozenset[str]:
    """Who a document shared in a room with ``visibility`` is kept for, wherever they go."""
    if visibility is Visibility.MEMBERS and not room_is_private:
        raise InvalidPayload("member-only visibility needs a private meeting")
    # In a private meeting, "mediators" means the mediators who are there; and whatever
    # the visibility, its members are recorded: when the meeting closes, or the session
    # is let go, a document shared "to the room" stays with them (see ``room_closed``).
    return frozenset(room_members) if room_is_private else frozenset()


def can_see(doc: SharedDocument, pid: str, role: Role, room_id: str | None) -> bool:
    if doc.owner == pid:
        return True
    if doc.visibility is Visibility.ROOM:
        return room_id == doc.room_id
    if doc.visibility is Visibility.MEMBERS:
        return pid in doc.audience
    return is_mediator(role) and (not doc.audience or pid in doc.audience)


def can_download(doc: SharedDocument, pid: str, role: Role, room_id: str | None) -> bool:
    return can_see(doc, pid, role, room_id) and (doc.download_allowed or doc.owner == pid)


class Documents:
    def __init__(self) -> None:
        self._docs: dict[str, SharedDocument] = {}
        self._presentations: dict[str, Presentation] = {}
        self._versions: dict[str, int] = {}
        self._not_following: set[str] = set()

    # -- documents -------------------------------------------------------------

    def get(self, doc_id: str) -> SharedDocument:
        doc = self._docs.get(doc_id)
        if doc is None:
            raise NotFound(f"no document {doc_id}")
        return doc

    def check_capacity(self, stored: int) -> None:
        """Refuses a new document when the session has ``stored`` documents in the case
        file (or shares) up to :data:`MAX_DOCUMENTS`: what counts is what is stored."""
        if max(stored, len(self._docs)) >= MAX_DOCUMENTS:
            raise Conflict(
                f"this session holds {MAX_DOCUMENTS} documents, the most it may",
                ErrorCode.DOCUMENTS_FULL,
            )

    def all(self) -> list[SharedDocument]:
        return list(self._docs.values())

    def share(
        self,
        doc_id: str,
        owner: str,
        title: str,
        visibility: Visibility,
        *,
        room_id: str,
        room_is_private: bool,
        room_members: Iterable[str],
        pages: int | None = None,
    ) -> SharedDocument:
        if not DOC_ID.fullmatch(doc_id):
            raise InvalidPayload("malformed document id")
        if doc_id in self._docs:
            raise Conflict(f"document {doc_id} already shared")
        self.check_capacity(0)
        audience = _audience(visibility, room_is_private, room_members)
        if pages is not None and not 1 <= pages <= MAX_PAGE:
            raise InvalidPayload("page count out of range")
        try:
            clean = clean_text(title, max_length=MAX_TITLE_LENGTH, multiline=False)
        except ValueError as exc:
            raise InvalidPayload(str(exc)) from None
        if not clean:
            raise InvalidPayload("empty title")
        doc = SharedDocument(doc_id, owner, clean, visibility, room_id, audience, False, pages)
        self._docs[doc_id] = doc
        return doc

    def restore(self, docs: Iterable[SharedDocument], open_rooms: Iterable[str]) -> bool:
        """Put back what was shared before the live session was let go (nothing is shown).
        A document shared "to the room" in a private meeting that is no longer open stays
        with that meeting's members. Returns whether such a document changed."""
        for doc in docs:
            if len(self._docs) < MAX_DOCUMENTS:
                self._docs.setdefault(doc.doc_id, doc)
        rooms = set(open_rooms)
        gone = {d.room_id for d in self._docs.values() if d.room_id not in rooms}
        return any([self.room_closed(room_id) for room_id in sorted(gone)])

    def reshare(
        self,
        doc_id: str,
        visibility: Visibility,
        *,
        room_id: str,
        room_is_private: bool,
        room_members: Iterable[str],
    ) -> SharedDocument:
        """Share a document again where its owner is now: another room, another audience.
        It stops being presented anywhere (who sees it has changed)."""
        audience = _audience(visibility, room_is_private, room_members)
        doc = replace(self.get(doc_id), visibility=visibility, room_id=room_id, audience=audience)
        self._docs[doc_id] = doc
        return doc

    def presented_in(self, doc_id: str) -> list[str]:
        """The rooms where ``doc_id`` is being presented."""
        return sorted(r for r, shown in self._presentations.items() if shown.doc_id == doc_id)

    def unshare(self, doc_id: str) -> SharedDocument:
        doc = self.get(doc_id)
        del self._docs[doc_id]
        for room_id, shown in list(self._presentations.items()):
            if shown.doc_id == doc_id:
                del self._presentations[room_id]
        return doc

    def set_download(self, doc_id: str, allowed: bool) -> SharedDocument:
        doc = replace(self.get(doc_id), download_allowed=allowed)
        self._docs[doc_id] = doc
        return doc

    def visible(self, pid: str, role: Role, room_id: str | None) -> list[SharedDocument]:
        return [d for d in self._docs.values() if can_see(d, pid, role, room_id)]

    def viewers(
        self, doc: SharedDocument, placed: Mapping[str, tuple[Role, str | None]]
    ) -> frozenset[str]:
        """Who among ``placed`` (pid -> (role, room)) can see ``doc``."""
        return frozenset(p for p, (role, room) in placed.items() if can_see(doc, p, role, room))

    # -- follow me -----------------------------------------------------------------

    def presentation(self, room_id: str) -> Presentation | None:
        return self._presentations.get(room_id)

    def present(
        self,
        room_id: str,
        presenter: str,
        doc_id: str,
        page: int,
        zoom: float,
        members: Mapping[str, Role],
    ) -> Presentation:
        """Show a page to the room; every member (``members``: pid -> role)
        must be allowed to see the document."""
        doc = self.get(doc_id)
        if not 1 <= page <= (doc.pages or MAX_PAGE):
            raise InvalidPayload("page out of range")
        if not MIN_ZOOM <= zoom <= MAX_ZOOM:
            raise InvalidPayload("zoom out of range")
        if not all(can_see(doc, p, role, room_id) for p, role in members.items()):
            raise Forbidden("not everyone in this room may see this document")
        current = self._presentations.get(room_id)
        if current is not None and current.presenter != presenter and presenter in members:
            role = members[presenter]
            if not is_mediator(role) and current.presenter in members:
                raise Conflict("someone else is presenting")
        version = self._versions.get(room_id, 0) + 1
        self._versions[room_id] = version
        shown = Presentation(room_id, presenter, doc_id, page, float(zoom), version)
        self._presentations[room_id] = shown
        return shown

    def stop_presenting(self, room_id: str) -> Presentation | None:
        return self._presentations.pop(room_id, None)

    def set_following(self, pid: str, following: bool) -> None:
        if following:
            self._not_following.discard(pid)
        else:
            self._not_following.add(pid)

    def is_following(self, pid: str) -> bool:
        return pid not in self._not_following

    def followers(self, room_id: str, members: Iterable[str]) -> frozenset[str]:
        """Members who should receive the presenter's state."""
        shown = self._presentations.get(room_id)
        if shown is None:
            return frozenset()
        return frozenset(
            p for p in members if p != shown.presenter and p not in self._not_following
        )

    def room_changed(self, pid: str) -> None:
        """``pid`` moved room: follows by default there."""
        self._not_following.discard(pid)

    def room_closed(self, room_id: str, members: Iterable[str] = ()) -> bool:
        """A private meeting closed (or is gone after a break or a restart): what was
        shared in it "to the room" keeps its audience as explicit members, those who
        were there when it was shared and when it closed. Nobody else ever sees it, and
        no later room can inherit it. Returns whether a document changed."""
        self._presentations.pop(room_id, None)
        changed = False
        for doc in list(self._docs.values()):
            if doc.room_id == room_id and doc.visibility is Visibility.ROOM:
                audience = doc.audience | frozenset(members)
                self._docs[doc.doc_id] = replace(
                    doc, visibility=Visibility.MEMBERS, audience=audience
                )
                changed = True
        return changed
