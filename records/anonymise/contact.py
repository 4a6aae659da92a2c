"""Recognisers of contact identifiers: e-mail addresses, URLs, phone numbers, IP addresses.

Each ``find_*`` function is pure: it takes the text and the language and
returns :class:`~records.anonymise.model.Candidate` spans with their typed
placeholder. Overlaps between recognisers are resolved by the engine.
"""

from __future__ import annotations

import ipaddress
import re

from records.anonymise.model import Candidate, Kind, Language, placeholder

PRIORITY_EMAIL = 90
PRIORITY_URL = 85
PRIORITY_PHONE = 60
PRIORITY_IP = 55

_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+"
    r"(?:@|\s?[\[(](?:at|arobase)[\])]\s?)"
    r"[\w-]+(?:(?:\.|\s?[\[(](?:dot|point)[\])]\s?)[\w-]+)*"
    r"(?:\.|\s?[\[(](?:dot|point)[\])]\s?)[A-Za-z]{2,24}\b",
    re.IGNORECASE,
)

_TLDS = "fr|com|org|net|eu|info|io|be|ch|lu|ca|uk|co\\.uk|org\\.uk|de|es|it|gouv\\.fr|asso\\.fr"
_URL = re.compile(
    r"(?<![\w@/.-])(?:"
    r"(?:https?|ftp)://[^\s<>\"']+"
    r"|www\.[^\s<>\"']+"
    rf"|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})(?![\w@-])(?:/[^\s<>\"']*)?"
    r")",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}»\"'"

_PHONE_FR = re.compile(r"(?<![\w+.,/-])0[1-9]([ .-]?)\d\d(?:\1\d\d){3}(?![\w]|[.,/-]\d)")
_PHONE_FR_INTL = re.compile(
    r"(?<![\w+])(?:\+|00)\s?33\s?(?:\(0\)\s?)?[1-9]([ .-]?)\d\d(?:\1\d\d){3}(?![\w]|[.,/-]\d)"
)
_PHONE_INTL = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(?\d{1,5}\)?){2,7}(?![\w]|[.,/-]\d)"
)
_PHONE_UK = re.compile(r"(?<![\w+.,/-])0\d{2,4} ?\d{3,4} ?\d{3,4}(?![\w]|[.,/-]\d)")
_PHONE_US = re.compile(r"(?<![\w+])\(\d{3}\)\s?\d{3}[ .-]\d{4}(?![\w]|[.,/-]\d)")

_MONEY_AFTER = re.compile(r"\s?(?:€|\$|£|euros?\b|EUR\b|GBP\b|USD\b)", re.IGNORECASE)

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?![\w:])")


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def find_emails(text: str, language: Language) -> list[Candidate]:
    label = placeholder(Kind.EMAIL, language)
    return [
        Candidate(m.start(), m.end(), Kind.EMAIL, label, PRIORITY_EMAIL)
        for m in _EMAIL.finditer(text)
    ]


def find_urls(text: str, language: Language) -> list[Candidate]:
    label = placeholder(Kind.URL, language)
    found: list[Candidate] = []
    for match in _URL.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _TRAILING:
            end -= 1
        if end - match.start() >= 4:
            found.append(Candidate(match.start(), end, Kind.URL, label, PRIORITY_URL))
    return found


def find_phones(text: str, language: Language) -> list[Candidate]:
    label = placeholder(Kind.PHONE, language)
    patterns = [_PHONE_FR, _PHONE_FR_INTL, _PHONE_INTL]
    if language == "en":
        patterns += [_PHONE_UK, _PHONE_US]
    found: list[Candidate] = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            end = match.end()
            while text[end - 1] in " .-(":
                end -= 1
            digits = _digits(text[match.start() : end])
            if 9 <= digits <= 15 and not _MONEY_AFTER.match(text, end):
                found.append(Candidate(match.start(), end, Kind.PHONE, label, PRIORITY_PHONE))
    return found


def find_ips(text: str, language: Language) -> list[Candidate]:
    label = placeholder(Kind.IP, language)
    found: list[Candidate] = []
    for match in _IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(match.group())
        except ValueError:
            continue
        found.append(Candidate(match.start(), match.end(), Kind.IP, label, PRIORITY_IP))
    for match in _IPV6.finditer(text):
        candidate = match.group()
        if "::" not in candidate and candidate.count(":") < 7:
            continue
        if not any(c.isalnum() for c in candidate):
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        found.append(Candidate(match.start(), match.end(), Kind.IP, label, PRIORITY_IP))
    return found
