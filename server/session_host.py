"""The case file behind a live session, as signaling's SessionHost: roster, consent, audit,
the boards' journal, the shared documents' state and the kept chat."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Collection, Mapping, Sequence
from importlib import resources
from typing import Any

from records.casefile import ItemKind
from records.consent import Decision
from records.encoding import encode
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
from sessions.errors import SessionError
from sessions.events import AuditEvent
from sessions.rooms import PLENARY, RoomKind
from sessions.wb_log import LoggedOp
from sessions.whiteboard import BoardSnapshot
from signaling.ports import ChatKeepNotice, RosterEntry

logger = logging.getLogger(__name__)

# The two things a participant agrees to, each against its own versioned text.
PURPOSES = {"mediation": "confidentiality", "privacy": "privacy"}
# Each party's agreement to the presence of the case's observers (trainees, co-mediation).
OBSERVER_PURPOSE = "observer_presence"
LANGUAGES = ("fr", "en")
# Keeping the chat after the session: every participant's agreement, against this text.
CHAT_PURPOSE = "chat_retention"
CHAT_NOTICE_VERSION = 1


def audit_actor(key: str | None) -> str:
    """The records convention for who did something: ``mediator:<id>``, ``participant:<id>``."""
    if key is None:
        return "system"
    if key.startswith(MEDIATOR_PREFIX):
        return "mediator:" + key.removeprefix(MEDIATOR_PREFIX)
    if key.startswith(PARTICIPANT_PREFIX):
        return "participant:" + key.removeprefix(PARTICIPANT_PREFIX)
    return key


def chat_notice(language: str) -> ChatKeepNotice:
    lang = language if language in LANGUAGES else LANGUAGES[0]
    text = resources.files("records").joinpath(f"texts/{CHAT_PURPOSE}.{lang}.md").read_text()
    body = text.strip()
    digest = hashlib.sha256(body.encode()).hexdigest()
    return ChatKeepNotice(lang, CHAT_NOTICE_VERSION, digest, body)


class CaseFileHost:
    def __init__(self, schedule: ScheduleStore, records: Records) -> None:
        self._schedule = schedule
        self._consent = records.consent
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

    async def current_versions(self) -> dict[tuple[str, str], int]:
        """Current version of each (text kind, language)."""
        out = {}
        for kind in PURPOSES.values():
            for lang in LANGUAGES:
                out[(kind, lang)] = (await self._notices.current(kind, lang)).version  # type: ignore[arg-type]
        return out

    async def consent_version(self, session_id: str) -> str:
        versions = await self.current_versions()
        return ".".join(f"{k[0][0]}{k[1]}{v}" for k, v in sorted(versions.items()))

    async def has_consent(self, session_id: str, key: str, version: str) -> bool:
        pid = participant_id_of(key)
        if pid is None:
            return True  # mediators are bound by their own professional undertaking
        current = await self._consent.current(session_id, pid)
        versions = await self.current_versions()
        for purpose, kind in PURPOSES.items():
            entry = current.get(purpose)
            if entry is None or entry.decision != "given":
                return False
            if versions.get((kind, entry.language)) != entry.text_version:
                return False
        return True

    async def observers_allowed(self, session_id: str) -> bool:
        """Every party of the session agreed to the presence of observers."""
        roster = await self._schedule.get_roster(session_id)
        for pid, _name, role in roster.participants:
            if role.value != "party":
                continue
            entry = (await self._consent.current(session_id, pid)).get(OBSERVER_PURPOSE)
            if entry is None or entry.decision != "given":
                return False
        return True

    async def withdraw_consent(self, session_id: str, key: str, user_agent: str) -> None:
        pid = participant_id_of(key)
        if pid is None:
            return
        current = await self._consent.current(session_id, pid)
        for purpose, entry in current.items():
            if entry.decision == "given":
                await self._consent.record(
                    session_id=session_id,
                    participant_id=pid,
                    purpose=purpose,
                    decision="withdrawn",
                    text_version=entry.text_version,
                    text_sha256=entry.text_sha256,
                    language=entry.language,
                    mechanism={"form": "room-withdraw-button", "user_agent": user_agent[:200]},
                    typed_name=None,
                )

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
        self, session_id: str, room_id: str, ops: Sequence[LoggedOp]
    ) -> Awaitable[None]:
        entries = [JournalEntry.of(op.seq, op.to_wire()) for op in ops]
        case_id = self._case_of.get(session_id)
        if case_id is not None:  # the usual case: queued for the next commit right away
            return self._journal.submit(case_id, session_id, room_id, entries)

        async def after_lookup() -> None:
            await self._journal.append(await self._case(session_id), session_id, room_id, entries)

        return asyncio.ensure_future(after_lookup())

    async def load_board(
        self, session_id: str, room_id: str, keep_through: int | None = None
    ) -> Sequence[LoggedOp]:
        case_id = await self._case(session_id)
        stored = await self._journal.load(case_id, session_id, room_id, keep_through=keep_through)
        ops = []
        for entry in stored:
            try:
                ops.append(LoggedOp.from_wire(entry.data()))
            except (SessionError, ValueError, KeyError, TypeError):
                logger.error(
                    "session %s: board %s: stored operation %d of %d unreadable; loaded before it",
                    session_id, room_id, entry.seq, len(stored),
                )  # fmt: skip
                break
        return ops

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
        content = encode({"session_id": session_id, "messages": list(messages)})
        await self._casefile.put_item(
            await self._case(session_id), ItemKind.CHAT, content,
            actor="system", via="socket", session_id=session_id,
        )  # fmt: skip

    async def chat_keep_notice(self, language: str) -> ChatKeepNotice:
        return chat_notice(language)

    async def record_chat_agreement(
        self, session_id: str, key: str, agreed: bool, language: str, user_agent: str
    ) -> None:
        pid = participant_id_of(key)
        if pid is None:
            return  # the mediator proposes it; their agreement is implied
        notice = chat_notice(language)
        before = (await self._consent.current(session_id, pid)).get(CHAT_PURPOSE)
        refused: Decision = (
            "withdrawn" if before is not None and before.decision == "given" else "declined"
        )
        await self._consent.record(
            session_id=session_id,
            participant_id=pid,
            purpose=CHAT_PURPOSE,
            decision="given" if agreed else refused,
            text_version=notice.version,
            text_sha256=notice.sha256,
            language=notice.language,
            mechanism={"form": "room-chat-keep", "user_agent": user_agent[:200]},
            typed_name=None,
        )
