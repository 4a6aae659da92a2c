"""The rules every string a client sends must follow, in one place.

- No control character anywhere: not in a JSON string of a body, a query value
  or a path id. PostgreSQL refuses NUL outright, and nothing a person types
  into a name, an e-mail or a title holds one. Free text (descriptions, notes,
  summaries, notices) may hold tab, line feed and carriage return; single-line
  fields may not.
- Lengths and patterns apply to the string as sent; surrounding whitespace is
  removed afterwards. So the OpenAPI document, generated from the same models,
  says exactly what is accepted.

The request models (``server.rest.api.Strict`` and ``server.rest.api.Query``) apply
:func:`check_text` to every string they receive, whatever the field's type,
and the OpenAPI generator gives every string without a pattern of its own the
pattern of that rule (:data:`TEXT`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from server.invites.links import MAX_TOKEN_LENGTH

# Regex pieces (the same text is valid for Python, the Rust engine of pydantic and ECMA).
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 but tab, LF, CR; DEL; C1
_BREAKS = r"\t\n\r"
# What str.strip() removes besides control characters.
_SPACES = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

TEXT = rf"^[^{_CONTROLS}]*$"
"""Free text: no control character but tab, line feed and carriage return."""
LINE = rf"^[^{_CONTROLS}{_BREAKS}]*$"
"""One line: no control character at all."""
FILLED_LINE = rf"^[{_SPACES}]*[^{_CONTROLS}{_BREAKS}{_SPACES}][^{_CONTROLS}{_BREAKS}]*$"
"""One line with something else than spaces in it."""
FILLED_TEXT = rf"^[{_SPACES}{_BREAKS}]*[^{_CONTROLS}{_BREAKS}{_SPACES}][^{_CONTROLS}]*$"
"""Free text with something else than spaces in it."""
ID = r"^[A-Za-z0-9_-]{1,64}$"
"""A path id (case, session, participant, link, note, file, document)."""
EMAIL = rf"^[^@{_CONTROLS}{_BREAKS}{_SPACES}]+@[^@{_CONTROLS}{_BREAKS}{_SPACES}]+\.[^@{_CONTROLS}{_BREAKS}{_SPACES}]+$"  # noqa: E501

_FORBIDDEN = re.compile(rf"[{_CONTROLS}]")
_ID = re.compile(ID)


def _strip(value: str) -> str:
    return value.strip()


STRIP = AfterValidator(_strip)
"""Removes surrounding whitespace once the string as sent has been validated."""

Email = Annotated[str, StringConstraints(max_length=254, pattern=EMAIL)]
Name = Annotated[str, StringConstraints(max_length=120, pattern=FILLED_LINE), STRIP]
Title = Annotated[str, StringConstraints(max_length=200, pattern=FILLED_LINE), STRIP]
Token = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TOKEN_LENGTH, pattern=LINE)]
"""A personal link's token, as the join page read it from the link."""


def check_text(value: Any) -> None:
    """Refuses a control character (other than tab, LF, CR) in any string of ``value``
    (a nested request model checks its own fields)."""
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise PydanticCustomError("control_character", "control characters are not allowed")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            check_text(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            check_text(item)


def is_id(value: str) -> bool:
    return _ID.match(value) is not None


class RequestSchema(GenerateJsonSchema):
    """JSON Schema of a request model: every string without its own pattern gets the
    pattern the models enforce on every string (:data:`TEXT`)."""

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        json_schema = super().str_schema(schema)
        if "pattern" not in json_schema and "format" not in json_schema:
            json_schema["pattern"] = TEXT
        return json_schema
