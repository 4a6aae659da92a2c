"""Recognisers of postal addresses and postcodes (French and British).

An address is a street number followed by a type of way ("rue", "avenue",
"bd", "chemin", "impasse", "allée", "place", "quai"... or "Street", "Road",
"Lane"...) and the name of the way; a postcode and town that follow it are
part of the address. A French postcode on its own counts only in an address
context: five digits followed by a capitalised town or CEDEX, or after "code
postal"/"CP". After an address cue ("habite au", "domicilié", "demeurant",
"sis", "adresse :") the name of the way may be in lower case. British
postcodes are distinctive enough to stand alone.
"""

from __future__ import annotations

import re

from records.anonymise.model import Candidate, Kind, Language, placeholder

PRIORITY_ADDRESS = 50
PRIORITY_POSTCODE = 35

_FR_WAYS = (
    "rue|ruelle|avenue|av\\.|ave|boulevard|bd|bld|bvd|chemin|ch\\.|impasse|imp\\.|allée|allee"
    "|place|pl\\.|quai|route|rte|cours|square|passage|voie|sentier|cité|cite|résidence"
    "|residence|lotissement|lieu-dit|hameau|rond-point|esplanade|promenade|faubourg|fg"
    "|montée|montee|parvis|villa|domaine|chaussée|chaussee|mail|traverse|clos|carrefour"
)
_CAP = r"[A-ZÀ-ÖØ-Ý]"
_NAME_WORD = rf"(?:{_CAP}[\w'’-]*|\d{{1,2}}(?:er)?(?=\s+{_CAP}))"
# "rue du 8 Mai 1945", "place du 11 Novembre 1918": a date in the name of the way.
_DATED_WAY = re.compile(
    r"(?i:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)"
    r"$"
)
_WAY_YEAR = re.compile(r"\s+(?:1[89]|20)\d\d(?!\w)")
_PARTICLE = r"(?:de|du|des|la|le|les|aux|au|en|sur|sous|lès|lez)"
_ELIDED = r"(?:[dlDL]['’])"
_TOWN = (
    rf"{_CAP}[\w'’]*(?:[- ](?:(?:{_PARTICLE})[- ])?(?:{_ELIDED})?{_CAP}[\w'’]*)*"
    r"(?:\s+(?:CEDEX|Cedex)(?:\s+\d{1,2})?)?"
)
_FR_POSTCODE = r"(?:0[1-9]|[1-8]\d|9[0-5]|97|98|20)\d{3}"

_FR_ADDRESS = re.compile(
    rf"(?<![\w,.])\d{{1,4}}(?:\s?(?:bis|ter|quater|[A-D])\b)?,?\s+(?i:{_FR_WAYS})(?![\w])"
    rf"(?:\s+(?:{_PARTICLE}\s+)*{_ELIDED}?{_NAME_WORD})+"
    rf"(?:,?\s+{_FR_POSTCODE}\s+{_TOWN})?"
)

# After an address cue ("habite au", "domicilié", "demeurant", "sis", "adresse :") the
# name of the way may be written in lower case ("au 5 rue de la paix").
_FR_CUED_ADDRESS = re.compile(
    r"(?i:\b(?:habite|habitant|domicilié|domiciliée|demeurant|sis|sise|situé|située|adresse)"
    r"(?:\s+(?:au|à|:))?\s*:?\s+)"
    rf"(?P<address>\d{{1,4}}(?:\s?(?:bis|ter)\b)?,?\s+(?i:{_FR_WAYS})(?![\w])"
    r"(?:\s+(?:(?:de|du|des|la|le|les|aux|au)\s+)*(?:[dl]['’])?[^\W\d_][\w'’-]*)+?"
    rf"(?=[\s,.;)]|$)(?:,?\s+{_FR_POSTCODE}\s+{_TOWN})?)"
)

_UK_POSTCODE = r"(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})"
_EN_WAYS = (
    "Street|St\\.?|Road|Rd\\.?|Avenue|Ave\\.?|Lane|Ln\\.?|Drive|Close|Court|Crescent|Terrace"
    "|Way|Gardens|Square|Grove|Mews|Row|Place|Hill|Boulevard|Parade|Walk|Park"
)
_EN_ADDRESS = re.compile(
    r"(?<![\w,.])(?:(?:Flat|Apartment|Apt\.?|Unit)\s+\d+[A-Z]?,\s*)?"
    rf"\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'’-]*\s+){{1,3}}(?:{_EN_WAYS})(?![\w])"
    rf"(?:(?:,\s*[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*)?,?\s+{_UK_POSTCODE}(?![\w]))?"
)
_UK_POSTCODE_ALONE = re.compile(rf"(?<![\w-]){_UK_POSTCODE}(?![\w-])")
_FR_POSTCODE_ALONE = re.compile(
    rf"(?<![\w.,])(?:(?P<prefix>(?:code postal|CP)\s*:?\s*))?(?P<code>{_FR_POSTCODE})"
    rf"(?![\w]|[.,]\d)(?P<town>\s+(?:CEDEX|Cedex|{_CAP}[\w'’-]*))?"
)
_NOT_TOWNS = frozenset({"euros", "euro", "eur", "francs", "personnes", "habitants", "km"})


def _strip_trailing_particles(text: str, start: int, end: int) -> int:
    """Give back a trailing particle or elision the greedy pattern may have kept."""
    while True:
        head, _, last = text[start:end].rpartition(" ")
        if head and re.fullmatch(_PARTICLE, last, re.IGNORECASE):
            end = start + len(head)
            continue
        return end


def find_addresses(text: str, language: Language) -> list[Candidate]:
    label = placeholder(Kind.ADDRESS, language)
    found: list[Candidate] = []
    for match in _FR_ADDRESS.finditer(text):
        end = _strip_trailing_particles(text, match.start(), match.end())
        year = _WAY_YEAR.match(text, end)
        if year and _DATED_WAY.search(text, match.start(), end):
            end = year.end()
        found.append(Candidate(match.start(), end, Kind.ADDRESS, label, PRIORITY_ADDRESS))
    capitalised = [(c.start, c.end) for c in found]
    for match in _FR_CUED_ADDRESS.finditer(text):
        start, end = match.span("address")
        end = _strip_trailing_particles(text, start, end)
        if not any(a < end and start < b for a, b in capitalised):
            found.append(Candidate(start, end, Kind.ADDRESS, label, PRIORITY_ADDRESS))
    for match in _EN_ADDRESS.finditer(text):
        found.append(Candidate(match.start(), match.end(), Kind.ADDRESS, label, PRIORITY_ADDRESS))
    return found


def find_postcodes(text: str, language: Language) -> list[Candidate]:
    label = placeholder(Kind.POSTCODE, language)
    found: list[Candidate] = []
    for match in _FR_POSTCODE_ALONE.finditer(text):
        town = (match.group("town") or "").strip()
        if not match.group("prefix") and (not town or town.lower() in _NOT_TOWNS):
            continue
        start, end = match.span("code")
        found.append(Candidate(start, end, Kind.POSTCODE, label, PRIORITY_POSTCODE))
    for match in _UK_POSTCODE_ALONE.finditer(text):
        found.append(Candidate(match.start(), match.end(), Kind.POSTCODE, label, PRIORITY_POSTCODE))
    return found
