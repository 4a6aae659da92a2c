"""Invariants on random text, and no super-linear blow-up on pathological input."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from records.anonymise import KnownNames, KnownOrganisation, KnownPerson, anonymise

NAMES = KnownNames(
    (
        KnownPerson("Jean-Pierre de la Fontaine", "Partie A"),
        KnownPerson("Jeanne Martin", "Partie B"),
    ),
    (KnownOrganisation("SCI Les Tilleuls", "Société X"),),
)
ALPHABET = "aAéÉ jJ-.'’@_:/+0123456789 \nMartinFontaineTilleulsrue FR76 06 "


@pytest.mark.parametrize("seed", range(20))
def test_invariants_on_random_text(seed: int) -> None:
    rnd = random.Random(seed)
    text = "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 3000)))
    result = anonymise(text, rnd.choice(["fr", "en"]), NAMES)
    previous_end = 0
    for item in result.replacements:
        assert previous_end <= item.start < item.end <= len(text)
        assert text[item.start : item.end] == item.original
        assert result.text[item.output_start : item.output_end] == item.replacement
        previous_end = item.end
    # the text between replacements is copied unchanged
    pairs = list(itertools.pairwise(result.replacements))
    kept_in = [text[a.end : b.start] for a, b in pairs]
    kept_out = [result.text[a.output_end : b.output_start] for a, b in pairs]
    assert kept_in == kept_out


PATHOLOGICAL = [
    "a" * 100_000,
    "1 " * 50_000,
    "A-" * 50_000,
    "." * 100_000,
    "Rue " * 25_000,
    "12 rue " * 15_000,
    "a@" * 50_000,
    "ab:" * 33_000,
    "a_" * 50_000,
    "Martin-" * 15_000,
    "+33 " * 25_000,
    "FR76 " * 20_000,
    "a." * 50_000,
]


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: repr(t[:8]))
def test_pathological_input_stays_fast(text: str) -> None:
    """The rules on 100,000 characters: no regular expression blows up."""
    started = time.perf_counter()
    anonymise(text, "fr", NAMES, model=False)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize("text", PATHOLOGICAL, ids=lambda t: repr(t[:8]))
def test_pathological_input_stays_fast_with_the_model(text: str) -> None:
    """The model's cost is linear (about 1.5 s per 100,000 characters on one free core):
    bounded on 10,000 characters, longer than any summary."""
    started = time.perf_counter()
    anonymise(text[:10_000], "fr", NAMES)
    assert time.perf_counter() - started < 5.0


def test_over_long_text_is_refused() -> None:
    with pytest.raises(ValueError):
        anonymise("a" * 1_000_001, "fr", NAMES)
