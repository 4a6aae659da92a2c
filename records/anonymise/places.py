"""Towns and other places named outside an address.

"habite à Onet-le-Château", "le juge de Nantes", "lives in Harrogate": a
capitalised word after a word that introduces a place ("à", "de", "près de",
"habite", "commune de", "lieu-dit", "quartier"; "in", "near", "lives in",
"from", "outside") is taken as a place. A town of the offline table
(:mod:`records.anonymise.geography`) is generalised to its département
("[Aveyron (12)]"), and so is a town the table does not know when its
département follows ("Saint-Cyprien (12)", "Lanuéjouls, dans l'Aveyron") or a
postcode comes before it; any other place becomes a typed placeholder
("[LIEU]", "[PLACE]").

A word that a person's recogniser also claims keeps the person's label (the
place candidate has the lowest priority), a first name of the lexicon or a
word of a listed name is never a place, and a short list of words that follow
these cues without being places (countries, months, feasts, days) is left
alone: a country or a region names nobody.
"""

from __future__ import annotations

import re

from records.anonymise.folding import fold
from records.anonymise.generalise import place_of
from records.anonymise.geography import (
    DEPARTEMENTS,
    REGIONS,
    departement_of_postcode,
    known_towns,
)
from records.anonymise.known import KnownNames
from records.anonymise.lexicon import FIRST_NAMES
from records.anonymise.model import Candidate, Kind, Language, Reason, placeholder

PRIORITY_PLACE = 4

_UP = r"[A-ZÀ-ÖØ-Þ]"
_LOW = r"[a-zà-öø-ÿ]"
_WORD = rf"{_UP}{_LOW}+"
_LINK = (
    r"(?:-(?:sur|sous|en|lès|lez|le|la|les|de|du|des|aux?|et|upon|on|in|under)-|-|-(?:d|l)['’]|\s)"
)
_PLACE = rf"(?P<place>{_WORD}(?:{_LINK}{_WORD}){{0,4}}|{_UP}{_LOW}*(?:['’]{_WORD}))"
_CUES = {
    "fr": (
        r"(?:(?<![\w'’-])(?:[àa]|de|d['’]|pr[èe]s\s+de|pr[èe]s\s+d['’]|habite|vit|commune\s+de"
        r"|commune\s+d['’]|lieu-dit|quartier(?:\s+(?:de|du|des))?|ville\s+de|village\s+de"
        r"|mairie\s+de|mairie\s+d['’]|originaire\s+de|originaire\s+d['’])\s*)"
    ),
    "en": (
        r"(?:(?<![\w'’-])(?:in|near|from|to|outside|around|lives\s+in|village\s+of|town\s+of"
        r"|edge\s+of|to\s+the|at\s+the)\s+)"
    ),
}
_FINDERS = {lang: re.compile(rf"{cue}{_PLACE}(?![\w'’-])") for lang, cue in _CUES.items()}
# words that follow a place cue without naming a place (folded)
NOT_PLACES = frozenset(
    """
    france angleterre allemagne espagne italie portugal belgique suisse canada maroc algerie
    tunisie europe afrique asie amerique england scotland wales ireland britain uk europe spain
    germany italy canada america india pakistan china
    janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
    january february march april may june july august september october november december
    lundi mardi mercredi jeudi vendredi samedi dimanche monday tuesday wednesday thursday
    friday saturday sunday noel paques toussaint christmas easter
    madame monsieur maitre docteur mademoiselle mr mrs ms miss dr mme mlle me judge juge
    """.split()
)


# départements and regions are what places are generalised to: left alone
_DEPT_NAMES = {fold(d.name): d for d in DEPARTEMENTS.values()}
_AREAS = frozenset(
    " ".join(re.split(r"[\s'’-]+", fold(area)))
    for area in (*REGIONS, *(d.name for d in DEPARTEMENTS.values()), "La Réunion")
) - frozenset(known_towns())


def _listed_words(names: KnownNames) -> frozenset[str]:
    words: set[str] = set()
    entries = [p.name for p in names.people] + [o.name for o in names.organisations]
    for entry in entries:
        words.update(w for w in re.split(r"[\s'’-]+", fold(entry)) if w)
    return frozenset(words)


def label_of_place(place: str, language: Language) -> str:
    """A known town's département ("[Aveyron (12)]"), else the typed placeholder."""
    try:
        return f"[{place_of(place)}]"
    except ValueError:
        return placeholder(Kind.PLACE, language)


# "Saint-Cyprien (12)", "Saint-Cyprien (Aveyron)", "Saint-Cyprien, dans l'Aveyron", "12330 ..."
_DEPT_AFTER = re.compile(
    r"\s*(?:\(\s*(?P<code>\d{2}|2[AB]|97\d)\s*\)|\(\s*(?P<name>[^()\n]{3,40})\s*\)"
    r"|,?\s+(?:dans\s+(?:l['’]|le\s+|la\s+|les\s+)|en\s+)"
    r"(?P<name2>[A-ZÀ-Ö][\w'’ -]{2,40}?)(?=[,.;)\n]|\s+(?:et|où|qui)\b))"
)
_POSTCODE_BEFORE = re.compile(r"(?P<code>\b\d{5})\s*$")


def _departement_near(text: str, start: int, end: int) -> tuple[str, int] | None:
    """A département written right after an unknown town, or a postcode right before it."""
    after = _DEPT_AFTER.match(text, end)
    if after is not None:
        code = after.group("code")
        if code is not None and code.upper() in DEPARTEMENTS:
            d = DEPARTEMENTS[code.upper()]
            return f"[{d.name} ({d.code})]", after.end()
        name = after.group("name") or after.group("name2")
        found = _DEPT_NAMES.get(fold(name.strip())) if name else None
        if found is not None:  # "(Aveyron)" joins the span; "dans l'Aveyron" stays
            return f"[{found.name} ({found.code})]", after.end() if after.group("name") else end
    before = _POSTCODE_BEFORE.search(text, max(0, start - 8), start)
    if before is not None:
        try:
            d = departement_of_postcode(before.group("code"))
        except ValueError:
            return None
        return f"[{d.name} ({d.code})]", end
    return None


def place_label(text: str, start: int, end: int, language: Language) -> tuple[str, int]:
    """The label of the place ``text[start:end]`` and where its span ends.

    A known town becomes its département; an unknown one the département
    written right after it ("Saint-Cyprien (12)": the code joins the span, so it
    is not read as an age) or given by a postcode right before it; else the
    typed placeholder.
    """
    label = label_of_place(text[start:end], language)
    if label == placeholder(Kind.PLACE, language):
        near = _departement_near(text, start, end)
        if near is not None:
            return near
    return label, end


def find_places(text: str, language: Language, names: KnownNames) -> list[Candidate]:
    """Places after a place cue, outside addresses (see the module doc)."""
    listed = _listed_words(names)
    found: list[Candidate] = []
    for match in _FINDERS[language].finditer(text):
        place = match.group("place")
        words = [w for w in re.split(r"[\s'’-]+", fold(place)) if w]
        first = words[0]
        alone = len(words) == 1
        if (
            first in NOT_PLACES
            or " ".join(words) in _AREAS
            or (alone and first in FIRST_NAMES)
            or listed.intersection(words)
        ):
            continue
        label, end = place_label(text, match.start("place"), match.end("place"), language)
        found.append(
            Candidate(
                match.start("place"),
                end,
                Kind.PLACE,
                label,
                PRIORITY_PLACE,
                Reason.PLACE_CUE,
            )
        )
    return found
