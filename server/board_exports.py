"""Whiteboard exports in the case file: a board drawn as SVG and PNG, stored encrypted.

Each file is one case-file item of kind ``whiteboard_export`` under the case
key (kept and purged like shared documents, destroyed with the case), its
metadata (name, format, room, sequence number, digest) packed and encrypted
with it. Every export writes one audit entry that says what was exported,
never what it shows. Used by the mediator's *Exporter* (``server.rest.board``) and
at the end of a session, when the plenary board is kept without anyone
having to think of it (``session_host``).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from records.files.packing import pack_file, unpack_file
from records.models import utcnow
from records.service import Records
from records.stores.casefile import MAX_ITEM_BYTES, ItemInfo, ItemKind
from records.stores.scheduling import ScheduledSession
from sessions.rooms import RoomKind
from sessions.whiteboard.board import BoardSnapshot
from sessions.whiteboard.png import render_png
from sessions.whiteboard.svg import render_svg

MAGIC = b"PALABRE-BOARD-EXPORT\x01"
MIME = {"svg": "image/svg+xml", "png": "image/png"}
NAME_PREFIX = {RoomKind.PLENARY: "tableau-pleniere", RoomKind.PRIVATE: "tableau-reunion-privee"}
MAX_EXPORT_BYTES = MAX_ITEM_BYTES - 4096  # room for the header stored with the file


class BoardTooLarge(ValueError):
    """The drawn board would not fit in a case-file item."""


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
    return pack_file(MAGIC, asdict(meta), data)


def unpack(blob: bytes) -> tuple[ExportMeta, bytes]:
    """The metadata and the file; ``ValueError`` if ``blob`` is not a packed export."""
    fields, data = unpack_file(MAGIC, blob, "board export")
    try:
        return ExportMeta(**fields), data
    except TypeError as exc:
        raise ValueError("damaged board export header") from exc


def export_name(kind: RoomKind, at: datetime, fmt: str) -> str:
    """``tableau-pleniere-2026-12-02-1305.svg``, ``tableau-reunion-privee-...``."""
    return f"{NAME_PREFIX[kind]}-{at:%Y-%m-%d-%H%M}.{fmt}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def store_board(
    records: Records,
    session: ScheduledSession,
    room_id: str,
    kind: RoomKind,
    snapshot: BoardSnapshot,
    *,
    actor: str,
    via: str,
    why: str = "board.export",
) -> list[tuple[ExportMeta, ItemInfo]]:
    """Draw ``snapshot`` (off the event loop) and store it as SVG and PNG in one
    transaction with its audit entry; ``BoardTooLarge`` if it would not fit."""
    svg = await asyncio.to_thread(render_svg, snapshot.objects)
    png = await asyncio.to_thread(render_png, snapshot.objects)
    if max(len(svg), len(png)) > MAX_EXPORT_BYTES:
        raise BoardTooLarge("this board is too large to export")
    now = utcnow()
    local = now.astimezone(_zone(session.timezone))
    files = [
        (
            ExportMeta(
                name=export_name(kind, local, fmt),
                format=fmt,
                mime=MIME[fmt],
                room_id=room_id,
                room_kind=kind.value,
                seq=snapshot.seq,
                created_at=now.isoformat(),
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            ),
            data,
        )
        for fmt, data in (("svg", svg), ("png", png))
    ]
    detail: dict[str, Any] = {
        "room": kind.value,
        "room_id": room_id,
        "seq": snapshot.seq,
        "objects": len(snapshot.objects),
    }
    infos = await records.casefile.put_items(
        session.case_id,
        [(ItemKind.WHITEBOARD_EXPORT, pack(meta, data), None) for meta, data in files],
        actor=actor,
        via=via,
        session_id=session.id,
        summary=(why, detail),
    )
    return [(meta, info) for (meta, _), info in zip(files, infos, strict=True)]
