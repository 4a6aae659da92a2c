"""iCalendar (RFC 5545) invitations for a session, one per participant link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class Invitation:
    uid: str
    starts_at: datetime
    duration: timedelta
    summary: str
    description: str
    url: str
    stamp: datetime


def _escape(text: str) -> str:
    text = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Folds a content line at 75 octets without splitting a UTF-8 sequence."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode())
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def render(inv: Invitation) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Palabre//e-mediation//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{inv.uid}",
        f"DTSTAMP:{_utc(inv.stamp)}",
        f"DTSTART:{_utc(inv.starts_at)}",
        f"DTEND:{_utc(inv.starts_at + inv.duration)}",
        f"SUMMARY:{_escape(inv.summary)}",
        f"DESCRIPTION:{_escape(inv.description)}",
        f"URL:{_escape(inv.url)}",
        "CLASS:CONFIDENTIAL",
        "TRANSP:OPAQUE",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        "TRIGGER:-PT15M",
        f"DESCRIPTION:{_escape(inv.summary)}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)
