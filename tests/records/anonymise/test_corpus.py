"""Recall and precision of the anonymiser on the annotated corpus of case summaries."""

from __future__ import annotations

import pytest

from records.anonymise.engine import anonymise
from records.anonymise.known import KnownNames
from records.anonymise.model import AnonymisedText, Kind

from .corpus import Case, load_cases, parse_annotated
from .scoring import LISTED, UNLISTED, model_people_precision, score, table

# recall floors per gold group; any other group is an identifier
RECALL_FLOORS = {
    LISTED: 1.0,
    Kind.ORGANISATION.value: 1.0,
    UNLISTED: 0.97,
    Kind.PLACE.value: 0.97,
}
IDENTIFIER_RECALL = 0.98
MIN_PRECISION = 0.95
MIN_PERSON_PRECISION = 0.90


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases()


def test_corpus_size_and_shape(cases: list[Case]) -> None:
    french = [c for c in cases if c.language == "fr"]
    english = [c for c in cases if c.language == "en"]
    assert len(french) >= 40
    assert len(english) >= 20
    assert len({c.case_id for c in cases}) == len(cases)
    for case in cases:
        assert 600 <= len(case.text) <= 2000, (case.case_id, len(case.text))
        assert case.names.people, case.case_id
        for gold in case.gold:
            assert case.text[gold.start : gold.end] == gold.surface


def test_corpus_names_people_the_list_does_not(cases: list[Case]) -> None:
    """At least 40 French and 20 English summaries each name two people who are not on
    the case's list and one place or identifier that is not either."""
    counts = {"fr": 0, "en": 0}
    for case in cases:
        unlisted = {g.surface for g in case.gold if g.unlisted}
        other = [g for g in case.gold if g.kind not in (Kind.PERSON, Kind.DATE)]
        if len(unlisted) >= 2 and other:
            counts[case.language] += 1
    assert counts["fr"] >= 40 and counts["en"] >= 20, counts


def test_corpus_covers_every_kind(cases: list[Case]) -> None:
    seen = {g.kind for c in cases for g in c.gold}
    assert seen >= set(Kind) - {Kind.MANUAL}


@pytest.mark.parametrize(
    "decoy",
    [
        "FR76 1234 5678 9012 3456 7890 123",  # IBAN with a wrong check
        "1 85 07 33 264 414 99",  # NIR with a wrong key
        "1 56 03 2B 240 225 14",  # Corsican NIR with a wrong key
        "205 617 483 00017",  # SIRET failing Luhn
        "834 782 451",  # SIREN failing Luhn
        "GB33 BUKB 2020 1555 5555 56",
        "27 840 euros HT",
        "12 345 euros",
        "2 450 000 euros",
        "bonne foi",
        "Le blanc laissé",  # a party is called Leblanc
        "le blanc",  # a party is called Blanc
    ],
)
def test_decoys_are_in_the_corpus_and_left_alone(cases: list[Case], decoy: str) -> None:
    holders = [c for c in cases if decoy in c.text]
    assert holders, f"no case contains {decoy!r}"
    for case in holders:
        assert decoy in anonymise(case.text, case.language, case.names).text


def test_recall_and_precision(cases: list[Case], capsys: pytest.CaptureFixture[str]) -> None:
    done: dict[tuple[str, str], AnonymisedText] = {}

    def once(text: str, language: str, names: KnownNames) -> AnonymisedText:
        if (text, language) not in done:  # each case is anonymised once for the three tables
            done[(text, language)] = anonymise(text, language, names)
        return done[(text, language)]

    result = score(cases, once)
    with capsys.disabled():
        for language in ("fr", "en"):
            subset = [c for c in cases if c.language == language]
            print(f"\n{language}: {len(subset)} cases\n" + table(score(subset, once)))
        print(f"\nall: {len(cases)} cases\n" + table(result))
    problems: list[str] = []
    for group, tally in result.recall.items():
        floor = RECALL_FLOORS.get(group, IDENTIFIER_RECALL)
        if tally.recall < floor:
            problems.append(f"{group} recall {tally.recall:.1%}: {tally.misses}")
    for kind, tally in result.precision.items():
        floor = MIN_PERSON_PRECISION if kind is Kind.PERSON else MIN_PRECISION
        if tally.precision < floor:
            problems.append(
                f"{kind.value} precision {tally.precision:.1%}: {tally.false_positives}"
            )
    model_people = model_people_precision(cases)
    with capsys.disabled():
        print(
            f"people found by the model and kept: {model_people.predicted}, "
            f"right {model_people.correct}, precision {model_people.precision:.1%}"
        )
    if model_people.precision < MIN_PERSON_PRECISION:
        problems.append(
            f"model-found PERSON precision {model_people.precision:.1%}: "
            f"{model_people.false_positives}"
        )
    assert not problems, "\n".join(problems)
    assert result.identifier_recall() >= IDENTIFIER_RECALL


def test_annotation_syntax() -> None:
    text, gold = parse_annotated("Mme [[PERSON|Martin]] : [[EMAIL|a@b.fr]].")
    assert text == "Mme Martin : a@b.fr."
    assert [(g.kind, text[g.start : g.end]) for g in gold] == [
        (Kind.PERSON, "Martin"),
        (Kind.EMAIL, "a@b.fr"),
    ]
    with pytest.raises(ValueError):
        parse_annotated("[[PERSON|Martin")
