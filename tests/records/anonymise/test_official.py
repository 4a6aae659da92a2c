"""Official numbers and ages: found when their form (and checksum) says so, left alone otherwise."""

from __future__ import annotations

import pytest

from records.anonymise.checksums import card_valid, nhs_valid, spi_valid, ssn_valid
from records.anonymise.engine import anonymise
from records.anonymise.model import Kind


def kinds(text: str, language: str = "fr") -> list[tuple[Kind, str]]:
    return [(r.kind, r.original) for r in anonymise(text, language).replacements]


def test_checksums() -> None:
    assert spi_valid("30 12 345 678 167") and not spi_valid("30 12 345 678 168")
    assert not spi_valid("5012345678167")  # a numéro fiscal starts with 0 to 3
    assert card_valid("4970 1012 3456 7893") and not card_valid("4970 1012 3456 7890")
    assert nhs_valid("943 476 5919") and not nhs_valid("943 476 5918")
    assert ssn_valid("123-45-6789")
    assert not any(ssn_valid(n) for n in ("000-12-3456", "666-12-3456", "912-12-3456"))
    assert not ssn_valid("123-00-6789") and not ssn_valid("123-45-0000")


@pytest.mark.parametrize(
    ("text", "kind", "number"),
    [
        ("Jugement (RG n° 23/01457).", Kind.DOCKET, "23/01457"),
        ("Affaire RG 21/03456-B, audience.", Kind.DOCKET, "21/03456-B"),
        ("N° RG 19/00012 C;", Kind.DOCKET, "19/00012 C"),
        ("ordonnance n° 22/00981 rendue", Kind.DOCKET, "22/00981"),
        ("numéro Portalis DBVX-V-B7G-NKLP.", Kind.DOCKET, "DBVX-V-B7G-NKLP"),
        ("claim no. FD23P00451 was issued", Kind.DOCKET, "FD23P00451"),
        ("CNI n° 880692310285.", Kind.ID_CARD, "880692310285"),
        ("carte d'identité : X4RTBPF42", Kind.ID_CARD, "X4RTBPF42"),
        ("son passeport 18AB12345.", Kind.PASSPORT, "18AB12345"),
        ("passport number 612345678", Kind.PASSPORT, "612345678"),
        ("Numéro allocataire CAF 1234567 ;", Kind.CAF, "1234567"),
        ("numéro fiscal 3012345678167.", Kind.TAX_ID, "3012345678167"),
        ("carte 4970 1012 3456 7893.", Kind.CARD, "4970 1012 3456 7893"),
        ("Amex 3782 822463 10005.", Kind.CARD, "3782 822463 10005"),
        ("National Insurance number QQ 12 34 56 C.", Kind.NINO, "QQ 12 34 56 C"),
        ("NI AB123456D here", Kind.NINO, "AB123456D"),
        ("NHS number 943 476 5919.", Kind.NHS, "943 476 5919"),
        ("NHS no: 9434765919.", Kind.NHS, "9434765919"),
        ("SSN 123-45-6789.", Kind.SSN, "123-45-6789"),
        ("social security number 123 45 6789.", Kind.SSN, "123 45 6789"),
    ],
)
def test_identifiers_are_found(text: str, kind: Kind, number: str) -> None:
    assert (kind, number) in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Facture n° 2024-0087, réglée.",
        "Référence interne MED-2024-0117.",
        "Voir la page 23/145 du classeur.",
        "La CAF verse 131 euros par mois depuis 2021.",
        "carte 4970 1012 3456 7890 refusée",  # fails Luhn
        "numéro 30 12 345 678 168",  # wrong SPI key
        "NHS number 943 476 5918.",  # wrong check digit
        "tel 666-12-3456",  # never an SSN
        "Le montant est de 1234567 euros.",  # no cue
        "Il y a 3 ans, depuis 12 ans, for 12 years, 25 years ago.",
    ],
)
def test_lookalikes_are_left_alone(text: str) -> None:
    assert anonymise(text, "fr").text == text
    assert anonymise(text, "en").text == text


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Elle (8 ans) dort.", "fr", "Elle (moins de 10 ans) dort."),
        ("Le cadet, 14 ans, joue.", "fr", "Le cadet, 10 à 19 ans, joue."),
        ("Il est âgé de 43 ans.", "fr", "Il est âgé de 40 à 49 ans."),
        ("Elle a 86 ans.", "fr", "Elle a 80 ans ou plus."),
        (
            "their children Emily (9) and Jack (6).",
            "en",
            "their children Child 1 (under 10) and Child 2 (under 10).",
        ),
        ("children aged 7 and 12", "en", "children aged under 10 and 10–19"),
        ("a 43-year-old nurse", "en", "a 40–49-year-old nurse"),
    ],
)
def test_ages_become_ten_year_bands(text: str, language: str, expected: str) -> None:
    assert anonymise(text, language).text == expected
