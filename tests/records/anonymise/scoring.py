"""Recall and precision of the anonymiser against the annotated corpus.

Recall is measured per group of gold spans (:attr:`corpus.Gold.group`): each
kind, with people split between those on the case's list and those it does
not name. Precision is measured per kind of replacement: a replacement is
right when it overlaps a gold span of its kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from records.anonymise.engine import anonymise
from records.anonymise.entities import model_people
from records.anonymise.known import KnownNames
from records.anonymise.model import AnonymisedText, Kind, Reason, Replacement
from records.anonymise.pipelines import entities
from records.anonymise.places import find_places
from records.anonymise.unlisted import institution_spans

from .corpus import Case, Gold

LISTED = "PERSON (listed)"
UNLISTED = "PERSON (unlisted)"
Anonymiser = Callable[[str, str, KnownNames], AnonymisedText]


@dataclass
class Tally:
    gold: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0


@dataclass
class Score:
    recall: dict[str, Tally]  # by gold group
    precision: dict[Kind, Tally]  # by kind of replacement
    model_precision: dict[Kind, Tally] = field(default_factory=dict)  # the model's suggestions

    def identifier_recall(self) -> float:
        """Recall over every gold span that is not a name or a place."""
        groups = [t for g, t in self.recall.items() if g not in _NAME_GROUPS]
        gold = sum(t.gold for t in groups)
        return sum(t.found for t in groups) / gold if gold else 1.0


_NAME_GROUPS = frozenset({LISTED, UNLISTED, Kind.ORGANISATION.value, Kind.PLACE.value})


def _covered(gold: Gold, text: str, spans: list[Replacement]) -> bool:
    """Every letter and digit of the gold span is inside some replacement."""
    for index in range(gold.start, gold.end):
        if text[index].isalnum() and not any(r.start <= index < r.end for r in spans):
            return False
    return True


def score(cases: list[Case], anonymiser: Anonymiser = anonymise) -> Score:
    recall: dict[str, Tally] = defaultdict(Tally)
    precision: dict[Kind, Tally] = defaultdict(Tally)
    model_precision: dict[Kind, Tally] = defaultdict(Tally)
    for case in cases:
        spans = list(anonymiser(case.text, case.language, case.names).replacements)
        for gold in case.gold:
            tally = recall[gold.group]
            tally.gold += 1
            same_kind = [
                r
                for r in spans
                if r.kind is gold.kind and r.start < gold.end and gold.start < r.end
            ]
            if same_kind and _covered(gold, case.text, spans):
                tally.found += 1
            else:
                tally.misses.append(f"{case.case_id}: {gold.surface!r}")
        for r in spans:
            right = any(g.kind is r.kind and g.start < r.end and r.start < g.end for g in case.gold)
            tallies = [precision[r.kind]]
            if r.reason is Reason.MODEL:
                tallies.append(model_precision[r.kind])
            for tally in tallies:
                tally.predicted += 1
                if right:
                    tally.correct += 1
                else:
                    tally.false_positives.append(f"{case.case_id}: {r.original!r}")
    return Score(dict(recall), dict(precision), dict(model_precision))


def model_people_precision(cases: list[Case]) -> Tally:
    """Precision of every person the model found and the filters kept, whether or not a
    rule found the same span (the suggestions that survive are the few no rule found)."""
    tally = Tally()
    for case in cases:
        places = [(c.start, c.end) for c in find_places(case.text, case.language, case.names)]
        spotted = entities(case.text, case.language)
        named = institution_spans(case.text)
        for start, end in model_people(case.text, spotted, case.names, places, named):
            tally.predicted += 1
            if any(g.kind is Kind.PERSON and g.start < end and start < g.end for g in case.gold):
                tally.correct += 1
            else:
                tally.false_positives.append(f"{case.case_id}: {case.text[start:end]!r}")
    return tally


def table(result: Score) -> str:
    lines = [f"{'recall of':<20}{'gold':>6}{'found':>7}{'recall':>9}"]
    for group in sorted(result.recall):
        t = result.recall[group]
        lines.append(f"{group:<20}{t.gold:>6}{t.found:>7}{t.recall:>9.1%}")
    lines.append(f"{'identifiers':<20}{'':>6}{'':>7}{result.identifier_recall():>9.1%}")
    lines.append(f"{'precision of':<20}{'pred':>6}{'right':>7}{'precision':>11}")
    for kind in Kind:
        if kind in result.precision:
            t = result.precision[kind]
            lines.append(f"{kind.value:<20}{t.predicted:>6}{t.correct:>7}{t.precision:>11.1%}")
    lines.append(f"{'model-found':<20}{'pred':>6}{'right':>7}{'precision':>11}")
    for kind, t in sorted(result.model_precision.items()):
        lines.append(f"{kind.value:<20}{t.predicted:>6}{t.correct:>7}{t.precision:>11.1%}")
    return "\n".join(lines)
