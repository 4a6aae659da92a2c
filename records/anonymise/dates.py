"""Recogniser of exact dates (and so of dates of birth) in French and English.

Recognised: "12 mars 1984", "lundi 1er mars 2021", "12 déc. 2023", "12/03/1984",
"12.03.84", ISO "1984-03-12", "March 12, 1984", "12th of March 1984". A month
and year alone ("mars 2023") is not exact and is kept. Day and month must be
in range; the numeric forms are read day-first (French and British usage).
"""

from __future__ import annotations

import re

from records.anonymise.model import Candidate, Kind, Language, placeholder

PRIORITY_DATE = 45

_FR_MONTHS = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre"
    "|novembre|décembre|decembre|janv\\.?|févr\\.?|fevr\\.?|avr\\.?|juil\\.?|sept\\.?"
    "|oct\\.?|nov\\.?|déc\\.?|dec\\.?"
)
_EN_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November"
    "|December|Jan\\.?|Feb\\.?|Mar\\.?|Apr\\.?|Jun\\.?|Jul\\.?|Aug\\.?|Sept?\\.?|Oct\\.?"
    "|Nov\\.?|Dec\\.?"
)
_FR_DAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
_EN_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_YEAR = r"(?:1[89]|20)\d\d"

_FR_TEXT = re.compile(
    rf"(?<![\w])(?:(?:{_FR_DAYS})\s+)?(?P<day>1er|[0-3]?\d)\s+(?:{_FR_MONTHS})\s+{_YEAR}(?![\w])",
    re.IGNORECASE,
)
_EN_DAY_FIRST = re.compile(
    rf"(?<![\w])(?:(?:{_EN_DAYS}),?\s+)?(?:the\s+)?(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
    rf"\s+(?:of\s+)?(?:{_EN_MONTHS}),?\s+{_YEAR}(?![\w])",
)
_EN_MONTH_FIRST = re.compile(
    rf"(?<![\w])(?:(?:{_EN_DAYS}),?\s+)?(?:{_EN_MONTHS})\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
    rf",?\s+{_YEAR}(?![\w])",
)
_NUMERIC = re.compile(
    r"(?<![\w/.-])(?P<day>[0-3]?\d)(?P<sep>[/.-])(?P<month>[01]?\d)(?P=sep)"
    r"(?:(?:1[89]|20)\d\d|\d\d)(?![\w/]|[.-]\d)"
)
_ISO = re.compile(
    r"(?<![\w/.-])(?:1[89]|20)\d\d-(?P<month>[01]\d)-(?P<day>[0-3]\d)"
    r"(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d)?)?(?![\w/]|[.-]\d)"
)


def _day_ok(raw: str) -> bool:
    if raw.lower() == "1er":
        return True
    return 1 <= int(raw) <= 31


def find_dates(text: str, language: Language) -> list[Candidate]:
    """Exact dates in either language (summaries often quote the other one)."""
    label = placeholder(Kind.DATE, language)
    found: list[Candidate] = []
    for pattern in (_FR_TEXT, _EN_DAY_FIRST, _EN_MONTH_FIRST):
        for match in pattern.finditer(text):
            if _day_ok(match.group("day")):
                found.append(Candidate(match.start(), match.end(), Kind.DATE, label, PRIORITY_DATE))
    for pattern in (_NUMERIC, _ISO):
        for match in pattern.finditer(text):
            if _day_ok(match.group("day")) and 1 <= int(match.group("month")) <= 12:
                found.append(Candidate(match.start(), match.end(), Kind.DATE, label, PRIORITY_DATE))
    return found
