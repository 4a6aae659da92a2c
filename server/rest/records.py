"""Case-file routes: private notes, the files (shared documents, board exports),
audit trail, data-subject export and erasure.

Only the case's mediators reach any of these (checked here, on the server);
every read and write of an item is audited by the records layer itself.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, StringConstraints

from errors import ErrorCode
from records.agreements.signed import unpack as unpack_agreement
from records.files.uploads import unpack as unpack_document
from records.logs.audit import AuditEntry
from records.rights.subjects import erase_subject, export_html, export_subject
from records.stores.casefile import Item, ItemKind
from records.stores.scheduling import participant_key
from server.board_exports import MIME as EXPORT_TYPES
from server.board_exports import unpack as unpack_export
from server.context import require_mediator, services
from server.errors import ApiError
from server.rest.api import Api, Out, Query, Strict, reply
from server.rest.fields import FILLED_TEXT, STRIP
from server.rest.shared import (
    CONTENT_CSP,
    DOCUMENT_TYPES,
    content_disposition,
    tell_sessions,
    via,
)
from signaling.commands import ParticipantErased

logger = logging.getLogger(__name__)

NoteBody = Annotated[str, StringConstraints(max_length=20000, pattern=FILLED_TEXT), STRIP]


class NoteIn(Strict):
    body: NoteBody


class NoteOut(Out):
    id: str
    version: int
    body: str
    created_by: str
    created_at: datetime
    updated_at: datetime


class NoteListOut(Out):
    notes: list[NoteOut]


class CaseFileOut(Out):
    id: str
    kind: str  # "document", "whiteboard_export" or "agreement" (a sealed PDF)
    session_id: str | None
    created_at: datetime
    size: int


class CaseFileListOut(Out):
    files: list[CaseFileOut]


class AuditEntryOut(Out):
    seq: int
    at: datetime
    actor: str
    action: str
    session_id: str | None
    subject: str | None
    detail: dict[str, str | int | bool | None]
    via: str


class AuditListOut(Out):
    entries: list[AuditEntryOut]
    next_before: int | None


class KeptOut(Out):
    what: str
    why: str


class ErasureOut(Out):
    participant_id: str
    erased: list[str]
    kept: list[KeptOut]


async def _mediator_of(request: web.Request) -> tuple[str, str]:
    """``(case_id, actor)`` once the signed-in mediator is one of the case's mediators."""
    me = await require_mediator(request)
    case_id = request.match_info["case_id"]
    await services(request).cases.require_mediator(case_id, me.id)
    return case_id, f"mediator:{me.id}"


def _note(item: Item) -> NoteOut:
    info = item.info
    return NoteOut(
        id=info.id, version=info.version, body=item.text, created_by=info.created_by,
        created_at=info.created_at, updated_at=info.updated_at,
    )  # fmt: skip


async def list_notes(request: web.Request) -> web.Response:
    case_id, actor = await _mediator_of(request)
    items = await services(request).records.casefile.read_items(
        case_id, kinds={ItemKind.PRIVATE_NOTE}, actor=actor, via=via(request)
    )
    return reply(NoteListOut(notes=[_note(i) for i in items]))


# -- files: what was shared and drawn in the sessions, kept after them -------------------

FILE_KINDS = {ItemKind.DOCUMENT, ItemKind.WHITEBOARD_EXPORT, ItemKind.AGREEMENT}


async def list_files(request: web.Request) -> web.Response:
    """Metadata only, newest first: nothing is decrypted, so nothing is read."""
    case_id, _ = await _mediator_of(request)
    infos = await services(request).records.casefile.list_items(case_id, kinds=FILE_KINDS)
    ordered = sorted(infos, key=lambda i: (i.created_at, i.id), reverse=True)
    files = [
        CaseFileOut(
            id=i.id,
            kind=i.kind.value,
            session_id=i.session_id,
            created_at=i.created_at,
            size=i.size,
        )
        for i in ordered
    ]
    return reply(CaseFileListOut(files=files))


async def download_file(request: web.Request) -> web.Response:
    """A shared document, a board export or a sealed agreement, as the attachment it was
    (the read is audited)."""
    case_id, actor = await _mediator_of(request)
    casefile = services(request).records.casefile
    file_id = request.match_info["file_id"]
    infos = await casefile.list_items(case_id, kinds=FILE_KINDS)
    info = next((i for i in infos if i.id == file_id), None)
    if info is None:
        raise ApiError(ErrorCode.NOT_FOUND, "no such file in this case file")
    item = await casefile.get_item(
        file_id, actor=actor, via=via(request), session_id=info.session_id, case_id=case_id
    )
    try:
        if info.kind is ItemKind.DOCUMENT:
            document, data = unpack_document(item.content)
            name, mime = document.filename, document.mime
        elif info.kind is ItemKind.AGREEMENT:
            agreement, data = unpack_agreement(item.content)
            name, mime = agreement.name, agreement.mime
        else:
            export, data = unpack_export(item.content)
            name, mime = export.name, export.mime
    except ValueError:
        logger.error("case %s: file %s is damaged in the case file", case_id, file_id)
        raise ApiError(ErrorCode.INTERNAL, "this file is damaged") from None
    return web.Response(
        body=data,
        headers={
            "Content-Type": "text/plain; charset=utf-8" if mime == "text/plain" else mime,
            "Content-Disposition": content_disposition("attachment", name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": CONTENT_CSP,
        },
    )


async def create_note(request: web.Request, body: NoteIn) -> web.Response:
    case_id, actor = await _mediator_of(request)
    casefile = services(request).records.casefile
    info = await casefile.put_item(
        case_id, ItemKind.PRIVATE_NOTE, body.body.encode("utf-8"), actor=actor, via=via(request)
    )
    return reply(_note(Item(info, body.body.encode("utf-8"))), 201)


async def update_note(request: web.Request, body: NoteIn) -> web.Response:
    case_id, actor = await _mediator_of(request)
    info = await services(request).records.casefile.put_item(
        case_id, ItemKind.PRIVATE_NOTE, body.body.encode("utf-8"), actor=actor,
        via=via(request), item_id=request.match_info["note_id"],
    )  # fmt: skip
    return reply(_note(Item(info, body.body.encode("utf-8"))))


async def delete_note(request: web.Request) -> web.Response:
    case_id, actor = await _mediator_of(request)
    casefile = services(request).records.casefile
    note_id = request.match_info["note_id"]
    notes = await casefile.list_items(case_id, kinds={ItemKind.PRIVATE_NOTE})
    if note_id not in {n.id for n in notes}:
        raise ApiError(ErrorCode.NOT_FOUND, "no such note")
    await casefile.delete_item(note_id, actor=actor, via=via(request))
    return web.Response(status=204)


def _audit_out(e: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        seq=e.seq, at=e.at, actor=e.actor, action=e.action, session_id=e.session_id,
        subject=e.subject, detail=e.detail, via=e.via,
    )  # fmt: skip


class AuditQuery(Query):
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    before: Annotated[int, Field(ge=1, le=2**62, description="Entries before this seq")] | None = (
        None
    )


async def case_audit(request: web.Request, query: AuditQuery) -> web.Response:
    case_id, _actor = await _mediator_of(request)
    limit, before = query.limit, query.before
    entries = await services(request).records.audit.for_case(case_id, limit, before)
    next_before = entries[-1].seq if len(entries) == limit else None
    return reply(AuditListOut(entries=[_audit_out(e) for e in entries], next_before=next_before))


async def _participant_of(request: web.Request) -> tuple[str, str, str]:
    case_id, actor = await _mediator_of(request)
    participant_id = request.match_info["participant_id"]
    await services(request).cases.get_participant(case_id, participant_id)
    return case_id, participant_id, actor


class SubjectExportQuery(Query):
    format: Literal["json", "html"] = "json"


async def export_participant(request: web.Request, query: SubjectExportQuery) -> web.Response:
    _case_id, participant_id, actor = await _participant_of(request)
    fmt = query.format
    doc = await export_subject(
        services(request).records, participant_id, actor=actor, via=via(request)
    )
    name = f"palabre-export-{participant_id}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if fmt == "html":
        return web.Response(
            text=export_html(doc), content_type="text/html", charset="utf-8", headers=headers
        )
    return web.Response(
        text=json.dumps(doc, ensure_ascii=False, indent=2), content_type="application/json",
        headers=headers,
    )  # fmt: skip


async def erase_participant(request: web.Request) -> web.Response:
    case_id, participant_id, actor = await _participant_of(request)
    svc = services(request)
    report = await erase_subject(svc.records, participant_id, actor=actor, via=via(request))
    # their links went with their data: if they are in a live session, they leave it now
    sessions = await svc.schedule.list_sessions(case_id, actor.removeprefix("mediator:"))
    key = participant_key(participant_id)
    await tell_sessions(request, sessions, lambda sid: ParticipantErased(session_id=sid, key=key))
    return reply(ErasureOut.model_validate(report))


class LegalHoldIn(Strict):
    on: bool


async def legal_hold(request: web.Request, body: LegalHoldIn) -> web.Response:
    me = await require_mediator(request)
    await services(request).cases.set_legal_hold(
        request.match_info["case_id"], me.id, body.on, via=via(request)
    )
    return web.Response(status=204)


class SubjectExportOut(Out):
    """Versioned export (format ``palabre-subject-export``); see records.rights.subjects."""

    format: str
    version: int
    generated_at: str
    participant: dict[str, Any]
    provided: list[dict[str, Any]]
    whiteboard: list[dict[str, Any]]
    consents: list[dict[str, Any]]


def register_routes(api: Api) -> None:
    tag = "case file"
    base = "/api/cases/{case_id}"
    api.add("GET", f"{base}/notes", list_notes, summary="Private notes of a case (mediators only)",
            tag=tag, response=NoteListOut)  # fmt: skip
    api.add("POST", f"{base}/notes", create_note, summary="Add a private note", tag=tag,
            body=NoteIn, response=NoteOut, status=201)  # fmt: skip
    api.add("PUT", f"{base}/notes/{{note_id}}", update_note,
            summary="Edit a private note (a new encrypted version)", tag=tag, body=NoteIn,
            response=NoteOut)  # fmt: skip
    api.add("DELETE", f"{base}/notes/{{note_id}}", delete_note, summary="Delete a private note",
            tag=tag, status=204)  # fmt: skip
    api.add("GET", f"{base}/files", list_files, tag=tag, response=CaseFileListOut,
            summary="Shared documents and board exports of a case (mediators only)")  # fmt: skip
    api.add("GET", f"{base}/files/{{file_id}}", download_file, tag=tag,
            summary="Download a shared document or a board export from the case file",
            produces=DOCUMENT_TYPES[0],
            also_produces=(*DOCUMENT_TYPES[1:], EXPORT_TYPES["svg"]))  # fmt: skip
    api.add("POST", f"{base}/legal-hold", legal_hold,
            summary="Set or lift a legal hold (suspends purge and erasure)", tag=tag,
            body=LegalHoldIn, status=204)  # fmt: skip
    api.add("GET", f"{base}/audit", case_audit,
            summary="Audit trail of a case, newest first (?limit=&before=)", tag=tag,
            query=AuditQuery, response=AuditListOut)  # fmt: skip
    api.add("GET", f"{base}/participants/{{participant_id}}/export", export_participant,
            summary="A participant's data: what they provided and their consents "
            "(?format=json|html)", tag=tag, query=SubjectExportQuery,
            response=SubjectExportOut, also_produces=("text/html",))  # fmt: skip
    api.add("POST", f"{base}/participants/{{participant_id}}/erase", erase_participant,
            summary="Erase a participant's data on request; says what was kept and why",
            tag=tag, response=ErasureOut)  # fmt: skip
