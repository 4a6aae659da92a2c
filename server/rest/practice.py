"""Closing a case, the report to the judge, anonymised summaries and practice statistics.

Only the case's mediators reach a case's closing, review and exports (checked
in the records layer, which answers "not found" to anyone else); statistics
cover only the signed-in mediator's own closed cases. Every export is an
audit entry. An export is the document rendered when the review was
confirmed, stored encrypted, never the anonymiser run again with today's
names (an erased participant's name would no longer be replaced).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from errors import ErrorCode
from records.anonymise.geography import DEPARTEMENTS
from records.anonymise.model import AnonymisedText, Replacement
from records.anonymise.stats import DEFAULT_K, practice_report
from records.anonymise.summaries import (
    Facts,
    NamedPerson,
    court_report_html,
    court_report_text,
    decision_of,
    known_names,
    review,
    suggestion_key,
    summary_csv,
    summary_document,
    summary_html,
)
from records.errors import NotFound
from records.stores.cases import Case, MediationType
from records.stores.outcomes import (
    CaseOutcome,
    Closing,
    Confirmation,
    Outcome,
    PartyKind,
    Referral,
    check_edits,
)
from server.context import require_mediator, services
from server.errors import ApiError
from server.rest.api import Api, Out, Query, Strict, reply
from server.rest.fields import FILLED_LINE, STRIP, TEXT
from server.rest.shared import tell_sessions, via
from signaling.commands import SessionClosed

# the printable pages carry their own inline style and no script at all
PRINT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
STATS_FORMAT = "palabre-practice-stats"
STATS_VERSION = 1
MIN_K = 2
MAX_K = 100
Minutes = Annotated[int, Field(ge=1, le=24 * 60)]
Offset = Annotated[int, Field(ge=0, le=1_000_000)]


def _known_departement(code: str) -> str:
    if code not in DEPARTEMENTS:
        raise ValueError("unknown département code")
    return code


DepartementCode = Annotated[
    str, AfterValidator(_known_departement), WithJsonSchema({"enum": sorted(DEPARTEMENTS)})
]
OrgName = Annotated[str, StringConstraints(max_length=200, pattern=FILLED_LINE), STRIP]
Lang = Literal["fr", "en"]
CourtReference = Annotated[str, StringConstraints(max_length=64, pattern=FILLED_LINE), STRIP]


class ClosingIn(Strict):
    outcome: Outcome
    referral: Referral
    party_kinds: Annotated[list[PartyKind], Field(min_length=1, max_length=4)]
    departement: DepartementCode
    session_minutes: Annotated[list[Minutes], Field(max_length=100)]
    language: Literal["fr", "en"] = "fr"
    summary: Annotated[str, StringConstraints(max_length=20000, pattern=TEXT), STRIP] = ""
    organisations: Annotated[list[OrgName], Field(default_factory=list, max_length=20)]
    court_reference: CourtReference | None = None


class OutcomeOut(Out):
    outcome: Outcome
    referral: Referral
    party_kinds: list[PartyKind]
    departement: str
    region: str
    session_minutes: list[int]
    court_reference: str | None
    language: str
    closed_at: datetime
    judicial: bool
    confirmed: bool


class ClosingOut(Out):
    closed: bool
    judicial: bool
    scheduled_minutes: list[int] = Field(description="Lengths of the case's sessions (pre-fill)")
    outcome: OutcomeOut | None
    summary: str
    organisations: list[str]


class ReplacementOut(Out):
    id: str
    kind: str
    source: str
    original: str
    replacement: str
    start: int
    end: int
    output_start: int
    output_end: int
    reason: str | None = Field(
        description="For a suggestion (a person or place the case does not list, found by a "
        "rule): why the rule took it (title, judge, relationship, children_list, birth_name, "
        "first_name, same_person, institution, place_cue)"
    )
    decision: Literal["pending", "accept", "reject"] | None = Field(
        description="For a suggestion: the mediator's decision, remembered for the case"
    )


class Edit(Strict):
    op: Literal["redact", "revert", "restore"]
    start: Offset | None = None
    end: Offset | None = None
    id: Annotated[str, StringConstraints(max_length=15, pattern=r"^[A-Za-z0-9_-]*$")] | None = None


class ReviewIn(Strict):
    edits: Annotated[list[Edit], Field(max_length=500)]
    confirm: bool = False


class ReviewOut(Out):
    language: str
    original: str
    text: str
    replacements: list[ReplacementOut]
    reverted: list[ReplacementOut]
    edits: list[dict[str, Any]]
    confirmed: bool
    suggestions: list[ReplacementOut] = Field(
        description="People and places the case does not list, found by rules, in text order: "
        "the accepted and pending ones are replaced, the rejected ones left in clear"
    )


class SuggestionIn(Strict):
    decision: Literal["accept", "reject"]


class PlaceOut(Out):
    code: str
    name: str
    region: str


class PlacesOut(Out):
    departements: list[PlaceOut]


class StatsOut(Out):
    """``palabre-practice-stats`` v1; each table says what was merged or suppressed."""

    format: str
    version: int
    generated_at: str
    filters: dict[str, Any]
    k: int
    cases: int | None
    years: list[int]
    tables: list[dict[str, Any]]
    cross_tables: list[dict[str, Any]]


def _outcome_out(o: CaseOutcome) -> OutcomeOut:
    return OutcomeOut(
        outcome=o.outcome, referral=o.referral, party_kinds=list(o.party_kinds),
        departement=o.departement, region=o.region, session_minutes=list(o.session_minutes),
        court_reference=o.court_reference, language=o.language, closed_at=o.closed_at,
        judicial=o.judicial, confirmed=o.confirmed_at is not None,
    )  # fmt: skip


async def _case_and_me(request: web.Request) -> tuple[Case, str]:
    me = await require_mediator(request)
    case = await services(request).cases.get_case(
        request.match_info["case_id"], me.id, via=via(request)
    )
    return case, me.id


async def get_closing(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    case_id = request.match_info["case_id"]
    svc = services(request)
    outcomes = svc.records.outcomes
    minutes = await outcomes.session_minutes(case_id, me.id)
    case = await svc.cases.get_case(case_id, me.id, via=via(request))
    judicial = case.mediation_type is MediationType.JUDICIAL
    try:
        outcome = await outcomes.get_outcome(case_id, me.id)
    except NotFound:
        return reply(ClosingOut(closed=False, judicial=judicial, scheduled_minutes=minutes,
                                outcome=None, summary="", organisations=[]))  # fmt: skip
    text = await outcomes.get_summary(case_id, me.id, via=via(request))
    return reply(
        ClosingOut(
            closed=True, judicial=outcome.judicial, scheduled_minutes=minutes,
            outcome=_outcome_out(outcome), summary=text.summary,
            organisations=list(text.organisations),
        )
    )  # fmt: skip


async def put_closing(request: web.Request, body: ClosingIn) -> web.Response:
    me = await require_mediator(request)
    case_id = request.match_info["case_id"]
    outcomes = services(request).records.outcomes
    closing = Closing(
        outcome=body.outcome, referral=body.referral, party_kinds=tuple(body.party_kinds),
        departement=body.departement, session_minutes=tuple(body.session_minutes),
        language=body.language, summary=body.summary, organisations=tuple(body.organisations),
        court_reference=body.court_reference,
    )  # fmt: skip
    outcome = await outcomes.close_case(case_id, me.id, closing, via=via(request))
    await _end_sessions(request, case_id, me.id)
    minutes = await outcomes.session_minutes(case_id, me.id)
    return reply(
        ClosingOut(
            closed=True, judicial=outcome.judicial, scheduled_minutes=minutes,
            outcome=_outcome_out(outcome), summary=body.summary,
            organisations=list(body.organisations),
        )
    )  # fmt: skip


async def _end_sessions(request: web.Request, case_id: str, mediator_id: str) -> None:
    """A closed case holds no more sessions: each one not over yet ends (stored: its links
    stop working, its mediators cannot enter), and whoever is in one now leaves it."""
    schedule = services(request).schedule
    ending = [
        s for s in await schedule.list_sessions(case_id, mediator_id)
        if s.status not in {"ended", "cancelled"}
    ]  # fmt: skip
    for session in ending:
        await schedule.set_status(session.id, "ended")
    await tell_sessions(request, ending, lambda sid: SessionClosed(session_id=sid))


class CourtReportQuery(Query):
    format: Literal["html", "text"] = "html"
    lang: Lang = "fr"


async def court_report(request: web.Request, query: CourtReportQuery) -> web.Response:
    me = await require_mediator(request)
    case_id = request.match_info["case_id"]
    fmt, lang = query.format, query.lang
    svc = services(request)
    outcome = await svc.records.outcomes.get_outcome(case_id, me.id)
    if not outcome.judicial:
        raise ApiError(ErrorCode.CONFLICT, "only a court-ordered mediation has this report")
    reference = outcome.court_reference or outcome.reference
    agreement = outcome.outcome.agreement
    day = svc.records.clock().date()
    await svc.records.audit.append(
        actor=f"mediator:{me.id}", action="court_report.export", case_id=case_id,
        session_id=None, subject=None, detail={"format": fmt}, via=via(request),
    )  # fmt: skip
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": PRINT_CSP}
    if fmt == "text":
        headers["Content-Disposition"] = 'attachment; filename="rapport-juge.txt"'
        return web.Response(
            text=court_report_text(reference, agreement, day, lang), content_type="text/plain",
            charset="utf-8", headers=headers,
        )  # fmt: skip
    return web.Response(
        text=court_report_html(reference, agreement, day, lang),
        content_type="text/html", charset="utf-8", headers=headers,
    )  # fmt: skip


def _people(case: Case) -> list[NamedPerson]:
    people = [NamedPerson(p.display_name, p.role.value) for p in case.participants]
    people += [NamedPerson(m.display_name, m.role) for m in case.mediators]
    return people


@dataclass(frozen=True)
class _Reviewed:
    case: Case
    outcome: CaseOutcome
    result: AnonymisedText
    me: str
    decisions: dict[str, str]


async def _reviewed(request: web.Request) -> _Reviewed:
    """The case's summary anonymised, with the mediator's edits and decisions replayed."""
    me = (await require_mediator(request)).id
    case = await services(request).cases.get_case(
        request.match_info["case_id"], me, via=via(request)
    )
    outcomes = services(request).records.outcomes
    outcome = await outcomes.get_outcome(case.id, me)
    text = await outcomes.get_summary(case.id, me, via=via(request))
    names = known_names(_people(case), text.organisations, outcome.language)
    # the named-entity model (tens of ms; seconds on a first load) runs off the event loop
    try:
        result = await asyncio.to_thread(
            review, text.summary, outcome.language, names, outcome.edits, text.decisions
        )
    except ValueError:  # edits that no longer apply: start the review again
        result = await asyncio.to_thread(
            review, text.summary, outcome.language, names, (), text.decisions
        )
    return _Reviewed(case, outcome, result, me, text.decisions)


def _replacement(r: Replacement, decisions: Mapping[str, str]) -> ReplacementOut:
    decision = decision_of(r, decisions)
    return ReplacementOut(
        id=r.id, kind=r.kind.value, source=r.source, original=r.original,
        replacement=r.replacement, start=r.start, end=r.end, output_start=r.output_start,
        output_end=r.output_end, reason=r.reason.value if r.reason else None,
        decision=decision,
    )  # fmt: skip


def _review_out(
    result: AnonymisedText,
    edits: list[dict[str, Any]],
    confirmed: bool,
    decisions: Mapping[str, str],
) -> ReviewOut:
    suggestions = sorted(
        (r for r in (*result.replacements, *result.reverted) if r.suggestion),
        key=lambda r: r.start,
    )
    return ReviewOut(
        language=result.language, original=result.original, text=result.text,
        replacements=[_replacement(r, decisions) for r in result.replacements],
        reverted=[_replacement(r, decisions) for r in result.reverted], edits=edits,
        confirmed=confirmed, suggestions=[_replacement(r, decisions) for r in suggestions],
    )  # fmt: skip


async def get_review(request: web.Request) -> web.Response:
    got = await _reviewed(request)
    confirmed = got.outcome.confirmed_at is not None
    return reply(_review_out(got.result, list(got.outcome.edits), confirmed, got.decisions))


async def decide_suggestion(request: web.Request, body: SuggestionIn) -> web.Response:
    """Accept or reject one suggestion; a rejection holds for every summary of the case.

    The review changes, so a confirmed document is withdrawn until confirmed again.
    """
    got = await _reviewed(request)
    wanted = request.match_info["replacement_id"]
    found = (*got.result.replacements, *got.result.reverted)
    item = next((r for r in found if r.id == wanted and r.suggestion), None)
    if item is None:
        raise ApiError(ErrorCode.NOT_FOUND, "no such suggestion in this review")
    await services(request).records.outcomes.set_decision(
        got.case.id, got.me, suggestion_key(item), body.decision, via=via(request)
    )
    got = await _reviewed(request)
    return reply(_review_out(got.result, list(got.outcome.edits), False, got.decisions))


async def put_review(request: web.Request, body: ReviewIn) -> web.Response:
    case, me = await _case_and_me(request)
    outcomes = services(request).records.outcomes
    outcome = await outcomes.get_outcome(case.id, me)
    text = await outcomes.get_summary(case.id, me, via=via(request))
    edits = [e.model_dump(exclude_none=True) for e in body.edits]
    check_edits(edits)
    names = known_names(_people(case), text.organisations, outcome.language)
    try:
        result = await asyncio.to_thread(
            review, text.summary, outcome.language, names, edits, text.decisions
        )
    except (ValueError, KeyError) as exc:
        raise ApiError(ErrorCode.VALIDATION, f"edit does not apply: {exc}") from None
    confirmation = None
    if body.confirm:
        document = _document(outcome, result, services(request).records.clock())
        confirmation = Confirmation(text.summary, document)
    await outcomes.set_review(case.id, me, edits, confirmation=confirmation, via=via(request))
    return reply(_review_out(result, edits, body.confirm, text.decisions))


def _document(outcome: CaseOutcome, result: AnonymisedText, now: datetime) -> dict[str, Any]:
    facts = Facts(
        mediation_type=outcome.mediation_type.value, outcome=outcome.outcome.value,
        referral=outcome.referral.value,
        party_kinds=tuple(k.value for k in outcome.party_kinds), region=outcome.region,
        departement=outcome.departement, session_minutes=outcome.session_minutes,
        opened=outcome.opened_at, closed=outcome.closed_at,
    )  # fmt: skip
    return summary_document(facts, result, now)


class SummaryExportQuery(Query):
    format: Literal["json", "csv", "html"] = "json"


def _replacements(doc: dict[str, Any]) -> int:
    return len(doc["summary"]["replacements"])


async def export_summary(request: web.Request, query: SummaryExportQuery) -> web.Response:
    fmt = query.format
    case, me = await _case_and_me(request)
    records = services(request).records
    doc = await records.outcomes.get_confirmed(case.id, me, via=via(request))
    if doc is None:
        raise ApiError(ErrorCode.CONFLICT, "review and confirm the anonymised summary first")
    await records.audit.append(
        actor=f"mediator:{me}", action="summary.export", case_id=case.id, session_id=None,
        subject=None, via=via(request),
        detail={"format": fmt, "version": doc["version"], "replacements": _replacements(doc)},
    )  # fmt: skip
    name = f"palabre-summary-{case.id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if fmt == "csv":
        return web.Response(
            text=summary_csv([doc]), content_type="text/csv", charset="utf-8", headers=headers
        )
    if fmt == "html":
        headers["Content-Disposition"] = f'inline; filename="{name}"'
        headers["Content-Security-Policy"] = PRINT_CSP
        return web.Response(
            text=summary_html(doc), content_type="text/html", charset="utf-8", headers=headers
        )
    return web.Response(
        text=json.dumps(doc, ensure_ascii=False, indent=2), content_type="application/json",
        headers=headers,
    )  # fmt: skip


class SelectionQuery(Query):
    """Which closed cases: of one year, of one type of mediation."""

    year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    type: MediationType | None = None
    format: Literal["json", "csv"] = "json"


class SummariesOut(Out):
    """``palabre-case-summaries`` v1: each summary is a ``palabre-case-summary`` v1."""

    format: str
    version: int
    generated_at: str
    filters: dict[str, Any]
    skipped_unconfirmed: int
    summaries: list[dict[str, Any]]


async def export_summaries(request: web.Request, query: SelectionQuery) -> web.Response:
    """Every confirmed anonymised summary of my closed cases (?year=&type=), for a report."""
    me = await require_mediator(request)
    fmt, year, mediation_type = query.format, query.year, query.type
    records = services(request).records
    closed = await records.outcomes.list_closed(me.id, year=year, mediation_type=mediation_type)
    now = records.clock()
    docs = []
    skipped = 0
    for item in closed:
        doc = await records.outcomes.get_confirmed(item.case_id, me.id, via=via(request))
        if doc is None:
            skipped += 1
            continue
        docs.append(doc)
        await records.audit.append(
            actor=f"mediator:{me.id}", action="summary.export", case_id=item.case_id,
            session_id=None, subject=None, via=via(request),
            detail={"format": fmt, "version": doc["version"], "bulk": True,
                    "replacements": _replacements(doc)},
        )  # fmt: skip
    headers = {"Cache-Control": "no-store"}
    if fmt == "csv":
        headers["Content-Disposition"] = 'attachment; filename="palabre-summaries.csv"'
        return web.Response(
            text=summary_csv(docs), content_type="text/csv", charset="utf-8", headers=headers
        )
    headers["Content-Disposition"] = 'attachment; filename="palabre-summaries.json"'
    body = SummariesOut(
        format="palabre-case-summaries", version=1,
        generated_at=now.isoformat(timespec="seconds"),
        filters={"year": year, "type": mediation_type.value if mediation_type else None},
        skipped_unconfirmed=skipped, summaries=docs,
    )  # fmt: skip
    return web.Response(
        text=json.dumps(body.model_dump(mode="json"), ensure_ascii=False, indent=2),
        content_type="application/json",
        headers=headers,
    )


async def list_places(request: web.Request) -> web.Response:
    await require_mediator(request)
    return reply(
        PlacesOut(
            departements=[
                PlaceOut(code=d.code, name=d.name, region=d.region) for d in DEPARTEMENTS.values()
            ]
        )
    )


class StatsQuery(SelectionQuery):
    k: Annotated[int, Field(ge=MIN_K, le=MAX_K)] = DEFAULT_K
    download: bool = Field(default=False, description="Audit this as an export")


async def practice_stats(request: web.Request, query: StatsQuery) -> web.Response:
    me = await require_mediator(request)
    fmt, year, mediation_type, k = query.format, query.year, query.type, query.k
    raw_type = mediation_type.value if mediation_type else None
    svc = services(request)
    outcomes = svc.records.outcomes
    everything = await outcomes.list_closed(me.id)
    chosen = await outcomes.list_closed(me.id, year=year, mediation_type=mediation_type)
    report = practice_report([o.record() for o in chosen], k)
    filters = {"year": year, "type": raw_type}
    if query.download or fmt == "csv":
        await svc.records.audit.append(
            actor=f"mediator:{me.id}", action="stats.export", case_id=None, session_id=None,
            subject=None, via=via(request), detail={"format": fmt, "k": k, "year": year},
        )  # fmt: skip
    if fmt == "csv":
        return web.Response(
            text=report.to_csv(), content_type="text/csv", charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="palabre-statistics.csv"'},
        )  # fmt: skip
    data = report.to_dict()
    return reply(
        StatsOut(
            format=STATS_FORMAT, version=STATS_VERSION,
            generated_at=svc.records.clock().isoformat(timespec="seconds"), filters=filters, k=k,
            cases=len(chosen) if len(chosen) >= k or not chosen else None,
            years=sorted({o.closed_at.year for o in everything}), tables=data["tables"],
            cross_tables=data["cross_tables"],
        )
    )  # fmt: skip


def register_routes(api: Api) -> None:
    tag = "practice"
    base = "/api/cases/{case_id}"
    api.add("GET", f"{base}/closing", get_closing, tag=tag, response=ClosingOut,
            summary="How the case was closed, with the session lengths to pre-fill")  # fmt: skip
    api.add("PUT", f"{base}/closing", put_closing, tag=tag, body=ClosingIn, response=ClosingOut,
            summary="Close a case (or correct its closing): outcome, sessions, parties, "
            "referral, region, summary")  # fmt: skip
    api.add("GET", f"{base}/court-report", court_report, tag=tag, query=CourtReportQuery,
            produces="text/html", also_produces=("text/plain",),
            summary="Court-ordered mediation: whether an agreement was reached, nothing more "
            "(?format=html|text&lang=fr|en)")  # fmt: skip
    api.add("GET", f"{base}/summary/review", get_review, tag=tag, response=ReviewOut,
            summary="The anonymised summary with every replacement, for review")  # fmt: skip
    api.add("PUT", f"{base}/summary/review", put_review, tag=tag, body=ReviewIn,
            response=ReviewOut,
            summary="Manual redactions and undone replacements; confirm the review")  # fmt: skip
    api.add("PUT", f"{base}/summary/suggestions/{{replacement_id}}", decide_suggestion,
            tag=tag, body=SuggestionIn, response=ReviewOut,
            summary="Accept or reject a suggested person or place the case does not list; "
            "a rejection is remembered for the case")  # fmt: skip
    api.add("GET", f"{base}/summary/export", export_summary, tag=tag,
            summary="Export the confirmed anonymised summary (?format=json|csv|html); audited",
            query=SummaryExportQuery, also_produces=("text/csv", "text/html"))  # fmt: skip
    api.add("GET", "/api/practice/summaries", export_summaries, tag=tag, query=SelectionQuery,
            response=SummariesOut, also_produces=("text/csv",),
            summary="Every confirmed anonymised summary of my closed cases "
            "(?year=&type=&format=json|csv); each one audited")  # fmt: skip
    api.add("GET", "/api/practice/places", list_places, tag=tag, response=PlacesOut,
            summary="French départements and their regions")  # fmt: skip
    api.add("GET", "/api/practice/stats", practice_stats, tag=tag, query=StatsQuery,
            response=StatsOut, also_produces=("text/csv",),
            summary="Statistics of my closed cases with k-anonymity "
            "(?year=&type=&k=&format=json|csv&download=1)")  # fmt: skip
