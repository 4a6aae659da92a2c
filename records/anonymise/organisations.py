"""Recogniser of the organisations known to a case ("SCI Les Tilleuls" -> "Société X").

Variants: the full name; the name without its legal form or generic head
("Les Tilleuls" for "SCI Les Tilleuls", "Horizon Gestion" for "Syndic
Horizon Gestion"); without its leading article ("Tilleuls"); with the legal
form before or after ("Les Tilleuls SCI", "S.C.I. Les Tilleuls"); aliases.
Because organisation names are made of common words ("les tilleuls du
parc"), the first distinctive word must be capitalised, unless a legal form
stands next to the name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from records.anonymise.folding import fold, fold_words, is_capitalised
from records.anonymise.known import KnownNames, KnownOrganisation
from records.anonymise.lexicon import LEGAL_FORMS, ORG_FILLERS
from records.anonymise.model import Candidate, Kind, Language
from records.anonymise.names import AFTER, BEFORE, flex, overlapping

PRIORITY_ORGANISATION = 20

_WORD = re.compile(r"[^\W\d_]+")


def _org_alternatives(org: KnownOrganisation) -> list[str]:
    tokens = org.name.split()
    folded = [fold_words(t.replace(".", "")) for t in tokens]
    while len(tokens) > 1 and folded[0] in LEGAL_FORMS:
        tokens, folded = tokens[1:], folded[1:]
    while len(tokens) > 1 and folded[-1] in LEGAL_FORMS:
        tokens, folded = tokens[:-1], folded[:-1]
    core = " ".join(tokens)
    alts = [flex(core)]
    while len(tokens) > 1 and folded[0] in ORG_FILLERS:
        tokens, folded = tokens[1:], folded[1:]
    alts.append(flex(" ".join(tokens)))
    alts += [flex(alias) for alias in org.aliases]
    return alts


def _legal_form_regex() -> str:
    forms = sorted(LEGAL_FORMS, key=len, reverse=True)
    return "|".join(
        r"\.?".join(re.escape(c) for c in f) + r"\.?" if len(f) <= 5 else re.escape(f)
        for f in forms
    )


@lru_cache(maxsize=256)
def _org_regex(org: KnownOrganisation) -> re.Pattern[str]:
    alts = "|".join(dict.fromkeys(_org_alternatives(org)))
    forms = _legal_form_regex()
    return re.compile(
        rf"{BEFORE}(?P<lf1>(?:{forms})\s+)?(?P<name>{alts})(?P<lf2>\s+(?:{forms}))?{AFTER}"
    )


def _accept_org(original_name: str, has_legal_form: bool) -> bool:
    if has_legal_form:
        return True
    for word in _WORD.findall(original_name):
        if fold(word) not in ORG_FILLERS:
            return is_capitalised(word)
    return False


def find_organisations(
    text: str, language: Language, names: KnownNames, folded: str
) -> list[Candidate]:
    found: list[Candidate] = []
    for org in names.organisations:
        for match in overlapping(_org_regex(org), folded):
            has_form = match.group("lf1") is not None or match.group("lf2") is not None
            if _accept_org(text[match.start("name") : match.end("name")], has_form):
                found.append(
                    Candidate(
                        match.start(),
                        match.end(),
                        Kind.ORGANISATION,
                        org.label,
                        PRIORITY_ORGANISATION,
                    )
                )
    return found
