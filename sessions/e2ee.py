"""End-to-end media encryption: who holds which media key, decided without ever seeing one.

The browsers encrypt every audio and video frame with a key of their media room (the
plenary, each private meeting, a lone ``hold-<key>`` room) that the server never learns.
This module is the server's part, pure and synchronous: a *directory* of what each
connected page announced (its ECDH public key, or that it cannot encrypt frames) and,
for every media room, its *key group*:

* its members, each ``ready`` (announced a public key), ``unsupported`` (its browser has
  no frame-transform API: only where the case allows it) or ``pending`` (nothing
  announced yet on this connection: it receives no key, so it decodes nothing);
* an **epoch**, renewed on every change of who is in the group or of their keys (a join,
  a leave, a removal, a move into or out of a private meeting, a reconnection with a new
  key pair). Each epoch is a new room key: someone who left cannot decode what is said
  after, a newcomer what was said before. Epochs come from one counter per session, so a
  key index (the epoch's low byte, carried in every frame) names one key at a time;
* its **distributor**: the page that makes the epoch's key and sends it to each ready
  member wrapped for that member alone (ECDH + HKDF + AES-GCM in the browsers). A
  mediator or co-mediator of the group first, else the smallest key: every page can
  tell who it is, and the server only lets that page hand out that epoch's key;
* a distributor that has not handed the epoch's key out after :data:`KEYING_PATIENCE`
  seconds (its page hung, or will not) is passed over: a new epoch, another distributor;
* its **mode**: ``e2ee``, or ``transport`` (encrypted only as far as the server) as soon
  as one member is ``unsupported``, shown to everyone in the group.

The server relays public keys and wrapped keys; a server that swapped a public key would
change the verification code every page derives from the group's public keys, which the
people in the room compare aloud.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sessions.errors import Forbidden, InvalidState
from sessions.roles import Role


class Capability(StrEnum):
    READY = "ready"
    UNSUPPORTED = "unsupported"
    PENDING = "pending"


class Mode(StrEnum):
    E2EE = "e2ee"
    TRANSPORT = "transport"  # someone's browser cannot encrypt frames: the case allows it


MEDIATOR_ROLES = frozenset({Role.MEDIATOR.value, Role.CO_MEDIATOR.value})
KEYING_PATIENCE = 10.0  # seconds a group waits for its distributor before another is chosen
KEYING_GRACE = 3.0  # seconds a member may take to open a new epoch's key before it shows


@dataclass(frozen=True)
class Announcement:
    """What one page said of itself on one connection."""

    connection: str
    public_key: str | None
    supported: bool


@dataclass(frozen=True)
class Member:
    key: str
    public_key: str | None
    state: Capability


@dataclass(frozen=True)
class KeyGroup:
    """One media room's key group at one epoch."""

    group: str
    epoch: int
    mode: Mode
    distributor: str | None
    members: tuple[Member, ...]

    def ready(self) -> frozenset[str]:
        return frozenset(m.key for m in self.members if m.state is Capability.READY)

    def public_key(self, key: str) -> str | None:
        return next((m.public_key for m in self.members if m.key == key), None)

    def payload(self) -> dict[str, Any]:
        """``e2ee:room``, as every member receives it."""
        return {
            "group": self.group,
            "epoch": self.epoch,
            "mode": self.mode.value,
            "distributor": self.distributor,
            "members": [
                {"key": m.key, "public_key": m.public_key, "state": m.state.value}
                for m in self.members
            ],
        }


@dataclass
class KeyDirectory:
    """The key groups of one live session (held by the hub, recomputed after each change)."""

    next_epoch: int
    announced: dict[str, Announcement] = field(default_factory=dict)
    groups: dict[str, KeyGroup] = field(default_factory=dict)
    since: dict[str, float] = field(default_factory=dict)  # group -> when its epoch began
    keyed: set[str] = field(default_factory=set)  # groups whose epoch key was handed out
    passed_over: dict[str, set[str]] = field(default_factory=dict)  # group -> stalled distributors
    holding: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (group, epoch)

    def announce(self, key: str, connection: str, public_key: str | None, supported: bool) -> None:
        """``key``'s page on ``connection`` can encrypt frames with this ECDH public key
        (``supported``), or cannot (no public key)."""
        if supported and public_key is None:
            raise InvalidState("a page that encrypts frames announces its public key")
        self.announced[key] = Announcement(connection, public_key if supported else None, supported)

    def capability(self, key: str, connection: str | None) -> Capability:
        """What ``key``'s page on its current ``connection`` announced (an announcement
        made on an earlier connection is another page's, or a reloaded one's)."""
        said = self.announced.get(key)
        if said is None or connection is None or said.connection != connection:
            return Capability.PENDING
        return Capability.READY if said.supported else Capability.UNSUPPORTED

    def update(
        self,
        rooms: Mapping[str, str],
        connections: Mapping[str, str],
        roles: Mapping[str, str],
        now: float = 0.0,
    ) -> list[KeyGroup]:
        """The groups to tell, each at a new epoch: those whose members or keys changed, and
        those whose distributor let :data:`KEYING_PATIENCE` pass without handing out a key.

        ``rooms``: each connected participant's media room (those in none are left out);
        ``connections``: the connection holding each seat; ``roles``: each one's role;
        ``now``: a monotonic clock's reading, in seconds.
        """
        gone = [k for k, said in self.announced.items() if connections.get(k) != said.connection]
        for key in gone:
            del self.announced[key]
            self.holding.pop(key, None)  # that page is gone: a new one announces itself again
        by_group: dict[str, list[str]] = {}
        for key, group in rooms.items():
            by_group.setdefault(group, []).append(key)
        changed = []
        for group, keys in sorted(by_group.items()):
            members = tuple(self._member(k, connections.get(k)) for k in sorted(keys))
            current = self.groups.get(group)
            if current is not None and current.members == members:
                if not self._stalled(current, now):
                    continue
                passed = self.passed_over.setdefault(group, set())
                passed.add(str(current.distributor))
            else:
                self.passed_over.pop(group, None)
            fresh = KeyGroup(
                group=group,
                epoch=self._take_epoch(),
                mode=_mode(members),
                distributor=_distributor(members, roles, self.passed_over.get(group, set())),
                members=members,
            )
            self.groups[group] = fresh
            self.since[group] = now
            self.keyed.discard(group)
            changed.append(fresh)
        for group in [g for g in self.groups if g not in by_group]:
            del self.groups[group]  # empty now: a group that forms again starts a new epoch
            self.since.pop(group, None)
            self.keyed.discard(group)
            self.passed_over.pop(group, None)
        return changed

    def check_distribution(
        self, sender: str, group: str, epoch: int, recipients: Collection[str]
    ) -> KeyGroup:
        """The group whose epoch key ``sender`` hands out to ``recipients``; refused unless
        ``sender`` is its distributor at that epoch and each recipient a ready member."""
        current = self.groups.get(group)
        if current is None or sender not in {m.key for m in current.members}:
            raise Forbidden("not a member of this key group")
        if epoch != current.epoch:
            raise InvalidState("this key group has moved on to another epoch")
        if current.distributor != sender:
            raise Forbidden("only the key group's distributor hands out its key")
        strangers = set(recipients) - current.ready()
        if strangers:
            raise Forbidden("a room key goes to the key group's ready members only")
        self.keyed.add(group)
        return current

    def opened(self, key: str, group: str, epoch: int) -> bool:
        """``key``'s page says it holds ``group``'s key at ``epoch`` (False: not its group's
        current epoch, nothing recorded)."""
        current = self.groups.get(group)
        if current is None or current.epoch != epoch or key not in current.ready():
            return False
        self.holding[key] = (group, epoch)
        return True

    def states(
        self, keys: Collection[str], connections: Mapping[str, str], now: float = 0.0
    ) -> dict[str, str]:
        """What each of ``keys`` can do and whether it is in effect, for the mediators'
        overview: ``ready`` (encrypting end to end with their room's current key),
        ``keying`` (their page has not opened the current key for a few seconds),
        ``transport`` (can encrypt, but shares a room with a browser that cannot),
        ``unsupported`` or ``pending`` (nothing announced on this connection)."""
        group_of = {m.key: g for g in self.groups.values() for m in g.members}
        out = {}
        for key in sorted(keys):
            state = self.capability(key, connections.get(key)).value
            group = group_of.get(key)
            if state == "ready" and group is not None:
                if group.mode is Mode.TRANSPORT:
                    state = "transport"
                elif self.holding.get(key) != (group.group, group.epoch) and (
                    now - self.since.get(group.group, now) >= KEYING_GRACE
                ):
                    state = "keying"  # the key did not reach them, or did not open
            out[key] = state
        return out

    def _stalled(self, group: KeyGroup, now: float) -> bool:
        """``group``'s distributor has others to hand the key to and has not, for too long."""
        if group.group in self.keyed or group.distributor is None:
            return False
        if not group.ready() - {group.distributor}:
            return False  # alone (or with people not ready): nothing to hand out
        return now - self.since.get(group.group, now) >= KEYING_PATIENCE

    def _member(self, key: str, connection: str | None) -> Member:
        state = self.capability(key, connection)
        said = self.announced.get(key)
        public_key = said.public_key if state is Capability.READY and said else None
        return Member(key, public_key, state)

    def _take_epoch(self) -> int:
        epoch = self.next_epoch
        self.next_epoch += 1
        return epoch


def _mode(members: tuple[Member, ...]) -> Mode:
    unsupported = any(m.state is Capability.UNSUPPORTED for m in members)
    return Mode.TRANSPORT if unsupported else Mode.E2EE


def _distributor(
    members: tuple[Member, ...], roles: Mapping[str, str], passed_over: Collection[str] = ()
) -> str | None:
    """A mediator of the group first, else the smallest key; one that let an epoch stall
    comes last (unless every ready member did)."""
    ready = [m.key for m in members if m.state is Capability.READY]
    if not ready:
        return None
    if set(ready) - set(passed_over):
        ready = [k for k in ready if k not in passed_over]
    return min(ready, key=lambda k: (roles.get(k) not in MEDIATOR_ROLES, k))
