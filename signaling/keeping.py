"""What a live session keeps in the stores, and how a node opens one from them.

The hub (:mod:`signaling.live`) decides *when*: an outcome changed the session's durable
state, its documents, the links it revoked. This module is *how*: through the hub's
ports, with each store's failure logged and the change standing in memory (what the
next change, or the next tick, stores again). Opening a session is the reverse: the
consent version, the roster, the durable state this node claims (so that a node that
lost the session can no longer overwrite it), the rooms' boards and texts and the documents.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sessions.durable import DurableState
from sessions.errors import SessionError
from sessions.roles import Role
from sessions.rooms import PLENARY
from sessions.service import LiveSession
from signaling.board_recovery import BoardRecovery
from signaling.live_state import LiveState
from signaling.ports import HubPorts, LiveStateTaken, RosterEntry
from signaling.text_recovery import TextRecovery

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    """A session as a node picks it up."""

    session: LiveSession
    version: str
    roster: dict[str, RosterEntry]
    epoch: int | None  # this node's claim on the stored state (None: nothing stored)
    stored: DurableState | None  # what was stored of it, resumed


class Keeper:
    def __init__(
        self,
        ports: HubPorts,
        boards: BoardRecovery,
        *,
        grace: timedelta,
        resume_grace: timedelta,
        texts: TextRecovery | None = None,
    ) -> None:
        self._ports = ports
        self._boards = boards
        self._texts = texts
        self._grace = grace
        self._resume_grace = resume_grace  # a resumed seat's wait for its holder
        self._retries: set[asyncio.Task[None]] = set()

    # -- opening -----------------------------------------------------------------

    async def open(self, session_id: str) -> Opened:
        """The session carrying on from what was stored of it (or a fresh one)."""
        ports = self._ports
        version = await ports.consent.version(session_id)
        roster = {e.key: e for e in await ports.roster.roster(session_id)}
        epoch, stored = None, None
        if ports.live_states is not None:
            taken = await ports.live_states.claim(session_id)
            epoch, stored = taken.epoch, taken.state
        session = (
            self._fresh(session_id, version, roster)
            if stored is None
            else self._resumed(session_id, version, roster, stored)
        )
        for room_id in [PLENARY, *session.rooms.private_meetings()]:
            await self._boards.load(session, room_id)
            if self._texts is not None:
                await self._texts.load(session, room_id)
        if session.restore_documents(await ports.documents.load(session_id)):
            await self.save_documents(session)
        return Opened(session, version, roster, epoch, stored)

    def _resumed(
        self,
        session_id: str,
        version: str,
        roster: Mapping[str, RosterEntry],
        stored: DurableState,
    ) -> LiveSession:
        """A fresh session carrying on from ``stored`` (before its boards and documents are
        loaded: the rooms they belong to are back); should that fail, a fresh one, logged."""
        session = self._fresh(session_id, version, roster)
        try:
            session.resume(stored)
        except SessionError as exc:  # the store checks what it reads: not expected
            logger.error(
                "session %s: stored live state not resumed (%s)", session_id, type(exc).__name__
            )
            return self._fresh(session_id, version, roster)
        return session

    def _fresh(
        self, session_id: str, version: str, roster: Mapping[str, RosterEntry]
    ) -> LiveSession:
        session = LiveSession(
            session_id, version, grace=self._grace, resume_grace=self._resume_grace
        )
        for entry in roster.values():
            session.register(entry.key, Role(entry.role))
        return session

    # -- keeping -----------------------------------------------------------------

    async def store_live(self, live: LiveState) -> None:
        """Stores the session's durable state if the outcome changed it, before anyone is
        told. A failure is logged: the change stands in memory and is stored with the next
        one (or the next tick's, once a second). If another node claimed the session since,
        this node no longer stores anything for it (it lost the session)."""
        store = self._ports.live_states
        if store is None or live.epoch is None:
            return
        state = live.session.durable_state()
        if state == live.stored:
            return  # a drawing, a message: nothing of it outlives the process here
        session_id = live.session.session_id
        try:
            await store.save(session_id, live.epoch, state)
        except LiveStateTaken:
            logger.error("session %s: another node took this live session over", session_id)
            live.epoch = None
            return
        except Exception as exc:  # the database may fail in any way
            logger.warning("session %s: live state not stored (%s)", session_id, type(exc).__name__)
            return
        live.stored = state

    async def drop_live(self, live: LiveState) -> None:
        """The session ended: its stored live state goes (if that fails, the state stored
        says it ended, so that it stays ended)."""
        store = self._ports.live_states
        if store is None or live.epoch is None:
            return
        try:
            await store.drop(live.session.session_id)
        except Exception as exc:  # the database may fail in any way
            logger.warning(
                "session %s: ended live state not dropped (%s)",
                live.session.session_id, type(exc).__name__,
            )  # fmt: skip
        live.epoch = None

    async def save_documents(self, session: LiveSession) -> None:
        """Stores the documents' sharing state before the change is shown. A failure
        is logged: the change stands for the session in memory, and the next change
        stores the whole state again."""
        try:
            await self._ports.documents.save(session.session_id, session.documents.all())
        except Exception as exc:  # the database may fail in any way
            logger.warning(
                "session %s: shared documents' state not stored (%s)",
                session.session_id, type(exc).__name__,
            )  # fmt: skip

    async def discard_documents(self, session: LiveSession, doc_ids: Sequence[str]) -> None:
        """Deletes withdrawn documents' files once nobody can be shown them any more. A
        failure is logged: the withdrawal stands (the file is no longer shared)."""
        try:
            await self._ports.documents.discard(session.session_id, doc_ids)
        except Exception as exc:  # the database may fail in any way
            logger.warning(
                "session %s: %d withdrawn documents not deleted (%s)",
                session.session_id, len(doc_ids), type(exc).__name__,
            )  # fmt: skip

    async def revoke(self, session_id: str, pids: Sequence[str], attempts: int = 60) -> None:
        """Stores that ``pids``' links no longer work (removed, declined). Their connections
        are closed by the caller either way; if the database is down, this keeps trying
        in the background, once a second, so that the link cannot be used again later."""
        for pid in pids:
            try:
                await self._ports.roster.revoke_link(session_id, pid)
            except Exception as exc:  # the database may fail in any way
                logger.error(
                    "session %s: revoking %s's link failed (%s); trying again",
                    session_id, pid, type(exc).__name__,
                )  # fmt: skip
                if attempts > 1:
                    task = asyncio.create_task(self._revoke_later(session_id, pid, attempts - 1))
                    self._retries.add(task)
                    task.add_done_callback(self._retries.discard)

    async def _revoke_later(self, session_id: str, pid: str, attempts: int) -> None:
        await asyncio.sleep(1.0)
        await self.revoke(session_id, [pid], attempts)

    def close(self) -> None:
        """The server is stopping: retries stop (a revocation left undone is caught by the
        links' own checks when someone connects)."""
        for task in list(self._retries):
            task.cancel()
