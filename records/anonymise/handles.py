"""Recogniser of user names and handles that contain a known name.

"@jmartin", "jeanne_martin84", "j.martin" or "martin.jeanne" are words the
name recogniser cannot see (the name is glued to other characters). A token
counts as a handle when it starts with "@", or holds an underscore, a digit,
or a dot between letters. Such a token is replaced whole, with the label of
the person or organisation whose name it contains:

* a person: given name and surname glued together, in either order, or an
  initial glued to the surname ("jmartin", "martinj"), anywhere in the
  token; or any name part, common words included, as a whole segment of the
  token between dots, underscores, digits ("@martin", "dave.martin77",
  "martin.pdf"), but not inside a longer word ("le_martinet");
* an organisation: its distinctive words glued together ("lestilleuls",
  "tilleuls"), at least five letters.

E-mail addresses and URLs are longer and win over a handle inside them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from records.anonymise.folding import fold, fold_words
from records.anonymise.known import KnownNames, KnownOrganisation, KnownPerson
from records.anonymise.lexicon import LEGAL_FORMS, ORG_FILLERS
from records.anonymise.model import Candidate, Kind, Language, placeholder
from records.anonymise.names import parse_person

PRIORITY_HANDLE = 15

_TOKEN = re.compile(
    r"(?<![\w@.+-])(?=@|[\w.+-]*?[_\d]|[\w+-]*?[^\W\d_]\.[^\W\d_])"
    r"@?[^\W_][\w.+-]*[^\W_](?![\w@]|[.+-]\w)"
)
_NOT_LETTER = re.compile(r"[^a-z]")
_SEGMENT = re.compile(r"[\W\d_]+")


def _letters(text: str) -> str:
    return _NOT_LETTER.sub("", fold(text))


def is_handle(token: str) -> bool:
    if token.startswith("@") or "_" in token:
        return True
    if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
        return True
    return re.search(r"[^\W\d_]\.[^\W\d_]", token) is not None


@lru_cache(maxsize=256)
def person_keys(person: KnownPerson) -> tuple[str, ...]:
    """Glued given name and surname: found anywhere inside a handle."""
    parsed = parse_person(person.name)
    surname = _letters(" ".join(parsed.surname))
    keys: set[str] = set()
    if parsed.given:
        given = _letters(" ".join(parsed.given))
        first = _letters(parsed.given[0])
        initial = given[:1]
        keys |= {given + surname, surname + given, first + surname, surname + first}
        keys |= {initial + surname, surname + initial}
    keys |= {_letters(alias) for alias in person.aliases}
    return tuple(sorted(k for k in keys if len(k) >= 5))


@lru_cache(maxsize=256)
def person_parts(person: KnownPerson) -> frozenset[str]:
    """Each name part, common words included: must be a whole segment of the handle."""
    parsed = parse_person(person.name)
    words = [*parsed.given, *parsed.surname, " ".join(parsed.given), " ".join(parsed.surname)]
    words += [part for word in words for part in word.split("-")]
    return frozenset(w for w in map(_letters, words) if len(w) >= 3)


@lru_cache(maxsize=256)
def organisation_keys(org: KnownOrganisation) -> tuple[str, ...]:
    words = [w for w in fold_words(org.name.replace(".", "")).split() if w not in LEGAL_FORMS]
    distinctive = [w for w in words if w not in ORG_FILLERS]
    keys = {"".join(words), "".join(distinctive)}
    keys |= {_letters(alias) for alias in org.aliases}
    return tuple(sorted(k for k in keys if len(k) >= 5))


def find_handles(text: str, language: Language, names: KnownNames) -> list[Candidate]:
    found: list[Candidate] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if not is_handle(token):
            continue
        letters = _letters(token)
        segments = {_letters(part) for part in _SEGMENT.split(token)}
        people = {
            p.label
            for p in names.people
            if any(k in letters for k in person_keys(p)) or not segments.isdisjoint(person_parts(p))
        }
        if people:
            label = people.pop() if len(people) == 1 else placeholder(Kind.PERSON, language)
            found.append(Candidate(match.start(), match.end(), Kind.PERSON, label, PRIORITY_HANDLE))
            continue
        for org in names.organisations:
            if any(k in letters for k in organisation_keys(org)):
                found.append(
                    Candidate(
                        match.start(), match.end(), Kind.ORGANISATION, org.label, PRIORITY_HANDLE
                    )
                )
                break
    return found
