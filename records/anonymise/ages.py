"""Ages in free text become ten-year bands in the text's language.

"Léa (8 ans)" becomes "Léa (moins de 10 ans)", "âgé de 43 ans" "âgé de 40 à
49 ans", "Emily (9)" "Emily (under 10)", "aged 43" "aged 40–49". Only an
age's own turns of phrase are taken, so that a duration ("depuis 12 ans",
"il y a 3 ans", "for 12 years") is left alone.
"""

from __future__ import annotations

import re

from records.anonymise.model import Candidate, Kind, Language

PRIORITY_AGE = 30
MAX_AGE = 120
TOP = 80

_FR = (
    # "(8 ans)", "(8 ans et demi)"
    re.compile(r"\(\s*(?P<age>(?P<n>\d{1,3})\s+ans)(?:\s+et\s+demi)?\s*\)"),
    # "âgé de 43 ans", "âgée de 8 ans", "à l'âge de 16 ans", "l'âge de 16 ans"
    re.compile(r"\b(?:[âa]g[ée]e?s?|[âa]ge)\s+de\s+(?P<age>(?P<n>\d{1,3})\s+ans)\b", re.I),
    # "Léa, 8 ans, ..." and "elle a 15 ans" (not "il y a 15 ans")
    re.compile(r"(?<=[^\W\d_]), (?P<age>(?P<n>\d{1,3}) ans)(?=[,;)]|\.(?!\d))"),
    re.compile(r"(?<!\by )\b(?:a|avait|aura|ont|avaient)\s+(?P<age>(?P<n>\d{1,3})\s+ans)\b"),
)
_EN = (
    # "Emily (9)", "Léa (8)" after a capitalised name
    re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]+\s\((?P<age>(?P<n>\d{1,2}))\)"),
    # "aged 43", "age 9", "(9 years old)", "a 43-year-old"
    re.compile(r"\bage[d]?\s+(?P<age>(?P<n>\d{1,3}))(?!\s*(?:%|per|years? ago))\b", re.I),
    re.compile(r"\b(?P<age>(?P<n>\d{1,3}))(?:\s|-)years?(?:\s|-)old\b", re.I),
    # the second of two: "aged 7 and 10"
    re.compile(r"\baged\s+\d{1,3}(?:,\s*|\s+(?:and|or)\s+)(?P<age>(?P<n>\d{1,3}))\b", re.I),
    # "who is 88 and lives alone", "she was 71,"
    re.compile(
        r"\b(?:who|she|he)\s+(?:is|was|turns|turned)\s+(?P<age>(?P<n>\d{1,3}))"
        r"(?=\s+(?:and|but|now)\b|[,;]|\.(?!\d))",
        re.I,
    ),
)


def band_words(age: int, language: Language, *, unit: bool) -> str:
    """The ten-year band of ``age``; with ``unit`` the French phrase carries "ans"."""
    if age < 10:
        return "moins de 10 ans" if language == "fr" else "under 10"
    if age >= TOP:
        return f"{TOP} ans ou plus" if language == "fr" else f"{TOP} or over"
    low = age - age % 10
    if language == "fr":
        return f"{low} à {low + 9} ans" if unit else f"{low} à {low + 9}"
    return f"{low}–{low + 9}"


def find_ages(text: str, language: Language) -> list[Candidate]:
    """Every age said as an age, replaced by its band."""
    found: list[Candidate] = []
    for patterns, with_unit in ((_FR, True), (_EN, False)):
        for pattern in patterns:
            for m in pattern.finditer(text):
                age = int(m.group("n"))
                if age > MAX_AGE:
                    continue
                words = band_words(age, language, unit=with_unit)
                if with_unit and language == "en":
                    words += " years"
                found.append(Candidate(m.start("age"), m.end("age"), Kind.AGE, words, PRIORITY_AGE))
    return found
