from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.invites.ics import Invitation, event_uid, render


def test_escaping_and_folding() -> None:
    text = render(
        Invitation(
            uid="abc@palabre",
            starts_at=datetime(2030, 1, 2, 9, 0, tzinfo=UTC),
            duration=timedelta(minutes=30),
            summary="Séance; virgule, et \\ barre",
            description="Ligne 1\nLigne 2 " + "é" * 80,
            url="http://localhost/join#tok",
            stamp=datetime(2029, 12, 1, tzinfo=UTC),
        )
    )
    lines = text.split("\r\n")
    assert "SUMMARY:Séance\\; virgule\\, et \\\\ barre" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:Ligne 1\\nLigne 2 " + "é" * 80 in unfolded
    assert text.endswith("END:VCALENDAR\r\n")


def _fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.replace("\r\n ", "").split("\r\n"):
        name, _, value = line.partition(":")
        out.setdefault(name, value)
    return out


def test_an_update_and_a_cancellation_name_the_same_event() -> None:
    uid = event_uid("session1", "person1")
    assert uid == event_uid("session1", "person1") != event_uid("session1", "person2")
    start = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    stamp = datetime(2029, 12, 1, tzinfo=UTC)
    first = _fields(render(Invitation(uid, start, timedelta(hours=1), "S", "D", "u", stamp)))
    assert (first["METHOD"], first["SEQUENCE"], first["STATUS"]) == ("PUBLISH", "0", "CONFIRMED")
    assert "ORGANIZER" not in first
    cancel = _fields(
        render(
            Invitation(
                uid, start, timedelta(hours=1), "S", "D", "", stamp, 2, cancelled=True,
                organizer="mediation@palabre.test", attendee="jeanne@example.org\r\nX:evil",
            )
        )
    )  # fmt: skip
    assert (cancel["METHOD"], cancel["SEQUENCE"], cancel["STATUS"]) == ("CANCEL", "2", "CANCELLED")
    assert cancel["UID"] == first["UID"] == uid
    assert cancel["ORGANIZER"] == "mailto:mediation@palabre.test"
    assert cancel["ATTENDEE"] == "mailto:jeanne@example.orgXevil"  # no line of its own
    assert "X" not in cancel and "URL" not in cancel and "BEGIN" in cancel
