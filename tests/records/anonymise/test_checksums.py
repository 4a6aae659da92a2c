from __future__ import annotations

import pytest

from records.anonymise.checksums import (
    iban_valid,
    luhn_valid,
    nir_key,
    nir_valid,
    siren_valid,
    siret_valid,
)


@pytest.mark.parametrize(
    "iban",
    ["FR92 5260 1815 9083 0166 1318 609", "GB49NWBK98682828807290", "BE52 4018 7801 7598"],
)
def test_valid_ibans(iban: str) -> None:
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "FR92 5260 1815 9083 0166 1318 608",  # check fails
        "FR92 5260 1815 9083 0166 1318 60",  # wrong length for France
        "XX",
        "FR9A 5260 1815 9083 0166 1318 609",
        "",
    ],
)
def test_invalid_ibans(iban: str) -> None:
    assert not iban_valid(iban)


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("12a")


def test_siren_and_siret() -> None:
    assert siren_valid("834 782 450")
    assert not siren_valid("834 782 451")
    assert not siren_valid("83478245")
    assert siret_valid("834 782 450 00011")
    assert not siret_valid("834 782 450 00012")
    assert not siret_valid("834 782 451 00011")


def test_la_poste_sirets_use_a_digit_sum() -> None:
    assert siret_valid("356 000 000 00015")  # digit sum 20
    assert not siret_valid("356 000 000 00016")


def test_nir_key_and_corsica() -> None:
    assert nir_key("2840613046286") == 71
    assert nir_valid("2 84 06 13 046 286 71")
    assert not nir_valid("2 84 06 13 046 286 72")
    assert nir_valid("2 42 03 2A 139 774 96")
    assert nir_valid("1 56 03 2B 240 225 13")
    assert not nir_valid("1 56 03 2A 240 225 13")  # 2A and 2B give different keys
    assert not nir_valid("5 84 06 13 046 286 71")  # no such first digit
    with pytest.raises(ValueError):
        nir_key("123")
