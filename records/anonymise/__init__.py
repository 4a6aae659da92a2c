"""Anonymised case summaries and practice statistics (pure, offline core).

* :func:`anonymise` replaces the names known to a case (with their variants)
  and personal identifiers in French or English free text, and returns an
  :class:`AnonymisedText` listing every replacement; :func:`add_redaction`,
  :func:`revert` and :func:`restore` edit it and render again.
* :mod:`~records.anonymise.generalise` turns structured fields into coarser
  ones (month and year, ten-year age bands, département or region).
* :func:`practice_report` counts closed cases with k-anonymity.
"""

from __future__ import annotations

from records.anonymise.editing import add_redaction, rerender, restore, revert
from records.anonymise.engine import anonymise, detect, render, resolve
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
    Departement,
    departement,
    departement_of_postcode,
    departement_of_town,
)
from records.anonymise.known import KnownNames, KnownOrganisation, KnownPerson
from records.anonymise.model import (
    PLACEHOLDERS,
    AnonymisedText,
    Candidate,
    Kind,
    Language,
    Replacement,
    placeholder,
)
from records.anonymise.stats import (
    DEFAULT_K,
    OTHER,
    CaseRecord,
    CountTable,
    CrossTable,
    Report,
    count_table,
    cross_table,
    practice_report,
)

__all__ = [
    "DEFAULT_K",
    "DEPARTEMENTS",
    "OTHER",
    "PLACEHOLDERS",
    "REGIONS",
    "AnonymisedText",
    "Candidate",
    "CaseRecord",
    "CountTable",
    "CrossTable",
    "Departement",
    "Kind",
    "KnownNames",
    "KnownOrganisation",
    "KnownPerson",
    "Language",
    "Replacement",
    "Report",
    "Rule",
    "add_redaction",
    "age_at",
    "age_band",
    "anonymise",
    "count_table",
    "cross_table",
    "departement",
    "departement_of_postcode",
    "departement_of_town",
    "detect",
    "generalise_fields",
    "month_label",
    "month_of",
    "place_of",
    "placeholder",
    "practice_report",
    "render",
    "rerender",
    "resolve",
    "restore",
    "revert",
]
