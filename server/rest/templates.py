"""The organisation's templates of the agreement texts, and a text made from one for a case.

Every mediator reads the templates; only an organisation administrator saves a new
version or goes back to the built-in text (``admin=True``: the route registry checks it).
A template that names a field that does not exist is refused (400, the names in the
message). Filling one for a case is for the case's mediators: the parties' and
mediators' names, the case reference, today's date in the given time zone, and for the
report to the judge whether an agreement was reached once the case is closed; a field
with no value comes out as a blank line to fill by hand.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field, StringConstraints

from errors import ErrorCode
from records.agreements.documents import FIELDS, canonical, fields_in, fill, text_sha256
from records.agreements.fields import case_fields
from records.agreements.templates import KINDS, LANGUAGES, Template, TemplateVersion
from records.errors import NotFound
from records.models import utcnow
from records.stores.outcomes import CaseOutcome
from server.context import require_mediator, services
from server.errors import ApiError
from server.rest.api import Api, Out, Query, Strict, reply
from server.rest.fields import TEXT
from server.rest.shared import via, zone

logger = logging.getLogger(__name__)

Language = Literal["fr", "en"]


class TemplateOut(Out):
    kind: str
    language: str
    version: int = Field(description="0: the built-in text, never edited")
    built_in: bool
    body: str
    sha256: str
    edited_by: str
    edited_at: datetime | None


class TemplateListOut(Out):
    templates: list[TemplateOut]
    fields: list[str]


class VersionOut(Out):
    version: int
    sha256: str
    built_in: bool
    edited_by: str
    edited_at: datetime


class TemplateDetailOut(TemplateOut):
    fields: list[str]
    history: list[VersionOut]


class TemplateIn(Strict):
    body: Annotated[str, StringConstraints(min_length=1, max_length=60_000, pattern=TEXT)]


class BlockOut(Out):
    kind: str
    text: str


class FilledOut(Out):
    kind: str
    language: str
    template_version: int
    blocks: list[BlockOut]
    text: str = Field(description="The filled text in its written form (what is frozen)")
    sha256: str
    blank: list[str] = Field(description="The fields left blank, to fill by hand")


class FillQuery(Query):
    language: Language = "fr"
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Europe/Paris"


def _out(t: Template) -> TemplateOut:
    return TemplateOut(
        kind=t.kind, language=t.language, version=t.version, built_in=t.built_in, body=t.body,
        sha256=t.sha256, edited_by=t.edited_by, edited_at=t.edited_at,
    )  # fmt: skip


def _version(v: TemplateVersion) -> VersionOut:
    return VersionOut(version=v.version, sha256=v.sha256, built_in=v.built_in,
                      edited_by=v.edited_by, edited_at=v.edited_at)  # fmt: skip


def _which(request: web.Request) -> tuple[str, str]:
    kind, language = request.match_info["kind"], request.match_info.get("language", "")
    if kind not in KINDS or (language and language not in LANGUAGES):
        raise ApiError(ErrorCode.NOT_FOUND, "no such template")
    return kind, language


async def list_templates(request: web.Request) -> web.Response:
    await require_mediator(request)
    current = await services(request).records.templates.list_current()
    return reply(TemplateListOut(templates=[_out(t) for t in current], fields=list(FIELDS)))


async def _detail(request: web.Request, kind: str, language: str) -> TemplateDetailOut:
    templates = services(request).records.templates
    current = await templates.current(kind, language)
    history = await templates.history(kind, language)
    return TemplateDetailOut(
        **_out(current).model_dump(), fields=list(FIELDS),
        history=[_version(v) for v in history],
    )  # fmt: skip


async def get_template(request: web.Request) -> web.Response:
    await require_mediator(request)
    kind, language = _which(request)
    return reply(await _detail(request, kind, language))


async def _audit(request: web.Request, actor: str, action: str, t: Template) -> None:
    await services(request).records.audit.append(
        actor=actor, action=action, case_id=None, session_id=None,
        subject=f"{t.kind}:{t.language}", detail={"version": t.version, "sha256": t.sha256},
        via=via(request),
    )  # fmt: skip
    logger.info("template %s/%s: version %d (%s)", t.kind, t.language, t.version, action)


async def save_template(request: web.Request, body: TemplateIn) -> web.Response:
    """A new version of the template (administrators only)."""
    me = await require_mediator(request)
    kind, language = _which(request)
    actor = f"mediator:{me.id}"
    saved = await services(request).records.templates.save(
        kind, language, body.body, edited_by=actor
    )
    await _audit(request, actor, "template.save", saved)
    return reply(await _detail(request, kind, language))


async def reset_template(request: web.Request) -> web.Response:
    """Back to the built-in text, as a new version (administrators only)."""
    me = await require_mediator(request)
    kind, language = _which(request)
    actor = f"mediator:{me.id}"
    saved = await services(request).records.templates.reset(kind, language, edited_by=actor)
    await _audit(request, actor, "template.reset", saved)
    return reply(await _detail(request, kind, language))


async def fill_for_case(request: web.Request, query: FillQuery) -> web.Response:
    """The template filled with the case's fields (the case's mediators only)."""
    me = await require_mediator(request)
    kind, _ = _which(request)
    svc = services(request)
    case = await svc.cases.get_case_header(request.match_info["case_id"], me.id)
    outcome: CaseOutcome | None = None
    try:
        outcome = await svc.records.outcomes.get_outcome(case.id, me.id)
    except NotFound:
        outcome = None
    today = utcnow().astimezone(zone(query.timezone)).date()
    organisation = svc.config.seal.organisation_name
    values = case_fields(
        case, language=query.language, today=today, organisation=organisation,
        outcome=outcome.outcome if outcome else None,
        court_reference=outcome.court_reference if outcome else None,
    )  # fmt: skip
    template = await svc.records.templates.current(kind, query.language)
    document = fill(template.body, values)
    used = set(fields_in(template.body))
    blank = [name for name in FIELDS if name in used and not values.get(name, "").strip()]
    return reply(
        FilledOut(
            kind=kind, language=query.language, template_version=template.version,
            blocks=[BlockOut(kind=b.kind.value, text=b.text) for b in document],
            text=canonical(document), sha256=text_sha256(document), blank=blank,
        )
    )  # fmt: skip


def register_routes(api: Api) -> None:
    tag = "templates"
    one = "/api/templates/{kind}/{language}"
    api.add("GET", "/api/templates", list_templates, tag=tag, response=TemplateListOut,
            summary="The organisation's templates of the agreement texts")  # fmt: skip
    api.add("GET", one, get_template, tag=tag, response=TemplateDetailOut,
            summary="One template as it is now, with its versions")  # fmt: skip
    api.add("PUT", one, save_template, tag=tag, body=TemplateIn, response=TemplateDetailOut,
            admin=True, summary="Save a new version of a template")  # fmt: skip
    api.add("POST", f"{one}/reset", reset_template, tag=tag, response=TemplateDetailOut,
            admin=True, summary="Go back to the built-in text (a new version)")  # fmt: skip
    api.add("GET", "/api/cases/{case_id}/templates/{kind}", fill_for_case, tag=tag,
            query=FillQuery, response=FilledOut,
            summary="A template filled with the case's fields (?language=fr|en)")  # fmt: skip
