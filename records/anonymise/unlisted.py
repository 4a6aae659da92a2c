"""People and institutions the case does not list, found by rules.

A summary names more people than the case's roster: children, new partners,
judges, doctors, teachers, witnesses. A capitalised name is taken as a
person's when something in front of it says so:

* a title or role: "M.", "Mme", "Maître", "Me", "Dr", "docteur", "le juge",
  "Judge", "Mr", "Mrs", "Ms", "Professor"...;
* a relationship: "sa fille Léa", "their son Jack", "son épouse Isabelle",
  "sa nouvelle compagne, Sandrine Pujol", "née Chevalier";
* a first name of the lexicon (:data:`lexicon.FIRST_NAMES`) followed by a
  capitalised surname, or alone when it is not also a common word.

Each person gets one label for the whole text, numbered in order of
appearance: "Enfant 1" for a child (a child's relationship word, or an age
right after the name), "Juge" for a judge, "Tiers 1" for anyone else
("Child 1", "Judge", "Third party 1" in English); every later mention of
the same name or of its parts gets the same label. A name part that belongs
to a listed person is left to the listed names' recogniser, unless it comes
with an unlisted given name ("Léa Roussel" for the child of a listed Roussel
becomes "Enfant 1": the span is longer, and nothing tells the family apart).

Schools, hospitals, care homes and courts named after their kind ("l'école
Jean-Moulin de Rodez", "le CHU de Toulouse", "Leeds General Infirmary")
become typed placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from records.anonymise.folding import fold
from records.anonymise.known import KnownNames
from records.anonymise.lexicon import FIRST_NAMES, PARTICLES, is_common
from records.anonymise.model import Candidate, Kind, Language, Reason

PRIORITY_UNLISTED = 8
PRIORITY_INSTITUTION = 22

_CAP = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:-[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)?"
_NAME = rf"(?P<name>{_CAP}(?:\s+(?:(?:de|du|van|von|le|la|Le|La|Mc|O')\s+)?{_CAP}){{0,2}})"
_END = r"(?![\w-])"

_TITLES = (
    r"(?:M\.|Mme|Mlle|Me|Maître|Dr\.?|Pr\.?|[Dd]octeur|[Pp]rofesseur|[Mm]adame|[Mm]onsieur"
    r"|Mr\.?|Mrs\.?|Ms\.?|Miss|Professor|Doctor|Sir|Dame)"
)
_JUDGE = r"(?:juge|[Jj]udge)(?:\s+aux\s+affaires\s+familiales)?,?"
_CHILD_WORDS = (
    r"fille|fils|enfants?|petite-fille|petit-fils|b[ée]b[ée]|daughter|son|child|children"
    r"|grandson|granddaughter|baby|stepson|stepdaughter"
)
_OTHER_WORDS = (
    r"[ée]pouse|[ée]poux|mari|femme|compagne|compagnon|conjointe?|concubine?|m[èe]re|p[èe]re"
    r"|s(?:œ|oe)ur|fr[èe]re|tante|oncle|cousine?|grand-m[èe]re|grand-p[èe]re|belle-m[èe]re"
    r"|beau-p[èe]re|belle-s(?:œ|oe)ur|beau-fr[èe]re|voisine?|coll[èe]gue|amie?|associée?"
    r"|employée?|apprentie?|patronne?|responsable|d[ée]l[ée]gu[ée]e?(?:\s+syndicale?)?|t[ée]moin"
    r"|notaire|avocate?|institutrice|instituteur|enseignante?|professeure?|ma[îi]tresse"
    r"|directrice|directeur|m[ée]decin|p[ée]diatre|infirmi[èe]re?|assistante?\s+sociale?"
    r"|wife|husband|partner|mother|father|sister|brother|aunt|uncle|cousin|grandmother"
    r"|grandfather|stepfather|stepmother|neighbou?r|colleague|friend|girlfriend|boyfriend"
    r"|manager|teacher|headteacher|doctor|nurse|solicitor|witness|employer|landlord|tenant"
    r"|sister-in-law|brother-in-law|mother-in-law|father-in-law|son-in-law|daughter-in-law"
    r"|carer|lodger|flatmate|supervisor|representative|receptionist|coordinator|counsellor"
    r"|clerk|officer|salesman|saleswoman|fitter|mechanic|surveyor|(?:tree\s+)?surgeon"
    r"|accountant|agent|assistant|owner|deputy|headteacher|head|best\s+friend|friend"
    r"|girlfriend|boyfriend|fianc[ée]e?|nephew|niece|grandson|granddaughter|twins?"
    r"|famille|family|plombier|g[ée]rante?|entra[îi]neur|entra[îi]neuse|poseur|jardini[èe]re?"
    r"|camarade|m[ée]canicien(?:ne)?|commerciale?|stagiaire|secr[ée]taire|maire|adjointe?"
    r"|gardien(?:ne)?|nourrice|marraine|parrain|demi-s(?:œ|oe)ur|demi-fr[èe]re|neveu|ni[èe]ce"
    r"|petite?-(?:fille|fils)|beau-fils|belle-fille|infirmi[èe]re\s+scolaire|aide-soignante?"
    r"|mandataire(?:\s+judiciaire)?|pr[ée]sidente?|tr[ée]sori[èe]re?|coll[èe]gue"
)
_DET = (
    r"(?:(?i:sa|son|ses|leur|leurs|notre|votre|la|le|les|l['’]|une?|his|her|their|its|the|a|an)"
    r"|(?<![\w-])[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]{1,20}['’]s)"
)
_ADJ = (
    r"(?:(?:nouvelle|nouveau|nouvel|ancienne|ancien|ex-|jeune|petite|petit|grande|grand|aînée?"
    r"|cadette?|propre|fidèle|new|former|ex|young|little|eldest|youngest|older|younger|late)\s*)*"
)
_RELATION = re.compile(
    rf"\b{_DET}\s*{_ADJ}(?P<rel>{_CHILD_WORDS}|{_OTHER_WORDS})(?:\s+de\s+\S+)?,?\s+{_NAME}{_END}"
)
_TITLED = re.compile(rf"(?<![\w])(?P<title>{_TITLES})\s+{_NAME}{_END}")
_CIVIL = frozenset(
    {"m.", "mme", "mlle", "madame", "monsieur", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss"}
)
_LIST_CUE = re.compile(
    r"\b(?:parents\s+(?:de|d['’]|of)|(?i:children|enfants|daughters|sons|filles|fils))\s*:?\s*"
)
_LIST_ITEM = re.compile(
    rf"\s*(?:(?:,|et|and)\s*)?(?:(?:de|d['’])\s*)?{_NAME}{_END}(?:\s*\([^)\n]{{0,20}}\))?"
)
_JUDGED = re.compile(rf"(?<![\w])(?P<judge>{_JUDGE})\s+(?P<title>{_TITLES}\s+)?{_NAME}{_END}")
_NEE = re.compile(rf"\b(?:n[ée]e|born)\s+{_NAME}{_END}")
_FIRST = re.compile(rf"(?<![\w-]){_NAME}{_END}")
_AGE_AFTER = re.compile(r"\s*(?:\(\s*\d{1,2}(?:\s*ans)?\s*\)|,\s*\d{1,2}\s*ans\b)")

# The (French, English) placeholder of an institution, by the folded word that names its kind.
INSTITUTION_LABELS: dict[str, tuple[str, str]] = {
    "ecole": ("[ÉTABLISSEMENT SCOLAIRE]", "[SCHOOL]"),
    "college": ("[ÉTABLISSEMENT SCOLAIRE]", "[SCHOOL]"),
    "lycee": ("[ÉTABLISSEMENT SCOLAIRE]", "[SCHOOL]"),
    "school": ("[ÉTABLISSEMENT SCOLAIRE]", "[SCHOOL]"),
    "academy": ("[ÉTABLISSEMENT SCOLAIRE]", "[SCHOOL]"),
    "hopital": ("[ÉTABLISSEMENT DE SANTÉ]", "[HOSPITAL]"),
    "chu": ("[ÉTABLISSEMENT DE SANTÉ]", "[HOSPITAL]"),
    "ch": ("[ÉTABLISSEMENT DE SANTÉ]", "[HOSPITAL]"),
    "clinique": ("[ÉTABLISSEMENT DE SANTÉ]", "[HOSPITAL]"),
    "hospital": ("[ÉTABLISSEMENT DE SANTÉ]", "[HOSPITAL]"),
    "infirmary": ("[ÉTABLISSEMENT DE SANTÉ]", "[HOSPITAL]"),
    "ehpad": ("[MAISON DE RETRAITE]", "[CARE HOME]"),
    "residence": ("[MAISON DE RETRAITE]", "[CARE HOME]"),
    "tribunal": ("[JURIDICTION]", "[COURT]"),
    "cour": ("[JURIDICTION]", "[COURT]"),
    "conseil": ("[JURIDICTION]", "[COURT]"),
    "court": ("[JURIDICTION]", "[COURT]"),
}
_INSTITUTION = re.compile(
    r"(?<![\w-])(?:(?P<head>[ée]cole|coll[èe]ge|lyc[ée]e|h[ôo]pital|CHU|CH|[Cc]linique|EHPAD"
    r"|[Ee]hpad|r[ée]sidence|[Tt]ribunal(?:\s+judiciaire|\s+de\s+commerce|\s+d['’]instance)?"
    r"|[Cc]our\s+d['’]appel|[Cc]onseil\s+de\s+prud['’]hommes)"
    r"(?:\s+(?:primaire|maternelle|élémentaire|privée?|public|publique|universitaire|"
    r"priv[ée]|Sainte?|Saint))?"
    rf"(?:\s+(?:de|du|des|d['’])\s*{_CAP}(?:[- ]{_CAP}){{0,3}}|\s+{_CAP}(?:[- ]{_CAP}){{0,3}}"
    rf"(?:\s+(?:de|d['’])\s*{_CAP}(?:[- ]{_CAP}){{0,3}})?)"
    rf"|{_CAP}(?:['’]s)?(?:\s+{_CAP}(?:['’]s)?){{0,3}}\s+(?P<tail>Hospital|Infirmary|School|Academy|College|Court))"
    r"(?![\w-])"
)

_LABELS = {
    "fr": {"child": "Enfant {n}", "judge": "Juge", "other": "Tiers {n}"},
    "en": {"child": "Child {n}", "judge": "Judge", "other": "Third party {n}"},
}


@dataclass
class _Person:
    key: str
    role: str
    label: str = ""


def _listed_words(names: KnownNames) -> frozenset[str]:
    words: set[str] = set()
    for person in names.people:
        for part in re.split(r"[\s\-']+", person.name):
            if part:
                words.add(fold(part))
    return frozenset(words)


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"\s+", name) if fold(t) not in PARTICLES]


def institution_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the schools, hospitals, care homes and courts named in ``text``."""
    return [(m.start(), m.end()) for m in _INSTITUTION.finditer(text)]


def find_unlisted(
    text: str,
    language: Language,
    names: KnownNames,
    folded: str,
    model_spans: Sequence[tuple[int, int]] = (),
) -> list[Candidate]:
    """People and institutions not on the case's list (see the module doc).

    ``model_spans`` are people the named-entity model found (already filtered,
    see :mod:`records.anonymise.entities`): they are labelled with the rules'
    finds, one label per person, with the reason :attr:`Reason.MODEL`.
    """
    listed = _listed_words(names)
    found: list[tuple[int, int, str, Reason]] = []  # start, end, role, why

    def add(match: re.Match[str], role: str, reason: Reason, *, with_title: bool = False) -> None:
        name = match.group("name")
        parts = _tokens(name)
        if not parts or all(fold(p) in listed for p in parts):
            return
        if role != "judge" and _AGE_AFTER.match(text, match.end("name")):
            role = "child"
        start = match.start("title") if with_title else match.start("name")
        found.append((start, match.end("name"), role, reason))

    for cue in _LIST_CUE.finditer(text):
        pos = cue.end()
        while (item := _LIST_ITEM.match(text, pos)) is not None:
            if fold(item.group("name").split()[0]) not in FIRST_NAMES:
                break
            add(item, "child", Reason.CHILDREN_LIST)
            pos = item.end()

    for match in _JUDGED.finditer(text):
        if match.group("judge")[0] == "J":
            found.append((match.start("judge"), match.end("name"), "judge", Reason.JUDGE))
        else:
            add(match, "judge", Reason.JUDGE, with_title=match.group("title") is not None)
    for match in _RELATION.finditer(text):
        rel = fold(match.group("rel"))
        add(match, "child" if re.fullmatch(_CHILD_WORDS, rel) else "other", Reason.RELATIONSHIP)
    for match in _TITLED.finditer(text):
        add(match, "other", Reason.TITLE, with_title=fold(match.group("title")) in _CIVIL)
    for match in _NEE.finditer(text):
        add(match, "other", Reason.BIRTH_NAME)
    for match in _FIRST.finditer(text):
        first = fold(match.group("name").split()[0])
        if first not in FIRST_NAMES:
            continue
        if len(match.group("name").split()) == 1 and is_common(first):
            continue
        add(match, "other", Reason.FIRST_NAME)
    for start, end in model_spans:
        parts = _tokens(text[start:end])
        if not parts or all(fold(p) in listed for p in parts):
            continue
        role = "child" if _AGE_AFTER.match(text, end) else "other"
        found.append((start, end, role, Reason.MODEL))

    # one label per person: the first role found for a span wins, earliest first
    people: dict[str, _Person] = {}
    counters = {"child": 0, "other": 0}
    labels = _LABELS[language]
    spans: dict[tuple[int, int], tuple[_Person, Reason]] = {}
    priority = {"judge": 0, "child": 1, "other": 2}
    for start, end, role, reason in sorted(found, key=lambda f: (f[0], priority[f[2]])):
        if (start, end) in spans:
            continue
        parts = [fold(p) for p in _tokens(text[start:end])]
        key = " ".join(parts)
        own = {p for p in parts if p not in listed}
        person = people.get(key) or next(
            (p for k, p in people.items() if own <= set(k.split()) or set(k.split()) <= own),
            None,
        )
        if person is None:
            person = _Person(key, role)
            if role == "judge":
                person.label = labels["judge"]
            else:
                counters[role] += 1
                person.label = labels[role].format(n=counters[role])
            people[key] = person
        spans[(start, end)] = (person, reason)

    out = [
        Candidate(s, e, Kind.PERSON, p.label, PRIORITY_UNLISTED, why)
        for (s, e), (p, why) in spans.items()
    ]
    # later mentions of a found person by a part of their name ("Léa", "Aubert")
    by_part: dict[str, _Person] = {}
    for person in people.values():
        for part in person.key.split():
            if part not in listed and len(part) > 2:
                by_part.setdefault(part, person)
    if by_part:
        alternatives = "|".join(re.escape(p) for p in sorted(by_part, key=len, reverse=True))
        for m in re.finditer(rf"(?<![\w-])(?:{alternatives})(?![\w-])", folded):
            if text[m.start()].isupper():
                label = by_part[m.group()].label
                out.append(
                    Candidate(
                        m.start(),
                        m.end(),
                        Kind.PERSON,
                        label,
                        PRIORITY_UNLISTED,
                        Reason.SAME_PERSON,
                    )
                )
    for m in _INSTITUTION.finditer(text):
        head = fold(m.group("head") or m.group("tail")).split()[0]
        fr_label, en_label = INSTITUTION_LABELS.get(head, ("[ÉTABLISSEMENT]", "[INSTITUTION]"))
        label = fr_label if language == "fr" else en_label
        out.append(
            Candidate(
                m.start(),
                m.end(),
                Kind.ORGANISATION,
                label,
                PRIORITY_INSTITUTION,
                Reason.INSTITUTION,
            )
        )
    return out
