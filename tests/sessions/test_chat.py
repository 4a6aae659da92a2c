from __future__ import annotations

import pytest

from errors import ErrorCode
from sessions.chat import (
    MAX_MESSAGE_LENGTH,
    MAX_MESSAGES_PER_PERSON,
    MAX_MESSAGES_PER_ROOM,
    MAX_RAW_LENGTH,
    ChatLog,
    sanitize_message,
)
from sessions.errors import Conflict, InvalidPayload
from sessions.text import clean_text
from tests.sessions.conftest import FakeClock


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  bonjour  ", "bonjour"),
        ("a\x00b\x07c\x1b[31md", "abc[31md"),  # C0 controls, ANSI escapes defused
        ("a\x85b\x9fc", "abc"),  # C1 controls
        ("line1\r\nline2\rline3", "line1\nline2\nline3"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("tab\there", "tab here"),
        ("evil\u202egnp.exe", "evilgnp.exe"),  # right-to-left override
        ("\u2066isolate\u2069", "isolate"),
        ("\ufeffbom", "bom"),
        ("para\u2029graph", "para\ngraph"),
        ("e\u0301", "\u00e9"),  # NFC
        ("<b>not html</b>", "<b>not html</b>"),  # plain text: kept, never rendered as HTML
        ("emoji 👩\u200d⚖️ ok", "emoji 👩\u200d⚖️ ok"),  # ZWJ sequences survive
        ("trailing   \nspaces", "trailing\nspaces"),
    ],
)
def test_sanitize(raw: str, clean: str) -> None:
    assert sanitize_message(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01", "\u202e\u202c", "\n\n"])
def test_empty_after_cleaning_refused(raw: str) -> None:
    with pytest.raises(InvalidPayload):
        sanitize_message(raw)


def test_length_bounds() -> None:
    assert len(sanitize_message("x" * MAX_MESSAGE_LENGTH)) == MAX_MESSAGE_LENGTH
    with pytest.raises(InvalidPayload):
        sanitize_message("x" * (MAX_MESSAGE_LENGTH + 1))
    with pytest.raises(InvalidPayload):
        sanitize_message(" " * (MAX_RAW_LENGTH + 1))
    # Padding that cleaning removes does not count against the limit.
    assert sanitize_message(" " * 100 + "ok" + " " * 100) == "ok"


def test_single_line_cleaning() -> None:
    assert clean_text("a\nb", max_length=10, multiline=False) == "a b"
    with pytest.raises(ValueError):
        clean_text("abc", max_length=2)


def test_post_and_history_per_room(clock: FakeClock) -> None:
    log = ChatLog(clock=clock)
    t0 = clock()
    first = log.post("plenary", "alice", " hello ")
    clock.advance(1)
    second = log.post("private-1", "bob", "secret")
    third = log.post("plenary", "med", "welcome")
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.text == "hello" and first.at == t0 and second.at > t0
    assert [m.text for m in log.history("plenary")] == ["hello", "welcome"]
    assert [m.text for m in log.history("private-1")] == ["secret"]
    assert log.history("plenary", since=1) == [third]
    assert log.history("nowhere") == []
    wire = third.to_wire()
    assert wire == {
        "seq": 3,
        "room_id": "plenary",
        "author": "med",
        "text": "welcome",
        "at": third.at.isoformat(),
    }


def test_retention_needs_mediator_and_everyone(clock: FakeClock) -> None:
    log = ChatLog(clock=clock)
    log.post("plenary", "alice", "hi")
    everyone = ["med", "alice", "bob"]
    for pid in everyone:
        log.set_agreement(pid, True)
    assert not log.keep_after_session(everyone)  # the mediator did not enable it
    assert log.retained(everyone) == []
    log.set_keep_enabled(True)
    assert log.keep_enabled
    assert log.keep_after_session(everyone)
    assert [m.text for m in log.retained(everyone)] == ["hi"]
    log.set_agreement("bob", False)  # agreement is revocable
    assert not log.keep_after_session(everyone)
    assert log.retained(everyone) == []
    assert not log.keep_after_session([])


def test_retention_needs_every_participant_not_just_those_who_answered(clock: FakeClock) -> None:
    log = ChatLog(clock=clock)
    log.set_keep_enabled(True)
    log.set_agreement("alice", True)
    assert not log.keep_after_session(["alice", "bob"])
    assert not log.agreed("bob")


def test_retained_messages_are_in_order_across_rooms(clock: FakeClock) -> None:
    log = ChatLog(clock=clock)
    log.set_keep_enabled(True)
    log.set_agreement("a", True)
    log.post("plenary", "a", "1")
    log.post("private-1", "a", "2")
    log.post("plenary", "a", "3")
    assert [m.text for m in log.retained(["a"])] == ["1", "2", "3"]


def test_one_person_cannot_fill_a_rooms_chat() -> None:
    assert MAX_MESSAGES_PER_PERSON * 5 <= MAX_MESSAGES_PER_ROOM  # well below the room's cap
    log = ChatLog()
    for _ in range(MAX_MESSAGES_PER_PERSON):
        log.post("plenary", "flood", "x")
    with pytest.raises(Conflict) as info:
        log.post("plenary", "flood", "x")
    assert info.value.code == ErrorCode.OVER_BUDGET
    log.post("private-1", "flood", "x")  # a share per room
    log.post("plenary", "other", "still here")
    assert log.history("plenary")[-1].author == "other"
