"""What the named-entity model found, filtered by the rules and the lexicon.

The model (:mod:`records.anonymise.pipelines`) finds people, places and
organisations that no cue announces ("Gwenaëlle Le Bihan a appelé…",
"…met Kader at the depot"). It also finds false ones: a capitalised word at
the start of a sentence, a title alone ("Mme"), a day or a month, a legal
term ("Tribunal", "Code civil"), a first name taken for a place. Each span is
kept only when the rules agree it can be one:

* **people** (``PER``, ``PERSON``, or any entity that is a first name of the
  lexicon): titles are cut off the front; every word must be capitalised (or a
  surname particle), none a digit, at most four words; a span made only of
  days, months, titles, legal or institutional words, places or listed names
  is dropped, and so is a single word that is a common word, or that opens a
  sentence without being a first name of the lexicon. Kept spans go to
  :func:`records.anonymise.unlisted.find_unlisted`, which labels them like the
  rules' finds ("Tiers 1", "Enfant 1"; a listed family's surname is not shown);
* **places** (``LOC``, ``GPE``): a town of the offline table becomes its
  département ("[Aveyron (12)]"); an unknown town followed by a département
  ("Saint-Cyprien (12)", "Saint-Cyprien, dans l'Aveyron") or a postcode
  becomes that département; any other place a typed placeholder. Countries,
  regions, départements, days, months and first names are left alone;
* **organisations** (``ORG``): kept when an employment cue comes before
  ("travaille chez", "works for", "employed by") or when they name a school,
  hospital or care home; they become "[ORGANISATION]" or the institution's
  placeholder.

Every suggestion carries :attr:`Reason.MODEL`, so the review shows it as the
model's and the mediator accepts or rejects it like any other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from records.anonymise.folding import fold
from records.anonymise.geography import (
    DEPARTEMENTS,
    REGIONS,
    known_towns,
    normalise_town,
)
from records.anonymise.known import KnownNames
from records.anonymise.lexicon import FIRST_NAMES, PARTICLES, PLACE_PREFIXES, TITLES, is_common
from records.anonymise.model import Candidate, Kind, Language, Reason, placeholder
from records.anonymise.pipelines import Entity
from records.anonymise.places import NOT_PLACES, PRIORITY_PLACE, place_label
from records.anonymise.unlisted import INSTITUTION_LABELS

PRIORITY_MODEL_ORG = 6

_PERSON_LABELS = frozenset({"PER", "PERSON"})
_PLACE_LABELS = frozenset({"LOC", "GPE"})
_ORG_LABELS = frozenset({"ORG"})

# words that the model takes for names in mediation summaries (folded)
NOT_NAMES = (
    frozenset(
        """
    tribunal juge jaf caf cpam urssaf cour code civil penal article loi decret accord
    mediation mediateur mediatrice mediator partie parties party conseil avocat avocate
    maitre notaire huissier greffe greffier prefecture mairie ministere etat republique
    pole emploi france travail banque credit assurance assureur syndic copropriete
    agreement court judge order family children act council county borough police
    solicitor solicitors tenant landlord claimant respondent applicant mr mrs ms dr
    plaintiff defendant section clause schedule contract lease deed
    merci bonjour ensuite puis enfin alors cependant toutefois neanmoins selon suite
    madame monsieur mademoiselle messieurs mesdames dossier reference piece annexe
    rue chemin allee impasse boulevard avenue place route lane road street close drive way
    """.split()
    )
    | frozenset(NOT_PLACES)
    | TITLES
)

_DEPT_NAMES = {fold(d.name): d for d in DEPARTEMENTS.values()}
_AREAS = frozenset(fold(r) for r in REGIONS) | frozenset(_DEPT_NAMES)
_TOWNS = frozenset(known_towns())
_STREET_WORDS = frozenset(
    "lane road street close drive avenue way crescent gardens terrace grove place court".split()
)
_STREET_BEFORE = re.compile(
    r"(?i:\b(?:rue|avenue|av\.|boulevard|bd|place|all[ée]e|impasse|quai|chemin|cours|square"
    r"|route|sentier|parvis|esplanade|r[ée]sidence|lotissement|cit[ée]))"
    r"\s+(?:(?:de\s+la|de\s+l['’]|du|des|de|d['’])\s*)?$"
)
_WORD = re.compile(r"[\w'’-]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;»\n]\s*|^\s*[-–•*]\s*)$")
_EMPLOYER_CUE = re.compile(
    r"(?i:chez|employ[ée]e?\s+(?:de|par|chez)|salari[ée]e?\s+(?:de|chez)|travaille\s+(?:chez|pour)"
    r"|embauch[ée]e?\s+par|licenci[ée]e?\s+par|employeur,?|works?\s+(?:at|for)|worked\s+(?:at|for)"
    r"|employed\s+(?:by|at)|employer,?|job\s+at|dismissed\s+by)\s*(?:l['’]|la\s+|le\s+|the\s+)?$"
)
# The kinds of institution an organisation the model found may name: schools, hospitals and
# care homes (courts and the rest are the rules' own), with the rules' placeholders.
_INSTITUTION_WORDS = {
    word: INSTITUTION_LABELS[word]
    for word in ("ecole", "college", "lycee", "school", "academy", "hopital", "clinique",
                 "hospital", "infirmary", "ehpad")
}  # fmt: skip


def _words(span: str) -> list[str]:
    return _WORD.findall(span)


def _listed_words(names: KnownNames) -> frozenset[str]:
    words: set[str] = set()
    for entry in [p.name for p in names.people] + [o.name for o in names.organisations]:
        words.update(fold(w) for w in re.split(r"[\s'’-]+", entry) if w)
    return frozenset(words)


def _trim_person(text: str, entity: Entity) -> tuple[int, int] | None:
    """The name inside a person entity, titles and possessives cut off, or None."""
    start, end = entity.start, entity.end
    for match in _WORD.finditer(text, start, end):
        word = fold(match.group()).rstrip(".")
        if word in TITLES or (word == "m" and text[match.end() : match.end() + 1] == "."):
            start = match.end()
            while start < end and not text[start].isalnum():
                start += 1
            continue
        break
    while end > start and not text[end - 1].isalnum():
        end -= 1
    if text[end - 2 : end] in ("'s", "’s"):
        end -= 2
    return (start, end) if start < end else None


def _person_span(
    text: str,
    entity: Entity,
    listed: frozenset[str],
    places: Sequence[tuple[int, int]],
    named: Sequence[tuple[int, int]],
) -> tuple[int, int] | None:
    span = _trim_person(text, entity)
    if span is None:
        return None
    start, end = span
    words = _words(text[start:end])
    folded = [fold(w) for w in words]
    if not words or len(words) > 4 or any(ch.isdigit() for ch in text[start:end]):
        return None
    if any(not w[0].isupper() and f not in PARTICLES for w, f in zip(words, folded, strict=True)):
        return None
    if "-" in words[0] and fold(words[0]).split("-")[0] in PLACE_PREFIXES:
        return None  # "Saint-Martin", "Mont-Blanc": a place or a feast, not a person
    own = [f for f in folded if f not in PARTICLES]
    if not own or all(f in NOT_NAMES or f in _AREAS for f in own):
        return None
    if own[-1] in _STREET_WORDS or _STREET_BEFORE.search(text, max(0, start - 30), start):
        return None  # "Meadow Lane", "rue Victor-Hugo", "avenue Pasteur": a street
    if normalise_town(text[start:end]) in _TOWNS:
        return None
    if any(s <= start and end <= e for s, e in named):
        return None  # inside an institution's or organisation's name ("école Jean-Moulin")
    alone = len(own) == 1 and own[0] not in FIRST_NAMES
    if alone and any(s < end and start < e for s, e in places):
        return None  # a place cue's town ("lives in Lyon"), not a person
    if all(f in listed or (f.endswith("s") and f[:-1] in listed) for f in own):
        return None  # the listed names' recogniser labels it ("the Grays")
    if any(w.isupper() and len(w) > 1 for w in words[1:]):
        return None  # "Dossier CA": an acronym after a word is no surname
    if len(own) == 1:
        word, first = words[-1], own[0]
        if word.isupper() or (is_common(first) and first not in FIRST_NAMES):
            return None
        if first not in FIRST_NAMES and _SENTENCE_START.search(text[max(0, start - 4) : start]):
            return None
    return start, end


def model_people(
    text: str,
    entities: Sequence[Entity],
    names: KnownNames,
    places: Sequence[tuple[int, int]] = (),
    named: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Spans of people the model found that the rules accept (see the module doc).

    ``places`` are the spans the place rules found (a single unknown word there
    is the town, not a person); ``named`` the organisations, institutions,
    addresses the rules found (a name inside "l'école Jean-Moulin" is the school's).
    """
    listed = _listed_words(names)
    spans: list[tuple[int, int]] = []
    for entity in entities:
        words = _words(entity.text)
        lexicon_name = len(words) == 1 and fold(words[0]) in FIRST_NAMES
        if entity.label in _PERSON_LABELS or (lexicon_name and entity.label != "ORG"):
            span = _person_span(text, entity, listed, places, named)
            if span is not None:
                spans.append(span)
    return spans


def model_places_and_organisations(
    text: str, language: Language, entities: Sequence[Entity], names: KnownNames
) -> list[Candidate]:
    """Places and organisations the model found that the rules accept (see the module doc)."""
    listed = _listed_words(names)
    found: list[Candidate] = []
    for entity in entities:
        words = [fold(w) for w in _words(entity.text)]
        if not words or listed.intersection(words) or not entity.text[0].isupper():
            continue
        if entity.label in _PLACE_LABELS:
            key = " ".join(words)
            alone = len(words) == 1
            if (
                alone
                and key not in _TOWNS
                and _SENTENCE_START.search(text[max(0, entity.start - 4) : entity.start])
            ):
                continue  # "Synthèse", "Les" opening a line: not a place
            if (
                key in _AREAS
                or words[0] in NOT_PLACES
                or words[0] in NOT_NAMES
                or (len(words) == 1 and (words[0] in FIRST_NAMES or entity.text.isupper()))
            ):
                continue
            label, end = place_label(text, entity.start, entity.end, language)
            found.append(
                Candidate(entity.start, end, Kind.PLACE, label, PRIORITY_PLACE, Reason.MODEL)
            )
        elif entity.label in _ORG_LABELS:
            head = next((w for w in words if w in _INSTITUTION_WORDS), None)
            cue = _EMPLOYER_CUE.search(text[max(0, entity.start - 40) : entity.start])
            if head is None and cue is None:
                continue
            if head is not None:
                fr_label, en_label = _INSTITUTION_WORDS[head]
                label = fr_label if language == "fr" else en_label
            else:
                label = placeholder(Kind.ORGANISATION, language)
            found.append(
                Candidate(
                    entity.start,
                    entity.end,
                    Kind.ORGANISATION,
                    label,
                    PRIORITY_MODEL_ORG,
                    Reason.MODEL,
                )
            )
    return found
