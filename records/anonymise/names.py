"""Recogniser of the names of the people known to a case, and their variants.

Matching runs on the folded text (see :mod:`records.anonymise.folding`), so
case and accents never matter for *finding* a variant. For a person
"Maître Jean-Pierre de la Fontaine" the variants are: the full name; the
surname alone ("de la Fontaine", "Fontaine"); the given name alone, with or
without its hyphen ("Jean-Pierre", "Jean Pierre", "Jeanpierre"); the
surname first ("FONTAINE Jean-Pierre", "Fontaine, Jean-Pierre"); initials
("J.-P. Fontaine", "JP Fontaine", "Fontaine J.-P.", "J.-P.F."); each part of
a hyphenated surname; any of them after a title (M., Mme, Mlle, Me, Maître,
Dr, Mr, Mrs, Ms...), which is replaced with the name. A hyphenated given
name is never split ("Jean" alone is someone else); given names separated by
spaces may be used alone by their first one ("Marie" for "Marie Claire
Dubois"). A match may not be glued by a hyphen to another word, so
"Saint-Martin" is not "Martin", except a capitalised compound surname
("Mme Martin-Dupont", "Dupont-Martin"), replaced whole unless its first part
is a place prefix (Saint, Sainte, Mont...). User names and handles holding
a name ("@jmartin") are found by :mod:`records.anonymise.handles`.
Possessives need nothing special: "Martin's"
becomes "Party A's", "d'Élodie" becomes "de Partie A" (see
:mod:`records.anonymise.grammar`).

The common-word rule. A name part that is also a common word ("Martin",
"Rose", "Blanc", "Pierre", "Marchand", see :data:`lexicon.COMMON_WORDS`) is
replaced only in a name-like context, and a distinctive one everywhere:

1. after a title ("M. blanc", "madame rose") - always a name;
2. a single word: replaced if it is not a common word, whatever its case
   ("girard"); if it is, only when capitalised or in capitals ("Rose est
   venue", not "une rose"). A capitalised common word at the start of a
   sentence is replaced too: a missed name is worse than an odd placeholder;
3. several name parts together ("pierre blanc", "j. martin"): replaced if
   any part is capitalised or not a common word;
4. initials alone ("J.M.") only in capitals.

Words are never split or joined inside a single-word name, so "le blanc"
is not "Leblanc" and "bonne foi" is not "Bonnefoy". When two people share
a surname, the surname alone cannot tell them apart: it gets the label of
the one whose known name has a title of the same gender as the one in the
text ("Mme Martin" for "Mme Jeanne Martin"), otherwise the neutral person
placeholder. Organisations are in :mod:`records.anonymise.organisations`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from records.anonymise.folding import fold, fold_words, is_capitalised
from records.anonymise.known import KnownNames, KnownPerson
from records.anonymise.lexicon import (
    ABBREVIATED_TITLES,
    FULL_TITLES,
    PARTICLES,
    PLACE_PREFIXES,
    TITLES,
    is_common,
)
from records.anonymise.model import Candidate, Kind, Language, placeholder

PRIORITY_PERSON = 10

_JOIN = r"(?:\s*-\s*|\s+|'\s*|)"
_SPACE = r"\s+"
# Between given name and surname: a space, or the dot or underscore of a user name.
_FULL_SEP = r"(?:\s+|[._])"
_WORD = re.compile(r"[^\W\d_]+")
_TITLE_ALT = "|".join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True))
BEFORE = r"(?<![\w-])"
AFTER = r"(?!\w|-\w)"


def flex(text: str) -> str:
    """Regex for a folded multi-part name: parts joined by hyphen, space, apostrophe or nothing."""
    parts = fold_words(text.replace(".", "")).split()
    return _JOIN.join(re.escape(p) for p in parts)


def _initials(words: Iterable[str], dotted: bool) -> str:
    dot = r"\." if dotted else r"\.?"
    return r"\s*-?\s*".join(re.escape(w[0]) + dot for w in words)


@dataclass(frozen=True, slots=True)
class ParsedPerson:
    given: tuple[str, ...]
    surname: tuple[str, ...]


def parse_person(name: str) -> ParsedPerson:
    """Split a known name into given names and surname; titles are dropped."""
    tokens = name.split()
    while len(tokens) > 1 and fold_words(tokens[0]).replace(" ", "") in TITLES:
        tokens.pop(0)
    upper = [t for t in tokens if len(_letters(t)) >= 2 and _letters(t).isupper()]
    if upper and len(upper) < len(tokens):
        return ParsedPerson(tuple(t for t in tokens if t not in upper), tuple(upper))
    start = len(tokens) - 1
    while start > 1 and fold_words(tokens[start - 1]) in PARTICLES:
        start -= 1
    return ParsedPerson(tuple(tokens[:start]), tuple(tokens[start:]))


def _letters(token: str) -> str:
    return "".join(c for c in token if c.isalpha())


def _person_alternatives(person: KnownPerson) -> list[str]:
    parsed = parse_person(person.name)
    surname = " ".join(parsed.surname)
    s_full = flex(surname)
    surname_words = fold_words(surname).split()
    s_alone = [s_full]
    if "-" in surname:
        s_alone += [flex(p) for p in surname.split("-") if len(_letters(p)) >= 2]
    if len(parsed.surname) > 1 and parsed.surname[0].islower():
        s_alone.append(flex(parsed.surname[-1]))
    alts: list[str] = []
    if parsed.given:
        given_words = fold_words(" ".join(parsed.given)).split()
        g_forms = [flex(" ".join(parsed.given))]
        if len(parsed.given) > 1:
            g_forms.append(flex(parsed.given[0]))
        g_initials = _initials(given_words, dotted=False)
        g_initials_dotted = _initials(given_words, dotted=True)
        alts += [g + _FULL_SEP + s_full for g in g_forms]
        alts.append(g_initials + _SPACE + s_full)
        alts += [s_full + r"(?:,?\s+|[._])" + g for g in g_forms]
        alts.append(s_full + _SPACE + g_initials_dotted)
        alts.append(_initials([*given_words, surname_words[-1]], dotted=True))
        alts += s_alone
        alts += g_forms
    else:
        alts += s_alone
    alts += [flex(alias) for alias in person.aliases]
    return alts


@lru_cache(maxsize=256)
def _person_regex(person: KnownPerson) -> re.Pattern[str]:
    alts = "|".join(dict.fromkeys(_person_alternatives(person)))
    return re.compile(
        rf"{BEFORE}(?<!\.)(?P<title>(?:{_TITLE_ALT})(?:\.\s*|\s+))?(?P<name>{alts}){AFTER}"
    )


@lru_cache(maxsize=256)
def _compound_regex(person: KnownPerson) -> re.Pattern[str]:
    """The surname glued by a hyphen to another name: "Mme Martin-Dupont", "Dupont-Martin"."""
    parsed = parse_person(person.name)
    given = ""
    if parsed.given:
        forms = "|".join({flex(" ".join(parsed.given)), flex(parsed.given[0])})
        given = rf"(?:(?:{forms})\s+)?"
    s_full = flex(" ".join(parsed.surname))
    return re.compile(
        rf"{BEFORE}(?<!\.)(?P<title>(?:{_TITLE_ALT})(?:\.\s*|\s+))?"
        rf"(?P<name>{given}(?:(?P<pre>[^\W\d_]{{2,}})-)?(?P<surname>{s_full})"
        rf"(?:-(?P<post>[^\W\d_]{{2,}}))?){AFTER}"
    )


def _accept_compound(text: str, match: re.Match[str]) -> bool:
    """A compound surname counts if every part is capitalised and it is not a place name."""
    if match.group("pre") is None and match.group("post") is None:
        return False
    parts = ["surname"] + [g for g in ("pre", "post") if match.group(g) is not None]
    if not all(is_capitalised(text[match.start(g) : match.end(g)]) for g in parts):
        return False
    return match.group("pre") not in PLACE_PREFIXES


def _title_counts(original_title: str) -> bool:
    word = fold_words(original_title).replace(" ", "")
    if word in FULL_TITLES:
        return True
    return word in ABBREVIATED_TITLES and is_capitalised(original_title)


def accept_person(original_name: str) -> bool:
    """The common-word rule for a matched name without a title (see the module doc)."""
    words = _WORD.findall(original_name)
    long_words = [w for w in words if len(w) >= 2]
    if not long_words:
        return bool(words) and all(w.isupper() for w in words)
    if any(not is_common(fold(w)) for w in long_words):
        return True
    return any(is_capitalised(w) for w in long_words)


def overlapping(pattern: re.Pattern[str], folded: str) -> Iterator[re.Match[str]]:
    """Every match, including those starting inside an earlier one ("Martin, Paul Martin")."""
    pos = 0
    while (match := pattern.search(folded, pos)) is not None:
        yield match
        pos = match.start() + 1


_FEMININE = frozenset({"mme", "mmes", "madame", "mlle", "mademoiselle", "mrs", "ms", "miss"})
_MASCULINE = frozenset({"m", "monsieur", "mr", "mister", "sir"})


def _gender(title: str | None) -> str | None:
    word = fold_words(title or "").replace(" ", "")
    if word in _FEMININE:
        return "f"
    if word in _MASCULINE:
        return "m"
    return None


def _known_gender(person: KnownPerson) -> str | None:
    first = person.name.split()[0] if person.name.split() else ""
    return _gender(first)


def find_people(text: str, language: Language, names: KnownNames, folded: str) -> list[Candidate]:
    """People's names; a span matching several people is told apart by the gender of its
    title when the known names carry one ("Mme Jeanne Martin"), else gets the neutral label."""
    by_span: dict[tuple[int, int], set[KnownPerson]] = {}
    titles: dict[tuple[int, int], str | None] = {}
    for person in names.people:
        for match in overlapping(_person_regex(person), folded):
            start, end = match.span()
            name_start = match.start("name")
            title = match.group("title")
            if title is not None and _title_counts(text[start:name_start]):
                titles[(start, end)] = _gender(title)
            elif accept_person(text[name_start:end]):
                start = name_start
            else:
                continue
            by_span.setdefault((start, end), set()).add(person)
        for match in overlapping(_compound_regex(person), folded):
            if _accept_compound(text, match):
                by_span.setdefault(match.span(), set()).add(person)
                titles[match.span()] = _gender(match.group("title"))
    neutral = placeholder(Kind.PERSON, language)
    found: list[Candidate] = []
    for span, people in by_span.items():
        labels = {p.label for p in people}
        gender = titles.get(span)
        if len(labels) > 1 and gender is not None:
            same = {p.label for p in people if _known_gender(p) == gender}
            labels = same if len(same) == 1 else labels
        label = next(iter(labels)) if len(labels) == 1 else neutral
        found.append(Candidate(span[0], span[1], Kind.PERSON, label, PRIORITY_PERSON))
    return found
