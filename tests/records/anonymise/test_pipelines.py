"""The installed pipelines are the verified ones, and behave as entity recognisers."""

from __future__ import annotations

import json

import pytest

from records.anonymise import pipelines
from records.anonymise.model import Language
from records.anonymise.verify import check_loader, check_meta, check_performance, reference, verify


@pytest.mark.parametrize("language", ["fr", "en"])
def test_installed_pipeline_is_the_verified_release(language: Language) -> None:
    assert verify(language) == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_loaded_recogniser_has_the_release_labels_and_only_ner(language: Language) -> None:
    pipeline = pipelines.load(language)
    assert pipeline.pipe_names == ["ner"]
    ner = pipeline.get_pipe("ner")
    assert list(ner.labels) == reference()["pipelines"][language]["ner_labels"]  # type: ignore[attr-defined]


def _installed_meta(language: Language) -> dict[str, object]:
    meta: dict[str, object] = json.loads(
        (pipelines.package_path(language) / "meta.json").read_text("utf-8")
    )
    return meta


def test_a_changed_figure_or_field_of_meta_is_a_problem() -> None:
    ref = reference()["pipelines"]["en"]
    meta = _installed_meta("en")
    assert check_meta(meta, ref) == []
    performance = dict(meta["performance"])  # type: ignore[call-overload]
    performance["ents_f"] = 0.9
    assert check_meta({**meta, "performance": performance}, ref)
    assert check_meta({**meta, "spacy_git_version": "0000000"}, ref)
    assert check_meta({**meta, "spacy_version": ">=3.0"}, ref)
    assert check_meta({**meta, "pipeline": ["ner"]}, ref)
    assert check_meta({**meta, "extra": 1}, ref)
    per_type = json.loads(json.dumps(meta["performance"]))
    per_type["ents_per_type"]["PERSON"]["p"] = 0.99
    assert check_performance(per_type, ref, "accuracy.json")


def test_the_french_wheel_is_explosions_own() -> None:
    fr = reference()["pipelines"]["fr"]
    assert fr["wheel_sha256"] == fr["checksum_whl"]
    assert (
        reference()["pipelines"]["en"]["wheel_sha256"]
        != reference()["pipelines"]["en"]["checksum_whl"]
    )


def test_a_loader_that_does_more_than_load_is_refused() -> None:
    source = (pipelines.package_path("en").parent / "__init__.py").read_text("utf-8")
    assert check_loader(source) == []
    assert check_loader(source + "\nimport os\n")
    assert check_loader(source.replace("from pathlib import Path", "from os import system"))
    tampered = source.replace(
        "return load_model_from_init_py(__file__, **overrides)",
        "__import__('os').getcwd()\n    return load_model_from_init_py(__file__, **overrides)",
    )
    assert check_loader(tampered)


# Sentences written for this test (never seen in training): who and where they name.
ENGLISH = [
    (
        "Yesterday Priya Natarajan drove her nephew to the clinic in Swindon.",
        "Priya Natarajan",
        "Swindon",
    ),
    (
        "The landlord, Gordon McAllister, refused to return the deposit to Hannah.",
        "Gordon McAllister",
        None,
    ),
    (
        "After the hearing in Manchester, Olivia Brennan phoned her solicitor.",
        "Olivia Brennan",
        "Manchester",
    ),
]
FRENCH = [
    (
        "Hier, Mathilde Guérin a conduit son neveu à la clinique de Quimper.",
        "Mathilde Guérin",
        "Quimper",
    ),
    (
        "Le propriétaire, Bernard Castagné, refuse de rendre le dépôt de garantie.",
        "Bernard Castagné",
        None,
    ),
    (
        "Après l'audience à Montpellier, Sophie Delorme a appelé son avocat.",
        "Sophie Delorme",
        "Montpellier",
    ),
]


@pytest.mark.parametrize(("sentence", "person", "place"), ENGLISH)
def test_english_pipeline_finds_people_and_places(
    sentence: str, person: str, place: str | None
) -> None:
    found = {(e.text, e.label) for e in pipelines.entities(sentence, "en")}
    assert (person, "PERSON") in found
    if place is not None:
        assert (place, "GPE") in found


@pytest.mark.parametrize(("sentence", "person", "place"), FRENCH)
def test_french_pipeline_finds_people_and_places(
    sentence: str, person: str, place: str | None
) -> None:
    found = {(e.text, e.label) for e in pipelines.entities(sentence, "fr")}
    assert (person, "PER") in found
    if place is not None:
        assert (place, "LOC") in found


def test_long_text_is_cut_into_pieces_with_offsets_kept() -> None:
    sentence = "Olivia Brennan phoned Gordon McAllister. "
    text = sentence * (pipelines.MAX_CHUNK // len(sentence) + 50)
    found = pipelines.entities(text, "en")
    assert all(text[e.start : e.end] == e.text for e in found)
    assert sum(e.text == "Olivia Brennan" for e in found) >= text.count("Olivia Brennan") - 2


def test_warm_up_returns_at_once_and_leaves_both_loaded() -> None:
    pipelines.warm_up()  # both already loaded by the session fixture: nothing to start
    assert set(pipelines.loaded()) == {"fr", "en"}


def test_english_pipeline_passes_explosions_own_entity_check() -> None:
    """The sentence and entities of Explosion's model test suite for English pipelines
    (explosion/spacy-models, tests/lang/en/test_ner.py), which its releases pass."""
    found = [
        (e.text, e.start, e.end, e.label)
        for e in pipelines.entities("Apple is looking at buying U.K. startup for $1 billion", "en")
    ]
    assert found == [
        ("Apple", 0, 5, "ORG"),
        ("U.K.", 27, 31, "GPE"),
        ("$1 billion", 44, 54, "MONEY"),
    ]
