"""What Palabre tells a participant invited by e-mail after the invitation: a reminder
before the session, a notice when it moves or is cancelled, and a new link after the
earlier one was withdrawn.

Pure functions, like :mod:`server.mail.messages` (the invitation): plain text with an HTML
alternative, in the recipient's language (the one their invitation was sent in), every
value escaped in the HTML, no image, no tracking, no redirect; the only link is the
recipient's own. The subject says what the message is and when, nothing confidential.
Each carries the session's .ics: the same event as the invitation's (its UID names the
session and the person), a higher SEQUENCE after a move, ``METHOD:CANCEL`` when cancelled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from records.stores.outbox import Attachment, MailContents
from server.invites import ics
from server.mail.messages import LANGUAGES, InvitationFacts, date_text, when_text

# The kinds of message this module writes, as the outbox stores them.
REMINDER = "reminder"
MOVED = "session_moved"
CANCELLED = "session_cancelled"
NEW_LINK = "new_link"
KINDS = (REMINDER, MOVED, CANCELLED, NEW_LINK)


def _lang(facts: InvitationFacts) -> str:
    return facts.language if facts.language in LANGUAGES else "fr"


def _when(facts: InvitationFacts, starts_at: datetime, lang: str) -> tuple[str, str]:
    """(the day, the day and hour with its time zone) in the session's time zone."""
    local = starts_at.astimezone(ZoneInfo(facts.timezone))
    return date_text(local, lang), f"{when_text(local, lang)} ({facts.timezone})"


def _calendar(facts: InvitationFacts, now: datetime, *, cancelled: bool, organizer: str) -> bytes:
    event = ics.for_link(
        uid=facts.event_uid, starts_at=facts.starts_at,
        duration=timedelta(minutes=facts.duration_minutes), public_title=facts.public_title,
        mediator_names=facts.mediator_names, url=facts.url, language=_lang(facts), stamp=now,
        sequence=facts.sequence,
    )  # fmt: skip
    if cancelled:
        event = ics.Invitation(
            event.uid, event.starts_at, event.duration, event.summary,
            "Séance annulée." if _lang(facts) == "fr" else "Session cancelled.", "", now,
            event.sequence, cancelled=True, organizer=organizer, attendee=facts.to,
        )  # fmt: skip
    return ics.render(event).encode()


def _compose(
    facts: InvitationFacts,
    subject: str,
    before: list[str],
    after: list[str],
    calendar: bytes,
    *,
    with_link: bool = True,
) -> MailContents:
    lang = _lang(facts)
    link = [facts.url, ""] if with_link else []
    text = "\n".join([*before, *link, *after, ""])
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head><body>"
        + "".join(f"<p>{escape(line)}</p>" for line in before if line)
        + (
            f'<p><a href="{escape(facts.url, quote=True)}">{escape(facts.url)}</a></p>'
            if with_link
            else ""
        )
        + "".join(f"<p>{escape(line)}</p>" for line in after if line)
        + "</body></html>"
    )
    return MailContents(
        to=facts.to, subject=subject, text=text, html=html,
        attachments=(Attachment("mediation.ics", "text/calendar", calendar),),
    )  # fmt: skip


def reminder(facts: InvitationFacts, now: datetime, *, organizer: str = "") -> MailContents:
    """The reminder before a session: when, and the personal link."""
    lang = _lang(facts)
    day, when = _when(facts, facts.starts_at, lang)
    mediators = ", ".join(facts.mediator_names)
    if lang == "en":
        subject = f"Reminder: mediation session — {day}"
        before = [
            f"Hello {facts.participant_name},",
            f"A reminder: your mediation session ({facts.public_title}) with {mediators} "
            f"is on {when}, for {facts.duration_minutes} minutes.",
            "Your personal link (it is yours alone: do not pass it on):",
        ]
        after = [
            "Open it a few minutes early to check your camera and microphone. No recording "
            "of any kind is allowed. The session is confidential."
        ]
    else:
        subject = f"Rappel : séance de médiation — {day}"
        before = [
            f"Bonjour {facts.participant_name},",
            f"Pour rappel, votre séance de médiation ({facts.public_title}) avec {mediators} "
            f"a lieu le {when}, durée {facts.duration_minutes} minutes.",
            "Votre lien personnel (il n'est qu'à vous : ne le transmettez pas) :",
        ]
        after = [
            "Ouvrez-le quelques minutes avant pour vérifier votre caméra et votre micro. "
            "Aucun enregistrement n'est autorisé. La séance est confidentielle."
        ]
    calendar = _calendar(facts, now, cancelled=False, organizer=organizer)
    return _compose(facts, subject, before, after, calendar)


def moved(
    facts: InvitationFacts, previous: datetime, now: datetime, *, organizer: str = ""
) -> MailContents:
    """The session moved from ``previous``: its new time, the same link, the updated event."""
    lang = _lang(facts)
    day, when = _when(facts, facts.starts_at, lang)
    _, was = _when(facts, previous, lang)
    if lang == "en":
        subject = f"Mediation session moved — now {day}"
        before = [
            f"Hello {facts.participant_name},",
            f"Your mediation session ({facts.public_title}) planned on {was} has moved.",
            f"New time: {when}, for {facts.duration_minutes} minutes.",
            "Your personal link is still the same:",
        ]
        after = ["The attached calendar file updates the session in your agenda."]
    else:
        subject = f"Séance de médiation déplacée — désormais le {day}"
        before = [
            f"Bonjour {facts.participant_name},",
            f"Votre séance de médiation ({facts.public_title}) prévue le {was} est déplacée.",
            f"Nouvelle date : le {when}, durée {facts.duration_minutes} minutes.",
            "Votre lien personnel reste le même :",
        ]
        after = ["Le fichier de calendrier joint met la séance à jour dans votre agenda."]
    calendar = _calendar(facts, now, cancelled=False, organizer=organizer)
    return _compose(facts, subject, before, after, calendar)


def cancelled(facts: InvitationFacts, now: datetime, *, organizer: str = "") -> MailContents:
    """The session is cancelled: no link (it no longer opens anything), the event removed."""
    lang = _lang(facts)
    day, when = _when(facts, facts.starts_at, lang)
    mediators = ", ".join(facts.mediator_names)
    if lang == "en":
        subject = f"Mediation session cancelled — {day}"
        before = [
            f"Hello {facts.participant_name},",
            f"Your mediation session ({facts.public_title}) planned on {when} is cancelled. "
            "Your personal link for it no longer works.",
        ]
        after = [
            f"If the mediation goes on, {mediators} will send you the link to the next session.",
            "The attached calendar file removes the session from your agenda.",
        ]
    else:
        subject = f"Séance de médiation annulée — {day}"
        before = [
            f"Bonjour {facts.participant_name},",
            f"Votre séance de médiation ({facts.public_title}) prévue le {when} est annulée. "
            "Votre lien personnel pour cette séance ne fonctionne plus.",
        ]
        after = [
            f"Si la médiation se poursuit, {mediators} vous enverra le lien de la prochaine "
            "séance.",
            "Le fichier de calendrier joint retire la séance de votre agenda.",
        ]
    calendar = _calendar(facts, now, cancelled=True, organizer=organizer)
    return _compose(facts, subject, before, after, calendar, with_link=False)


def new_link(facts: InvitationFacts, now: datetime, *, organizer: str = "") -> MailContents:
    """A new personal link after the earlier one was withdrawn (which no longer works)."""
    lang = _lang(facts)
    day, when = _when(facts, facts.starts_at, lang)
    if lang == "en":
        subject = f"Your new link for the mediation session — {day}"
        before = [
            f"Hello {facts.participant_name},",
            f"Here is your new personal link for the mediation session ({facts.public_title}) "
            f"on {when}. The link sent to you earlier no longer works.",
            "Your new personal link (it is yours alone: do not pass it on):",
        ]
        after = ["The attached calendar file updates the session in your agenda."]
    else:
        subject = f"Votre nouveau lien pour la séance de médiation — {day}"
        before = [
            f"Bonjour {facts.participant_name},",
            f"Voici votre nouveau lien personnel pour la séance de médiation "
            f"({facts.public_title}) du {when}. Le lien envoyé précédemment ne fonctionne plus.",
            "Votre nouveau lien personnel (il n'est qu'à vous : ne le transmettez pas) :",
        ]
        after = ["Le fichier de calendrier joint met la séance à jour dans votre agenda."]
    calendar = _calendar(facts, now, cancelled=False, organizer=organizer)
    return _compose(facts, subject, before, after, calendar)
