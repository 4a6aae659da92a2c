"""Unit tests of each identifier recogniser, on short texts."""

from __future__ import annotations

import pytest

from records.anonymise.addresses import find_addresses, find_postcodes
from records.anonymise.contact import find_emails, find_ips, find_phones, find_urls
from records.anonymise.dates import find_dates
from records.anonymise.identifiers import (
    find_ibans,
    find_nirs,
    find_plates,
    find_sirens,
    find_sirets,
)
from records.anonymise.model import Candidate, Kind, Language


def spans(found: list[Candidate], text: str) -> list[str]:
    return sorted(text[c.start : c.end] for c in found)


@pytest.mark.parametrize(
    "email",
    [
        "jeanne.martin@exemple.fr",
        "j-p.rose+mediation@sous.domaine.exemple.org",
        "élodie@exemple.fr",
        "jeanne.martin (at) exemple.fr",
        "jeanne.martin[at]exemple[dot]fr",
    ],
)
def test_emails(email: str) -> None:
    text = f"Écrire à {email}, merci."
    assert spans(find_emails(text, "fr"), text) == [email]
    assert find_emails(text, "fr")[0].replacement == "[EMAIL]"


def test_no_email_in_plain_at_sign() -> None:
    assert find_emails("rendez-vous @ 14 h", "fr") == []


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("Voir https://www.exemple.fr/page?id=3.", "https://www.exemple.fr/page?id=3"),
        ("site www.tilleuls-exemple.fr)", "www.tilleuls-exemple.fr"),
        ("on example-shop.co.uk today", "example-shop.co.uk"),
    ],
)
def test_urls(text: str, url: str) -> None:
    assert spans(find_urls(text, "en"), text) == [url]


def test_file_names_are_not_urls() -> None:
    assert find_urls("le fichier contrat.pdf et note.docx", "fr") == []


@pytest.mark.parametrize(
    "phone",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "0612345678",
        "+33 6 12 34 56 78",
        "+33 (0)6 12 34 56 78",
        "0033 6 12 34 56 78",
        "+44 20 7946 0958",
        "+1 415 555 0100",
        "+32 2 123 45 67",
    ],
)
def test_phones(phone: str) -> None:
    text = f"Tél. : {phone}."
    assert phone in spans(find_phones(text, "fr"), text)


@pytest.mark.parametrize("phone", ["020 7946 0958", "07700 900123", "(415) 555-0100"])
def test_english_national_phones(phone: str) -> None:
    text = f"Call {phone} today"
    assert spans(find_phones(text, "en"), text) == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "12 345 euros",
        "RG 23/04512",
        "dossier 2024-0087",
        "1 250 000 €",
        "06 12 34 5",
        "01 2345 6784",
        "le 12/03/2024",
        "+1 234 567 890 euros",
    ],
)
def test_not_phones(text: str) -> None:
    assert find_phones(text, "fr") == []


def test_ips() -> None:
    text = (
        "depuis 192.168.1.10, 2001:db8::1 et fe80::1ff:fe23:4567:890a ; pas 999.1.1.1 ni 12:30:00"
    )
    assert spans(find_ips(text, "fr"), text) == [
        "192.168.1.10",
        "2001:db8::1",
        "fe80::1ff:fe23:4567:890a",
    ]


def test_version_numbers_and_phone_dots_are_not_ips() -> None:
    assert find_ips("version 1.2.3 ; tél. 01.23.45.67.89", "fr") == []


def test_ibans_with_trailing_word_and_checksum() -> None:
    text = "IBAN FR92 5260 1815 9083 0166 1318 609 ABCD puis FR92 5260 1815 9083 0166 1318 608."
    assert spans(find_ibans(text, "fr"), text) == ["FR92 5260 1815 9083 0166 1318 609"]
    lower = "iban fr92 5260 1815 9083 0166 1318 609 pour le loyer"
    assert spans(find_ibans(lower, "fr"), lower) == ["fr92 5260 1815 9083 0166 1318 609"]
    compact = "iban GB49NWBK98682828807290"
    assert spans(find_ibans(compact, "en"), compact) == ["GB49NWBK98682828807290"]


def test_nirs() -> None:
    text = "NIR 2 84 06 13 046 286 71, faux 2 84 06 13 046 286 72, Corse 2 42 03 2A 139 774 96."
    assert spans(find_nirs(text, "fr"), text) == ["2 42 03 2A 139 774 96", "2 84 06 13 046 286 71"]
    compact = "n° 284061304628671"
    assert spans(find_nirs(compact, "fr"), compact) == ["284061304628671"]
    assert find_nirs(text, "en")[0].replacement == "[SOCIAL SECURITY NUMBER]"


def test_siren_and_siret() -> None:
    text = "SIREN 834 782 450, SIRET 834 782 450 00011, faux 834 782 451 et 83478245000012."
    assert spans(find_sirens(text, "fr"), text) == ["834 782 450"]
    assert spans(find_sirets(text, "fr"), text) == ["834 782 450 00011"]


@pytest.mark.parametrize("amount", ["834 782 450 euros", "834 782 450 €", "1 834 782 450"])
def test_amounts_are_not_sirens(amount: str) -> None:
    assert find_sirens(amount, "fr") == []


@pytest.mark.parametrize("plate", ["AB-123-CD", "FG 482 KT", "GH215ZB", "4521 TZ 75", "872 ABC 2A"])
def test_french_plates(plate: str) -> None:
    text = f"véhicule {plate} garé"
    assert spans(find_plates(text, "fr"), text) == [plate]


def test_uk_plate_and_not_plates() -> None:
    text = "van KX19 HBT, but not 2019 GBP 50 nor AB-123-C or IO-123-OO"
    assert spans(find_plates(text, "en"), text) == ["KX19 HBT"]


@pytest.mark.parametrize(
    "date",
    [
        "12 mars 1984",
        "1er janvier 2024",
        "lundi 5 février 2024",
        "12 déc. 2023",
        "12/03/1984",
        "12.03.84",
        "1984-03-12",
        "2024-03-12T10:30",
        "March 12, 1984",
        "12th of March 1984",
        "Monday, April 8, 2024",
        "Jan. 15, 2024",
    ],
)
def test_dates(date: str) -> None:
    text = f"Le {date}, rien."
    assert spans(find_dates(text, "fr"), text) == [date]


@pytest.mark.parametrize(
    "text", ["mars 2023", "en 1984", "32/01/2020", "12/13/2020", "RG 23/04512", "score 3-1"]
)
def test_not_exact_dates(text: str) -> None:
    assert find_dates(text, "fr") == []


@pytest.mark.parametrize(
    "address",
    [
        "12 rue des Lilas",
        "12 rue des Lilas, 69003 Lyon",
        "4 bis, avenue Jean-Jaurès, 13005 Marseille",
        "3 place de la République 75011 Paris CEDEX",
        "8 chemin de la Croix-Rousse",
        "25 allée des Peupliers, 31400 Toulouse",
        "47 quai de la Loire, 75019 Paris",
        "5 rue du 8 Mai 1945",
        "3 impasse des Glycines",
        "18 Bd Haussmann",
    ],
)
def test_french_addresses(address: str) -> None:
    text = f"domicilié au {address}. Il"
    assert spans(find_addresses(text, "fr"), text) == [address]


@pytest.mark.parametrize(
    "address",
    ["14 Baker Street", "Flat 2, 14 Baker Street, London NW1 6XE", "221B Baker St", "5 Park Lane"],
)
def test_english_addresses(address: str) -> None:
    text = f"lives at {address}, she"
    assert spans(find_addresses(text, "en"), text) == [address]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("il habite au 5 rue de la paix depuis", "5 rue de la paix"),
        ("domiciliée 12 avenue des fleurs, 69003 Lyon.", "12 avenue des fleurs, 69003 Lyon"),
        ("adresse : 3 impasse du moulin", "3 impasse du moulin"),
    ],
)
def test_lower_case_addresses_after_a_cue(text: str, address: str) -> None:
    assert spans(find_addresses(text, "fr"), text) == [address]


def test_not_addresses() -> None:
    for text in [
        "la rue des Lilas est calme",
        "3 rues plus loin",
        "12 places de parking",
        "il y a 1 place de parking",
    ]:
        assert find_addresses(text, "fr") == [], text


def test_postcodes() -> None:
    text = "CP 69003, code postal : 13001, 75011 Paris, mais 15000 euros et 12345."
    assert spans(find_postcodes(text, "fr"), text) == ["13001", "69003", "75011"]
    uk = "postcode SW1A 1AA and M1 1AE"
    assert spans(find_postcodes(uk, "en"), uk) == ["M1 1AE", "SW1A 1AA"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_placeholders_follow_the_language(language: Language) -> None:
    (found,) = find_phones("06 12 34 56 78", language)
    assert found.kind is Kind.PHONE
    assert found.replacement == {"fr": "[TÉLÉPHONE]", "en": "[PHONE]"}[language]
