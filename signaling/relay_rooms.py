"""Where the relay forwards each participant, kept in step with the domain's rooms.

After every outcome the hub asks for the relay to match the session: each participant in
the relay room of the domain room they are in (none while they are in no room), and what
the domain holds back (a mediator's mute, a screen no longer allowed) paused at the relay.
Only the differences from what the relay was last told are sent.
"""

from __future__ import annotations

import contextlib

from signaling.live_state import LiveState
from signaling.media import MediaRelay


class RelayRooms:
    def __init__(self, relay: MediaRelay) -> None:
        self._relay = relay

    async def sync(self, live: LiveState) -> None:
        for key in sorted(set(live.roster)):
            pid = f"{live.session.session_id}.{key}"
            want = live.desired_relay_room(key)
            have = live.relay_rooms.get(key)
            if want == have:
                continue
            if have is None and want is not None:
                await self._relay.join(pid, want)
                live.relay_rooms[key] = want
            elif want is None:
                await self._relay.leave(pid)
                del live.relay_rooms[key]
            else:
                assert want is not None
                await self._relay.set_room(pid, want)
                live.relay_rooms[key] = want
        await self._sync_paused(live)

    async def _sync_paused(self, live: LiveState) -> None:
        """A mediator's mute or camera stop holds at the relay until the person reopens it,
        and a screen is forwarded only while the domain allows its publisher to share one."""
        for key in sorted(live.relay_rooms):
            held = live.session.blocked_tracks(key)
            if held != live.paused.get(key, frozenset()):
                pid = f"{live.session.session_id}.{key}"
                for kind in ("audio", "video", "screen"):
                    await self._relay.set_paused(pid, kind, kind in held)
                live.paused[key] = held
        for key in [k for k in live.paused if k not in live.relay_rooms]:
            del live.paused[key]

    async def leave(self, live: LiveState) -> None:
        """Everyone of the session out of the relay (the node no longer runs it)."""
        for key in sorted(live.relay_rooms):
            with contextlib.suppress(Exception):  # closing what it can
                await self._relay.leave(f"{live.session.session_id}.{key}")
        live.relay_rooms.clear()
