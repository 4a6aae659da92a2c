"""The case file behind a live session, as signaling's SessionHost: roster, consent, audit,
the boards' journal, the shared documents' state and the kept chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Collection, Mapping, Sequence
from typing import Any

from records.casefile import ItemKind
from records.consent_policy import ConsentPolicy
from records.errors import NotFound
from records.journal import JournalEntry
from records.scheduling import (
    MEDIATOR_PREFIX,
    PARTICIPANT_PREFIX,
    ScheduleStore,
    mediator_key,
    participant_id_of,
    participant_key,
)
from records.service import Records
from server.board_exports import store_board
from sessions.events import AuditEvent
from sessions.rooms import PLENARY, RoomKind
from sessions.whiteboard import BoardSnapshot
from signaling import codec
from signaling.ports import ChatKeepNotice, RosterEntry

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


def _compact(data: Mapping[str, Any]) -> bytes:
    return codec.dumpb(data)


class CaseFileHost:
    def __init__(self, schedule: ScheduleStore, records: Records) -> None:
        self._schedule = schedule
        self._consent = records.consent
        self._policy = ConsentPolicy(records.consent, records.notices)
        self._audit = records.audit
        self._notices = records.notices
        self._casefile = records.casefile
        self._journal = records.journal
        self._shares = records.shares
        self._records = records
        self._case_of: dict[str, str] = {}

    async def _case(self, session_id: str) -> str:
        case_id = self._case_of.get(session_id)
        if case_id is None:
            case_id = (await self._schedule.get_roster(session_id)).session.case_id
            self._case_of[session_id] = case_id
        return case_id

    async def roster(self, session_id: str) -> Sequence[RosterEntry]:
        roster = await self._schedule.get_roster(session_id)
        self._case_of[session_id] = roster.session.case_id
        entries = [
            RosterEntry(mediator_key(mid), "mediator" if role == "lead" else "co_mediator", name)
            for mid, name, role in roster.mediators
        ]
        entries += [
            RosterEntry(participant_key(pid), role.value, name)
            for pid, name, role in roster.participants
        ]
        return entries

    async def consent_version(self, session_id: str) -> str:
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

    async def withdraw_consent(self, session_id: str, key: str, user_agent: str) -> None:
        pid = participant_id_of(key)
        if pid is not None:
            await self._policy.withdraw(session_id, pid, user_agent)

    async def audit(self, events: Sequence[AuditEvent]) -> None:
        for event in events:
            case_id = self._case_of.get(event.session_id)
            await self._audit.append(
                actor=audit_actor(event.actor),
                action=event.kind,
                case_id=case_id,
                session_id=event.session_id,
                subject=audit_actor(event.subject) if event.subject else None,
                detail={k: str(v)[:200] for k, v in event.details.items()},
                via="socket",
            )

    async def revoke_link(self, session_id: str, key: str) -> None:
        pid = participant_id_of(key)
        if pid is not None:
            await self._schedule.revoke_participant_links(session_id, pid)

    async def revoked_links(self, session_id: str, link_ids: Collection[str]) -> set[str]:
        return await self._schedule.revoked_links(link_ids)

    async def end_session(self, session_id: str) -> None:
        try:
            await self._schedule.set_status(session_id, "ended")
        except NotFound:
            logger.warning("session %s vanished before it ended", session_id)

    # -- whiteboard and chat ------------------------------------------------------

    def store_board_ops(
        self, session_id: str, room_id: str, ops: Sequence[Mapping[str, Any]]
    ) -> Awaitable[None]:
        entries = [JournalEntry(int(op["seq"]), _compact(op)) for op in ops]
        case_id = self._case_of.get(session_id)
        if case_id is not None:  # the usual case: queued for the next commit right away
            return self._journal.submit(case_id, session_id, room_id, entries)

        async def after_lookup() -> None:
            await self._journal.append(await self._case(session_id), session_id, room_id, entries)

        return asyncio.ensure_future(after_lookup())

    async def load_board(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> Sequence[Mapping[str, Any]]:
        case_id = await self._case(session_id)
        stored = await self._journal.load(case_id, session_id, room_id, keep_through=keep_through)
        return [codec.loads(entry.content) for entry in stored]

    async def save_documents(self, session_id: str, documents: Sequence[Mapping[str, Any]]) -> None:
        await self._shares.save(await self._case(session_id), session_id, documents)

    async def load_documents(self, session_id: str) -> Sequence[Mapping[str, Any]]:
        return await self._shares.load(await self._case(session_id), session_id)

    async def discard_documents(self, session_id: str, doc_ids: Sequence[str]) -> None:
        casefile = self._records.casefile
        stored = await casefile.list_items(
            await self._case(session_id), kinds={ItemKind.DOCUMENT}, session_id=session_id
        )
        mine = {item.id for item in stored}
        for doc_id in doc_ids:
            if doc_id in mine:
                await casefile.delete_item(doc_id, actor=audit_actor(None), via="socket")

    async def keep_board(self, session_id: str, board: BoardSnapshot, ended_by: str) -> None:
        session = (await self._schedule.get_roster(session_id)).session
        await store_board(
            self._records, session, PLENARY, RoomKind.PLENARY, board,
            actor=audit_actor(ended_by), via="socket", why="board.keep",
        )  # fmt: skip
        logger.info("session %s: the plenary board kept at the end (seq %d)", session_id, board.seq)

    async def keep_chat(self, session_id: str, messages: Sequence[Mapping[str, Any]]) -> None:
        content = _compact({"session_id": session_id, "messages": list(messages)})
        await self._casefile.put_item(
            await self._case(session_id), ItemKind.CHAT, content,
            actor="system", via="socket", session_id=session_id,
        )  # fmt: skip

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
