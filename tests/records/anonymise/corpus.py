"""The annotated corpus of case summaries used to measure recall and precision.

Fixture files (``fixtures/*.txt``, written for Palabre) hold cases::

    === fr-famille-01
    @person Jeanne Martin | Partie A
    @org SCI Les Tilleuls | Société X
    Texte où [[PERSON|Mme Martin]] écrit depuis [[EMAIL|j.martin@exemple.fr]]...

``[[KIND|surface]]`` marks a span that must be replaced, with ``KIND`` a
:class:`~records.anonymise.model.Kind` name (``ORG`` is short for
``ORGANISATION``; ``UNLISTED`` is a ``PERSON`` the case's list does not
name: a child, a judge, a new partner, a doctor...). The raw text is the
file text with the markers removed; the gold spans are where the surfaces
land in it. Anything not marked must be left alone (that is what precision measures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from records.anonymise.known import KnownNames, KnownOrganisation, KnownPerson
from records.anonymise.model import Kind, Language

FIXTURES = Path(__file__).parent / "fixtures"
_MARK = re.compile(r"\[\[(?P<kind>[A-Z_]+)\|(?P<surface>[^\]]+?)\]\]")
_ALIASES = {"ORG": Kind.ORGANISATION, "UNLISTED": Kind.PERSON}


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    kind: Kind
    surface: str
    unlisted: bool = False

    @property
    def group(self) -> str:
        """What recall is measured over: the kind, people split by being on the list."""
        if self.kind is Kind.PERSON:
            return "PERSON (unlisted)" if self.unlisted else "PERSON (listed)"
        return self.kind.value


@dataclass(frozen=True)
class Case:
    case_id: str
    language: Language
    names: KnownNames
    text: str
    gold: tuple[Gold, ...]


def parse_annotated(annotated: str) -> tuple[str, tuple[Gold, ...]]:
    """The raw text and the gold spans of an annotated text."""
    pieces: list[str] = []
    gold: list[Gold] = []
    cursor = 0
    length = 0
    for match in _MARK.finditer(annotated):
        before = annotated[cursor : match.start()]
        pieces.append(before)
        length += len(before)
        raw_kind = match.group("kind")
        kind = _ALIASES.get(raw_kind) or Kind[raw_kind]
        surface = match.group("surface")
        unlisted = raw_kind == "UNLISTED"
        gold.append(Gold(length, length + len(surface), kind, surface, unlisted))
        pieces.append(surface)
        length += len(surface)
        cursor = match.end()
    pieces.append(annotated[cursor:])
    text = "".join(pieces)
    if "[[" in text or "]]" in text:
        raise ValueError(f"unbalanced marker in: {text[:80]!r}")
    return text, tuple(gold)


def _parse_case(case_id: str, lines: list[str]) -> Case:
    people: list[KnownPerson] = []
    orgs: list[KnownOrganisation] = []
    body: list[str] = []
    for line in lines:
        if line.startswith("@person ") or line.startswith("@org "):
            head, _, rest = line.partition(" ")
            name, _, label = rest.partition("|")
            if head == "@person":
                people.append(KnownPerson(name.strip(), label.strip()))
            else:
                orgs.append(KnownOrganisation(name.strip(), label.strip()))
        else:
            body.append(line)
    language: Language = "fr" if case_id.startswith("fr-") else "en"
    text, gold = parse_annotated("\n".join(body).strip() + "\n")
    return Case(case_id, language, KnownNames(tuple(people), tuple(orgs)), text, gold)


def load_cases(directory: Path = FIXTURES) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(directory.glob("*.txt")):
        current: str | None = None
        lines: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("=== "):
                if current is not None:
                    cases.append(_parse_case(current, lines))
                current, lines = line[4:].strip(), []
            elif current is not None:
                lines.append(line)
        if current is not None:
            cases.append(_parse_case(current, lines))
    return cases
