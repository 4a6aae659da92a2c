"""Recognisers of official numbers: court dockets, identity papers, benefits, tax, cards.

French court docket numbers (RG n° 23/01457, with a chamber's letters, and
Portalis numbers), English court claim numbers (FD23P00451), French identity
card numbers (old 12-digit and 2021 9-character formats), passport numbers
(French 18AB12345; others after the word passport), CAF allocataire numbers,
French tax numbers (numéro fiscal/SPI, mod 511 key), payment card numbers
(Luhn), UK National Insurance numbers, NHS numbers (mod 11 check digit) and
US Social Security numbers.

A number with a checksum is kept only if the checksum holds. A number without
one that would look like any other number (a CAF number, an old identity card
number, a passport number of nine digits) is taken only after the word that
names it ("CNI", "allocataire", "passport"...), within a few words; the
distinctive ones (docket, French passport, National Insurance) need no cue.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from records.anonymise.checksums import card_valid, nhs_valid, spi_valid, ssn_valid
from records.anonymise.model import Candidate, Kind, Language, placeholder

PRIORITY_CARD = 78
PRIORITY_TAX = 72
PRIORITY_DOCUMENT = 68
PRIORITY_DOCKET = 66

_AFTER_NUMBER = r"(?![\w]|[.,]\d)"
_BEFORE_NUMBER = r"(?<![\w.,+/-])"
# between a cue word and its number: a few words, no digit, no sentence end
_GAP = r"[^\d\n.;!?]{0,30}?"
_NO = r"(?:n[°º]|no\.?|num[ée]ro|number|#)"

_DOCKET_NUMBER = (
    r"(?P<num>\d{2}\s?/\s?\d{3,6}(?![/\d])"
    r"(?:\s?[-/]\s?[A-Z]{1,2}(?![\w])|\s[A-Z]{1,2}(?=[),;]|\.?\s*$|\.\s))?)"
)
_DOCKETS = (
    re.compile(
        rf"(?:\bRG\b|\bR\.G\.|r[ée]pertoire g[ée]n[ée]ral){_GAP}{_DOCKET_NUMBER}", re.MULTILINE
    ),
    re.compile(
        rf"\b(?:jugement|ordonnance|arr[êe]t|affaire|minute|proc[ée]dure){_GAP}{_NO}\s*"
        rf"{_DOCKET_NUMBER}",
        re.IGNORECASE | re.MULTILINE,
    ),
    re.compile(r"\bPortalis\s+(?P<num>[A-Z0-9]{4}-[A-Z]-[A-Z0-9]{3}-[A-Z0-9]{4})(?![\w])"),
    # English county and family court claim numbers: FD23P00451, ZC23C50012
    re.compile(r"(?<![\w])(?P<num>[A-Z]{2}\d{2}[A-Z]\d{5})(?![\w])"),
)

_ID_CARD_CUE = (
    r"(?:\bCNI\b|carte\s+(?:nationale\s+)?d['’]\s?identit[ée]|pi[èe]ce\s+d['’]\s?identit[ée]"
    r"|identity\s+card|\bID\s+card)"
)
_ID_CARD = re.compile(
    rf"{_ID_CARD_CUE}{_GAP}(?<![\w])(?P<num>\d{{4}}\s?\d{{4}}\s?\d{{4}}"
    r"|(?=[A-Z0-9]{9}(?![\w]))(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{9})(?![\w])",
    re.IGNORECASE,
)
_PASSPORT_FR = re.compile(r"(?<![\w])\d{2}[A-Z]{2}\d{5}(?![\w])")
_PASSPORT = re.compile(
    rf"\b(?:passeport|passport){_GAP}(?<![\w])(?P<num>[A-Z]?\d{{8,9}})(?![\w])", re.IGNORECASE
)
_CAF = re.compile(
    rf"(?:\bCAF\b|\bMSA\b|allocataire){_GAP}(?<![\w])(?P<num>\d{{6,8}}[A-Z]?)(?![\w]|[.,]\d)"
)
_SPI = re.compile(_BEFORE_NUMBER + r"[0-3]\d ?\d\d ?\d{3} ?\d{3} ?\d{3}" + _AFTER_NUMBER)
_CARD = re.compile(
    _BEFORE_NUMBER
    + r"(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|3\d{3}([ -]?)\d{6}\2\d{5})"
    + _AFTER_NUMBER
)
_NINO = re.compile(
    r"(?<![\w])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z]"
    r" ?\d\d ?\d\d ?\d\d ?[A-D](?![\w])"
)
_NHS = re.compile(_BEFORE_NUMBER + r"\d{3}([ -]?)\d{3}\1\d{4}" + _AFTER_NUMBER)
_NHS_CUE = re.compile(r"\bNHS\b[^\n]{0,30}$")
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_SSN_LOOSE = re.compile(
    rf"(?:\bSSN\b|social\s+security\s+(?:number|no)){_GAP}(?P<num>\d{{3}} ?\d{{2}} ?\d{{4}})"
    r"(?![\w])",
    re.IGNORECASE,
)


def _groups(
    pattern: re.Pattern[str], text: str, kind: Kind, language: Language, priority: int
) -> list[Candidate]:
    label = placeholder(kind, language)
    return [
        Candidate(m.start("num"), m.end("num"), kind, label, priority)
        for m in pattern.finditer(text)
    ]


def _checked(
    pattern: re.Pattern[str],
    valid: Callable[[str], bool],
    text: str,
    kind: Kind,
    language: Language,
    priority: int,
) -> list[Candidate]:
    label = placeholder(kind, language)
    return [
        Candidate(m.start(), m.end(), kind, label, priority)
        for m in pattern.finditer(text)
        if valid(m.group())
    ]


def find_dockets(text: str, language: Language) -> list[Candidate]:
    """Court docket and claim numbers; the words before them ("RG n°") stay."""
    found: list[Candidate] = []
    for pattern in _DOCKETS:
        found += _groups(pattern, text, Kind.DOCKET, language, PRIORITY_DOCKET)
    return found


def find_identity_documents(text: str, language: Language) -> list[Candidate]:
    """Identity card numbers after their cue; passports (French form anywhere)."""
    found = _groups(_ID_CARD, text, Kind.ID_CARD, language, PRIORITY_DOCUMENT)
    found += _groups(_PASSPORT, text, Kind.PASSPORT, language, PRIORITY_DOCUMENT)
    label = placeholder(Kind.PASSPORT, language)
    found += [
        Candidate(m.start(), m.end(), Kind.PASSPORT, label, PRIORITY_DOCUMENT)
        for m in _PASSPORT_FR.finditer(text)
    ]
    return found


def find_benefits_and_tax(text: str, language: Language) -> list[Candidate]:
    """CAF/MSA allocataire numbers after their cue; numéros fiscaux whose key holds."""
    found = _groups(_CAF, text, Kind.CAF, language, PRIORITY_DOCUMENT)
    found += _checked(_SPI, spi_valid, text, Kind.TAX_ID, language, PRIORITY_TAX)
    return found


def find_cards(text: str, language: Language) -> list[Candidate]:
    """Payment card numbers that pass Luhn."""
    return _checked(_CARD, card_valid, text, Kind.CARD, language, PRIORITY_CARD)


def find_foreign_numbers(text: str, language: Language) -> list[Candidate]:
    """UK National Insurance and NHS numbers, US Social Security numbers."""
    label = placeholder(Kind.NINO, language)
    found = [
        Candidate(m.start(), m.end(), Kind.NINO, label, PRIORITY_DOCUMENT)
        for m in _NINO.finditer(text)
    ]
    nhs = placeholder(Kind.NHS, language)
    for m in _NHS.finditer(text):
        grouped = bool(m.group(1))
        cue = _NHS_CUE.search(text, max(0, m.start() - 40), m.start())
        if nhs_valid(m.group()) and (grouped or cue):
            found.append(Candidate(m.start(), m.end(), Kind.NHS, nhs, PRIORITY_DOCUMENT))
    found += _checked(_SSN, ssn_valid, text, Kind.SSN, language, PRIORITY_DOCUMENT)
    ssn = placeholder(Kind.SSN, language)
    found += [
        Candidate(m.start("num"), m.end("num"), Kind.SSN, ssn, PRIORITY_DOCUMENT)
        for m in _SSN_LOOSE.finditer(text)
        if ssn_valid(m.group("num"))
    ]
    return found
