"""What the e-mail answering a declined public request says.

Pure, like :mod:`server.mail.messages`: plain text with an HTML alternative, in the
requester's language, every value escaped in the HTML. The subject names nothing of the
request; the body is the mediator's own message, quoted as written.
"""

from __future__ import annotations

from html import escape

from records.stores.outbox import MailContents

KIND = "request_declined"
MESSAGE_MAX = 4000


def request_declined(
    to: str, name: str, message: str, language: str, kept_days: int | None
) -> MailContents:
    """The mediator's answer to a request they decline; ``kept_days``: how long the request
    is kept after it (the retention policy's ``requests_declined``)."""
    if language == "en":
        subject = "Your mediation request"
        before = [
            f"Hello {name},",
            "Thank you for your request for a mediation. A mediator read it and cannot take "
            "it on. Their message:",
        ]
        after = [
            (f"Your request will be destroyed {kept_days} days from now. " if kept_days else "")
            + "This message was sent automatically: to write to the service, use its usual "
            "contact details.",
        ]
    else:
        subject = "Votre demande de médiation"
        before = [
            f"Bonjour {name},",
            "Merci pour votre demande de médiation. Un médiateur l'a lue et ne peut pas y "
            "donner suite. Son message :",
        ]
        after = [
            (f"Votre demande sera détruite dans {kept_days} jours. " if kept_days else "")
            + "Ce message est envoyé automatiquement : pour écrire au service, utilisez ses "
            "coordonnées habituelles.",
        ]
    quoted = message.strip()
    text = "\n\n".join([*before, quoted, *after]) + "\n"
    html = (
        f'<!DOCTYPE html><html lang="{"en" if language == "en" else "fr"}"><head>'
        f'<meta charset="utf-8"><title>{escape(subject)}</title></head><body>'
        + "".join(f"<p>{escape(line)}</p>" for line in before)
        + "<blockquote>"
        + "".join(f"<p>{escape(p)}</p>" for p in quoted.split("\n") if p.strip())
        + "</blockquote>"
        + "".join(f"<p>{escape(line)}</p>" for line in after)
        + "</body></html>"
    )
    return MailContents(to=to, subject=subject, text=text, html=html)
