"""The public request form's rules, field by field: what each field must hold, and why
it is refused (a reason code per field, which the page shows in its own language next to
the field, and an English sentence for whoever reads the API).

Pure: the body as received (strings, already free of control characters) in, the
problems out. What the form may hold is decided here and only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from records.stores.cases import MediationType
from records.stores.requests import PURPOSES

NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 30
CONTACT_MAX = 254
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 4000
LANGUAGES = ("fr", "en")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{5,28}$")

MESSAGES = {
    "required": "is required",
    "too_long": "is too long",
    "too_short": "is too short",
    "one_line": "must be on one line",
    "invalid_email": "is not an e-mail address",
    "invalid_phone": "is not a phone number",
    "unknown_kind": "is not a kind of dispute this service handles",
    "unknown_language": "must be fr or en",
    "consent_required": "this consent is needed to handle the request",
    "unknown_purpose": "names a consent that does not exist",
    "outdated_notice": "names a version of the notice that does not exist: reload the page",
}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str  # a key of MESSAGES

    @property
    def message(self) -> str:
        return f"{self.field}: {MESSAGES[self.reason]}"

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason, "message": self.message}


@dataclass(frozen=True)
class Form:
    name: str
    email: str
    phone: str
    other_name: str
    other_contact: str
    kind: str
    description: str
    language: str
    notice_version: int
    agreed: list[str]


def _line(field: str, value: str, limit: int, *, required: bool) -> list[FieldProblem]:
    if not value:
        return [FieldProblem(field, "required")] if required else []
    if len(value) > limit:
        return [FieldProblem(field, "too_long")]
    if "\n" in value or "\r" in value or "\t" in value:
        return [FieldProblem(field, "one_line")]
    return []


def check(form: Form) -> list[FieldProblem]:
    """Every problem of the form, in the order of its fields (values already stripped)."""
    out = _line("name", form.name, NAME_MAX, required=True)
    email = _line("email", form.email, EMAIL_MAX, required=True)
    if not email and not _EMAIL.match(form.email):
        email = [FieldProblem("email", "invalid_email")]
    out += email
    phone = _line("phone", form.phone, PHONE_MAX, required=False)
    if not phone and form.phone and not _PHONE.match(form.phone):
        phone = [FieldProblem("phone", "invalid_phone")]
    out += phone
    out += _line("other_name", form.other_name, NAME_MAX, required=False)
    out += _line("other_contact", form.other_contact, CONTACT_MAX, required=False)
    if not form.kind:
        out.append(FieldProblem("kind", "required"))
    elif form.kind not in {k.value for k in MediationType}:
        out.append(FieldProblem("kind", "unknown_kind"))
    if not form.description:
        out.append(FieldProblem("description", "required"))
    elif len(form.description) < DESCRIPTION_MIN:
        out.append(FieldProblem("description", "too_short"))
    elif len(form.description) > DESCRIPTION_MAX:
        out.append(FieldProblem("description", "too_long"))
    if form.language not in LANGUAGES:
        out.append(FieldProblem("language", "unknown_language"))
    known = {p.name for p in PURPOSES}
    if any(a not in known for a in form.agreed):
        out.append(FieldProblem("agreed", "unknown_purpose"))
    for p in PURPOSES:
        if p.required and p.name not in form.agreed:
            out.append(FieldProblem(f"agreed.{p.name}", "consent_required"))
    return out
