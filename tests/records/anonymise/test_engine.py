"""The pipeline's result structure, overlap resolution, and editing by the mediator."""

from __future__ import annotations

import json

import pytest

from records.anonymise import (
    AnonymisedText,
    Candidate,
    Kind,
    KnownNames,
    KnownPerson,
    add_redaction,
    anonymise,
    rerender,
    resolve,
    restore,
    revert,
)

NAMES = KnownNames((KnownPerson("Jeanne Martin", "Partie A"),))
TEXT = "Mme Martin (jeanne.martin@exemple.fr, 06 12 34 56 78) habite 12 rue des Lilas, 69003 Lyon."


@pytest.fixture
def result() -> AnonymisedText:
    return anonymise(TEXT, "fr", NAMES)


def test_result_lists_every_replacement_with_offsets(result: AnonymisedText) -> None:
    assert result.text == "Partie A ([EMAIL], [TÉLÉPHONE]) habite [ADRESSE]."
    assert [r.kind for r in result.replacements] == [
        Kind.PERSON,
        Kind.EMAIL,
        Kind.PHONE,
        Kind.ADDRESS,
    ]
    for r in result.replacements:
        assert TEXT[r.start : r.end] == r.original
        assert result.text[r.output_start : r.output_end] == r.replacement
    assert len({r.id for r in result.replacements}) == len(result.replacements)


def test_result_serialises_without_the_original_by_default(result: AnonymisedText) -> None:
    data = json.loads(json.dumps(result.to_dict()))
    assert "original" not in data
    assert data["replacements"][0]["kind"] == "PERSON"
    assert result.to_dict(include_original=True)["original"] == TEXT


def test_resolve_prefers_longest_then_priority() -> None:
    chosen = resolve(
        [
            Candidate(0, 5, Kind.PERSON, "A", 10),
            Candidate(0, 10, Kind.EMAIL, "E", 90),
            Candidate(12, 15, Kind.DATE, "D", 45),
            Candidate(12, 15, Kind.PHONE, "P", 60),
        ]
    )
    assert [(c.kind, c.start) for c in chosen] == [(Kind.EMAIL, 0), (Kind.PHONE, 12)]


def test_bad_language_and_empty_text() -> None:
    with pytest.raises(ValueError):
        anonymise("x", "de", NAMES)
    assert anonymise("", "en").text == ""
    assert anonymise("Nothing to hide here.", "en").replacements == ()


def test_revert_and_restore(result: AnonymisedText) -> None:
    phone = next(r for r in result.replacements if r.kind is Kind.PHONE)
    reverted = revert(result, phone.id)
    assert "06 12 34 56 78" in reverted.text
    assert reverted.reverted == (phone,)
    assert all(r.id != phone.id for r in reverted.replacements)
    restored = restore(reverted, phone.id)
    assert restored.text == result.text
    assert restored.reverted == ()
    with pytest.raises(ValueError):
        revert(reverted, phone.id)
    with pytest.raises(ValueError):
        restore(result, phone.id)
    with pytest.raises(ValueError):
        revert(result, "nope")


def test_manual_redaction(result: AnonymisedText) -> None:
    start = TEXT.index("Lyon")
    # redact a word inside the address: the address replacement is absorbed
    edited = add_redaction(result, start, start + 4)
    manual = [r for r in edited.replacements if r.source == "manual"]
    assert len(manual) == 1
    assert manual[0].original.startswith("12 rue des Lilas")
    assert edited.text.endswith("habite [EXPURGÉ].")
    # redact plain text
    start = TEXT.index("habite")
    edited = add_redaction(result, start, start + 6, replacement="[…]")
    assert "[…] [ADRESSE]" in edited.text
    assert rerender(edited) == edited
    # a manual redaction can be undone; it is not kept among the reverted
    undone = revert(edited, next(r.id for r in edited.replacements if r.source == "manual"))
    assert undone.text == result.text
    assert undone.reverted == ()


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 5), (0, 10_000), (3, 1)])
def test_manual_redaction_rejects_bad_spans(result: AnonymisedText, start: int, end: int) -> None:
    with pytest.raises(ValueError):
        add_redaction(result, start, end)


def test_manual_redaction_rejects_white_space() -> None:
    result = anonymise("a   b", "en")
    with pytest.raises(ValueError):
        add_redaction(result, 1, 4)


def test_english_placeholders() -> None:
    result = anonymise(
        "NIR 2 84 06 13 046 286 71, born 12 March 1984, call +44 20 7946 0958.", "en"
    )
    assert result.text == "NIR [SOCIAL SECURITY NUMBER], born [DATE], call [PHONE]."
