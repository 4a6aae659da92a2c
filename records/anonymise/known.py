"""The names known to a case, and the label that replaces each one.

People carry a role label ("Partie A", "Conseil de la partie A", "le
médiateur"); organisations a pseudonym ("Société X"). ``aliases`` are other
names the same person or organisation goes by (a nickname, a trade name, an
acronym) and are replaced in the same way. :meth:`KnownNames.from_dict` reads
the ``NAMES.json`` structure used by the command line and raises
``ValueError`` with a readable message on anything malformed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_NAME_LENGTH = 200
MAX_ENTRIES = 500


@dataclass(frozen=True, slots=True)
class KnownPerson:
    name: str
    label: str
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_text("person name", self.name)
        _check_text("person label", self.label)
        for alias in self.aliases:
            _check_text("person alias", alias)


@dataclass(frozen=True, slots=True)
class KnownOrganisation:
    name: str
    label: str
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_text("organisation name", self.name)
        _check_text("organisation label", self.label)
        for alias in self.aliases:
            _check_text("organisation alias", alias)


@dataclass(frozen=True, slots=True)
class KnownNames:
    people: tuple[KnownPerson, ...] = field(default=())
    organisations: tuple[KnownOrganisation, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: object) -> KnownNames:
        """Read ``{"people": [{"name", "label", "aliases"?}], "organisations": [...]}``."""
        if not isinstance(data, Mapping):
            raise ValueError("the names file must hold a JSON object")
        unknown = set(data) - {"people", "organisations"}
        if unknown:
            raise ValueError(
                f"unknown key(s) in names file: {', '.join(sorted(map(str, unknown)))}"
            )
        people = tuple(
            KnownPerson(*_entry("people", i, item)) for i, item in enumerate(_list(data, "people"))
        )
        organisations = tuple(
            KnownOrganisation(*_entry("organisations", i, item))
            for i, item in enumerate(_list(data, "organisations"))
        )
        return cls(people, organisations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "people": [
                {"name": p.name, "label": p.label, "aliases": list(p.aliases)} for p in self.people
            ],
            "organisations": [
                {"name": o.name, "label": o.label, "aliases": list(o.aliases)}
                for o in self.organisations
            ],
        }


def _check_text(what: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{what} is longer than {MAX_NAME_LENGTH} characters")
    if not any(c.isalpha() for c in value):
        raise ValueError(f"{what} {value!r} has no letter")


def _list(data: Mapping[Any, Any], key: str) -> Sequence[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key!r} must be a list")
    if len(value) > MAX_ENTRIES:
        raise ValueError(f"{key!r} has more than {MAX_ENTRIES} entries")
    return value


def _entry(key: str, index: int, item: object) -> tuple[str, str, tuple[str, ...]]:
    where = f"{key}[{index}]"
    if not isinstance(item, Mapping):
        raise ValueError(f"{where} must be an object with 'name' and 'label'")
    unknown = set(item) - {"name", "label", "aliases"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    name, label, aliases = item.get("name"), item.get("label"), item.get("aliases", [])
    if not isinstance(name, str) or not isinstance(label, str):
        raise ValueError(f"{where} needs string 'name' and 'label'")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValueError(f"{where}: 'aliases' must be a list of strings")
    try:
        _check_text("name", name)
        _check_text("label", label)
        for alias in aliases:
            _check_text("alias", alias)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return name, label, tuple(aliases)
