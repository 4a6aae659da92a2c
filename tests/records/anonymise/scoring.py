"""Recall and precision per kind of the anonymiser against the annotated corpus."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from records.anonymise.engine import anonymise
from records.anonymise.model import Kind, Replacement

from .corpus import Case, Gold

NAME_KINDS = frozenset({Kind.PERSON, Kind.ORGANISATION})


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


def _covered(gold: Gold, text: str, spans: list[Replacement]) -> bool:
    """Every letter and digit of the gold span is inside some replacement."""
    for index in range(gold.start, gold.end):
        if text[index].isalnum() and not any(r.start <= index < r.end for r in spans):
            return False
    return True


def score(cases: list[Case]) -> dict[Kind, Tally]:
    tallies: dict[Kind, Tally] = defaultdict(Tally)
    for case in cases:
        result = anonymise(case.text, case.language, case.names)
        spans = list(result.replacements)
        for gold in case.gold:
            tally = tallies[gold.kind]
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
            tally = tallies[r.kind]
            tally.predicted += 1
            if any(g.kind is r.kind and g.start < r.end and r.start < g.end for g in case.gold):
                tally.correct += 1
            else:
                tally.false_positives.append(f"{case.case_id}: {r.original!r}")
    return dict(tallies)


def table(tallies: dict[Kind, Tally]) -> str:
    lines = [f"{'kind':<14}{'gold':>6}{'found':>7}{'recall':>9}{'pred':>7}{'precision':>11}"]
    for kind in Kind:
        if kind in tallies:
            t = tallies[kind]
            lines.append(
                f"{kind.value:<14}{t.gold:>6}{t.found:>7}{t.recall:>9.1%}"
                f"{t.predicted:>7}{t.precision:>11.1%}"
            )
    return "\n".join(lines)
