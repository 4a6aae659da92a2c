"""iCalendar (RFC 5545) invitations for a session, one event per participant.

An event's UID names the session and the participant (:func:`event_uid`), not their link:
a link re-issued after a revocation, a reminder, a move or a cancellation all speak of the
same event, so a calendar updates it rather than adding a second one. ``SEQUENCE`` goes up
at each move or cancellation (the session keeps the count), and a cancellation is
``METHOD:CANCEL`` with ``STATUS:CANCELLED`` (RFC 5546).
"""

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
    sequence: int = 0  # one more at each move or cancellation of the session
    cancelled: bool = False  # METHOD:CANCEL, STATUS:CANCELLED
    organizer: str | None = None  # the sender's address (a cancellation names it)
    attendee: str | None = None  # the recipient's address (a cancellation names it)


def event_uid(session_id: str, participant_id: str) -> str:
    """The UID of one participant's event for one session, whatever link they hold."""
    return f"{session_id}-{participant_id}@palabre"


def for_link(
    *,
    uid: str,
    starts_at: datetime,
    duration: timedelta,
    public_title: str,
    mediator_names: list[str],
    url: str,
    language: str,
    stamp: datetime,
    sequence: int = 0,
) -> Invitation:
    """The invitation a participant gets with their personal link (downloaded from the
    case page or attached to the e-mail), in their language (``fr`` or ``en``)."""
    mediators = ", ".join(mediator_names)
    if language == "en":
        summary = f"Mediation session — {public_title}"
        text = (
            f"Mediation session with {mediators}.\n"
            f"Your personal link (do not share it): {url}\n"
            "No recording of any kind is allowed. Open the link a few minutes early to check "
            "your camera and microphone."
        )
    else:
        summary = f"Séance de médiation — {public_title}"
        text = (
            f"Séance de médiation avec {mediators}.\n"
            f"Votre lien personnel (ne le transmettez pas) : {url}\n"
            "Aucun enregistrement n'est autorisé. Ouvrez le lien quelques minutes avant "
            "pour vérifier votre caméra et votre micro."
        )
    return Invitation(uid, starts_at, duration, summary, text, url, stamp, sequence)


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


def _address(value: str) -> str:
    return "mailto:" + "".join(ch for ch in value if ch not in '\r\n:;,"' and ord(ch) > 32)


def render(inv: Invitation) -> str:
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Palabre//e-mediation//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:CANCEL" if inv.cancelled else "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{inv.uid}",
        f"SEQUENCE:{inv.sequence}",
        f"DTSTAMP:{_utc(inv.stamp)}",
        f"DTSTART:{_utc(inv.starts_at)}",
        f"DTEND:{_utc(inv.starts_at + inv.duration)}",
        f"SUMMARY:{_escape(inv.summary)}",
        f"DESCRIPTION:{_escape(inv.description)}",
    ]
    if inv.organizer:
        head.append(f"ORGANIZER:{_address(inv.organizer)}")
    if inv.attendee:
        head.append(f"ATTENDEE:{_address(inv.attendee)}")
    if inv.cancelled:
        body = ["STATUS:CANCELLED", "CLASS:CONFIDENTIAL", "TRANSP:TRANSPARENT"]
    else:
        body = [
            f"URL:{_escape(inv.url)}",
            "STATUS:CONFIRMED",
            "CLASS:CONFIDENTIAL",
            "TRANSP:OPAQUE",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-PT15M",
            f"DESCRIPTION:{_escape(inv.summary)}",
            "END:VALARM",
        ]
    lines = [*head, *body, "END:VEVENT", "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines)


# -- a mediator's agenda as a calendar subscription (feed) ------------------------------


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    starts_at: datetime
    duration: timedelta
    summary: str
    url: str
    cancelled: bool
    sequence: int
    modified_at: datetime


def for_agenda(
    *,
    uid: str,
    starts_at: datetime,
    duration: timedelta,
    public_title: str,
    url: str,
    cancelled: bool,
    language: str,
    modified_at: datetime,
    sequence: int = 0,
) -> FeedEvent:
    """One session in its mediator's calendar feed. The feed lives in third-party
    calendar apps, so it says no more than an invitation's title: the case's public
    title, the time and the address of the case page (which asks to sign in). No
    party, no e-mail address, no description, no personal link."""
    label = "Mediation session" if language == "en" else "Séance de médiation"
    return FeedEvent(
        uid, starts_at, duration, f"{label} — {public_title}", url, cancelled, sequence,
        modified_at,
    )  # fmt: skip


def feed_name(language: str) -> str:
    return "Palabre — my sessions" if language == "en" else "Palabre — mes séances"


def render_feed(events: list[FeedEvent], *, name: str, stamp: datetime) -> str:
    """A VCALENDAR that calendar apps poll: every event, cancelled ones marked so."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Palabre//e-mediation agenda//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_escape(event.uid)}",
            f"DTSTAMP:{_utc(stamp)}",
            f"LAST-MODIFIED:{_utc(event.modified_at)}",
            f"SEQUENCE:{event.sequence}",
            f"DTSTART:{_utc(event.starts_at)}",
            f"DTEND:{_utc(event.starts_at + event.duration)}",
            f"SUMMARY:{_escape(event.summary)}",
            f"URL:{_escape(event.url)}",
            f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
            "CLASS:CONFIDENTIAL",
            f"TRANSP:{'TRANSPARENT' if event.cancelled else 'OPAQUE'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
