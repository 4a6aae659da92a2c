"""Whiteboard exports into the case file: SVG and PNG of a room's board, for mediators.

- ``POST /api/sessions/{session_id}/board/export`` with ``{"room_id": ...}``:
  the board of that room of the live session (the plenary or a private
  meeting) is read from the live session, wherever it runs (a snapshot taken
  under the session's lock, nothing more), drawn as SVG and PNG and stored encrypted in the case
  file (:mod:`server.board_exports`). Answers 201
  ``{"seq", "files": [{"format", "file_id", "name", "size"}]}``.
- ``GET /api/sessions/{session_id}/board/exports/{file_id}``: the stored file
  as an attachment.

Only the session's mediators: a party (Bearer link token) gets 403
``forbidden``; a signed-in mediator of another case gets 404 as for any other
route of a session that is not theirs. The exporting mediator must be
connected to the live session (403 ``not_in_room`` otherwise).
"""

from __future__ import annotations

import logging

from aiohttp import web

from errors import ErrorCode
from records.stores.casefile import ItemKind
from records.stores.scheduling import mediator_key
from server.board_exports import MIME, BoardTooLarge, store_board, unpack
from server.context import require_mediator, services
from server.errors import ApiError
from server.realtime import AUTHENTICATOR_KEY, GATEWAY_KEY
from server.rest.api import Api, Out, Strict, reply
from server.rest.shared import caller
from server.session_host import audit_actor
from sessions.roles import Role, is_mediator
from sessions.rooms import RoomKind
from sessions.whiteboard.board import BoardSnapshot
from signaling.errors import SignalingError
from signaling.identity import Identity
from signaling.protocol import RoomId

logger = logging.getLogger(__name__)

# An exported drawing opened on its own: no script, no fetch, nothing active.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class ExportIn(Strict):
    room_id: RoomId


class ExportFileOut(Out):
    format: str
    file_id: str
    name: str
    size: int


class ExportOut(Out):
    seq: int
    files: list[ExportFileOut]


# -- who is asking -----------------------------------------------------------------------


async def mediator_of(request: web.Request, session_id: str) -> str:
    """The key of a signed-in mediator of this session's case.

    A party (link token) gets 403, a mediator of another case 404."""
    if request.headers.get("Authorization") is not None:
        identity = await caller(request, session_id)  # a valid link, or 401/403
        if not is_mediator(Role(identity.role)):
            raise ApiError(ErrorCode.FORBIDDEN, "only the session's mediators may do this")
        return identity.key
    me = await require_mediator(request)
    await services(request).schedule.get_mediator_role(session_id, me.id)  # NotFound: 404
    return mediator_key(me.id)


async def _snapshot(
    request: web.Request, identity: Identity, room_id: str
) -> tuple[RoomKind, BoardSnapshot]:
    """A room's board as it is now: only a snapshot is taken under the session's lock
    (on the node that runs the session)."""
    try:
        return await request.app[GATEWAY_KEY].board_of(identity, room_id)
    except SignalingError as exc:
        if exc.code is ErrorCode.NOT_AUTHENTICATED:  # signed in, but not in the session now
            raise ApiError(ErrorCode.NOT_IN_ROOM, "join the session first") from None
        raise


# -- export ------------------------------------------------------------------------------


async def export_board(request: web.Request, body: ExportIn) -> web.Response:
    session_id = request.match_info["session_id"]
    await mediator_of(request, session_id)
    auth = {"session_id": session_id}
    identity = await request.app[AUTHENTICATOR_KEY].authenticate(auth, dict(request.cookies))
    kind, snapshot = await _snapshot(request, identity, body.room_id)
    svc = services(request)
    session = (await svc.schedule.get_roster(session_id)).session
    try:
        stored = await store_board(
            svc.records, session, body.room_id, kind, snapshot,
            actor=audit_actor(identity.key), via="http",
        )  # fmt: skip
    except BoardTooLarge as exc:
        raise ApiError(ErrorCode.PAYLOAD_TOO_LARGE, str(exc)) from None
    logger.info(
        "session %s: %s exported the %s board (seq %d, %d objects)",
        session_id, identity.key, kind.value, snapshot.seq, len(snapshot.objects),
    )  # fmt: skip
    files = [
        ExportFileOut(format=m.format, file_id=i.id, name=m.name, size=m.size) for m, i in stored
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
    missing = ApiError(ErrorCode.NOT_FOUND, "no such board export")
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
        raise ApiError(ErrorCode.INTERNAL, "this export is damaged") from None
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
        summary="Download a whiteboard export", tag="board", produces=MIME["svg"],
        also_produces=(MIME["png"],),
    )  # fmt: skip
