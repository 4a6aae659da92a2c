"""People and institutions the case does not list: the issue's two examples, and labels."""

from __future__ import annotations

from records.anonymise.engine import anonymise
from records.anonymise.known import KnownNames, KnownPerson
from records.anonymise.model import Reason

FRENCH = (
    "Nathalie Roussel et Thomas Roussel, parents de Léa (8 ans) et de Hugo, scolarisés à "
    "l'école Jean-Moulin de Rodez. Le juge aux affaires familiales, Mme Catherine Vidal, a "
    "fixé la résidence (RG n° 23/01457). Thomas vit avec sa nouvelle compagne, Sandrine "
    "Pujol. Le pédiatre de Léa, le docteur Marc Aubert, a écrit au juge. Numéro allocataire "
    "CAF 1234567 ; passeport 18AB12345. Léa Roussel aime le dessin ; Aubert le confirme."
)
ENGLISH = (
    "Sarah Collins and Mark Collins, parents of their children Emily (9) and Jack (6), met "
    "twice. Judge Robert Hayes made a child arrangements order (claim no. FD23P00451). Mark's "
    "National Insurance number QQ 12 34 56 C was sent by mistake. Their son Jack attends St "
    "Mary's Primary School; Mrs Patel, his teacher, wrote to Dr Hughes."
)


def test_the_french_example_of_the_issue() -> None:
    names = KnownNames(
        (KnownPerson("Nathalie Roussel", "Partie A"), KnownPerson("Thomas Roussel", "Partie B"))
    )
    out = anonymise(FRENCH, "fr", names).text
    for secret in (
        "Nathalie", "Thomas", "Roussel", "Léa", "Hugo", "Jean-Moulin", "Rodez", "Catherine",
        "Vidal", "23/01457", "Sandrine", "Pujol", "Marc", "Aubert", "1234567", "18AB12345",
        "8 ans",
    ):  # fmt: skip
        assert secret not in out, secret
    assert "Enfant 1 (moins de 10 ans)" in out and "d'Enfant 2" in out
    assert "Juge" in out and "Tiers 1" in out and "Tiers 2" in out
    # the child who carries a listed surname keeps her own label and reveals no family
    assert "Enfant 1 aime le dessin" in out and "Partie A aime" not in out
    assert out.count("Tiers 2") == 2  # the doctor, both times


def test_the_english_example_of_the_issue() -> None:
    names = KnownNames(
        (KnownPerson("Sarah Collins", "Party A"), KnownPerson("Mark Collins", "Party B"))
    )
    out = anonymise(ENGLISH, "en", names).text
    for secret in (
        "Sarah", "Mark", "Collins", "Emily", "Jack", "Robert", "Hayes", "FD23P00451",
        "QQ 12", "Mary", "Patel", "Hughes", "(9)",
    ):  # fmt: skip
        assert secret not in out, secret
    assert "Child 1 (under 10) and Child 2 (under 10)" in out
    assert "Their son Child 2" in out and "Judge made" in out


def test_no_cue_no_replacement() -> None:
    text = "La Poste a livré le colis. Le Mans et Saint-Martin sont loin. Une rose."
    assert anonymise(text, "fr", model=False).text == text


def test_the_model_generalises_a_town_without_a_cue_and_keeps_saints() -> None:
    text = "La Poste a livré le colis. Le Mans et Saint-Martin sont loin. Une rose."
    out = anonymise(text, "fr").text
    assert out == "La Poste a livré le colis. [Sarthe (72)] et Saint-Martin sont loin. Une rose."


def test_towns_outside_addresses_are_generalised_or_placeheld() -> None:
    names = KnownNames((KnownPerson("Thomas Roussel", "Partie B"),))
    fr = anonymise(
        "Sa nouvelle compagne, Sandrine Pujol, habite à Onet-le-Château ; il travaille à Toulouse "
        "et vit en Occitanie.",
        "fr",
        names,
    ).text
    assert "Onet" not in fr and "Toulouse" not in fr
    assert "habite à [LIEU]" in fr and "à [Haute-Garonne (31)]" in fr and "Occitanie" in fr
    en = anonymise("Sarah now lives in Harrogate with her partner, near Leeds.", "en").text
    assert "lives in [PLACE]" in en and "Harrogate" not in en and "Leeds" not in en


def test_first_names_the_lexicon_used_to_miss() -> None:
    text = "Gwenaëlle a appelé Maëlys ; Kader garde les enfants le mercredi."
    out = anonymise(text, "fr", model=False).text
    for name in ("Gwenaëlle", "Maëlys", "Kader"):
        assert name not in out, name


def test_unknown_towns_take_the_departement_written_with_them() -> None:
    cases = {
        "Il vit à Saint-Cyprien (12) depuis mars.": "Il vit à [Aveyron (12)] depuis mars.",
        "Elle vit à Lanuéjouls (Aveyron).": "Elle vit à [Aveyron (12)].",
        "Elle vit à Lanuéjouls, dans l'Aveyron.": "Elle vit à [Aveyron (12)], dans l'Aveyron.",
        "Il habite à Quézac.": "Il habite à [LIEU].",
    }
    for text, expected in cases.items():
        assert anonymise(text, "fr").text == expected, text


def test_the_model_finds_an_employer_after_an_employment_cue() -> None:
    result = anonymise("Elle est salariée de Transports Verdier depuis 2019.", "fr")
    assert result.text == "Elle est salariée de [ORGANISATION] depuis 2019."
    assert [r.reason for r in result.replacements if r.original == "Transports Verdier"] == [
        Reason.MODEL
    ]
    out = anonymise("Since March he has worked for Hargreaves Haulage.", "en").text
    assert out == "Since March he has worked for [ORGANISATION]."
