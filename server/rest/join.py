"""What a party sees when opening a personal link (the token comes in the body, not the URL)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import Field

from records.stores.cases import MediaEncryption, ParticipantRole
from records.stores.invites import LinkRefused
from server.context import services
from server.errors import coded_response
from server.rest.api import Api, Out, Strict, reply
from server.rest.fields import Token
from server.rest.shared import session_out


class JoinIn(Strict):
    token: Token


class JoinOut(Out):
    participant_name: str
    role: ParticipantRole
    case_title: str
    mediator_names: list[str]
    starts_at: datetime
    local_start: datetime
    timezone: str
    duration_minutes: int
    contact_email: str
    observers: list[str]
    media_encryption: MediaEncryption = Field(
        description="Whether a browser that cannot encrypt end to end may take part"
    )


class JoinErrorDetail(Out):
    code: str
    message: str
    contact_email: str


class JoinErrorOut(Out):
    error: JoinErrorDetail


async def resolve_link(request: web.Request, body: JoinIn) -> web.Response:
    svc = services(request)
    try:
        info = await svc.links.resolve(body.token)
    except LinkRefused as exc:  # the same status and code as on every route, plus whom to ask
        response = coded_response(exc)
        response.text = JoinErrorOut(
            error=JoinErrorDetail(
                code=exc.code.value, message=exc.message, contact_email=exc.contact
            )
        ).model_dump_json()
        return response
    session = session_out(info.session)
    return reply(
        JoinOut(
            participant_name=info.participant_name,
            role=info.link.role,
            case_title=info.case_public_title,
            mediator_names=info.mediator_names,
            starts_at=session.starts_at,
            local_start=session.local_start,
            timezone=session.timezone,
            duration_minutes=session.duration_minutes,
            contact_email=info.lead_mediator_email,
            observers=info.observer_names,
            media_encryption=MediaEncryption(info.media_encryption),
        )
    )


def register_routes(api: Api) -> None:
    api.add(
        "POST", "/api/join", resolve_link, summary="Resolve a personal link", tag="join",
        body=JoinIn, response=JoinOut, auth=False,
    )  # fmt: skip
