"""Which node runs each live session.

A live session (its hub state, its relay, its media) runs on exactly one node at a time.
The node that runs it holds a *lease* on it; every other node sends its connections
there and forwards to it whatever it is asked to do to that session. With one node
(:class:`LocalPlacement`, the embedded default) this node holds every session.

Several nodes share their leases through Redis (``server``'s implementation): a lease
lasts ``lease_seconds`` unless its holder renews it, so a node that dies loses its
sessions to another node when that time has passed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

# Told that this node lost a session's lease (it expired, or Redis stayed out of reach
# too long): the node must stop running that session at once.
LostLease = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Claim:
    """The answer to "may this node run the session?": who holds it now."""

    holder: str  # the node that runs the session
    mine: bool  # ... and that node is this one


class Placement(Protocol):
    """The leases, as a node sees them."""

    @property
    def node_id(self) -> str: ...

    async def holder(self, session_id: str) -> str | None:
        """The node that runs ``session_id`` now, or None if no node does."""
        ...

    async def claim(self, session_id: str) -> Claim:
        """Takes the lease if nobody holds it (or this node does already), and says
        who holds it afterwards."""
        ...

    async def release(self, session_id: str) -> None:
        """Gives the lease up, if this node holds it."""
        ...

    def on_lost(self, callback: LostLease) -> None:
        """``callback(session_id)`` runs when this node loses a lease it held."""
        ...

    def drain(self) -> None:
        """From now on this node claims no session (it is stopping)."""
        ...


class LocalPlacement:
    """One node: it runs every session."""

    def __init__(self, node_id: str = "node-1") -> None:
        self._node_id = node_id
        self._draining = False

    @property
    def node_id(self) -> str:
        return self._node_id

    async def holder(self, session_id: str) -> str | None:
        return self._node_id

    async def claim(self, session_id: str) -> Claim:
        return Claim(self._node_id, mine=not self._draining)

    async def release(self, session_id: str) -> None:
        return None

    def on_lost(self, callback: LostLease) -> None:
        return None  # one node never loses a lease

    def drain(self) -> None:
        self._draining = True
