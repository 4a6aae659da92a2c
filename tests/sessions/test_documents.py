from __future__ import annotations

import pytest

from sessions.documents import (
    MAX_DOCUMENTS,
    MAX_ZOOM,
    Documents,
    SharedDocument,
    Visibility,
    can_download,
    can_see,
)
from sessions.errors import Conflict, Forbidden, InvalidPayload, NotFound
from sessions.roles import Role
from sessions.rooms import PLENARY

CAUCUS = "private-1"


def share(
    docs: Documents,
    doc_id: str,
    visibility: Visibility,
    *,
    owner: str = "alice",
    room: str = PLENARY,
    members: frozenset[str] = frozenset(),
    pages: int | None = None,
) -> SharedDocument:
    return docs.share(
        doc_id,
        owner,
        f"Document {doc_id}",
        visibility,
        room_id=room,
        room_is_private=room != PLENARY,
        room_members=members,
        pages=pages,
    )


# (visibility, shared in, viewer, viewer role, viewer's room) -> can see?
CASES = [
    (Visibility.ROOM, PLENARY, "bob", Role.PARTY, PLENARY, True),
    (Visibility.ROOM, PLENARY, "bob", Role.PARTY, CAUCUS, False),
    (Visibility.ROOM, PLENARY, "obs", Role.OBSERVER, PLENARY, True),
    (Visibility.ROOM, CAUCUS, "bob", Role.PARTY, PLENARY, False),
    (Visibility.ROOM, CAUCUS, "counsel_a", Role.COUNSEL, CAUCUS, True),
    (Visibility.ROOM, CAUCUS, "co", Role.CO_MEDIATOR, PLENARY, False),  # not a caucus member
    (Visibility.MEMBERS, CAUCUS, "counsel_a", Role.COUNSEL, PLENARY, True),  # after the caucus
    (Visibility.MEMBERS, CAUCUS, "bob", Role.PARTY, CAUCUS, False),  # joined later
    (Visibility.MEMBERS, CAUCUS, "co", Role.CO_MEDIATOR, CAUCUS, False),
    (Visibility.MEDIATORS, PLENARY, "med", Role.MEDIATOR, CAUCUS, True),
    (Visibility.MEDIATORS, PLENARY, "co", Role.CO_MEDIATOR, PLENARY, True),
    (Visibility.MEDIATORS, PLENARY, "bob", Role.PARTY, PLENARY, False),
    (Visibility.MEDIATORS, PLENARY, "counsel_a", Role.COUNSEL, PLENARY, False),
    (Visibility.MEDIATORS, PLENARY, "obs", Role.OBSERVER, PLENARY, False),
    (Visibility.MEDIATORS, PLENARY, "alice", Role.PARTY, CAUCUS, True),  # owner
    (Visibility.MEDIATORS, CAUCUS, "med", Role.MEDIATOR, PLENARY, True),  # was in the caucus
    (Visibility.MEDIATORS, CAUCUS, "co", Role.CO_MEDIATOR, CAUCUS, False),  # was not
    (Visibility.MEDIATORS, CAUCUS, "counsel_a", Role.COUNSEL, CAUCUS, False),
]


@pytest.mark.parametrize(("visibility", "shared_in", "viewer", "role", "room", "expected"), CASES)
def test_visibility(
    visibility: Visibility, shared_in: str, viewer: str, role: Role, room: str, expected: bool
) -> None:
    docs = Documents()
    members = frozenset({"alice", "counsel_a", "med"})
    doc = share(docs, "d", visibility, room=shared_in, members=members)
    assert can_see(doc, viewer, role, room) is expected
    assert (doc in docs.visible(viewer, role, room)) is expected


def test_member_visibility_needs_private_meeting() -> None:
    with pytest.raises(InvalidPayload):
        share(Documents(), "d", Visibility.MEMBERS)


def test_share_validation() -> None:
    docs = Documents()
    share(docs, "d", Visibility.ROOM)
    with pytest.raises(Conflict):
        share(docs, "d", Visibility.ROOM)
    with pytest.raises(InvalidPayload):
        share(docs, "e", Visibility.ROOM, pages=0)
    with pytest.raises(InvalidPayload):
        docs.share(
            "f",
            "a",
            " \u202e ",
            Visibility.ROOM,
            room_id=PLENARY,
            room_is_private=False,
            room_members=[],
        )
    with pytest.raises(InvalidPayload):
        docs.share(
            "g",
            "a",
            "x" * 201,
            Visibility.ROOM,
            room_id=PLENARY,
            room_is_private=False,
            room_members=[],
        )
    title = docs.share(
        "h",
        "a",
        "Contrat\nde bail",
        Visibility.ROOM,
        room_id=PLENARY,
        room_is_private=False,
        room_members=[],
    ).title
    assert title == "Contrat de bail"
    with pytest.raises(NotFound):
        docs.get("zzz")


def test_download_needs_mediator_leave() -> None:
    docs = Documents()
    doc = share(docs, "d", Visibility.ROOM)
    assert not can_download(doc, "bob", Role.PARTY, PLENARY)
    assert can_download(doc, "alice", Role.PARTY, CAUCUS)  # the owner, anywhere
    doc = docs.set_download("d", True)
    assert can_download(doc, "bob", Role.PARTY, PLENARY)
    assert not can_download(doc, "bob", Role.PARTY, CAUCUS)  # cannot see it from there


def test_unshare() -> None:
    docs = Documents()
    share(docs, "d", Visibility.ROOM, pages=3)
    docs.present(PLENARY, "alice", "d", 1, 1.0, {"alice": Role.PARTY})
    docs.unshare("d")
    assert docs.all() == []
    assert docs.presentation(PLENARY) is None
    with pytest.raises(NotFound):
        docs.unshare("d")


def test_viewers() -> None:
    docs = Documents()
    doc = share(docs, "d", Visibility.MEDIATORS)
    placed = {
        "alice": (Role.PARTY, PLENARY),
        "bob": (Role.PARTY, PLENARY),
        "co": (Role.CO_MEDIATOR, CAUCUS),
    }
    assert docs.viewers(doc, placed) == {"alice", "co"}


def test_follow_me() -> None:
    docs = Documents()
    share(docs, "d", Visibility.ROOM, pages=10)
    members = {"alice": Role.PARTY, "bob": Role.PARTY, "med": Role.MEDIATOR}
    shown = docs.present(PLENARY, "alice", "d", 2, 1.5, members)
    assert shown.version == 1 and shown.page == 2
    assert docs.followers(PLENARY, members) == {"bob", "med"}
    docs.set_following("bob", False)
    assert not docs.is_following("bob")
    assert docs.followers(PLENARY, members) == {"med"}
    shown = docs.present(PLENARY, "alice", "d", 3, 1.5, members)
    assert shown.version == 2
    docs.room_changed("bob")  # moving room resets to following
    assert docs.is_following("bob")
    assert docs.stop_presenting(PLENARY) == shown
    assert docs.followers(PLENARY, members) == frozenset()
    assert docs.stop_presenting(PLENARY) is None


def test_present_bounds() -> None:
    docs = Documents()
    share(docs, "d", Visibility.ROOM, pages=3)
    members = {"alice": Role.PARTY}
    for page, zoom in [(0, 1.0), (4, 1.0), (1, 0.0), (1, MAX_ZOOM + 1)]:
        with pytest.raises(InvalidPayload):
            docs.present(PLENARY, "alice", "d", page, zoom, members)


def test_present_only_what_everyone_in_the_room_may_see() -> None:
    docs = Documents()
    share(docs, "d", Visibility.MEDIATORS, owner="med")
    with pytest.raises(Forbidden):
        docs.present(PLENARY, "med", "d", 1, 1.0, {"med": Role.MEDIATOR, "bob": Role.PARTY})
    shown = docs.present(
        PLENARY, "med", "d", 1, 1.0, {"med": Role.MEDIATOR, "co": Role.CO_MEDIATOR}
    )
    assert shown.presenter == "med"


def test_presenter_takeover_rules() -> None:
    docs = Documents()
    share(docs, "d", Visibility.ROOM)
    members = {"alice": Role.PARTY, "bob": Role.PARTY, "med": Role.MEDIATOR}
    docs.present(PLENARY, "alice", "d", 1, 1.0, members)
    with pytest.raises(Conflict):
        docs.present(PLENARY, "bob", "d", 1, 1.0, members)
    assert docs.present(PLENARY, "med", "d", 1, 1.0, members).presenter == "med"


def test_room_closed_drops_presentation() -> None:
    docs = Documents()
    share(docs, "d", Visibility.ROOM, room=CAUCUS)
    docs.present(CAUCUS, "alice", "d", 1, 1.0, {"alice": Role.PARTY})
    docs.room_closed(CAUCUS)
    assert docs.presentation(CAUCUS) is None


def test_a_record_gives_back_the_same_document_and_its_audience() -> None:
    docs = Documents()
    shared = share(docs, "d1", Visibility.MEMBERS, room=CAUCUS, members=frozenset({"b", "m"}))
    allowed = docs.set_download("d1", True)
    record = allowed.to_record()
    assert record["audience"] == ["b", "m"]
    assert SharedDocument.from_record(record) == allowed != shared
    restored = Documents()
    restored.restore([SharedDocument.from_record(record)], [PLENARY])
    assert restored.visible("b", Role.PARTY, PLENARY) == [allowed]  # still hers, out of it
    assert restored.visible("c", Role.PARTY, CAUCUS) == []


@pytest.mark.parametrize(
    "damage",
    [
        {"doc_id": "../etc"},
        {"visibility": "everyone"},
        {"pages": 0},
        {"pages": "3"},
        {"pages": True},
        {"audience": 3},
        {},  # no room
    ],
)
def test_a_damaged_record_is_refused(damage: dict[str, object]) -> None:
    record = share(Documents(), "d1", Visibility.ROOM, pages=2).to_record()
    if not damage:
        del record["room_id"]
    record.update(damage)
    with pytest.raises(InvalidPayload):
        SharedDocument.from_record(record)


def test_restoring_keeps_what_is_shown_and_the_session_limit() -> None:
    docs = Documents()
    live = share(docs, "d1", Visibility.ROOM)
    stale = SharedDocument("d1", "bob", "old", Visibility.ROOM, PLENARY, frozenset())
    many = [
        SharedDocument(f"x{i}", "bob", "t", Visibility.ROOM, PLENARY, frozenset())
        for i in range(MAX_DOCUMENTS + 5)
    ]
    docs.restore([stale, *many], [PLENARY])
    assert docs.get("d1") == live
    assert len(docs.all()) == MAX_DOCUMENTS


def test_a_room_document_of_a_closed_private_meeting_stays_with_its_members() -> None:
    """Shared "to the room" in a private meeting: after it closes, its members still
    see it, and nobody in any later room does (a later meeting never inherits it)."""
    docs = Documents()
    share(
        docs, "d", Visibility.ROOM, owner="alice", room=CAUCUS, members=frozenset({"alice", "med"})
    )
    assert docs.room_closed(CAUCUS, {"alice", "med", "counsel"})
    doc = docs.get("d")
    assert doc.visibility is Visibility.MEMBERS
    assert doc.audience == {"alice", "med", "counsel"}
    assert [d.doc_id for d in docs.visible("med", Role.MEDIATOR, PLENARY)] == ["d"]
    assert docs.visible("bob", Role.PARTY, CAUCUS) == []  # even in a room of that name


def test_restored_room_documents_of_a_gone_private_meeting_stay_with_its_members() -> None:
    docs = Documents()
    share(
        docs, "d", Visibility.ROOM, owner="alice", room=CAUCUS, members=frozenset({"alice", "med"})
    )
    record = docs.get("d").to_record()
    again = Documents()
    assert again.restore([SharedDocument.from_record(record)], [PLENARY])
    assert again.visible("bob", Role.PARTY, CAUCUS) == []
    assert [d.doc_id for d in again.visible("med", Role.MEDIATOR, PLENARY)] == ["d"]
    assert not again.restore([], [PLENARY])  # nothing more to change
