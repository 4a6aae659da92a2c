"""Consent before any camera or microphone: the texts a party reads, and their decision.

Each purpose (taking part under confidentiality; processing of personal data)
is recorded separately in the consent log with the exact text version and
its SHA-256, the language, the form and the browser's user agent.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field, StringConstraints

from errors import ErrorCode
from records.logs.consent_policy import OBSERVER_PURPOSE, PURPOSES
from records.stores.notices import NoticeText
from records.stores.scheduling import participant_key
from server.context import require_mediator, services
from server.errors import ApiError
from server.realtime import GATEWAY_KEY
from server.rest.api import Api, Out, Query, Strict, reply
from server.rest.fields import FILLED_TEXT, LINE, STRIP, Token
from signaling.commands import ConsentDeclined, ConsentRecorded

logger = logging.getLogger(__name__)

Language = Literal["fr", "en"]
Decision = Literal["given", "declined"]


class NoticeOut(Out):
    kind: str
    language: str
    version: int
    sha256: str
    body: str


class NoticesOut(Out):
    confidentiality: NoticeOut
    privacy: NoticeOut


class ShownVersions(Strict):
    confidentiality: Annotated[int, Field(ge=1)]
    privacy: Annotated[int, Field(ge=1)]


class Decisions(Strict):
    mediation: Decision
    privacy: Decision
    observer: Decision | None = Field(
        default=None, description="Presence of the case's observers; asked when there are any"
    )


class ConsentIn(Strict):
    token: Token
    language: Language
    shown: ShownVersions
    decisions: Decisions
    typed_name: Annotated[str, StringConstraints(max_length=120, pattern=LINE), STRIP] = ""


class ConsentOut(Out):
    consented: bool


class PublishIn(Strict):
    kind: Literal["confidentiality", "privacy"]
    language: Language
    body: Annotated[
        str, StringConstraints(min_length=20, max_length=100_000, pattern=FILLED_TEXT), STRIP
    ]


def _notice(n: NoticeText) -> NoticeOut:
    return NoticeOut(
        kind=n.kind, language=n.language, version=n.version, sha256=n.sha256, body=n.body
    )


class NoticesQuery(Query):
    lang: Language = "fr"


async def get_notices(request: web.Request, query: NoticesQuery) -> web.Response:
    lang = query.lang
    notices = services(request).records.notices
    return reply(
        NoticesOut(
            confidentiality=_notice(await notices.current("confidentiality", lang)),
            privacy=_notice(await notices.current("privacy", lang)),
        )
    )


async def record_consent(request: web.Request, body: ConsentIn) -> web.Response:
    svc = services(request)
    info = await svc.links.resolve(body.token)
    notices = svc.records.notices
    texts = {
        "confidentiality": await notices.current("confidentiality", body.language),
        "privacy": await notices.current("privacy", body.language),
    }
    if (texts["confidentiality"].version, texts["privacy"].version) != (
        body.shown.confidentiality,
        body.shown.privacy,
    ):
        raise ApiError(ErrorCode.CONFLICT, "the texts were updated: please read them again")
    giving = body.decisions.mediation == "given" and body.decisions.privacy == "given"
    asks_observer = bool(info.observer_names) and info.link.role.value == "party"
    if asks_observer and giving and body.decisions.observer is None:
        raise ApiError(ErrorCode.VALIDATION, "decisions.observer: say whether you agree")
    if giving and len(body.typed_name) < 2:
        raise ApiError(ErrorCode.VALIDATION, "typed_name: type your name to confirm")
    mechanism = {
        "form": "join-page",
        "user_agent": request.headers.get("User-Agent", "")[:200],
    }
    session_id, pid = info.session.id, info.link.participant_id
    for purpose, kind in PURPOSES.items():
        text = texts[kind]
        await svc.records.consent.record(
            session_id=session_id,
            participant_id=pid,
            purpose=purpose,
            decision=getattr(body.decisions, purpose),
            text_version=text.version,
            text_sha256=text.sha256,
            language=body.language,
            mechanism=mechanism,
            typed_name=body.typed_name or None,
        )
    if asks_observer and body.decisions.observer is not None:
        text = texts["confidentiality"]
        await svc.records.consent.record(
            session_id=session_id,
            participant_id=pid,
            purpose=OBSERVER_PURPOSE,
            decision=body.decisions.observer,
            text_version=text.version,
            text_sha256=text.sha256,
            language=body.language,
            mechanism={**mechanism, "observers": ", ".join(info.observer_names)[:200]},
            typed_name=body.typed_name or None,
        )
    # stored first; then the live session, wherever it runs, acts on it
    key, gateway = participant_key(pid), request.app[GATEWAY_KEY]
    if giving:
        await gateway.send(ConsentRecorded(session_id=session_id, key=key))
    else:
        await gateway.send(ConsentDeclined(session_id=session_id, key=key))
    logger.info("session %s: consent %s", session_id, "given" if giving else "declined")
    return reply(ConsentOut(consented=giving), 201)


async def publish_notice(request: web.Request, body: PublishIn) -> web.Response:
    """A new version of a text; earlier versions stay, and consent must be given again.

    Administrators only (declared with the route: ``admin=True``).
    """
    me = await require_mediator(request)
    svc = services(request)
    notice = await svc.records.notices.publish(
        body.kind, body.language, body.body, published_by=f"mediator:{me.id}"
    )
    await svc.records.audit.append(
        actor=f"mediator:{me.id}",
        action="notice.publish",
        case_id=None,
        session_id=None,
        subject=f"{notice.kind}:{notice.language}",
        detail={"version": notice.version, "sha256": notice.sha256},
        via="api:POST /api/notices",
    )
    logger.info("notice %s/%s version %d published", notice.kind, notice.language, notice.version)
    return reply(_notice(notice), 201)


def register_routes(api: Api) -> None:
    api.add(
        "GET", "/api/notices", get_notices, summary="Current confidentiality and privacy texts",
        tag="consent", query=NoticesQuery, response=NoticesOut, auth=False,
    )  # fmt: skip
    api.add(
        "POST", "/api/notices", publish_notice,
        summary="Publish a new version of a confidentiality or privacy text", tag="consent",
        body=PublishIn, response=NoticeOut, status=201, admin=True,
    )  # fmt: skip
    api.add(
        "POST", "/api/join/consent", record_consent,
        summary="Record a participant's consent decisions", tag="consent", body=ConsentIn,
        response=ConsentOut, status=201, auth=False,
    )  # fmt: skip
