"""Shared documents over HTTP: upload into the case file, then view or download.

The bytes travel over HTTP (Socket.IO is for small messages); everything
else about a shared document (who sees it, withdrawal, the mediator's
download switch, "follow me") is the live session's, over Socket.IO.

- ``POST /api/sessions/{session_id}/documents``: the file is the raw request
  body; ``X-Filename`` (percent-encoded UTF-8) or ``?filename=`` names it;
  ``?visibility=room|private_meeting_members|mediators`` (default ``room``).
  The type is decided from the bytes (:mod:`records.uploads`), the file is
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

import logging
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote, unquote

from aiohttp import web
from pydantic import Field

from records.casefile import ItemKind
from records.errors import ErrorCode
from records.scheduling import participant_id_of
from records.uploads import DocumentMeta, UploadRefused, describe, pack, unpack
from server.api import Api, Out, Query, reply
from server.context import services
from server.errors import ApiError
from server.realtime import AUTHENTICATOR_KEY, NAMESPACE_KEY
from server.session_host import audit_actor
from sessions.documents import SharedDocument, Visibility
from sessions.service import LiveSession
from signaling.errors import SignalingError
from signaling.identity import Identity

logger = logging.getLogger(__name__)

T = TypeVar("T")

MB = 1024 * 1024
CHUNK = 64 * 1024
MAX_RAW_FILENAME = 2048
REFUSAL_STATUS = {
    ErrorCode.EMPTY_FILE: 422,
    ErrorCode.BROKEN_FILE: 422,
    ErrorCode.UNSUPPORTED_TYPE: 415,
}
# What a shared document can be (decided from its bytes, records/uploads.py).
DOCUMENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "text/plain")
# What the browser may do with a document opened on its own: nothing active.
CONTENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


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


# -- who is asking -------------------------------------------------------------------


async def caller(request: web.Request, session_id: str) -> Identity:
    """A party by link token (Bearer), else a mediator of this session by cookie."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, ErrorCode.NOT_AUTHENTICATED, "send Authorization: Bearer <token>")
        auth, cookies = {"token": token.strip()}, {}
    else:
        auth, cookies = {"session_id": session_id}, dict(request.cookies)
    identity = await request.app[AUTHENTICATOR_KEY].authenticate(auth, cookies)
    if identity.session_id != session_id:
        raise ApiError(403, ErrorCode.FORBIDDEN, "this link is for another session")
    return identity


async def _read(
    request: web.Request, identity: Identity, query: Callable[[LiveSession, str], T]
) -> T:
    """Asks the live session as ``identity``, who must be connected to it."""
    try:
        return await request.app[NAMESPACE_KEY].hub.read(identity, query)
    except SignalingError as exc:
        if exc.code is ErrorCode.NOT_AUTHENTICATED:  # signed in, but not in the session now
            raise ApiError(403, ErrorCode.NOT_IN_ROOM, "join the session first") from None
        raise


def _access(session: LiveSession, key: str, doc_id: str) -> tuple[bool, bool]:
    """May ``key`` see ``doc_id`` now, and download it?"""
    if doc_id not in {d.doc_id for d in session.documents_for(key)}:
        return False, False
    return True, session.can_download(key, doc_id)


# -- upload ----------------------------------------------------------------------------


class UploadQuery(Query):
    visibility: Visibility = Visibility.ROOM
    filename: str | None = Field(
        default=None, description="The file's name, when the X-Filename header is not sent"
    )


def _raw_filename(request: web.Request, query: UploadQuery) -> str:
    raw = request.headers.get("X-Filename") or query.filename or ""
    if len(raw) > MAX_RAW_FILENAME:
        raise ApiError(400, ErrorCode.VALIDATION, "filename: too long")
    return unquote(raw, errors="replace")


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """The request body, read in chunks and refused as soon as it passes ``limit``."""
    too_large = ApiError(
        413, ErrorCode.PAYLOAD_TOO_LARGE, f"a shared document is at most {limit // MB} MB"
    )
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def document_out(doc: SharedDocument, meta: DocumentMeta) -> DocumentOut:
    return DocumentOut(**doc.to_wire(), filename=meta.filename, mime=meta.mime, size=meta.size)


async def upload_document(request: web.Request, query: UploadQuery) -> web.Response:
    session_id = request.match_info["session_id"]
    identity = await caller(request, session_id)
    visibility = query.visibility
    raw_name = _raw_filename(request, query)
    if await _read(request, identity, lambda s, key: s.room_of(key)) is None:
        raise ApiError(403, ErrorCode.NOT_IN_ROOM, "join the session before sharing a document")
    svc = services(request)
    data = await _read_limited(request, svc.config.http.max_upload_bytes)
    try:
        meta, _ = describe(data, raw_name)
    except UploadRefused as exc:
        raise ApiError(REFUSAL_STATUS.get(exc.code, 400), exc.code, exc.message) from None
    roster = await svc.schedule.get_roster(session_id)
    actor = audit_actor(identity.key)
    casefile = svc.records.casefile
    info = await casefile.put_item(
        roster.session.case_id,
        ItemKind.DOCUMENT,
        pack(meta, data),
        actor=actor,
        via="http",
        session_id=session_id,
        provided_by=participant_id_of(identity.key),
    )
    hub = request.app[NAMESPACE_KEY].hub
    try:
        doc = await hub.call(
            identity,
            lambda s, key: s.share_document(key, info.id, meta.filename, visibility, meta.pages),
        )
    except BaseException:
        await casefile.delete_item(info.id, actor=actor, via="http")
        raise
    logger.info(
        "session %s: %s shared document %s (%s, %d bytes)",
        session_id, identity.key, info.id, meta.mime, meta.size,
    )  # fmt: skip
    return reply(document_out(doc, meta), 201)


# -- reading -----------------------------------------------------------------------------


def content_disposition(kind: str, filename: str) -> str:
    """``inline`` or ``attachment`` with the file's name, plain ASCII and UTF-8 (RFC 6266)."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def _serve(request: web.Request, *, attachment: bool) -> web.Response:
    session_id = request.match_info["session_id"]
    doc_id = request.match_info["doc_id"]
    identity = await caller(request, session_id)
    visible, allowed = await _read(request, identity, lambda s, key: _access(s, key, doc_id))
    if not visible:
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such document")
    if attachment and not allowed:
        raise ApiError(
            403, ErrorCode.DOWNLOAD_NOT_ALLOWED, "the mediator has not allowed downloading it"
        )
    item = await services(request).records.casefile.get_item(
        doc_id, actor=audit_actor(identity.key), via="http", session_id=session_id
    )
    if item.info.kind is not ItemKind.DOCUMENT or item.info.session_id != session_id:
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such document")
    try:
        meta, data = unpack(item.content)
    except ValueError:
        logger.error("session %s: document %s is damaged in the case file", session_id, doc_id)
        raise ApiError(500, ErrorCode.INTERNAL, "this document is damaged") from None
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
