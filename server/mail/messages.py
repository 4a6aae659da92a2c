"""What Palabre's e-mails say, and the MIME message made of what the outbox stored.

Pure functions. Each message is plain text with an HTML alternative, in the recipient's
language (``fr`` or ``en``). Every value put in the HTML is escaped; there is no image,
no tracking pixel and no redirect: the only link is the recipient's own. The subject says
what the message is and when, nothing confidential (no case title, no other party).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from zoneinfo import ZoneInfo

from records.stores.outbox import Attachment, MailContents
from server.invites import ics

LANGUAGES = ("fr", "en")
MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}  # fmt: skip


@dataclass(frozen=True)
class InvitationFacts:
    """What an invitation tells its recipient (their own name, the session, their link)."""

    to: str
    participant_name: str
    mediator_names: list[str]
    public_title: str
    starts_at: datetime
    timezone: str
    duration_minutes: int
    url: str
    event_uid: str  # the .ics UID (session and person): the same event whatever is sent
    language: str
    sequence: int = 0  # the .ics SEQUENCE: the session's count of moves and cancellations


def new_message_id(sender: str) -> str:
    """A Message-ID on the sender's domain (set when the message is queued, so that a
    message tried twice is one message to whoever receives it)."""
    domain = sender.rpartition("@")[2] or "palabre.invalid"
    return f"<{secrets.token_hex(16)}@{domain}>"


def date_text(value: datetime, language: str) -> str:
    month = MONTHS[language][value.month - 1]
    return f"{value.day} {month} {value.year}"


def when_text(value: datetime, language: str) -> str:
    if language == "en":
        return f"{date_text(value, language)} at {value:%H:%M}"
    return f"{date_text(value, language)} à {value:%H:%M}"


def invitation(facts: InvitationFacts, now: datetime) -> MailContents:
    """The invitation to a session: the personal link, and the session's .ics attached."""
    lang = facts.language if facts.language in LANGUAGES else "fr"
    local = facts.starts_at.astimezone(ZoneInfo(facts.timezone))
    when = f"{when_text(local, lang)} ({facts.timezone})"
    mediators = ", ".join(facts.mediator_names)
    if lang == "en":
        subject = f"Invitation to a mediation session — {date_text(local, lang)}"
        lines = [
            f"Hello {facts.participant_name},",
            f"You are invited to a mediation session ({facts.public_title}) with {mediators}.",
            f"When: {when}, for {facts.duration_minutes} minutes.",
            "Your personal link (it is yours alone: do not pass it on):",
            "",
        ]
        after = [
            "Open it a few minutes early to check your camera and microphone. No recording "
            "of any kind is allowed. The session is confidential.",
            "The attached calendar file adds the session to your agenda.",
        ]
    else:
        subject = f"Invitation à une séance de médiation — {date_text(local, lang)}"
        lines = [
            f"Bonjour {facts.participant_name},",
            f"Vous êtes invité(e) à une séance de médiation ({facts.public_title}) "
            f"avec {mediators}.",
            f"Quand : le {when}, durée {facts.duration_minutes} minutes.",
            "Votre lien personnel (il n'est qu'à vous : ne le transmettez pas) :",
            "",
        ]
        after = [
            "Ouvrez-le quelques minutes avant pour vérifier votre caméra et votre micro. "
            "Aucun enregistrement n'est autorisé. La séance est confidentielle.",
            "Le fichier de calendrier joint ajoute la séance à votre agenda.",
        ]
    text = "\n".join([*lines[:-1], facts.url, "", *after, ""])
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head><body>"
        + "".join(f"<p>{escape(line)}</p>" for line in lines[:-1])
        + f'<p><a href="{escape(facts.url, quote=True)}">{escape(facts.url)}</a></p>'
        + "".join(f"<p>{escape(line)}</p>" for line in after)
        + "</body></html>"
    )
    calendar = ics.render(
        ics.for_link(
            uid=facts.event_uid, starts_at=facts.starts_at,
            duration=timedelta(minutes=facts.duration_minutes), public_title=facts.public_title,
            mediator_names=facts.mediator_names, url=facts.url, language=lang, stamp=now,
            sequence=facts.sequence,
        )
    )  # fmt: skip
    return MailContents(
        to=facts.to, subject=subject, text=text, html=html,
        attachments=(Attachment("mediation.ics", "text/calendar", calendar.encode()),),
    )  # fmt: skip


def build_message(
    contents: MailContents, sender: str, message_id: str, date: datetime
) -> EmailMessage:
    """The MIME message: text and HTML alternatives, then the attachments."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = contents.to
    msg["Subject"] = contents.subject
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(date)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(contents.text, subtype="plain", charset="utf-8")
    msg.add_alternative(contents.html, subtype="html", charset="utf-8")
    for a in contents.attachments:
        maintype, _, subtype = a.content_type.partition("/")
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg
