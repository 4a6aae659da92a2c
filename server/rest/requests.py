"""Requests for a mediation from the public, and the organisation's queue of them.

The public side needs no account: ``GET /api/requests/notice`` gives the form's privacy
notice (its exact version, the purposes to tick, the kinds of dispute) and
``POST /api/requests`` sends a request. A refused form gets ``validation_error`` with a
``fields`` list (field, reason code, English sentence) the page shows next to each
field. A well-formed request counts against its client address's and its e-mail's
allowance (:mod:`server.request_limits`: 429 and Retry-After when one is used up); one
whose honeypot field (``website``, hidden from people) is filled gets the very same 202
and nothing is stored.

The mediator side (any mediator of the organisation: a request belongs to no one until
taken): the queue lists no personal content (time, state, kind, language); opening one
request decrypts it and is audited; taking it opens a case (:meth:`RequestStore.take`);
declining it sends the mediator's message to the requester through the outbox.
Nothing of a request (name, address, description) is ever logged.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import Field, StringConstraints

from errors import ErrorCode
from records.errors import NotFound
from records.models import new_id, utcnow
from records.rights.retention import days_of, load_policies
from records.stores.cases import MediationType
from records.stores.notices import Language
from records.stores.requests import (
    NOTICE,
    PURPOSES,
    Declined,
    NewRequest,
    PublicRequest,
    RequestContent,
    RequestState,
    RequestSummary,
)
from server.context import require_mediator, services
from server.errors import ApiError, error_body, error_response
from server.mail.messages import new_message_id
from server.mail.request_messages import KIND as DECLINED_KIND
from server.mail.request_messages import MESSAGE_MAX, request_declined
from server.request_form import FieldProblem, Form, check
from server.request_limits import REQUEST_LIMITS, LimitReached, hashed
from server.rest.api import Api, Out, Query, Strict, reply
from server.rest.fields import FILLED_TEXT, LINE, STRIP, TEXT
from server.rest.shared import via

logger = logging.getLogger(__name__)

WITHDRAWAL_DAYS = 90  # how long the withdrawal token works when no retention policy says

# Bounds on what is read at all; the form's own rules are in server/request_form.py,
# which refuses field by field what these let through.
Line = Annotated[str, StringConstraints(max_length=1000, pattern=TEXT), STRIP]
Long = Annotated[str, StringConstraints(max_length=20_000, pattern=TEXT), STRIP]
Message = Annotated[
    str, StringConstraints(min_length=1, max_length=MESSAGE_MAX, pattern=FILLED_TEXT), STRIP
]


class RequestIn(Strict):
    name: Line = ""
    email: Line = ""
    phone: Line = ""
    other_name: Line = ""
    other_contact: Line = ""
    kind: Line = ""
    description: Long = ""
    language: Line = "fr"
    notice_version: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    agreed: Annotated[
        list[Annotated[str, StringConstraints(max_length=64, pattern=LINE)]],
        Field(max_length=10),
    ] = Field(default_factory=list)
    website: Line = Field(
        default="", description="Leave empty (a field hidden from people: filled, it is spam)"
    )


class ReceivedOut(Out):
    received: bool
    withdrawal: str = Field(
        description="the requester's own token to withdraw the request (POST "
        "/api/requests/withdraw); shown to them only, in the confirmation page's address"
    )


class WithdrawIn(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class WithdrawnOut(Out):
    state: Literal["withdrawn", "declined", "expired"] = Field(
        description="withdrawn now or before; declined or expired: answered or ended already"
    )


class RequestPurposeOut(Out):
    name: str
    required: bool


class RequestNoticeOut(Out):
    kind: str
    language: str
    version: int
    sha256: str
    body: str
    purposes: list[RequestPurposeOut]
    kinds: list[str]
    unanswered_days: int | None = Field(description="how long an unanswered request is kept")


class RequestNoticeQuery(Query):
    language: Literal["fr", "en"] = "fr"


class QueueQuery(Query):
    state: Literal["new", "taken", "declined", "expired", "withdrawn", "all"] = "new"


class RequestOut(Out):
    id: str
    created_at: datetime
    state: str
    kind: str
    language: str
    decided_at: datetime | None
    case_id: str | None
    readable: bool


class QueueOut(Out):
    requests: list[RequestOut]


class ContentOut(Out):
    name: str
    email: str
    phone: str
    other_name: str
    other_contact: str
    description: str


class RequestDetailOut(RequestOut):
    content: ContentOut | None = Field(description="null once shredded")
    agreed: dict[str, bool] = Field(description="purpose -> given, from the consent log")


class TakenOut(Out):
    case_id: str


class DeclineIn(Strict):
    message: Message


class DeclinedOut(Out):
    state: str
    mail: Literal["queued", "waiting"] = Field(
        description="queued: the sender will send it; waiting: no SMTP server configured"
    )


def _out(s: RequestSummary) -> RequestOut:
    return RequestOut(
        id=s.id, created_at=s.created_at, state=s.state.value, kind=s.kind.value,
        language=s.language, decided_at=s.decided_at, case_id=s.case_id, readable=s.readable,
    )  # fmt: skip


def _detail(r: PublicRequest) -> RequestDetailOut:
    c = r.content
    content = None if c is None else ContentOut(
        name=c.name, email=c.email, phone=c.phone, other_name=c.other_name,
        other_contact=c.other_contact, description=c.description,
    )  # fmt: skip
    return RequestDetailOut(**_out(r.summary).model_dump(), content=content, agreed=r.agreed)


def _kept_days(request: web.Request, category: str) -> int | None:
    """The retention policy's days for a category (the file was checked at start)."""
    policies = load_policies(services(request).config.records.retention_file)
    return days_of(policies, category)


def _refused(problems: list[FieldProblem]) -> web.Response:
    body = error_body(ErrorCode.VALIDATION, "; ".join(p.message for p in problems))
    body["error"]["fields"] = [p.to_dict() for p in problems]  # type: ignore[assignment]
    return web.json_response(body, status=400)


# -- the public side -------------------------------------------------------------------


async def get_notice(request: web.Request, query: RequestNoticeQuery) -> web.Response:
    notice = await services(request).records.notices.current(NOTICE, query.language)
    return reply(
        RequestNoticeOut(
            kind=notice.kind, language=notice.language, version=notice.version,
            sha256=notice.sha256, body=notice.body,
            purposes=[RequestPurposeOut(name=p.name, required=p.required) for p in PURPOSES],
            kinds=[k.value for k in MediationType],
            unanswered_days=_kept_days(request, "requests_unanswered"),
        )
    )  # fmt: skip


async def send_request(request: web.Request, body: RequestIn) -> web.Response:
    svc = services(request)
    form = Form(
        body.name, body.email, body.phone, body.other_name, body.other_contact, body.kind,
        body.description, body.language, body.notice_version, list(body.agreed),
    )  # fmt: skip
    problems = check(form)
    notice = None
    language: Language = "en" if form.language == "en" else "fr"
    if form.language in ("fr", "en"):
        try:
            notice = await svc.records.notices.get(NOTICE, language, form.notice_version)
        except NotFound:
            problems.append(FieldProblem("notice_version", "outdated_notice"))
    if problems:
        return _refused(problems)
    assert notice is not None
    try:
        await request.app[REQUEST_LIMITS].hit(
            [hashed("address", request.remote or "unknown"), hashed("email", form.email)]
        )
    except LimitReached as exc:
        response = error_response(
            429, ErrorCode.THROTTLED,
            f"too many requests from here or for this e-mail; try again in {exc.retry_after} s",
        )  # fmt: skip
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if body.website:  # the same answer, with a token that withdraws nothing
        logger.info("public request with its honeypot filled: not stored")
        return _received(request, new_id())
    request_id = await svc.records.requests.create_request(
        NewRequest(
            kind=MediationType(form.kind),
            language=language,
            content=RequestContent(
                form.name,
                form.email,
                form.phone,
                form.other_name,
                form.other_contact,
                form.description,
            ),
            notice=notice,
            agreed=frozenset(form.agreed),
        ),
        utcnow(),
    )
    logger.info("public request %s received", request_id)
    return _received(request, request_id)


def _received(request: web.Request, request_id: str) -> web.Response:
    tokens = services(request).withdrawals
    assert tokens is not None
    days = _kept_days(request, "requests_unanswered") or WITHDRAWAL_DAYS
    token = tokens.mint(request_id, utcnow(), days)
    return reply(ReceivedOut(received=True, withdrawal=token), status=202)


async def withdraw_request(request: web.Request, body: WithdrawIn) -> web.Response:
    """The requester withdraws their request with the token the form gave them. Withdrawn
    again, or a token for a request that was never stored (the honeypot's): the same
    answer. Taken by a mediator: 409, it is a case now and the mediator answers."""
    svc = services(request)
    assert svc.withdrawals is not None
    request_id = svc.withdrawals.verify(body.token, utcnow())
    try:
        state = await svc.records.requests.withdraw(request_id, utcnow())
    except NotFound:
        state = RequestState.WITHDRAWN
    if state is RequestState.TAKEN:
        raise ApiError(
            ErrorCode.CONFLICT,
            "a mediator has already taken this request up and will write to you: "
            "tell them you withdraw it",
        )
    logger.info("public request %s: withdrawal asked (%s)", request_id, state.value)
    return reply(WithdrawnOut(state=state.value))


# -- the organisation's queue ----------------------------------------------------------


async def list_requests(request: web.Request, query: QueueQuery) -> web.Response:
    await require_mediator(request)
    states = None if query.state == "all" else {RequestState(query.state)}
    found = await services(request).records.requests.list_requests(states)
    return reply(QueueOut(requests=[_out(s) for s in found]))


async def get_request(request: web.Request) -> web.Response:
    mediator = await require_mediator(request)
    found = await services(request).records.requests.get_request(
        request.match_info["request_id"], mediator.id, via=via(request)
    )
    return reply(_detail(found))


async def take_request(request: web.Request) -> web.Response:
    mediator = await require_mediator(request)
    request_id = request.match_info["request_id"]
    case_id = await services(request).records.requests.take(
        request_id, mediator.id, utcnow(), via=via(request)
    )
    logger.info("public request %s taken: case %s", request_id, case_id)
    return reply(TakenOut(case_id=case_id), status=201)


async def decline_request(request: web.Request, body: DeclineIn) -> web.Response:
    """Declines a new request and queues the answer to the requester, both or neither: if
    the answer cannot be stored the request stays in the queue (503, do it again)."""
    mediator = await require_mediator(request)
    svc = services(request)
    request_id = request.match_info["request_id"]
    now = utcnow()

    async def answer(declined: Declined) -> None:
        contents = request_declined(
            declined.email, declined.name, body.message, declined.language,
            _kept_days(request, "requests_declined"),
        )  # fmt: skip
        try:
            await svc.records.outbox.create_request_mail(
                request_id, DECLINED_KIND, declined.language,
                new_message_id(svc.config.smtp.sender), contents, now,
                actor=f"mediator:{mediator.id}", via=via(request),
            )  # fmt: skip
        except Exception as exc:  # the database refused or is gone
            logger.warning("public request %s: answer not stored (%s)", request_id,
                           type(exc).__qualname__)  # fmt: skip
            raise ApiError(
                ErrorCode.SERVER_BUSY,
                "the answer to the requester could not be stored: the request is still in "
                "the queue, decline it again",
            ) from None

    await svc.records.requests.decline(
        request_id, mediator.id, now, via=via(request), answer=answer
    )
    if svc.mail is not None:
        svc.mail.wake()
    logger.info("public request %s declined", request_id)
    return reply(DeclinedOut(state="declined", mail="queued" if svc.mail else "waiting"))


def register_routes(api: Api) -> None:
    tag = "requests"
    api.add("GET", "/api/requests/notice", get_notice, tag=tag, query=RequestNoticeQuery,
            response=RequestNoticeOut, auth=False,
            summary="The request form's privacy notice (current version), the purposes to "
            "agree to and the kinds of dispute")  # fmt: skip
    api.add("POST", "/api/requests", send_request, tag=tag, body=RequestIn,
            response=ReceivedOut, status=202, auth=False,
            summary="Ask for a mediation (no account); refused field by field, limited per "
            "address and per e-mail (429 with Retry-After)")  # fmt: skip
    api.add("POST", "/api/requests/withdraw", withdraw_request, tag=tag, body=WithdrawIn,
            response=WithdrawnOut, auth=False,
            summary="The requester withdraws their request with the token the form gave "
            "them: consents withdrawn, content destroyed (409 once taken)")  # fmt: skip
    api.add("GET", "/api/requests", list_requests, tag=tag, query=QueueQuery,
            response=QueueOut,
            summary="The organisation's queue of requests (no personal content)")  # fmt: skip
    api.add("GET", "/api/requests/{request_id}", get_request, tag=tag,
            response=RequestDetailOut,
            summary="One request with its content (an audited read)")  # fmt: skip
    api.add("POST", "/api/requests/{request_id}/take", take_request, tag=tag,
            response=TakenOut, status=201,
            summary="Take a new request: a case opens with its people, this mediator as "
            "lead")  # fmt: skip
    api.add("POST", "/api/requests/{request_id}/decline", decline_request, tag=tag,
            body=DeclineIn, response=DeclinedOut,
            summary="Decline a new request; the message is e-mailed to the requester")  # fmt: skip
