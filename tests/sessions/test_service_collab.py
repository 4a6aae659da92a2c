"""LiveSession: whiteboard, chat and documents through the facade."""

from __future__ import annotations

from typing import Any

import pytest

from sessions.documents import Visibility
from sessions.errors import Forbidden, InvalidPayload, NotFound
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from tests.sessions.conftest import CAST

RED = "#ff0000"


def rect(oid: str) -> dict[str, Any]:
    return {"type": "rect", "id": oid, "x": 0, "y": 0, "w": 5, "h": 5, "color": RED, "width": 1}


class TestWhiteboard:
    def test_op_is_broadcast_to_the_room(self, live: LiveSession) -> None:
        out = live.wb_submit("alice", rect("a"))
        assert out.value.seq == 1 and out.value.author == "alice"
        note = out.notifications[0]
        assert note.event == "wb:op" and note.recipients == set(CAST)
        assert note.payload["op"]["id"] == "a"

    def test_invalid_payload(self, live: LiveSession) -> None:
        with pytest.raises(InvalidPayload):
            live.wb_submit("alice", {"type": "rect", "id": "a"})

    def test_observer_cannot_draw(self, live: LiveSession) -> None:
        with pytest.raises(Forbidden):
            live.wb_submit("obs", rect("o"))

    def test_clear_is_for_mediators(self, live: LiveSession) -> None:
        live.wb_submit("alice", rect("a"))
        with pytest.raises(Forbidden) as info:
            live.wb_submit("alice", {"type": "clear"})
        assert info.value.audit is not None
        out = live.wb_submit("co", {"type": "clear"})
        assert out.audit[0].kind == "wb.clear"
        assert live.board(PLENARY).objects() == {}

    def test_parties_edit_their_own_mediators_any(self, live: LiveSession) -> None:
        live.wb_submit("alice", rect("a"))
        with pytest.raises(Forbidden):
            live.wb_submit("bob", {"type": "erase", "targets": ["a"]})
        live.wb_submit("med", {"type": "move", "target": "a", "dx": 1, "dy": 2})
        live.wb_submit("alice", {"type": "undo"})  # alice undoes her own creation
        assert live.board(PLENARY).objects() == {}

    def test_sync_for_late_joiners_and_reconnects(self, live: LiveSession) -> None:
        live.wb_submit("alice", rect("a"))
        live.wb_submit("bob", rect("b"))
        fresh = live.wb_sync("bob").value
        assert fresh.snapshot is not None and fresh.snapshot.seq == 2 and fresh.ops == ()
        missed = live.wb_sync("bob", since=1).value
        assert missed.snapshot is None and [e.seq for e in missed.ops] == [2]
        future = live.wb_sync("bob", since=99).value
        assert future.snapshot is not None

    def test_each_room_has_its_own_board(self, live: LiveSession) -> None:
        room = live.open_private_meeting("med", {"alice"}).value.room_id
        live.wb_submit("alice", rect("secret"))
        assert live.board(PLENARY).objects() == {}
        assert live.wb_sync("bob").value.snapshot is not None
        assert live.wb_sync("bob").value.room_id == PLENARY
        assert set(live.board(room).objects()) == {"secret"}

    def test_showing_the_board_brings_only_the_room_to_it(self, live: LiveSession) -> None:
        room = live.open_private_meeting("med", {"alice"}).value.room_id
        out = live.show_board("med")
        [note] = out.notifications
        assert note.event == "wb:shown" and note.payload == {"room_id": room, "by": "med"}
        assert note.recipients == {"alice"}  # the plenary is told nothing
        with pytest.raises(Forbidden):
            live.show_board("obs")  # presenting is for those who may present
        live.move("med", "med", PLENARY)
        # the same rule as presenting a document: a party may too, in a live room
        shown = live.show_board("bob").notifications[0]
        assert shown.recipients == {"med", "co", "counsel_a", "obs"}

    def test_copy_caucus_board_into_plenary(self, live: LiveSession) -> None:
        room = live.open_private_meeting("med", {"alice"}).value.room_id
        live.wb_submit("alice", rect("idea"))
        with pytest.raises(Forbidden):
            live.copy_board("alice", room)
        out = live.copy_board("med", room)
        assert out.audit[0].kind == "wb.copy" and out.audit[0].details["source"] == room
        assert out.notifications[0].recipients == {"co", "bob", "counsel_a", "obs"}
        copied = list(live.board(PLENARY).objects().values())
        assert len(copied) == 1 and copied[0].author == "med"
        with pytest.raises(InvalidPayload):
            live.copy_board("med", PLENARY, PLENARY)
        with pytest.raises(NotFound):
            live.copy_board("med", "private-9")


class TestChat:
    def test_message_to_room_members(self, live: LiveSession) -> None:
        out = live.chat_send("alice", "  Bonjour\u202e  ")
        assert out.value.text == "Bonjour"
        assert out.notifications[0].recipients == set(CAST)
        assert out.audit == ()  # contents never reach the audit log

    def test_history_is_per_room(self, live: LiveSession) -> None:
        live.chat_send("bob", "avant")
        live.open_private_meeting("med", {"alice"})
        live.chat_send("alice", "aparté")
        assert [m.text for m in live.chat_history("alice")] == ["aparté"]
        assert [m.text for m in live.chat_history("bob")] == ["avant"]

    def test_kept_only_if_mediator_enabled_and_everyone_agreed(self, live: LiveSession) -> None:
        live.chat_send("alice", "à garder")
        with pytest.raises(Forbidden):
            live.set_chat_keep("co", True)
        out = live.set_chat_keep("med", True)
        assert out.notifications[0].recipients == set(CAST)
        for pid in CAST:
            result = live.agree_chat_keep(pid, True)
        assert result.value is True
        assert result.audit[0].kind == "chat.keep_agreement"
        summary = live.end("med").value
        assert [m.text for m in summary.retained_chat] == ["à garder"]

    def test_one_refusal_is_enough(self, live: LiveSession) -> None:
        live.chat_send("alice", "x")
        live.set_chat_keep("med", True)
        for pid in CAST:
            live.agree_chat_keep(pid, pid != "bob")
        assert live.end("med").value.retained_chat == ()

    def test_someone_who_left_still_counts(self, live: LiveSession) -> None:
        live.chat_send("alice", "x")
        live.set_chat_keep("med", True)
        for pid in CAST:
            if pid != "bob":
                live.agree_chat_keep(pid, True)
        live.leave("bob")
        assert live.end("med").value.retained_chat == ()


class TestDocuments:
    def test_share_reaches_viewers_only(self, live: LiveSession) -> None:
        out = live.share_document("alice", "d1", "Note pour le médiateur", Visibility.MEDIATORS)
        assert out.notifications[0].recipients == {"alice", "med", "co"}
        assert out.audit[0].kind == "doc.share"
        assert out.audit[0].details == {"room": PLENARY, "visibility": "mediators"}
        assert [d.doc_id for d in live.documents_for("co")] == ["d1"]
        assert live.documents_for("bob") == []

    def test_observer_cannot_share(self, live: LiveSession) -> None:
        with pytest.raises(Forbidden):
            live.share_document("obs", "d", "x")

    def test_caucus_members_keep_their_document(self, live: LiveSession) -> None:
        room = live.open_private_meeting("med", {"alice", "counsel_a"}).value.room_id
        live.share_document("counsel_a", "d", "Projet", Visibility.MEMBERS)
        live.close_private_meeting("med", room)
        assert [d.doc_id for d in live.documents_for("alice")] == ["d"]
        assert live.documents_for("bob") == []
        assert live.documents_for("co") == []

    def test_download_flag(self, live: LiveSession) -> None:
        live.share_document("alice", "d", "Devis")
        assert not live.can_download("bob", "d")
        assert live.can_download("alice", "d")
        with pytest.raises(Forbidden):
            live.set_document_download("alice", "d", True)
        out = live.set_document_download("med", "d", True)
        assert out.audit[0].details == {"allowed": "true"}
        assert live.can_download("bob", "d")

    def test_withdraw(self, live: LiveSession) -> None:
        live.share_document("alice", "d", "Devis")
        with pytest.raises(Forbidden):
            live.withdraw_document("bob", "d")
        out = live.withdraw_document("med", "d")
        assert out.notifications[0].event == "doc:withdrawn"
        assert live.documents_for("alice") == []

    def test_hidden_documents_do_not_exist_for_others(self, live: LiveSession) -> None:
        live.share_document("alice", "d", "Secret", Visibility.MEDIATORS)
        with pytest.raises(NotFound):
            live.withdraw_document("bob", "d")
        with pytest.raises(NotFound):
            live.present("bob", "d", 1)

    def test_follow_me(self, live: LiveSession) -> None:
        live.share_document("med", "d", "Chronologie", pages=5)
        out = live.present("med", "d", 3, 1.25)
        note = out.notifications[0]
        assert note.event == "doc:page" and note.recipients == set(CAST) - {"med"}
        assert note.payload["page"] == 3 and note.payload["zoom"] == 1.25
        assert live.follow("bob", False).value is None
        out = live.present("med", "d", 4)
        assert "bob" not in out.notifications[0].recipients
        resumed = live.follow("bob", True).value
        assert resumed is not None and resumed.page == 4
        with pytest.raises(Forbidden):
            live.stop_presenting("alice")
        live.stop_presenting("med")
        assert live.documents.presentation(PLENARY) is None
        assert live.stop_presenting("alice").notifications == ()

    def test_entering_a_room_shows_its_presentation(self, live: LiveSession) -> None:
        room = live.open_private_meeting("med", {"alice"}).value.room_id
        live.share_document("med", "d", "Offre", pages=2)
        live.present("med", "d", 2)
        out = live.move("med", "counsel_a", room)
        entered = next(n for n in out.notifications if n.event == "room:entered")
        assert entered.recipients == {"counsel_a"}
        assert entered.payload["presentation"]["page"] == 2

    def test_cannot_present_a_mediators_only_document_to_parties(self, live: LiveSession) -> None:
        live.share_document("med", "d", "Notes", Visibility.MEDIATORS)
        with pytest.raises(Forbidden):
            live.present("med", "d", 1)


class TestSharingAgain:
    def test_a_private_meeting_document_shared_again_in_the_plenary(
        self, live: LiveSession
    ) -> None:
        live.open_private_meeting("med", {"alice"})
        live.share_document("alice", "d", "Ma limite", Visibility.MEMBERS, pages=2)
        with pytest.raises(Forbidden):
            live.reshare_document("med", "d")  # only its owner
        live.return_all_to_plenary("med")
        assert [d.doc_id for d in live.documents_for("bob")] == []
        out = live.reshare_document("alice", "d")
        doc = out.value
        assert (doc.room_id, doc.visibility, doc.audience) == (PLENARY, Visibility.ROOM, set())
        assert out.documents_changed and out.audit[0].kind == "doc.reshare"
        by_event = {n.event: n for n in out.notifications}
        assert "bob" in by_event["doc:shared"].recipients
        assert {"alice", "med"} <= by_event["doc:updated"].recipients
        assert "doc:withdrawn" not in by_event  # nobody who saw it loses it
        assert [d.doc_id for d in live.documents_for("bob")] == ["d"]
        # presented, then back to mediators only: Bob is told it is gone, the page stops
        live.present("alice", "d", 2)
        out = live.reshare_document("alice", "d", Visibility.MEDIATORS)
        by_event = {n.event: n for n in out.notifications}
        assert "bob" in by_event["doc:withdrawn"].recipients
        assert by_event["doc:stopped"].room_id == PLENARY
        assert live.documents.presentation(PLENARY) is None
        assert live.documents_for("bob") == []
        with pytest.raises(InvalidPayload):
            live.reshare_document("alice", "d", Visibility.MEMBERS)  # not in a private meeting
        with pytest.raises(NotFound):
            live.reshare_document("bob", "d")
