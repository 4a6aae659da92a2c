"""The calendar feed's iCalendar text: what one session says, cancelled ones marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.invites.ics import FeedEvent, feed_name, for_agenda, render_feed
from tests.server.test_agenda_api import events_of, parse_ics

STAMP = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)


def event(title: str, *, cancelled: bool = False, language: str = "fr") -> FeedEvent:
    return for_agenda(
        uid="session-abc@palabre.example",
        starts_at=datetime(2030, 3, 14, 13, 30, tzinfo=UTC),
        duration=timedelta(minutes=90),
        public_title=title,
        url="https://palabre.example/cases/abc",
        cancelled=cancelled,
        language=language,
        modified_at=datetime(2030, 1, 2, 9, 0, tzinfo=UTC),
        sequence=2,
    )


def test_a_session_and_a_cancelled_one() -> None:
    text = render_feed(
        [event("Voisinage; bruit, " + "é" * 60), event("Famille", cancelled=True)],
        name=feed_name("fr"),
        stamp=STAMP,
    )
    (calendar,) = parse_ics(text)
    assert calendar["X-WR-CALNAME"] == ["Palabre — mes séances"]
    assert calendar["METHOD"] == ["PUBLISH"]
    first, second = events_of(text)
    assert first["SUMMARY"] == ["Séance de médiation — Voisinage\\; bruit\\, " + "é" * 60]
    assert first["DTSTART"] == ["20300314T133000Z"] and first["DTEND"] == ["20300314T150000Z"]
    assert first["LAST-MODIFIED"] == ["20300102T090000Z"] and first["SEQUENCE"] == ["2"]
    assert first["STATUS"] == ["CONFIRMED"] and first["TRANSP"] == ["OPAQUE"]
    assert first["CLASS"] == ["CONFIDENTIAL"] and "DESCRIPTION" not in first
    assert second["STATUS"] == ["CANCELLED"] and second["TRANSP"] == ["TRANSPARENT"]


def test_an_empty_feed_is_still_a_calendar() -> None:
    (calendar,) = parse_ics(render_feed([], name=feed_name("en"), stamp=STAMP))
    assert calendar["_children"] == [] and calendar["X-WR-CALNAME"] == ["Palabre — my sessions"]


def test_english_titles() -> None:
    assert event("Family", language="en").summary == "Mediation session — Family"
