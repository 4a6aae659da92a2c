"""The values of a template's fields, taken from a case.

Names of the parties, their counsel and the mediators, the case reference, today's date
written out in the text's language, and, once the case is closed, whether an agreement
was reached. That last one is all a court is told (art. 131-11 CPC; art. 21-3 of loi
n° 95-125): a mediation that ended because a party or the mediator stopped it reads as
"no agreement", never why. Fields without a value here (fees, the court) are left for
:func:`records.agreements.documents.fill` to show blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from records.stores.cases import Case, ParticipantRole
from records.stores.outcomes import Outcome

MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip
AND = {"fr": "et", "en": "and"}
OUTCOME = {
    "fr": {
        "agreement": "sont parvenues à un accord",
        "none": "ne sont pas parvenues à un accord",
    },
    "en": {
        "agreement": "reached an agreement",
        "none": "did not reach an agreement",
    },
}


def long_date(day: date, language: str) -> str:
    """``7 décembre 2026`` (``1er`` for the first of a month), ``7 December 2026``."""
    month = MONTHS[language][day.month - 1]
    if language == "fr" and day.day == 1:
        return f"1er {month} {day.year}"
    return f"{day.day} {month} {day.year}"


def names(items: Sequence[str], language: str) -> str:
    """``A``, ``A et B``, ``A, B et C`` (``and`` in English)."""
    items = [i for i in items if i.strip()]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {AND[language]} {items[-1]}"


def outcome_text(outcome: Outcome, language: str) -> str:
    """Whether an agreement was reached, and nothing else: a partial agreement is an
    agreement, as in the court report the case's closing gives (``records.anonymise.
    summaries``); a mediation stopped by a party or the mediator is no agreement."""
    return OUTCOME[language]["agreement" if outcome.agreement else "none"]


def case_fields(
    case: Case,
    *,
    language: str,
    today: date,
    organisation: str,
    outcome: Outcome | None = None,
    court_reference: str | None = None,
) -> dict[str, str]:
    """The values this case gives its templates' fields (see ``documents.FIELDS``)."""

    def of(role: ParticipantRole) -> list[str]:
        return [p.display_name for p in case.participants if p.role is role]

    lead_first = sorted(case.mediators, key=lambda m: m.role != "lead")
    values = {
        "organisation": organisation,
        "case_reference": case.reference,
        "parties": names(of(ParticipantRole.PARTY), language),
        "counsel": names(of(ParticipantRole.COUNSEL), language),
        "mediator": names([m.display_name for m in lead_first], language),
        "date": long_date(today, language),
    }
    if outcome is not None:
        values["outcome"] = outcome_text(outcome, language)
    if court_reference:
        values["court_reference"] = court_reference
    return values
