"""Texts to sign from a live session's room: the :class:`~signaling.ports.RoomSigning` port,
and telling the room when a signature lands.

A template is filled as the REST route fills it (:func:`server.rest.signing.filled_template`),
for the calling mediator. A room's text is frozen for every party of the case and the
mediator who froze it (counsel who must sign too: freeze from the case page). Which
session a text was frozen in is kept in memory (this process), so that a signature made
from anywhere reaches the room; a party's signature also reaches their link's session.
"""

from __future__ import annotations

import logging

from errors import ErrorCode
from records.agreements.documents import BlockKind, Document, canonical
from records.agreements.pdf import missing_glyphs
from records.agreements.signing import PersonKind, TextKind
from records.stores.cases import Case, ParticipantRole
from server.context import Services
from server.errors import ApiError
from server.rest.signing import filled_template
from signaling.ports import FrozenInfo

logger = logging.getLogger(__name__)


def _mediator_id(key: str) -> str:
    if not key.startswith("m-"):
        raise ApiError(ErrorCode.FORBIDDEN, "only a mediator may do this")
    return key[2:]


class CaseRoomSigning:
    def __init__(self, svc: Services) -> None:
        self._svc = svc
        self._sessions: dict[str, str] = {}  # text id -> the session it was frozen in

    async def _case(self, session_id: str, key: str) -> tuple[str, Case]:
        me = _mediator_id(key)
        roster = await self._svc.schedule.get_roster(session_id)
        return me, await self._svc.cases.get_case_header(roster.session.case_id, me)

    async def template(
        self, session_id: str, key: str, kind: str, language: str, timezone: str
    ) -> Document:
        me, case = await self._case(session_id, key)
        return await filled_template(self._svc, case, me, TextKind(kind), language, timezone)

    async def freeze(
        self, session_id: str, key: str, room_id: str, kind: str, language: str,
        document: Document,
    ) -> FrozenInfo:  # fmt: skip
        me, case = await self._case(session_id, key)
        missing = missing_glyphs(canonical(document))
        if missing:
            raise ApiError(ErrorCode.VALIDATION, f"the PDF cannot draw: {' '.join(missing)}")
        parties = [(PersonKind.PARTICIPANT, p.id) for p in case.participants
                   if p.role is ParticipantRole.PARTY]  # fmt: skip
        if not parties:
            raise ApiError(ErrorCode.VALIDATION, "this case has no party to sign")
        frozen = await self._svc.records.signing.freeze(
            case.id, kind=TextKind(kind), language=language, document=document,
            signers=[*parties, (PersonKind.MEDIATOR, me)], actor=f"mediator:{me}",
            via="socket", room_id=room_id,
        )  # fmt: skip
        self._sessions[frozen.id] = session_id
        logger.info("case %s: text %s frozen from a room (%s)", case.id, frozen.id, kind)
        title = next((b.text for b in document if b.kind is BlockKind.TITLE), "")
        return FrozenInfo(frozen.id, frozen.sha256, frozen.kind.value, title)

    def session_of(self, text_id: str) -> str | None:
        return self._sessions.get(text_id)
