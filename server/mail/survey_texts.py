"""What the questionnaire's e-mail says, in the party's language (``fr`` or ``en``).

A pure function, like :mod:`server.mail.messages`: plain text with an HTML alternative,
every value in the HTML escaped, no image, no tracking: the only link is the party's own
questionnaire link. The subject says what the message is, nothing confidential (no case
title, no other party, no date of the session).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from records.stores.outbox import MailContents
from server.invites.survey_links import SURVEY_DAYS
from server.mail.messages import LANGUAGES


@dataclass(frozen=True)
class SurveyFacts:
    to: str
    participant_name: str
    url: str
    language: str


def survey_mail(facts: SurveyFacts) -> MailContents:
    """The invitation to answer the questionnaire on the mediation process."""
    lang = facts.language if facts.language in LANGUAGES else "fr"
    if lang == "en":
        subject = "Your view of the mediation process"
        before = [
            f"Hello {facts.participant_name},",
            "Your mediation session has ended. Would you tell us how it went? Four short "
            "questions on the process, not on its outcome, and a comment if you wish.",
            "Your answers are anonymous: they are linked neither to you nor to your case, "
            "and your mediator cannot know who answered what.",
            "Your questionnaire (the link is yours alone; it can be answered once):",
        ]
        after = [f"It stays open for {SURVEY_DAYS} days. Thank you."]
    else:
        subject = "Votre avis sur le déroulement de la médiation"
        before = [
            f"Bonjour {facts.participant_name},",
            "Votre séance de médiation est terminée. Voulez-vous nous dire comment elle "
            "s'est déroulée ? Quatre questions courtes sur le déroulement, pas sur le "
            "résultat, et un commentaire si vous le souhaitez.",
            "Vos réponses sont anonymes : elles ne sont liées ni à vous ni à votre dossier, "
            "et votre médiateur ne peut pas savoir qui a répondu quoi.",
            "Votre questionnaire (ce lien n'est qu'à vous ; on y répond une fois) :",
        ]
        after = [f"Il reste ouvert {SURVEY_DAYS} jours. Merci."]
    text = "\n\n".join([*before, facts.url, *after]) + "\n"
    html = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head><body>"
        + "".join(f"<p>{escape(line)}</p>" for line in before)
        + f'<p><a href="{escape(facts.url, quote=True)}">{escape(facts.url)}</a></p>'
        + "".join(f"<p>{escape(line)}</p>" for line in after)
        + "</body></html>"
    )
    return MailContents(to=facts.to, subject=subject, text=text, html=html)
