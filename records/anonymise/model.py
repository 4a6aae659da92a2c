"""Value objects of free-text anonymisation: kinds, placeholders, replacements, results.

A result keeps the original text and the list of replacements applied to it,
so that a user interface can highlight each one, revert a false positive or
add a manual redaction, and render again (see :mod:`records.anonymise.editing`).
Offsets are Python string indices (code points) into the *original* text;
``output_start``/``output_end`` are the same span in the rendered text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")


class Kind(StrEnum):
    """What a replaced span was."""

    PERSON = "PERSON"
    ORGANISATION = "ORGANISATION"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    ADDRESS = "ADDRESS"
    PLACE = "PLACE"
    POSTCODE = "POSTCODE"
    IBAN = "IBAN"
    NIR = "NIR"
    SIREN = "SIREN"
    SIRET = "SIRET"
    DATE = "DATE"
    PLATE = "PLATE"
    URL = "URL"
    IP = "IP"
    DOCKET = "DOCKET"
    ID_CARD = "ID_CARD"
    PASSPORT = "PASSPORT"
    CAF = "CAF"
    TAX_ID = "TAX_ID"
    CARD = "CARD"
    NINO = "NINO"
    NHS = "NHS"
    SSN = "SSN"
    AGE = "AGE"
    MANUAL = "MANUAL"


PLACEHOLDERS: dict[Language, dict[Kind, str]] = {
    "fr": {
        Kind.PERSON: "[PERSONNE]",
        Kind.ORGANISATION: "[ORGANISATION]",
        Kind.EMAIL: "[EMAIL]",
        Kind.PHONE: "[TÉLÉPHONE]",
        Kind.ADDRESS: "[ADRESSE]",
        Kind.PLACE: "[LIEU]",
        Kind.POSTCODE: "[CODE POSTAL]",
        Kind.IBAN: "[IBAN]",
        Kind.NIR: "[NIR]",
        Kind.SIREN: "[SIREN]",
        Kind.SIRET: "[SIRET]",
        Kind.DATE: "[DATE]",
        Kind.PLATE: "[PLAQUE]",
        Kind.URL: "[URL]",
        Kind.IP: "[IP]",
        Kind.DOCKET: "[NUMÉRO DE DOSSIER]",
        Kind.ID_CARD: "[NUMÉRO DE CNI]",
        Kind.PASSPORT: "[NUMÉRO DE PASSEPORT]",
        Kind.CAF: "[NUMÉRO CAF]",
        Kind.TAX_ID: "[NUMÉRO FISCAL]",
        Kind.CARD: "[CARTE BANCAIRE]",
        Kind.NINO: "[NUMÉRO NI]",
        Kind.NHS: "[NUMÉRO NHS]",
        Kind.SSN: "[NUMÉRO SSN]",
        Kind.AGE: "[ÂGE]",
        Kind.MANUAL: "[EXPURGÉ]",
    },
    "en": {
        Kind.PERSON: "[PERSON]",
        Kind.ORGANISATION: "[ORGANISATION]",
        Kind.EMAIL: "[EMAIL]",
        Kind.PHONE: "[PHONE]",
        Kind.ADDRESS: "[ADDRESS]",
        Kind.PLACE: "[PLACE]",
        Kind.POSTCODE: "[POSTCODE]",
        Kind.IBAN: "[IBAN]",
        Kind.NIR: "[SOCIAL SECURITY NUMBER]",
        Kind.SIREN: "[SIREN]",
        Kind.SIRET: "[SIRET]",
        Kind.DATE: "[DATE]",
        Kind.PLATE: "[PLATE]",
        Kind.URL: "[URL]",
        Kind.IP: "[IP]",
        Kind.DOCKET: "[CASE NUMBER]",
        Kind.ID_CARD: "[ID CARD NUMBER]",
        Kind.PASSPORT: "[PASSPORT NUMBER]",
        Kind.CAF: "[BENEFITS NUMBER]",
        Kind.TAX_ID: "[TAX NUMBER]",
        Kind.CARD: "[CARD NUMBER]",
        Kind.NINO: "[NATIONAL INSURANCE NUMBER]",
        Kind.NHS: "[NHS NUMBER]",
        Kind.SSN: "[SSN]",
        Kind.AGE: "[AGE]",
        Kind.MANUAL: "[REDACTED]",
    },
}


def check_language(language: str) -> Language:
    """Return ``language`` as a :data:`Language`, or raise ``ValueError``."""
    if language == "fr":
        return "fr"
    if language == "en":
        return "en"
    raise ValueError(f"unsupported language {language!r}: expected 'fr' or 'en'")


def placeholder(kind: Kind, language: Language) -> str:
    """The typed placeholder that stands for ``kind`` in ``language``."""
    return PLACEHOLDERS[language][kind]


class Reason(StrEnum):
    """Why a rule or the model took a span for a person or place the case does not list.

    Such a replacement is a *suggestion*: the mediator accepts or rejects it
    in the review (a rejected one is remembered for the case).
    """

    TITLE = "title"  # "Mme Vidal", "Dr Aubert", "Judge Hayes"
    JUDGE = "judge"  # "le juge aux affaires familiales, Mme Vidal"
    RELATIONSHIP = "relationship"  # "sa fille Léa", "their son Jack"
    CHILDREN_LIST = "children_list"  # "parents de Léa (8 ans) et de Hugo"
    BIRTH_NAME = "birth_name"  # "née Chevalier"
    FIRST_NAME = "first_name"  # a first name of the lexicon
    SAME_PERSON = "same_person"  # a later mention of a person found by another cue
    INSTITUTION = "institution"  # "l'école Jean-Moulin de Rodez", "le CHU de Toulouse"
    PLACE_CUE = "place_cue"  # "habite à Onet-le-Château", "lives in Harrogate"
    MODEL = "model"  # found by the named-entity model, kept by the rules' filters


@dataclass(frozen=True, slots=True)
class Candidate:
    """A span proposed by a recogniser, before overlaps are resolved."""

    start: int
    end: int
    kind: Kind
    replacement: str
    priority: int = 0
    reason: Reason | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad span {self.start}..{self.end}")


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replaced span: ``original[start:end]`` became ``replacement``."""

    id: str
    start: int
    end: int
    kind: Kind
    original: str
    replacement: str
    source: Literal["auto", "manual"] = "auto"
    output_start: int = 0
    output_end: int = 0
    reason: Reason | None = None

    @property
    def suggestion(self) -> bool:
        """Found by a rule about people or places the case does not list."""
        return self.reason is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "kind": self.kind.value,
            "original": self.original,
            "replacement": self.replacement,
            "source": self.source,
            "output_start": self.output_start,
            "output_end": self.output_end,
            "reason": self.reason.value if self.reason else None,
        }


@dataclass(frozen=True, slots=True)
class AnonymisedText:
    """The anonymised ``text`` of ``original``, with every replacement applied.

    ``reverted`` keeps the replacements a user undid, so that they can be
    restored; they are not applied to ``text``.
    """

    original: str
    language: Language
    text: str
    replacements: tuple[Replacement, ...]
    reverted: tuple[Replacement, ...] = field(default=())

    def by_id(self, replacement_id: str) -> Replacement:
        for item in (*self.replacements, *self.reverted):
            if item.id == replacement_id:
                return item
        raise ValueError(f"no replacement with id {replacement_id!r}")

    def to_dict(self, *, include_original: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; the original text only when asked for."""
        data: dict[str, Any] = {
            "language": self.language,
            "text": self.text,
            "replacements": [r.to_dict() for r in self.replacements],
            "reverted": [r.to_dict() for r in self.reverted],
        }
        if include_original:
            data["original"] = self.original
        return data
