"""Shared documents over HTTP: upload into the case file, then view or download.

The bytes travel over HTTP (Socket.IO is for small messages); everything
else about a shared document (who sees it, withdrawal, the mediator's
download switch, "follow me") is the live session's, over Socket.IO.

- ``POST /api/sessions/{session_id}/documents``: the file is the raw request
  body; ``X-Filename`` (percent-encoded UTF-8) or ``?filename=`` names it;
  ``?visibility=room|private_meeting_members|mediators`` (default ``room``);
  ``?room_id=`` the room it is uploaded for: if the uploader is moved while it
  travels (into or out of a private meeting), it is refused, never shared in
  the room they are in by then.
  The type is decided from the bytes (:mod:`records.files.uploads`), the file is
  stored encrypted in the case file (a party's upload under that party's
  key, so erasing them destroys it), then shared in the uploader's current
  room: the live session tells exactly the people who may see it
  (``doc:shared``).
- ``GET .../documents/{doc_id}/content``: for viewing, to whoever may see it
  now (404 to anyone else, never revealing that it exists).
- ``GET .../documents/{doc_id}/download``: as an attachment, only when the
  mediator allowed it (or to its owner).

Who is asking: a party sends ``Authorization: Bearer <link token>``; a
mediator is signed in (cookie). State-changing calls also pass the CSRF
double-submit check, whichever way the caller authenticated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import unquote

from aiohttp import web
from pydantic import Field

from errors import ErrorCode
from records.files.uploads import DocumentMeta, prepare, unpack
from records.stores.casefile import ItemKind
from records.stores.scheduling import participant_id_of
from server.context import services
from server.errors import ApiError
from server.realtime import GATEWAY_KEY
from server.rest.api import Api, Out, Query, reply
from server.rest.shared import CONTENT_CSP, DOCUMENT_TYPES, caller, content_disposition
from server.session_host import audit_actor
from server.uploading import UPLOAD_DESK_KEY, receive
from sessions.documents import SharedDocument, Visibility
from signaling.errors import SignalingError
from signaling.namespace import DEVICE_ID

logger = logging.getLogger(__name__)

MAX_RAW_FILENAME = 2048


class DocumentOut(Out):
    doc_id: str
    owner: str
    title: str
    visibility: str
    room_id: str
    download_allowed: bool
    pages: int | None
    filename: str
    mime: str
    size: int
    # hidden information taken out of the file before it was stored (on upload only):
    # exif, location, xmp, iptc, text, comment, document_info, trailing_data, other
    metadata_removed: list[str] = Field(default_factory=list)


# -- who is asking -------------------------------------------------------------------


DEVICE_HEADER = "X-Palabre-Device"


def device(request: web.Request) -> str | None:
    """The browser's device id sent with a party's link (the page's ``deviceId()``)."""
    raw = request.headers.get(DEVICE_HEADER)
    return raw if raw is not None and DEVICE_ID.fullmatch(raw) else None


@contextlib.contextmanager
def _in_session() -> Iterator[None]:
    """Asking the live session as someone who must be connected to it (a party: from the
    device holding their seat): not being connected is ``not_in_room``."""
    try:
        yield
    except SignalingError as exc:
        if exc.code is ErrorCode.NOT_AUTHENTICATED:  # signed in, but not in the session now
            raise ApiError(ErrorCode.NOT_IN_ROOM, "join the session first") from None
        raise


# -- upload ----------------------------------------------------------------------------


class UploadQuery(Query):
    visibility: Visibility = Visibility.ROOM
    filename: str | None = Field(
        default=None, description="The file's name, when the X-Filename header is not sent"
    )
    room_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")] | None = Field(
        default=None,
        description="The room it is uploaded for: refused if the uploader has moved since",
    )


def _raw_filename(request: web.Request, query: UploadQuery) -> str:
    raw = request.headers.get("X-Filename") or query.filename or ""
    if len(raw) > MAX_RAW_FILENAME:
        raise ApiError(ErrorCode.VALIDATION, "filename: too long")
    return unquote(raw, errors="replace")


def document_out(
    doc: SharedDocument, meta: DocumentMeta, removed: frozenset[str] = frozenset()
) -> DocumentOut:
    return DocumentOut(
        **doc.to_wire(), filename=meta.filename, mime=meta.mime, size=meta.size,
        metadata_removed=sorted(removed),
    )  # fmt: skip


async def upload_document(request: web.Request, query: UploadQuery) -> web.Response:
    session_id = request.match_info["session_id"]
    identity = await caller(request, session_id)
    visibility = query.visibility
    raw_name = _raw_filename(request, query)
    aimed_at = query.room_id
    gateway = request.app[GATEWAY_KEY]
    svc = services(request)
    # who may share, and whether the session and their room allow it: before any byte is read
    with _in_session():
        room = await gateway.room_of(identity, device(request))
    if room is None:
        raise ApiError(ErrorCode.NOT_IN_ROOM, "join the session before sharing a document")
    case_id = (await svc.schedule.get_roster(session_id)).session.case_id
    stored = await svc.records.casefile.count_items(
        case_id, ItemKind.DOCUMENT, session_id=session_id
    )  # withdrawn documents a mediator kept count too
    await gateway.check_share(identity, device(request), aimed_at, stored)
    desk = request.app[UPLOAD_DESK_KEY]
    async with desk.slot(session_id, identity.key):
        with await receive(request, svc.config.http.max_upload_bytes) as body:
            async with desk.worker():
                prepared = await desk.check(lambda until: prepare(body.read(), raw_name, until))
                roster = await svc.schedule.get_roster(session_id)
                actor = audit_actor(identity.key)
                casefile = svc.records.casefile
                info = await casefile.put_item(
                    roster.session.case_id,
                    ItemKind.DOCUMENT,
                    prepared.packed,
                    actor=actor,
                    via="http",
                    session_id=session_id,
                    provided_by=participant_id_of(identity.key),
                )
        meta, removed = prepared.meta, prepared.removed
        del prepared  # the packed file: no longer needed in memory
        try:
            doc = await gateway.share_document(
                identity, device(request), info.id, meta.filename, visibility, meta.pages,
                aimed_at,
            )  # fmt: skip
        except BaseException:
            await casefile.delete_item(info.id, actor=actor, via="http")
            raise
    logger.info(
        "session %s: %s shared document %s (%s, %d bytes)",
        session_id, identity.key, info.id, meta.mime, meta.size,
    )  # fmt: skip
    return reply(document_out(doc, meta, removed), 201)


# -- reading -----------------------------------------------------------------------------


async def _serve(request: web.Request, *, attachment: bool) -> web.Response:
    session_id = request.match_info["session_id"]
    doc_id = request.match_info["doc_id"]
    identity = await caller(request, session_id)
    with _in_session():
        visible, allowed = await request.app[GATEWAY_KEY].document_access(
            identity, device(request), doc_id
        )
    if not visible:
        raise ApiError(ErrorCode.NOT_FOUND, "no such document")
    if attachment and not allowed:
        raise ApiError(
            ErrorCode.DOWNLOAD_NOT_ALLOWED, "the mediator has not allowed downloading it"
        )
    item = await services(request).records.casefile.get_item(
        doc_id, actor=audit_actor(identity.key), via="http", session_id=session_id
    )
    if item.info.kind is not ItemKind.DOCUMENT or item.info.session_id != session_id:
        raise ApiError(ErrorCode.NOT_FOUND, "no such document")
    try:
        meta, data = await asyncio.to_thread(unpack, item.content)  # hashes the whole file
    except ValueError:
        logger.error("session %s: document %s is damaged in the case file", session_id, doc_id)
        raise ApiError(ErrorCode.INTERNAL, "this document is damaged") from None
    content_type = "text/plain; charset=utf-8" if meta.mime == "text/plain" else meta.mime
    return web.Response(
        body=data,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": content_disposition(
                "attachment" if attachment else "inline", meta.filename
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Content-Security-Policy": CONTENT_CSP,
        },
    )


async def document_content(request: web.Request) -> web.Response:
    return await _serve(request, attachment=False)


async def download_document(request: web.Request) -> web.Response:
    return await _serve(request, attachment=True)


def register_routes(api: Api) -> None:
    base = "/api/sessions/{session_id}/documents"
    api.add(
        "POST", base, upload_document, summary="Share a document in the live session",
        tag="documents", query=UploadQuery, response=DocumentOut, status=201,
        consumes="application/octet-stream",
    )  # fmt: skip
    api.add(
        "GET", base + "/{doc_id}/content", document_content,
        summary="A shared document's content, for viewing", tag="documents",
        produces=DOCUMENT_TYPES[0], also_produces=DOCUMENT_TYPES[1:],
    )  # fmt: skip
    api.add(
        "GET", base + "/{doc_id}/download", download_document,
        summary="Download a shared document (when the mediator allows it)", tag="documents",
        produces=DOCUMENT_TYPES[0], also_produces=DOCUMENT_TYPES[1:],
    )  # fmt: skip
