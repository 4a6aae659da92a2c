"""Cases (dossiers): create, list, open, add a participant. Only a case's mediators see it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aiohttp import web
from pydantic import Field, StringConstraints

from errors import ErrorCode
from records.stores.cases import (
    Case,
    MediaEncryption,
    MediationType,
    NewCase,
    NewParticipant,
    Participant,
    ParticipantRole,
)
from server.context import require_mediator, services
from server.errors import ApiError
from server.rest.api import Api, Out, Strict, reply
from server.rest.fields import FILLED_LINE, STRIP, TEXT, Email, Name, Title
from server.rest.shared import via


class ParticipantIn(Strict):
    display_name: Name
    role: ParticipantRole
    email: Email | None = None


class CaseIn(Strict):
    reference: Annotated[str, StringConstraints(max_length=64, pattern=FILLED_LINE), STRIP]
    title: Title
    public_title: Title | None = Field(
        default=None, description="What participants see on their join page; defaults to title"
    )
    mediation_type: MediationType
    description: Annotated[str, StringConstraints(max_length=4000, pattern=TEXT), STRIP] = ""
    participants: Annotated[list[ParticipantIn], Field(default_factory=list, max_length=30)]
    co_mediator_emails: Annotated[list[Email], Field(default_factory=list, max_length=10)]
    media_encryption: MediaEncryption = Field(
        default=MediaEncryption.REQUIRED,
        description="Whether a browser that cannot encrypt sound and picture end to end may "
        "take part: 'required' refuses it, 'allowed' lets it in and shows everyone in its room "
        "that the room is then encrypted only as far as the server",
    )


class MediaEncryptionIn(Strict):
    policy: MediaEncryption


class ParticipantOut(Out):
    id: str
    display_name: str
    email: str | None
    role: ParticipantRole


class MediatorOut(Out):
    id: str
    display_name: str
    email: str
    role: str


class CaseSummaryOut(Out):
    id: str
    reference: str
    title: str
    mediation_type: MediationType
    status: str
    created_at: datetime


class CaseListOut(Out):
    cases: list[CaseSummaryOut]


class CaseOut(CaseSummaryOut):
    public_title: str
    description: str
    participants: list[ParticipantOut]
    mediators: list[MediatorOut]
    media_encryption: MediaEncryption


def participant_out(p: Participant) -> ParticipantOut:
    return ParticipantOut.model_validate(p, from_attributes=True)


def case_out(c: Case) -> CaseOut:
    return CaseOut.model_validate(c, from_attributes=True)


async def list_cases(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    cases = await services(request).cases.list_cases(me.id)
    summaries = [CaseSummaryOut.model_validate(c, from_attributes=True) for c in cases]
    return reply(CaseListOut(cases=summaries))


async def create_case(request: web.Request, body: CaseIn) -> web.Response:
    me = await require_mediator(request)
    svc = services(request)
    found = await svc.accounts.get_mediators_by_email(body.co_mediator_emails)
    missing = [e for e in body.co_mediator_emails if e.lower() not in found]
    if missing:
        raise ApiError(
            ErrorCode.VALIDATION, "co_mediator_emails: no mediator account with this email"
        )
    case = await svc.cases.create_case(
        me.id,
        NewCase(
            reference=body.reference,
            title=body.title,
            public_title=body.public_title or body.title,
            mediation_type=body.mediation_type,
            description=body.description,
            participants=[
                NewParticipant(p.display_name, p.role, p.email) for p in body.participants
            ],
            co_mediator_ids=[m.id for m in found.values()],
            media_encryption=body.media_encryption,
        ),
    )
    return reply(case_out(case), 201)


async def get_case(request: web.Request) -> web.Response:
    me = await require_mediator(request)
    case = await services(request).cases.get_case(request.match_info["case_id"], me.id)
    return reply(case_out(case))


async def add_participant(request: web.Request, body: ParticipantIn) -> web.Response:
    me = await require_mediator(request)
    participant = await services(request).cases.add_participant(
        request.match_info["case_id"],
        me.id,
        NewParticipant(body.display_name, body.role, body.email),
    )
    return reply(participant_out(participant), 201)


async def set_media_encryption(request: web.Request, body: MediaEncryptionIn) -> web.Response:
    me = await require_mediator(request)
    await services(request).cases.set_media_encryption(
        request.match_info["case_id"], me.id, body.policy, via=via(request)
    )
    return web.Response(status=204)


def register_routes(api: Api) -> None:
    tag = "cases"
    api.add("GET", "/api/cases", list_cases, summary="My cases", tag=tag, response=CaseListOut)
    api.add(
        "POST", "/api/cases", create_case, summary="Open a case", tag=tag, body=CaseIn,
        response=CaseOut, status=201,
    )  # fmt: skip
    api.add(
        "GET", "/api/cases/{case_id}", get_case, summary="One of my cases", tag=tag,
        response=CaseOut,
    )  # fmt: skip
    api.add(
        "POST", "/api/cases/{case_id}/participants", add_participant,
        summary="Add a participant", tag=tag, body=ParticipantIn, response=ParticipantOut,
        status=201,
    )  # fmt: skip
    api.add(
        "POST", "/api/cases/{case_id}/media-encryption", set_media_encryption,
        summary="Whether browsers that cannot encrypt media end to end may take part", tag=tag,
        body=MediaEncryptionIn, status=204,
    )  # fmt: skip
