"""Checksums of identifiers: Luhn (SIREN, SIRET), ISO 7064 mod 97-10 (IBAN), NIR key.

Every function takes the identifier as written (spaces allowed) and returns a
bool; malformed input is simply not valid. They let the recognisers leave
alone numbers that merely look like identifiers.
"""

from __future__ import annotations

import string

# Length of the IBAN per country (ISO 13616 registry, the countries a French
# mediation is likely to meet); an unknown country is checked on mod 97 alone.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21,
    "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MA": 28, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "DZ": 26, "SN": 28,
}  # fmt: skip

# La Poste's SIREN: its establishments' SIRET fail Luhn and use a digit sum instead.
LA_POSTE_SIREN = "356000000"


def digits_only(text: str) -> str:
    return "".join(c for c in text if not c.isspace() and c not in ".-")


def luhn_valid(number: str) -> bool:
    """Luhn check over a string of digits (separators allowed)."""
    digits = digits_only(number)
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siren_valid(number: str) -> bool:
    digits = digits_only(number)
    return len(digits) == 9 and luhn_valid(digits)


def siret_valid(number: str) -> bool:
    digits = digits_only(number)
    if len(digits) != 14 or not digits.isdigit() or not digits.isascii():
        return False
    if digits.startswith(LA_POSTE_SIREN) and digits != LA_POSTE_SIREN + "00010":
        return sum(int(c) for c in digits) % 5 == 0
    return luhn_valid(digits) and siren_valid(digits[:9])


def iban_valid(iban: str) -> bool:
    """ISO 13616: country, two check digits, mod 97 of the rearranged number is 1."""
    compact = "".join(iban.split()).upper()
    if len(compact) < 15 or len(compact) > 34 or not compact.isascii():
        return False
    country, check = compact[:2], compact[2:4]
    if not country.isalpha() or not check.isdigit() or not compact[4:].isalnum():
        return False
    expected = IBAN_LENGTHS.get(country)
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(
        str(string.ascii_uppercase.index(c) + 10) if c.isalpha() else c for c in rearranged
    )
    return int(numeric) % 97 == 1


def nir_key(body: str) -> int:
    """The key of a 13-character NIR body; Corsica's 2A/2B count as 19/18."""
    compact = digits_only(body).upper()
    if len(compact) != 13:
        raise ValueError("a NIR body has 13 characters")
    if compact[5:7] == "2A":
        compact = compact[:5] + "19" + compact[7:]
    elif compact[5:7] == "2B":
        compact = compact[:5] + "18" + compact[7:]
    if not compact.isdigit() or not compact.isascii():
        raise ValueError("a NIR body is made of digits (and 2A/2B)")
    return 97 - int(compact) % 97


def nir_valid(nir: str) -> bool:
    """A 15-character French social security number whose key matches its body."""
    compact = digits_only(nir).upper()
    if len(compact) != 15 or compact[0] not in "12378" or not compact[13:].isdigit():
        return False
    try:
        return nir_key(compact[:13]) == int(compact[13:])
    except ValueError:
        return False


def card_valid(number: str) -> bool:
    """A payment card number: 13 to 19 digits, a known network's first digit, Luhn."""
    digits = digits_only(number)
    return 13 <= len(digits) <= 19 and digits[:1] in "23456" and luhn_valid(digits)


def spi_valid(number: str) -> bool:
    """French numéro fiscal (SPI): 13 digits, first 0-3, the last three the first ten mod 511."""
    digits = digits_only(number)
    if len(digits) != 13 or not digits.isdigit() or not digits.isascii() or digits[0] not in "0123":
        return False
    return int(digits[:10]) % 511 == int(digits[10:])


def nhs_valid(number: str) -> bool:
    """NHS number: 10 digits, mod 11 over weights 10..2; a remainder giving 10 is never issued."""
    digits = digits_only(number)
    if len(digits) != 10 or not digits.isdigit() or not digits.isascii():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def ssn_valid(number: str) -> bool:
    """US Social Security number: area not 000, 666 or 9xx; group not 00; serial not 0000."""
    digits = digits_only(number)
    if len(digits) != 9 or not digits.isdigit() or not digits.isascii():
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"
