"""Whiteboard exports into the case file: SVG and PNG of a room's board, for mediators.

- ``POST /api/sessions/{session_id}/board/export`` with ``{"room_id": ...}``:
  the board of that room of the live session (the plenary or a private
  meeting) is read through the live hub (a snapshot taken under the session's
  lock, nothing more), drawn as SVG and PNG off the event loop, and both files
  are stored encrypted in the case file under the case key (kind
  ``whiteboard_export``: kept and purged like shared documents, destroyed with
  the case), with an audit entry that says what was exported, never what it
  shows. Answers 201 ``{"seq", "files": [{"format", "file_id", "name", "size"}]}``.
- ``GET /api/sessions/{session_id}/board/exports/{file_id}``: the stored file
  as an attachment.

Only the session's mediators: a party (Bearer link token) gets 403
``forbidden``; a signed-in mediator of another case gets 404 as for any other
route of a session that is not theirs. The exporting mediator must be
connected to the live session (403 ``not_in_room`` otherwise).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from pydantic import StringConstraints

from records.audit import AuditRecord
from records.casefile import MAX_ITEM_BYTES, ItemKind
from records.errors import ErrorCode, NotFound
from records.models import utcnow
from records.scheduling import mediator_key
from server.api import Api, Out, Strict, reply
from server.context import require_mediator, services
from server.errors import ApiError
from server.realtime import AUTHENTICATOR_KEY, NAMESPACE_KEY
from server.routes_documents import caller
from server.session_host import audit_actor
from sessions.roles import Role, is_mediator
from sessions.rooms import RoomKind
from sessions.service import LiveSession
from sessions.wb_png import render_png
from sessions.wb_svg import render_svg
from sessions.whiteboard import BoardSnapshot
from signaling.errors import SignalingError
from signaling.identity import Identity

logger = logging.getLogger(__name__)

MAGIC = b"PALABRE-BOARD-EXPORT\x01"
MIME = {"svg": "image/svg+xml", "png": "image/png"}
NAME_PREFIX = {RoomKind.PLENARY: "tableau-pleniere", RoomKind.PRIVATE: "tableau-reunion-privee"}
# An exported drawing opened on its own: no script, no fetch, nothing active.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
MAX_EXPORT_BYTES = MAX_ITEM_BYTES - 4096  # room for the header stored with the file


class ExportIn(Strict):
    room_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ExportFileOut(Out):
    format: str
    file_id: str
    name: str
    size: int


class ExportOut(Out):
    seq: int
    files: list[ExportFileOut]


@dataclass(frozen=True, slots=True)
class ExportMeta:
    """What the case file keeps with an exported file (encrypted with it)."""

    name: str
    format: str
    mime: str
    room_id: str
    room_kind: str
    seq: int
    created_at: str
    size: int
    sha256: str


def pack(meta: ExportMeta, data: bytes) -> bytes:
    header = json.dumps(asdict(meta), ensure_ascii=False, separators=(",", ":")).encode()
    return MAGIC + len(header).to_bytes(4, "big") + header + data


def unpack(blob: bytes) -> tuple[ExportMeta, bytes]:
    """The metadata and the file; ``ValueError`` if ``blob`` is not a packed export."""
    start = len(MAGIC) + 4
    if not blob.startswith(MAGIC) or len(blob) < start:
        raise ValueError("not a board export")
    length = int.from_bytes(blob[len(MAGIC) : start], "big")
    try:
        meta = ExportMeta(**json.loads(blob[start : start + length]))
    except (ValueError, TypeError) as exc:
        raise ValueError("damaged board export header") from exc
    data = blob[start + length :]
    if len(data) != meta.size or hashlib.sha256(data).hexdigest() != meta.sha256:
        raise ValueError("board export does not match its header")
    return meta, data


def export_name(kind: RoomKind, at: datetime, fmt: str) -> str:
    """``tableau-pleniere-2026-12-02-1305.svg``, ``tableau-reunion-privee-...``."""
    return f"{NAME_PREFIX[kind]}-{at:%Y-%m-%d-%H%M}.{fmt}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# -- who is asking -----------------------------------------------------------------------


async def mediator_of(request: web.Request, session_id: str) -> str:
    """The key of a signed-in mediator of this session's case.

    A party (link token) gets 403, a mediator of another case 404."""
    if request.headers.get("Authorization") is not None:
        identity = await caller(request, session_id)  # a valid link, or 401/403
        if not is_mediator(Role(identity.role)):
            raise ApiError(403, ErrorCode.FORBIDDEN, "only the session's mediators may do this")
        return identity.key
    me = await require_mediator(request)
    await services(request).schedule.get_mediator_role(session_id, me.id)  # NotFound: 404
    return mediator_key(me.id)


def _board_of(session: LiveSession, room_id: str) -> tuple[RoomKind, BoardSnapshot]:
    if not session.rooms.exists(room_id):
        raise NotFound("no such room in this session")
    return session.rooms.view(room_id).kind, session.board(room_id).snapshot()


async def _snapshot(
    request: web.Request, identity: Identity, room_id: str
) -> tuple[RoomKind, BoardSnapshot]:
    """A room's board as it is now: only a snapshot is taken under the session's lock."""
    try:
        return await request.app[NAMESPACE_KEY].hub.read(
            identity, lambda s, _key: _board_of(s, room_id)
        )
    except SignalingError as exc:
        if exc.code is ErrorCode.NOT_AUTHENTICATED:  # signed in, but not in the session now
            raise ApiError(403, ErrorCode.NOT_IN_ROOM, "join the session first") from None
        raise


# -- export ------------------------------------------------------------------------------


async def export_board(request: web.Request, body: ExportIn) -> web.Response:
    session_id = request.match_info["session_id"]
    await mediator_of(request, session_id)
    auth = {"session_id": session_id}
    identity = await request.app[AUTHENTICATOR_KEY].authenticate(auth, dict(request.cookies))
    kind, snapshot = await _snapshot(request, identity, body.room_id)
    svg = await asyncio.to_thread(render_svg, snapshot.objects)
    png = await asyncio.to_thread(render_png, snapshot.objects)
    if max(len(svg), len(png)) > MAX_EXPORT_BYTES:
        raise ApiError(413, ErrorCode.PAYLOAD_TOO_LARGE, "this board is too large to export")
    svc = services(request)
    session = (await svc.schedule.get_roster(session_id)).session
    now = utcnow()
    local = now.astimezone(_zone(session.timezone))
    metas = [
        ExportMeta(
            name=export_name(kind, local, fmt),
            format=fmt,
            mime=MIME[fmt],
            room_id=body.room_id,
            room_kind=kind.value,
            seq=snapshot.seq,
            created_at=now.isoformat(),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        for fmt, data in (("svg", svg), ("png", png))
    ]
    actor = audit_actor(identity.key)
    casefile = svc.records.casefile
    async with svc.db.transaction() as s:
        keys: dict[str, tuple[str, bytes]] = {}
        pending: list[AuditRecord] = []
        infos = []
        for meta, data in zip(metas, (svg, png), strict=True):
            info = await casefile.put_item_in(
                s, session.case_id, ItemKind.WHITEBOARD_EXPORT, pack(meta, data), actor=actor,
                via="http", session_id=session_id, key_cache=keys, pending_audit=pending,
            )  # fmt: skip
            infos.append(info)
        detail: dict[str, Any] = {
            "room": kind.value,
            "room_id": body.room_id,
            "seq": snapshot.seq,
            "objects": len(snapshot.objects),
            "items": ",".join(i.id for i in infos),
        }
        pending.append(
            AuditRecord(actor, "board.export", session.case_id, session_id, None, detail, "http")
        )
        await s.flush()
        await svc.records.audit.append_many_in(s, pending)
    logger.info(
        "session %s: %s exported the %s board (seq %d, %d objects)",
        session_id, identity.key, kind.value, snapshot.seq, len(snapshot.objects),
    )  # fmt: skip
    files = [
        ExportFileOut(format=m.format, file_id=i.id, name=m.name, size=m.size)
        for m, i in zip(metas, infos, strict=True)
    ]
    return reply(ExportOut(seq=snapshot.seq, files=files), 201)


# -- download ----------------------------------------------------------------------------


def _disposition(filename: str) -> str:
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename)
    return f'attachment; filename="{ascii_name}"'


async def download_export(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    file_id = request.match_info["file_id"]
    key = await mediator_of(request, session_id)
    session = (await services(request).schedule.get_roster(session_id)).session
    missing = ApiError(404, ErrorCode.NOT_FOUND, "no such board export")
    casefile = services(request).records.casefile
    infos = await casefile.list_items(session.case_id, kinds={ItemKind.WHITEBOARD_EXPORT})
    if not any(i.id == file_id and i.session_id == session_id for i in infos):
        raise missing
    item = await casefile.get_item(
        file_id, actor=audit_actor(key), via="http", session_id=session_id,
        case_id=session.case_id,
    )  # fmt: skip
    try:
        meta, data = unpack(item.content)
    except ValueError:
        logger.error("session %s: board export %s is damaged", session_id, file_id)
        raise ApiError(500, ErrorCode.INTERNAL, "this export is damaged") from None
    headers = {
        "Content-Type": MIME.get(meta.format, "application/octet-stream"),
        "Content-Disposition": _disposition(meta.name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if meta.format == "svg":
        headers["Content-Security-Policy"] = SVG_CSP
    return web.Response(body=data, headers=headers)


def register_routes(api: Api) -> None:
    base = "/api/sessions/{session_id}/board"
    api.add(
        "POST", base + "/export", export_board,
        summary="Export a room's whiteboard (SVG and PNG) into the case file", tag="board",
        body=ExportIn, response=ExportOut, status=201,
    )  # fmt: skip
    api.add(
        "GET", base + "/exports/{file_id}", download_export,
        summary="Download a whiteboard export", tag="board", produces="application/octet-stream",
    )  # fmt: skip
