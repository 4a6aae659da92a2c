"""Texts to sign: frozen by a mediator, signed by each signer from their own link.

Mediators (by their session) freeze a text for a case (from blocks, or from one of the
organisation's templates filled server-side), list the case's texts and who has signed
what, show the one-time code of a signer who has no e-mail address, withdraw a text, sign
last, and download the sealed PDF. A party or their counsel (by their personal link,
``Authorization: Bearer <token>``, as the join API knows it; a link of a session that
has ended still works here, a withdrawn one does not) reads the texts they sign, asks
for a code (sent to their address through the outbox), signs, and downloads the PDF once
it is sealed. When the last signature lands the PDF is rendered, sealed under the
organisation's certificate and stored in the case file (:mod:`records.agreements`).

A refused signature answers its code (``text_changed``, ``code_wrong`` with
``tries_left``, ``code_expired``, ``signer_locked`` with ``Retry-After``,
``already_signed``, ``mediator_signs_last``, ``text_withdrawn``).
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from PIL import Image
from pydantic import Field, StringConstraints

from errors import ErrorCode
from records.agreements.documents import (
    Block,
    BlockKind,
    Document,
    canonical,
    fill,
)
from records.agreements.fields import case_fields
from records.agreements.pdf import (
    MAX_DRAWING_BYTES,
    SignatureEvidence,
    missing_glyphs,
    seal_agreement,
)
from records.agreements.signed import read_signed, store_signed
from records.agreements.signing import (
    CODE_VALID,
    FrozenText,
    Identification,
    PersonKind,
    Signature,
    Signer,
    SigningRefused,
    TextKind,
    TextState,
    mask_address,
)
from records.errors import NotFound
from records.models import utcnow
from records.stores.cases import Case, ParticipantRole
from records.stores.outbox import NewMail
from records.stores.outcomes import CaseOutcome
from records.stores.scheduling import JoinInfo
from server.context import Services, require_mediator, services
from server.errors import HTTP_STATUS, ApiError
from server.mail.messages import new_message_id
from server.mail.signing_code import KIND as MAIL_KIND
from server.mail.signing_code import signing_code_mail
from server.rest.api import Api, Out, Strict, reply
from server.rest.shared import content_disposition, via, zone
from server.signing_news import announce_signature

logger = logging.getLogger(__name__)

Language = Literal["fr", "en"]
Id = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")]
Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Line = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
NO_SMTP = "no SMTP server configured"


class BlockIn(Strict):
    kind: BlockKind
    text: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class FreezeIn(Strict):
    kind: TextKind
    language: Language = "fr"
    title: Line | None = Field(default=None, description="Replaces the text's title")
    blocks: Annotated[list[BlockIn], Field(max_length=500)] | None = Field(
        default=None, description="The text; none: the organisation's template of `kind`"
    )
    counsel: Annotated[list[Id], Field(max_length=50)] = Field(
        default=[], description="The counsel who sign too (the parties always do)"
    )
    mediators: Annotated[list[Id], Field(max_length=10)] = Field(
        default=[], description="The mediators who sign (none: the caller)"
    )
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Europe/Paris"


class SignIn(Strict):
    sha256: Sha = Field(description="The SHA-256 of the text read (the frozen one's)")
    typed_name: Line
    signature_png: Annotated[str, StringConstraints(max_length=700_000)] | None = Field(
        default=None, description="The drawn signature, a PNG in base64"
    )
    typed_signature: Line | None = None
    code: Annotated[str, StringConstraints(min_length=1, max_length=12, pattern=r"^[0-9 ]+$")]
    timezone: Annotated[str, StringConstraints(max_length=64)] = "Europe/Paris"


class BlockOut(Out):
    kind: str
    text: str


class SignerOut(Out):
    id: str
    person_kind: str
    person_id: str
    name: str
    role: str  # party, counsel, mediator
    has_email: bool
    signed_at: datetime | None
    method: str | None
    identified_to: str | None
    code_channel: str | None
    locked_until: datetime | None


class TextOut(Out):
    id: str
    kind: str
    language: str
    sha256: str
    state: str
    frozen_at: datetime
    sealed: bool
    signers: list[SignerOut]


class TextListOut(Out):
    texts: list[TextOut]
    mediator_id: str = Field(description="The caller's id (which signer is them)")


class TextDetailOut(TextOut):
    blocks: list[BlockOut]
    text: str


class MyTextOut(TextDetailOut):
    my_signer_id: str


class MyTextsOut(Out):
    texts: list[MyTextOut]


class CodeOut(Out):
    channel: Literal["email", "shown", "mediator"]
    to: str = Field(default="", description="The masked address the code went to")
    code: str = Field(default="", description="Only to a mediator showing it on screen")
    expires_at: datetime | None = None


# -- who is who ---------------------------------------------------------------------------


def _people(case: Case) -> dict[tuple[PersonKind, str], tuple[str, str, str | None]]:
    """Signer key → (name, role, e-mail)."""
    out: dict[tuple[PersonKind, str], tuple[str, str, str | None]] = {}
    for p in case.participants:
        out[PersonKind.PARTICIPANT, p.id] = (p.display_name, p.role.value, p.email)
    for m in case.mediators:
        out[PersonKind.MEDIATOR, m.id] = (m.display_name, "mediator", m.email)
    return out


def _signer_out(s: Signer, case: Case) -> SignerOut:
    name, role, email = _people(case).get((s.person_kind, s.person_id), ("—", "", None))
    return SignerOut(
        id=s.id, person_kind=s.person_kind.value, person_id=s.person_id, name=name, role=role,
        has_email=bool(email), signed_at=s.signed_at, method=s.method,
        identified_to=s.identified_to, code_channel=s.code_channel,
        locked_until=s.locked_until if s.locked_until and s.locked_until > utcnow() else None,
    )  # fmt: skip


def _text_out(t: FrozenText, case: Case) -> TextOut:
    return TextOut(
        id=t.id, kind=t.kind.value, language=t.language, sha256=t.sha256, state=t.state.value,
        frozen_at=t.frozen_at, sealed=t.sealed_item_id is not None,
        signers=[_signer_out(s, case) for s in t.signers],
    )  # fmt: skip


async def _detail(svc: Services, t: FrozenText, case: Case) -> TextDetailOut:
    document = await svc.records.signing.read_document(t.case_id, t.id)
    return TextDetailOut(
        **_text_out(t, case).model_dump(),
        blocks=[BlockOut(kind=b.kind.value, text=b.text) for b in document],
        text=canonical(document),
    )


def _agent(request: web.Request) -> str:
    return request.headers.get("User-Agent", "")[:300]


def _refused(exc: SigningRefused) -> web.Response:
    """The refusal's status from the one table, its code, and what helps to try again."""
    error: dict[str, str | int] = {"code": exc.code.value, "message": exc.message}
    headers = {}
    if exc.tries_left is not None:
        error["tries_left"] = exc.tries_left
    if exc.retry_after is not None:
        error["retry_after"] = exc.retry_after
        headers["Retry-After"] = str(exc.retry_after)
    return web.json_response({"error": error}, status=HTTP_STATUS[exc.code], headers=headers)


# -- a mediator's side ----------------------------------------------------------------


async def _mediator_case(request: web.Request) -> tuple[Services, str, Case]:
    me = await require_mediator(request)
    svc = services(request)
    case = await svc.cases.get_case_header(request.match_info["case_id"], me.id)
    return svc, me.id, case


async def _from_template(svc: Services, case: Case, me: str, body: FreezeIn) -> Document:
    if body.kind is TextKind.FREE:
        raise ApiError(ErrorCode.VALIDATION, "a free text needs its blocks")
    return await filled_template(svc, case, me, body.kind, body.language, body.timezone)


async def filled_template(
    svc: Services, case: Case, me: str, kind: TextKind, language: str, timezone: str
) -> Document:
    """The organisation's current template of ``kind`` filled from the case (as the
    mediator ``me`` sees it)."""
    outcome: CaseOutcome | None
    try:
        outcome = await svc.records.outcomes.get_outcome(case.id, me)
    except NotFound:
        outcome = None
    values = case_fields(
        case, language=language, today=utcnow().astimezone(zone(timezone)).date(),
        organisation=svc.config.seal.organisation_name,
        outcome=outcome.outcome if outcome else None,
        court_reference=outcome.court_reference if outcome else None,
    )  # fmt: skip
    template = await svc.records.templates.current(kind.value, language)
    return fill(template.body, values)


async def freeze_text(request: web.Request, body: FreezeIn) -> web.Response:
    """Freeze a text for the case's parties (and the counsel and mediators named)."""
    svc, me, case = await _mediator_case(request)
    if body.blocks is not None:
        document: Document = tuple(Block(b.kind, b.text.strip()) for b in body.blocks)
    else:
        document = await _from_template(svc, case, me, body)
    if body.title is not None:
        rest = tuple(b for b in document if b.kind is not BlockKind.TITLE)
        document = (Block(BlockKind.TITLE, body.title), *rest)
    missing = missing_glyphs(canonical(document))
    if missing:
        raise ApiError(ErrorCode.VALIDATION, f"the PDF cannot draw: {' '.join(missing)}")
    people = _people(case)
    parties = [(PersonKind.PARTICIPANT, p.id) for p in case.participants
               if p.role is ParticipantRole.PARTY]  # fmt: skip
    counsel = [(PersonKind.PARTICIPANT, pid) for pid in dict.fromkeys(body.counsel)]
    mediators = [(PersonKind.MEDIATOR, mid) for mid in dict.fromkeys(body.mediators or [me])]
    for key in counsel:
        if people.get(key, ("", "", None))[1] != ParticipantRole.COUNSEL.value:
            raise ApiError(ErrorCode.VALIDATION, "counsel: not one of this case's counsel")
    for key in mediators:
        if key not in people:
            raise ApiError(ErrorCode.VALIDATION, "mediators: not one of this case's mediators")
    if not parties:
        raise ApiError(ErrorCode.VALIDATION, "this case has no party to sign")
    frozen = await svc.records.signing.freeze(
        case.id, kind=body.kind, language=body.language, document=document,
        signers=[*parties, *counsel, *mediators], actor=f"mediator:{me}", via=via(request),
        user_agent=_agent(request),
    )  # fmt: skip
    logger.info("case %s: text %s frozen (%s)", case.id, frozen.id, frozen.kind)
    return reply(await _detail(svc, frozen, case), status=201)


async def list_texts(request: web.Request) -> web.Response:
    svc, me, case = await _mediator_case(request)
    texts = await _sealed_all(request, svc, case, await svc.records.signing.list_texts(case.id))
    return reply(TextListOut(texts=[_text_out(t, case) for t in texts], mediator_id=me))


async def get_text(request: web.Request) -> web.Response:
    svc, _me, case = await _mediator_case(request)
    text = await svc.records.signing.get_text(case.id, request.match_info["text_id"])
    return reply(await _detail(svc, text, case))


async def withdraw_text(request: web.Request) -> web.Response:
    svc, me, case = await _mediator_case(request)
    text = await svc.records.signing.withdraw(
        case.id, request.match_info["text_id"], actor=f"mediator:{me}", via=via(request),
        user_agent=_agent(request),
    )  # fmt: skip
    return reply(_text_out(text, case))


async def show_code(request: web.Request) -> web.Response:
    """A new code for a signer who has no e-mail address, for the mediator to show."""
    svc, me, case = await _mediator_case(request)
    text = await svc.records.signing.get_text(case.id, request.match_info["text_id"])
    signer = next((s for s in text.signers if s.id == request.match_info["signer_id"]), None)
    if signer is None or signer.person_kind is not PersonKind.PARTICIPANT:
        raise ApiError(ErrorCode.NOT_FOUND, "no such signer of this text")
    if _people(case).get((signer.person_kind, signer.person_id), ("", "", None))[2]:
        raise ApiError(ErrorCode.CONFLICT, "this signer gets their code by e-mail")
    try:
        code, expires = await svc.records.signing.new_code(
            case.id, text.id, signer.id, channel="shown", actor=f"mediator:{me}",
            via=via(request), user_agent=_agent(request),
        )  # fmt: skip
    except SigningRefused as exc:
        return _refused(exc)
    return reply(CodeOut(channel="shown", code=code, expires_at=expires))


async def _email_code(
    request: web.Request, svc: Services, case: Case, text: FrozenText, signer: Signer,
    actor: str,
) -> web.Response:  # fmt: skip
    name, _role, email = _people(case).get((signer.person_kind, signer.person_id),
                                           ("", "", None))  # fmt: skip
    if not email:
        return reply(CodeOut(channel="mediator"))
    masked = mask_address(email)
    try:
        code, expires = await svc.records.signing.new_code(
            case.id, text.id, signer.id, channel="email", masked_to=masked, actor=actor,
            via=via(request), user_agent=_agent(request),
        )  # fmt: skip
    except SigningRefused as exc:
        return _refused(exc)
    minutes = int(CODE_VALID.total_seconds() // 60)
    smtp = svc.config.smtp
    new = NewMail(
        case_id=case.id, session_id=None, participant_id=signer.person_id, kind=MAIL_KIND,
        language=text.language, message_id=new_message_id(smtp.sender),
        contents=signing_code_mail(email, name, code, minutes, text.language),
        note=None if smtp.configured else NO_SMTP,
    )  # fmt: skip
    await svc.records.outbox.create_mail(new, utcnow(), actor=actor, via=via(request))
    if svc.mail is not None:
        svc.mail.wake()
    return reply(CodeOut(channel="email", to=masked, expires_at=expires), status=202)


async def mediator_code(request: web.Request) -> web.Response:
    """The calling mediator's own code, sent to their account's address."""
    svc, me, case = await _mediator_case(request)
    text = await svc.records.signing.get_text(case.id, request.match_info["text_id"])
    signer = text.signer_of(PersonKind.MEDIATOR, me)
    if signer is None:
        raise ApiError(ErrorCode.FORBIDDEN, "you are not a signer of this text")
    return await _email_code(request, svc, case, text, signer, f"mediator:{me}")


def _signature(request: web.Request, body: SignIn) -> Signature:
    drawing: bytes | None = None
    if body.signature_png:
        try:
            drawing = base64.b64decode(body.signature_png.split(",")[-1], validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(ErrorCode.VALIDATION, "signature_png: not base64") from None
        _check_png(drawing)  # at most 512 KiB: quick
    elif not body.typed_signature:
        raise ApiError(ErrorCode.VALIDATION, "draw a signature or type one")
    return Signature(
        sha256=body.sha256, typed_name=body.typed_name, code=body.code.replace(" ", ""),
        user_agent=_agent(request), timezone=body.timezone, drawing_png=drawing,
        typed_signature=None if drawing else body.typed_signature,
    )  # fmt: skip


def _check_png(data: bytes) -> None:
    if len(data) > MAX_DRAWING_BYTES:
        raise ApiError(ErrorCode.VALIDATION, "signature_png: too large")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if max(image.size) > 2000:
                raise ApiError(ErrorCode.VALIDATION, "signature_png: too large")
            image.verify()
    except (OSError, Image.DecompressionBombError):
        raise ApiError(ErrorCode.VALIDATION, "signature_png: not a PNG image") from None


async def _sign(
    request: web.Request, svc: Services, case: Case, text_id: str, signer: Signer,
    body: SignIn, actor: str, session_id: str | None = None,
) -> web.Response:  # fmt: skip
    signature = _signature(request, body)
    try:
        text = await svc.records.signing.sign(
            case.id, text_id, signer.id, signature, actor=actor, via=via(request)
        )
    except SigningRefused as exc:
        logger.info("case %s: text %s: signature refused (%s)", case.id, text_id, exc.code)
        return _refused(exc)
    if text.all_signed:  # the next listing seals it if this cannot (logged)
        [text] = await _sealed_all(request, svc, case, [text])
    await announce_signature(request, case, text, signer, session_id)
    return reply(_text_out(text, case))


async def _seal(request: web.Request, svc: Services, case: Case, text: FrozenText) -> FrozenText:
    """Every signer signed: the PDF rendered, sealed and stored; the text is signed."""
    assert svc.seal is not None
    document = await svc.records.signing.read_document(case.id, text.id)
    evidence = [
        SignatureEvidence(
            s.typed_name,
            s.signed_at,
            s.timezone,
            "email_code" if s.method == Identification.EMAIL_OTP.value else "mediator_code",
            s.identified_to,
            s.user_agent,
            s.drawing_png,
        )
        for s in await svc.records.signing.signatures(case.id, text.id)
    ]
    at = utcnow()
    sealed = await seal_agreement(document, evidence, svc.seal, language=text.language,
                                  case_reference=case.reference, sealed_at=at)  # fmt: skip
    item = await store_signed(
        svc.records.casefile, case.id, sealed, template=text.kind.value, language=text.language,
        case_reference=case.reference, sealed_at=at, actor="system", via=via(request),
    )  # fmt: skip
    won = await svc.records.signing.set_sealed(case.id, text.id, item.id, actor="system",
                                               via=via(request))  # fmt: skip
    if won:
        logger.info("case %s: text %s signed by all and sealed", case.id, text.id)
    else:  # sealed at the same time by another request: one copy in the case file
        await svc.records.casefile.delete_item(item.id, actor="system", via=via(request))
    return await svc.records.signing.get_text(case.id, text.id)


async def _sealed_all(
    request: web.Request, svc: Services, case: Case, texts: list[FrozenText]
) -> list[FrozenText]:
    """The texts, each one signed by all but not sealed yet sealed now (the request that
    landed the last signature stopped before it could: a restart, a failure)."""
    out = []
    for text in texts:
        if text.state is TextState.OPEN and text.all_signed and text.sealed_item_id is None:
            try:
                text = await _seal(request, svc, case, text)
            except Exception:
                logger.exception("case %s: text %s could not be sealed", case.id, text.id)
        out.append(text)
    return out


async def mediator_sign(request: web.Request, body: SignIn) -> web.Response:
    svc, me, case = await _mediator_case(request)
    text = await svc.records.signing.get_text(case.id, request.match_info["text_id"])
    signer = text.signer_of(PersonKind.MEDIATOR, me)
    if signer is None:
        raise ApiError(ErrorCode.FORBIDDEN, "you are not a signer of this text")
    return await _sign(request, svc, case, text.id, signer, body, f"mediator:{me}")


async def _pdf(
    request: web.Request, svc: Services, text: FrozenText, actor: str, signer: str | None
) -> web.Response:
    if text.sealed_item_id is None:
        raise ApiError(ErrorCode.NOT_FOUND, "this text is not signed by all yet")
    meta, pdf = await read_signed(svc.records.casefile, text.case_id, text.sealed_item_id,
                                  actor=actor, via=via(request))  # fmt: skip
    await svc.records.signing.audit(text.case_id, text.id, "text.downloaded", actor=actor,
                                    via=via(request), signer=signer,
                                    user_agent=_agent(request))  # fmt: skip
    return web.Response(
        body=pdf, content_type="application/pdf",
        headers={"Content-Disposition": content_disposition("attachment", meta.name),
                 "Cache-Control": "no-store"},
    )  # fmt: skip


async def mediator_pdf(request: web.Request) -> web.Response:
    svc, me, case = await _mediator_case(request)
    text = await svc.records.signing.get_text(case.id, request.match_info["text_id"])
    return await _pdf(request, svc, text, f"mediator:{me}", None)


# -- a signer's side, from their link ----------------------------------------------------


async def _holder(request: web.Request) -> tuple[Services, JoinInfo, Case]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(ErrorCode.NOT_AUTHENTICATED, "send Authorization: Bearer <token>")
    svc = services(request)
    info = await svc.links.holder(token.strip())
    case = await _case_of(svc, info)
    return svc, info, case


async def _case_of(svc: Services, info: JoinInfo) -> Case:
    """The link's case as its mediators see it (names and roles of the signers)."""
    roster = await svc.schedule.get_roster(info.session.id)
    lead = next((m for m, _name, role in roster.mediators if role == "lead"), None)
    if lead is None and roster.mediators:
        lead = roster.mediators[0][0]
    if lead is None:
        raise ApiError(ErrorCode.NOT_FOUND, "this case has no mediator")
    return await svc.cases.get_case_header(info.session.case_id, lead)


async def _mine(request: web.Request) -> tuple[Services, JoinInfo, Case, FrozenText, Signer]:
    svc, info, case = await _holder(request)
    text = await svc.records.signing.get_text(case.id, request.match_info["text_id"])
    signer = text.signer_of(PersonKind.PARTICIPANT, info.link.participant_id)
    if signer is None:
        raise ApiError(ErrorCode.FORBIDDEN, "this text is not yours to sign")
    return svc, info, case, text, signer


async def my_texts(request: web.Request) -> web.Response:
    """The texts the link's holder signs (withdrawn ones left out)."""
    svc, info, case = await _holder(request)
    out = []
    for text in await _sealed_all(
        request, svc, case, await svc.records.signing.list_texts(case.id)
    ):
        signer = text.signer_of(PersonKind.PARTICIPANT, info.link.participant_id)
        if signer is None or text.state is TextState.WITHDRAWN:
            continue
        detail = await _detail(svc, text, case)
        out.append(MyTextOut(**detail.model_dump(), my_signer_id=signer.id))
    return reply(MyTextsOut(texts=out))


async def my_code(request: web.Request) -> web.Response:
    svc, info, case, text, signer = await _mine(request)
    actor = f"participant:{info.link.participant_id}"
    return await _email_code(request, svc, case, text, signer, actor)


async def my_sign(request: web.Request, body: SignIn) -> web.Response:
    svc, info, case, text, signer = await _mine(request)
    actor = f"participant:{info.link.participant_id}"
    return await _sign(request, svc, case, text.id, signer, body, actor, info.session.id)


async def my_pdf(request: web.Request) -> web.Response:
    svc, info, _case, text, signer = await _mine(request)
    return await _pdf(request, svc, text, f"participant:{info.link.participant_id}", signer.id)


def register_routes(api: Api) -> None:
    tag = "signing"
    texts = "/api/cases/{case_id}/texts"
    one = texts + "/{text_id}"
    api.add("POST", texts, freeze_text, tag=tag, body=FreezeIn, response=TextDetailOut,
            status=201, summary="Freeze a text to sign (blocks or a template)")  # fmt: skip
    api.add("GET", texts, list_texts, tag=tag, response=TextListOut,
            summary="The case's texts to sign and who has signed what")  # fmt: skip
    api.add("GET", one, get_text, tag=tag, response=TextDetailOut,
            summary="A frozen text, its hash and its signers")  # fmt: skip
    api.add("POST", f"{one}/withdraw", withdraw_text, tag=tag, response=TextOut,
            summary="Withdraw a text not signed by all yet")  # fmt: skip
    api.add("POST", f"{one}/signers/{{signer_id}}/code", show_code, tag=tag, response=CodeOut,
            summary="A code to show a signer who has no e-mail address")  # fmt: skip
    api.add("POST", f"{one}/code", mediator_code, tag=tag, response=CodeOut, status=202,
            summary="The calling mediator's own code, by e-mail")  # fmt: skip
    api.add("POST", f"{one}/sign", mediator_sign, tag=tag, body=SignIn, response=TextOut,
            summary="Sign as a mediator (once every other signer has)")  # fmt: skip
    api.add("GET", f"{one}/pdf", mediator_pdf, tag=tag, produces="application/pdf",
            summary="The sealed PDF")  # fmt: skip
    mine = "/api/join/texts"
    api.add("GET", mine, my_texts, tag=tag, response=MyTextsOut, auth=False,
            summary="The texts the link's holder signs (Bearer: their link's token)")  # fmt: skip
    api.add("POST", f"{mine}/{{text_id}}/code", my_code, tag=tag, response=CodeOut,
            status=202, auth=False, summary="Send the holder a one-time code")  # fmt: skip
    api.add("POST", f"{mine}/{{text_id}}/sign", my_sign, tag=tag, body=SignIn,
            response=TextOut, auth=False, summary="Sign a frozen text")  # fmt: skip
    api.add("GET", f"{mine}/{{text_id}}/pdf", my_pdf, tag=tag, produces="application/pdf",
            auth=False, summary="The sealed PDF, once every signer signed")  # fmt: skip
