"""Held-out summaries (``heldout/``): people no rule can find, whom the model finds.

They name people with no title, no relationship word and a first name
outside the lexicon: the rules alone find none of them. The corpus test
(:mod:`test_corpus`) shows the model costs no precision; these show what it
adds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from records.anonymise.engine import anonymise
from records.anonymise.known import KnownNames
from records.anonymise.model import AnonymisedText, Kind, Reason

from .corpus import Case, load_cases
from .scoring import LISTED, UNLISTED, score

HELDOUT = Path(__file__).parent / "heldout"


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases(HELDOUT)


def _rules_only(text: str, language: str, names: KnownNames) -> AnonymisedText:
    return anonymise(text, language, names, model=False)


def test_heldout_set_has_both_languages(cases: list[Case]) -> None:
    assert {c.language for c in cases} == {"fr", "en"}
    assert sum(len([g for g in c.gold if g.unlisted]) for c in cases) >= 10


def test_rules_alone_miss_the_heldout_people(cases: list[Case]) -> None:
    assert score(cases, _rules_only).recall[UNLISTED].recall == 0.0


def test_the_model_finds_them_without_false_people(cases: list[Case]) -> None:
    result = score(cases)
    assert result.recall[UNLISTED].recall >= 0.8, result.recall[UNLISTED].misses
    assert result.recall[LISTED].recall == 1.0
    people = result.precision[Kind.PERSON]
    assert people.precision == 1.0, people.false_positives


def test_model_finds_are_suggestions_with_the_model_reason(cases: list[Case]) -> None:
    case = next(c for c in cases if c.case_id == "fr-heldout-02")
    result = anonymise(case.text, case.language, case.names)
    found = {r.original: r for r in result.replacements}
    assert found["Anatole Vercoutère"].reason is Reason.MODEL
    assert found["Anatole Vercoutère"].suggestion
    # a later mention takes the same label
    assert found["Vercoutère"].replacement == found["Anatole Vercoutère"].replacement == "Tiers 1"


def test_model_person_sharing_a_listed_surname_takes_the_family_label() -> None:
    names = KnownNames.from_dict({"people": [{"name": "Nathalie Roussel", "label": "Partie A"}]})
    text = "Pendant les vacances, Ombeline Roussel a gardé les enfants de Nathalie Roussel."
    result = anonymise(text, "fr", names)
    assert "Roussel" not in result.text
    assert "Ombeline" not in result.text


@pytest.mark.parametrize(
    "text",
    [
        "Mme a rappelé le cadre. Lundi, les parties se reverront.",
        "Synthèse de la séance. Les parents ont évoqué la rentrée.",
        "Tribunal judiciaire. Code civil, article 373-2.",
        "Monday the parties met again. Agreement reached in March.",
        "Ils se sont croisés rue Victor-Hugo puis avenue Pasteur.",
        "The fence along Meadow Lane was moved.",
    ],
)
def test_common_words_and_legal_terms_are_not_people(text: str) -> None:
    language = "en" if "Monday" in text or "fence" in text else "fr"
    result = anonymise(text, language, KnownNames())
    assert [r.original for r in result.replacements if r.reason is Reason.MODEL] == []


def test_a_model_suggestion_is_accepted_or_rejected_like_the_others(cases: list[Case]) -> None:
    from records.anonymise.summaries import REJECT, decision_of, review, suggestion_key

    case = next(c for c in cases if c.case_id == "fr-heldout-03")
    found = review(case.text, case.language, case.names)
    model = next(r for r in found.replacements if r.original == "Tugdual Le Goff")
    assert model.reason is Reason.MODEL and decision_of(model, {}) == "pending"
    assert "Tugdual" not in found.text
    rejected = review(case.text, case.language, case.names, (), {suggestion_key(model): REJECT})
    assert "Tugdual Le Goff" in rejected.text
    assert "Hélène" not in rejected.text  # the listed names are still replaced
