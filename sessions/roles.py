"""Roles in a live session.

A participant's role comes from the case file (the invitation), never from the
order of arrival, and never changes on reconnection.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MEDIATOR = "mediator"
    CO_MEDIATOR = "co_mediator"
    PARTY = "party"
    COUNSEL = "counsel"
    OBSERVER = "observer"


MEDIATOR_ROLES: frozenset[Role] = frozenset({Role.MEDIATOR, Role.CO_MEDIATOR})

_RANK: dict[Role, int] = {
    Role.MEDIATOR: 3,
    Role.CO_MEDIATOR: 2,
    Role.PARTY: 1,
    Role.COUNSEL: 1,
    Role.OBSERVER: 1,
}


def is_mediator(role: Role) -> bool:
    """Mediator or co-mediator: runs the session, enters without admission."""
    return role in MEDIATOR_ROLES


def enters_directly(role: Role) -> bool:
    """Whether this role skips the lobby (no knock, no admission, no room lock)."""
    return is_mediator(role)


def outranks(actor: Role, target: Role) -> bool:
    """Whether ``actor`` may act on ``target`` (mute, remove, move...)."""
    return _RANK[actor] > _RANK[target]
