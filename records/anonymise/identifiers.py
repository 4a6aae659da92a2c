"""Recognisers of numbered identifiers: IBAN, NIR, SIREN, SIRET, licence plates.

Where an identifier carries a checksum the candidate is kept only if the
checksum holds, so that an invoice number, an amount or a case reference
that merely looks like one is left in the text.
"""

from __future__ import annotations

import re

from records.anonymise.checksums import iban_valid, nir_valid, siren_valid, siret_valid
from records.anonymise.model import Candidate, Kind, Language, placeholder

PRIORITY_IBAN = 80
PRIORITY_NIR = 75
PRIORITY_SIRET = 70
PRIORITY_SIREN = 65
PRIORITY_PLATE = 40

_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}(?![\w])", re.IGNORECASE)
_IBAN_GROUP = re.compile(r" ?[A-Z0-9]{1,4}$", re.IGNORECASE)

_NIR = re.compile(
    r"(?<![\w.,])[12378] ?\d\d ?\d\d ?(?:\d\d|2[AB]) ?(?:\d ?){5}\d ?\d\d(?![\w]|[.,]\d)"
)

_MONEY_AFTER = r"(?!\s?(?:€|\$|£|euros?\b|EUR\b|GBP\b|USD\b|k€|M€|francs?\b))"
_NUM_BEFORE = r"(?<![\w.,€$£])(?<!\d[ .])"
_SIRET = re.compile(
    _NUM_BEFORE
    + r"\d{3}([ .]?)\d{3}\1\d{3}[ .]?(?:\d{5}|\d{3} \d{2})(?![\w]|[ .,]\d)"
    + _MONEY_AFTER
)
_SIREN = re.compile(_NUM_BEFORE + r"\d{3}([ .]?)\d{3}\1\d{3}(?![\w]|[ .,]\d)" + _MONEY_AFTER)

_PLATE_LETTERS = "[A-HJ-NP-TV-Z]"
_PLATE_SIV = re.compile(
    rf"(?<![\w-]){_PLATE_LETTERS}{{2}}([- ]?)\d{{3}}\1{_PLATE_LETTERS}{{2}}(?![\w-])"
)
_PLATE_FNI = re.compile(r"(?<![\w-])\d{1,4} [A-Z]{2,3} (?:\d\d|2[AB]|97[1-6])(?![\w-])")
_PLATE_UK = re.compile(r"(?<![\w-])[A-Z]{2}\d\d ?[A-Z]{3}(?![\w-])")
_NOT_PLATE_LETTERS = frozenset(
    {"EUR", "GBP", "USD", "CHF", "TTC", "HT", "KM", "CV", "KG", "AM", "PM"}
)


def find_ibans(text: str, language: Language) -> list[Candidate]:
    """IBANs, compact or in groups of four; a trailing word wrongly swallowed is given back."""
    label = placeholder(Kind.IBAN, language)
    found: list[Candidate] = []
    for match in _IBAN.finditer(text):
        candidate = match.group()
        while len(candidate.replace(" ", "")) >= 15:
            if iban_valid(candidate):
                start = match.start()
                found.append(
                    Candidate(start, start + len(candidate), Kind.IBAN, label, PRIORITY_IBAN)
                )
                break
            shorter = _IBAN_GROUP.sub("", candidate)
            if shorter == candidate:
                break
            candidate = shorter
    return found


def find_nirs(text: str, language: Language) -> list[Candidate]:
    """French social security numbers (NIR) whose key is right."""
    label = placeholder(Kind.NIR, language)
    return [
        Candidate(m.start(), m.end(), Kind.NIR, label, PRIORITY_NIR)
        for m in _NIR.finditer(text)
        if nir_valid(m.group())
    ]


def find_sirets(text: str, language: Language) -> list[Candidate]:
    label = placeholder(Kind.SIRET, language)
    return [
        Candidate(m.start(), m.end(), Kind.SIRET, label, PRIORITY_SIRET)
        for m in _SIRET.finditer(text)
        if siret_valid(m.group())
    ]


def find_sirens(text: str, language: Language) -> list[Candidate]:
    label = placeholder(Kind.SIREN, language)
    return [
        Candidate(m.start(), m.end(), Kind.SIREN, label, PRIORITY_SIREN)
        for m in _SIREN.finditer(text)
        if siren_valid(m.group())
    ]


def find_plates(text: str, language: Language) -> list[Candidate]:
    """French SIV (AB-123-CD) and FNI (1234 AB 75) plates, British plates (AB12 CDE)."""
    label = placeholder(Kind.PLATE, language)
    found = [
        Candidate(m.start(), m.end(), Kind.PLATE, label, PRIORITY_PLATE)
        for pattern in (_PLATE_SIV, _PLATE_UK)
        for m in pattern.finditer(text)
    ]
    for match in _PLATE_FNI.finditer(text):
        if match.group().split()[1] not in _NOT_PLATE_LETTERS:
            found.append(Candidate(match.start(), match.end(), Kind.PLATE, label, PRIORITY_PLATE))
    return found
