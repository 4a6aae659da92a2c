from __future__ import annotations

from datetime import date, datetime

import pytest

from records.anonymise.generalise import (
    Rule,
    age_at,
    age_band,
    generalise_fields,
    month_label,
    month_of,
    place_of,
)
from records.anonymise.geography import (
    DEPARTEMENTS,
    REGIONS,
    departement,
    departement_of_postcode,
    departement_of_town,
    known_towns,
)


def test_dates_to_month() -> None:
    assert month_of(date(2024, 3, 12)) == "2024-03"
    assert month_of(datetime(2024, 3, 12, 10, 0)) == "2024-03"
    assert month_of("1984-03-12") == "1984-03"
    assert month_label("2024-08-01", "fr") == "août 2024"
    assert month_label("2024-08-01", "en") == "August 2024"
    with pytest.raises(ValueError):
        month_of("12 mars 1984")


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, "0–9"), (9, "0–9"), (30, "30–39"), (39, "30–39"), (79, "70–79"), (85, "80+")],
)
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band


def test_age_band_options_and_errors() -> None:
    assert age_band(34, width=5, top=None) == "30–34"
    for bad in (-1, 131):
        with pytest.raises(ValueError):
            age_band(bad)
    with pytest.raises(ValueError):
        age_band(True)
    assert age_at("1984-03-12", "2024-03-11") == 39
    assert age_at("1984-03-12", "2024-03-12") == 40
    with pytest.raises(ValueError):
        age_at("2024-01-01", "2023-01-01")


def test_departement_table() -> None:
    assert len(DEPARTEMENTS) == 101
    assert len(REGIONS) == 18
    assert departement("2a").name == "Corse-du-Sud"
    assert departement("974").region == "La Réunion"
    assert {d.region for d in DEPARTEMENTS.values()} == set(REGIONS)
    with pytest.raises(ValueError):
        departement("20")


@pytest.mark.parametrize(
    ("postcode", "code"),
    [
        ("69003", "69"),
        ("01000", "01"),
        ("20000", "2A"),
        ("20167", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("97400", "974"),
        ("97600", "976"),
        ("75011", "75"),
    ],
)
def test_postcode_to_departement(postcode: str, code: str) -> None:
    assert departement_of_postcode(postcode).code == code


@pytest.mark.parametrize("postcode", ["98000", "97500", "00100", "6900", "ABCDE"])
def test_postcodes_outside_departements(postcode: str) -> None:
    with pytest.raises(ValueError):
        departement_of_postcode(postcode)


def test_towns() -> None:
    assert len(known_towns()) >= 100
    assert departement_of_town("Saint-Étienne").code == "42"
    assert departement_of_town("ST ETIENNE").code == "42"
    assert departement_of_town("Villeneuve-d'Ascq").code == "59"
    assert departement_of_town("Ajaccio").region == "Corse"
    assert departement_of_town("Saint-Denis").code == "974"
    assert departement_of_town("Saint-Denis", "93200").code == "93"
    assert departement_of_town("Trifouillis", "24100").code == "24"
    with pytest.raises(ValueError):
        departement_of_town("Trifouillis")


def test_place_of() -> None:
    assert place_of("Lyon") == "Rhône (69)"
    assert place_of("Lyon", level="region") == "Auvergne-Rhône-Alpes"
    assert place_of(postcode="13001", level="region") == "Provence-Alpes-Côte d'Azur"
    with pytest.raises(ValueError):
        place_of()


def test_generalise_fields() -> None:
    record = {
        "opened": "2024-03-12",
        "age": 41,
        "town": "69003 Lyon",
        "home": "Brest",
        "name": "Jeanne Martin",
        "type": "familiale",
        "closed": None,
    }
    rules = {
        "opened": Rule.MONTH,
        "age": "age_band",
        "town": "region",
        "home": "departement",
        "name": "drop",
        "type": "keep",
        "closed": "month",
    }
    assert generalise_fields(record, rules) == {
        "opened": "2024-03",
        "age": "40–49",
        "town": "Auvergne-Rhône-Alpes",
        "home": "Finistère (29)",
        "type": "familiale",
        "closed": None,
    }
    assert generalise_fields(record, {}) == {}
    with pytest.raises(ValueError):
        generalise_fields(record, {"age": "nonsense"})
    with pytest.raises(ValueError):
        generalise_fields({"age": "41"}, {"age": "age_band"})
