"""The e-mail that carries a one-time signing code, in the text's language (fr or en).

A pure function like :mod:`server.mail.messages`. The subject says only what the message
is (no case, no party, no code); the body holds the code and how long it works.
"""

from __future__ import annotations

from html import escape

from records.stores.outbox import SEALED_KINDS, MailContents

KIND = "signing_code"
assert KIND in SEALED_KINDS  # nobody but its recipient reads it (not the case page's copy)


def signing_code_mail(to: str, name: str, code: str, minutes: int, language: str) -> MailContents:
    if language == "en":
        subject = "Your signing code"
        lines = [
            f"Hello {name},",
            "Here is your one-time code to sign the text your mediator asked you to sign:",
            code,
            f"It works for {minutes} minutes, once. If you did not ask for it, ignore this "
            "message and tell your mediator.",
        ]
    else:
        subject = "Votre code de signature"
        lines = [
            f"Bonjour {name},",
            "Voici votre code à usage unique pour signer le texte que votre médiateur vous "
            "a soumis :",
            code,
            f"Il est valable {minutes} minutes, une seule fois. Si vous ne l'avez pas "
            "demandé, ignorez ce message et prévenez votre médiateur.",
        ]
    lang = "en" if language == "en" else "fr"
    text = "\n\n".join(lines) + "\n"
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head><body>"
        + "".join(
            f'<p style="font-size:1.6em;letter-spacing:.2em"><b>{escape(line)}</b></p>'
            if line == code
            else f"<p>{escape(line)}</p>"
            for line in lines
        )
        + "</body></html>"
    )
    return MailContents(to=to, subject=subject, text=text, html=html)
