from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.invites.ics import Invitation, render


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
