"""Each media room's key group, kept in step with the session (end-to-end media encryption).

After every outcome the hub asks for the key groups to match the session's media rooms
(:mod:`sessions.e2ee` decides epochs and distributors): each group that changed goes to a
new epoch and its members are told (``e2ee:room``); the mediators are told who can
encrypt (``e2ee:status``). Wrapped room keys go from a group's distributor to each member
alone (``e2ee:key``). Nothing here ever holds a room key: only public keys, and keys
wrapped for one member each.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from sessions.e2ee import MEDIATOR_ROLES
from signaling.live_state import LiveState
from signaling.ports import Emitter

logger = logging.getLogger(__name__)


class KeyRooms:
    """Keeps each media room's key group in step with the session, and tells its members."""

    def __init__(self, emitter: Emitter, clock: Callable[[], float] = time.monotonic) -> None:
        self._out = emitter
        self._clock = clock

    async def sync(self, live: LiveState) -> None:
        """After any change: the groups whose members or keys changed go to a new epoch and
        each of their members is told; the mediators see who can encrypt."""
        session = live.session
        sids = live.sids
        rooms = {k: room for k in live.roster if (room := session.media_room(k)) is not None}
        roles = {k: entry.role for k, entry in live.roster.items()}
        for group in live.keys.update(rooms, sids, roles, self._clock()):
            to = [sids[m.key] for m in group.members if m.key in sids]
            logger.info(
                "session %s: key group %s at epoch %d (%d members, %s)",
                session.session_id, group.group, group.epoch, len(group.members),
                group.mode.value,
            )  # fmt: skip
            if to:
                await self._out.emit("e2ee:room", group.payload(), to)
        states = live.keys.states(live.roster, sids, self._clock())
        for key, sid in sorted(sids.items()):
            if roles.get(key) not in MEDIATOR_ROLES:
                continue
            if live.key_status.get(sid) != states:
                live.key_status[sid] = states
                await self._out.emit("e2ee:status", {"participants": states}, sid)
        for sid in [s for s in live.key_status if s not in sids.values()]:
            del live.key_status[sid]

    async def announce(
        self, live: LiveState, key: str, connection: str, public_key: str | None, supported: bool
    ) -> None:
        live.keys.announce(key, connection, public_key, supported)
        await self.sync(live)

    async def opened(self, live: LiveState, key: str, group: str, epoch: int) -> None:
        """``key``'s page holds ``group``'s key at ``epoch``: the mediators' overview says so."""
        if live.keys.opened(key, group, epoch):
            await self.sync(live)

    async def hand_out(
        self,
        live: LiveState,
        sender: str,
        group_id: str,
        epoch: int,
        wrapped_keys: Mapping[str, tuple[str, str]],
    ) -> None:
        """Each wrapped key ({recipient: (iv, data)}) to its recipient alone, once the
        directory let ``sender`` hand out ``group_id``'s key at ``epoch``."""
        group = live.keys.check_distribution(sender, group_id, epoch, wrapped_keys)
        sids = live.sids
        for recipient, (iv, data) in sorted(wrapped_keys.items()):
            sid = sids.get(recipient)
            if sid is None:
                continue
            payload = {
                "group": group.group,
                "epoch": group.epoch,
                "from": sender,
                "iv": iv,
                "data": data,
            }
            await self._out.emit("e2ee:key", payload, sid)
