"""Generalisation of structured fields: exact dates to month and year, ages to bands,
towns and postcodes to département or region.

Each function is pure and raises ``ValueError`` on input it cannot
generalise (rather than passing it through, which would leak it).
:func:`generalise_fields` applies a rule per field to a whole record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from records.anonymise.geography import departement_of_postcode, departement_of_town
from records.anonymise.model import Language, check_language

MAX_AGE = 130

_MONTHS: dict[Language, tuple[str, ...]] = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December",
    ),
}  # fmt: skip


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            raise ValueError(f"not an ISO date: {value!r}") from None
    raise ValueError(f"not a date: {value!r}")


def month_of(value: date | datetime | str) -> str:
    """The month and year of a date, as ``"YYYY-MM"``."""
    day = _as_date(value)
    return f"{day.year:04d}-{day.month:02d}"


def month_label(value: date | datetime | str, language: str) -> str:
    """The month and year in words: ``"mars 2023"``, ``"March 2023"``."""
    day = _as_date(value)
    return f"{_MONTHS[check_language(language)][day.month - 1]} {day.year}"


def age_at(birth: date | datetime | str, on: date | datetime | str) -> int:
    """Age in whole years on a given day."""
    born, today = _as_date(birth), _as_date(on)
    if born > today:
        raise ValueError("birth date after the reference date")
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def age_band(age: int, width: int = 10, top: int | None = 80) -> str:
    """The band of ``age``: ``"30–39"`` for width 10; ages from ``top`` on are ``"80+"``."""
    if isinstance(age, bool) or not isinstance(age, int):
        raise ValueError(f"age must be an integer, not {age!r}")
    if not 0 <= age <= MAX_AGE:
        raise ValueError(f"age out of range: {age}")
    if width < 1:
        raise ValueError("band width must be at least 1")
    if top is not None and age >= top:
        return f"{top}+"
    low = age - age % width
    return f"{low}–{low + width - 1}"


def place_of(
    town: str | None = None,
    postcode: str | None = None,
    level: Literal["departement", "region"] = "departement",
) -> str:
    """A town and/or postcode generalised to its département ("Rhône (69)") or region."""
    if town is None and postcode is None:
        raise ValueError("need a town or a postcode")
    if town is not None and town.strip():
        dept = departement_of_town(town, postcode)
    elif postcode is not None:
        dept = departement_of_postcode(postcode)
    else:
        raise ValueError("need a town or a postcode")
    if level == "region":
        return dept.region
    if level == "departement":
        return f"{dept.name} ({dept.code})"
    raise ValueError(f"unknown level {level!r}")


class Rule(StrEnum):
    """How :func:`generalise_fields` treats one field."""

    KEEP = "keep"
    DROP = "drop"
    MONTH = "month"
    AGE_BAND = "age_band"
    DEPARTEMENT = "departement"
    REGION = "region"


def generalise_fields(
    record: Mapping[str, object], rules: Mapping[str, Rule | str]
) -> dict[str, object]:
    """Apply a rule per field; a field without a rule is dropped (data minimisation).

    A town field may be given as ``"Lyon"`` or ``"69003 Lyon"``; a postcode
    alone works too. ``None`` stays ``None``.
    """
    out: dict[str, object] = {}
    for key, raw_rule in rules.items():
        rule = Rule(raw_rule)
        if rule is Rule.DROP or key not in record:
            continue
        value = record[key]
        if value is None or rule is Rule.KEEP:
            out[key] = value
        elif rule is Rule.MONTH:
            out[key] = month_of(_date_like(key, value))
        elif rule is Rule.AGE_BAND:
            if not isinstance(value, int):
                raise ValueError(f"field {key!r}: age must be an integer")
            out[key] = age_band(value)
        else:
            if not isinstance(value, str):
                raise ValueError(f"field {key!r}: expected a town or postcode")
            level: Literal["departement", "region"] = (
                "region" if rule is Rule.REGION else "departement"
            )
            out[key] = _place(value, level)
    return out


def _date_like(key: str, value: object) -> date | datetime | str:
    if isinstance(value, date | str):
        return value
    raise ValueError(f"field {key!r}: expected a date")


def _place(value: str, level: Literal["departement", "region"]) -> str:
    head, _, rest = value.strip().partition(" ")
    if head.isdigit() and len(head) == 5:
        return place_of(rest or None, head, level)
    return place_of(value, None, level)
