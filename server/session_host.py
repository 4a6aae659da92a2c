"""The case file behind a live session, as signaling's ports: who is invited (roster), what
they agreed to (consent gate), the audit trail and what is kept at the end (archive), with
the board, document and live-state stores of :mod:`signaling.stores`; :func:`case_file_ports`
wires them."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

from records.encoding import encode
from records.errors import NotFound
from records.logs.consent_policy import ConsentPolicy
from records.service import Records
from records.stores.casefile import ItemKind
from records.stores.scheduling import (
    MEDIATOR_PREFIX,
    PARTICIPANT_PREFIX,
    ScheduleStore,
    mediator_key,
    participant_id_of,
    participant_key,
)
from server.board_exports import store_board
from sessions.chat import ChatMessage
from sessions.events import AuditEvent
from sessions.rooms import PLENARY, RoomKind
from sessions.whiteboard.board import BoardSnapshot
from signaling.ports import ChatKeepNotice, HubPorts, RosterEntry
from signaling.stores import CaseOf, JournalBoards, JournalTexts, StoredLiveStates, StoredShares

logger = logging.getLogger(__name__)


def audit_actor(key: str | None) -> str:
    """The records convention for who did something: ``mediator:<id>``, ``participant:<id>``."""
    if key is None:
        return "system"
    if key.startswith(MEDIATOR_PREFIX):
        return "mediator:" + key.removeprefix(MEDIATOR_PREFIX)
    if key.startswith(PARTICIPANT_PREFIX):
        return "participant:" + key.removeprefix(PARTICIPANT_PREFIX)
    return key


class CaseRoster:
    """The :class:`~signaling.ports.Roster`: the session's schedule and its links."""

    def __init__(self, schedule: ScheduleStore, case_of: CaseOf) -> None:
        self._schedule = schedule
        self._case_of = case_of

    async def roster(self, session_id: str) -> Sequence[RosterEntry]:
        roster = await self._schedule.get_roster(session_id)
        self._case_of.remember(session_id, roster.session.case_id)
        entries = [
            RosterEntry(mediator_key(mid), "mediator" if role == "lead" else "co_mediator", name)
            for mid, name, role in roster.mediators
        ]
        entries += [
            RosterEntry(participant_key(pid), role.value, name)
            for pid, name, role in roster.participants
        ]
        return entries

    async def revoke_link(self, session_id: str, key: str) -> None:
        pid = participant_id_of(key)
        if pid is not None:
            await self._schedule.revoke_participant_links(session_id, pid)

    async def revoked_links(self, session_id: str, link_ids: Collection[str]) -> set[str]:
        return await self._schedule.revoked_links(link_ids)

    async def media_encryption(self, session_id: str) -> str:
        return await self._schedule.media_encryption(session_id)

    async def end_session(self, session_id: str, took_part: Collection[str]) -> None:
        try:
            await self._schedule.end_session(session_id, took_part)
        except NotFound:
            logger.warning("session %s vanished before it ended", session_id)


class CaseConsent:
    """The :class:`~signaling.ports.ConsentGate`: the consent policy
    (:mod:`records.logs.consent_policy`) for the session's people, by their keys."""

    def __init__(self, schedule: ScheduleStore, records: Records) -> None:
        self._schedule = schedule
        self._policy = ConsentPolicy(records.consent, records.notices)

    async def version(self, session_id: str) -> str:
        return await self._policy.version()

    async def has_consent(self, session_id: str, key: str, version: str) -> bool:
        pid = participant_id_of(key)
        if pid is None:
            return True  # mediators are bound by their own professional undertaking
        return await self._policy.has_consent(session_id, pid)

    async def observers_allowed(self, session_id: str) -> bool:
        """Every party of the session agreed to the presence of observers."""
        roster = await self._schedule.get_roster(session_id)
        parties = [pid for pid, _name, role in roster.participants if role.value == "party"]
        return await self._policy.observers_agreed(session_id, parties)

    async def withdraw(self, session_id: str, key: str, user_agent: str) -> None:
        pid = participant_id_of(key)
        if pid is not None:
            await self._policy.withdraw(session_id, pid, user_agent)

    async def chat_keep_notice(self, language: str) -> ChatKeepNotice:
        n = await self._policy.chat_notice(language)
        return ChatKeepNotice(n.language, n.version, n.sha256, n.body)

    async def record_chat_agreement(
        self, session_id: str, key: str, agreed: bool, language: str, user_agent: str
    ) -> None:
        pid = participant_id_of(key)
        if pid is None:
            return  # the mediator proposes it; their agreement is implied
        await self._policy.record_chat_agreement(session_id, pid, agreed, language, user_agent)


class CaseAudit:
    """The :class:`~signaling.ports.AuditTrail`: records' tamper-evident audit log."""

    def __init__(self, records: Records, case_of: CaseOf) -> None:
        self._audit = records.audit
        self._case_of = case_of

    async def append(self, events: Sequence[AuditEvent]) -> None:
        for event in events:
            await self._audit.append(
                actor=audit_actor(event.actor),
                action=event.kind,
                case_id=self._case_of.known(event.session_id),
                session_id=event.session_id,
                subject=audit_actor(event.subject) if event.subject else None,
                detail={k: str(v)[:200] for k, v in event.details.items()},
                via="socket",
            )


class CaseArchive:
    """The :class:`~signaling.ports.Archive`: the plenary board and the kept chat, as case-file
    items."""

    def __init__(self, schedule: ScheduleStore, records: Records, case_of: CaseOf) -> None:
        self._schedule = schedule
        self._records = records
        self._case_of = case_of

    async def keep_board(self, session_id: str, board: BoardSnapshot, ended_by: str) -> None:
        session = (await self._schedule.get_roster(session_id)).session
        await store_board(
            self._records, session, PLENARY, RoomKind.PLENARY, board,
            actor=audit_actor(ended_by), via="socket", why="board.keep",
        )  # fmt: skip
        logger.info("session %s: the plenary board kept at the end (seq %d)", session_id, board.seq)

    async def keep_chat(self, session_id: str, messages: Sequence[ChatMessage]) -> None:
        content = encode({"session_id": session_id, "messages": [m.to_wire() for m in messages]})
        await self._records.casefile.put_item(
            await self._case_of(session_id), ItemKind.CHAT, content,
            actor="system", via="socket", session_id=session_id,
        )  # fmt: skip


def case_file_ports(schedule: ScheduleStore, records: Records) -> HubPorts:
    """The live hub's ports on the case file (one session-to-case lookup shared by all)."""
    case_of = CaseOf(schedule)
    return HubPorts(
        roster=CaseRoster(schedule, case_of),
        consent=CaseConsent(schedule, records),
        audit=CaseAudit(records, case_of),
        boards=JournalBoards(records.journal, case_of),
        documents=StoredShares(records.shares, records.casefile, case_of),
        archive=CaseArchive(schedule, records, case_of),
        live_states=StoredLiveStates(records.live, case_of),
        texts=JournalTexts(records.texts, case_of),
    )
