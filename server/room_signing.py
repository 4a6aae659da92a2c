"""Texts to sign from a live session's room: the :class:`~signaling.ports.RoomSigning` port.

A template is filled as the REST route fills it (:func:`server.rest.signing.filled_template`),
for the calling mediator. A room's text is frozen for every party of the case and the
mediator who froze it (counsel who must sign too: freeze from the case page). A signature
made from anywhere reaches the case's live sessions (:mod:`server.signing_news`).
"""

from __future__ import annotations

import logging
from typing import Any

from errors import ErrorCode
from records.agreements.documents import BlockKind, Document, canonical
from records.agreements.pdf import missing_glyphs
from records.agreements.signing import PersonKind, TextKind, TextState
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
        logger.info("case %s: text %s frozen from a room (%s)", case.id, frozen.id, kind)
        title = next((b.text for b in document if b.kind is BlockKind.TITLE), "")
        return FrozenInfo(frozen.id, frozen.sha256, frozen.kind.value, title)

    async def texts(self, session_id: str, key: str) -> list[dict[str, Any]]:
        """The case's texts to sign (not withdrawn), newest last, as the room shows them:
        to a mediator every one, with its signers and the case's id (for its routes); to a
        participant only those they sign, with how many have signed and whether they
        have; to anyone else nothing."""
        roster = await self._svc.schedule.get_roster(session_id)
        mediator = key[2:] if key.startswith("m-") else None
        participant = key[2:] if key.startswith("p-") else None
        lead = mediator or next((m for m, _n, role in roster.mediators if role == "lead"), None)
        lead = lead or (roster.mediators[0][0] if roster.mediators else None)
        if lead is None or (mediator is None and participant is None):
            return []
        case = await self._svc.cases.get_case_header(roster.session.case_id, lead)
        names = {p.id: (p.display_name, p.role.value, bool(p.email)) for p in case.participants}
        names.update({m.id: (m.display_name, "mediator", bool(m.email)) for m in case.mediators})
        out: list[dict[str, Any]] = []
        for text in await self._svc.records.signing.list_texts(case.id):
            if text.state is TextState.WITHDRAWN:
                continue
            mine = (text.signer_of(PersonKind.MEDIATOR, mediator) if mediator
                    else text.signer_of(PersonKind.PARTICIPANT, participant or ""))  # fmt: skip
            if mediator is None and mine is None:
                continue
            entry: dict[str, Any] = {
                "text_id": text.id, "kind": text.kind.value, "language": text.language,
                "sha256": text.sha256, "state": text.state.value,
                "signed": sum(1 for s in text.signers if s.signed_at is not None),
                "total": len(text.signers), "sealed": text.sealed_item_id is not None,
                "my_signer_id": mine.id if mine else None,
                "signed_by_me": bool(mine and mine.signed_at),
            }  # fmt: skip
            if mediator is not None:
                entry["case_id"] = case.id
                entry["signers"] = [
                    {"signer_id": s.id, "person_kind": s.person_kind.value,
                     "person_id": s.person_id, "name": names.get(s.person_id, ("—",))[0],
                     "role": names.get(s.person_id, ("", ""))[1],
                     "has_email": names.get(s.person_id, ("", "", False))[2],
                     "signed": s.signed_at is not None}
                    for s in text.signers
                ]  # fmt: skip
            out.append(entry)
        return out
