"""What the relay keeps per participant: published tracks, outgoing slots, introspection views.

Plain data with no behaviour beyond bookkeeping; :mod:`.relay` owns the logic.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection

from . import aiortc_hooks as hooks
from .rewrite import StreamRewriter


@dataclass(frozen=True, slots=True)
class PublishedTrack:
    """A track a participant publishes (introspection)."""

    publisher_id: str
    room_id: str
    kind: str
    label: str
    mid: str


@dataclass(frozen=True, slots=True)
class ForwardedStream:
    """One publisher track forwarded to one subscriber (introspection).

    ``active`` is True once the subscriber's peer connection has negotiated
    the stream; only active streams carry packets.
    """

    publisher_id: str
    subscriber_id: str
    room_id: str
    kind: str
    label: str
    active: bool
    packets_sent: int


@dataclass(frozen=True, slots=True)
class PacketCounts:
    """Packets since the relay started (introspection, for the metrics): ``received`` from
    publishers, ``forwarded`` to subscribers, ``lost`` on the way from publishers."""

    received: int = 0
    forwarded: int = 0
    lost: int = 0

    def __add__(self, other: PacketCounts) -> PacketCounts:
        return PacketCounts(
            self.received + other.received, self.forwarded + other.forwarded, self.lost + other.lost
        )


class Publication:
    def __init__(
        self, owner: RelayParticipant, mid: str, kind: str, label: str, transceiver: Any
    ) -> None:
        self.owner = owner
        self.mid = mid
        self.kind = kind
        self.label = label
        self.transceiver = transceiver
        self.receiver = transceiver.receiver
        self.rtcp_ssrc = hooks.sender_ssrc(transceiver.sender)
        self.clock_rates: dict[int, int] = {}
        self.ssrc: int | None = None
        self.outputs: dict[str, Slot] = {}
        self.last_pli = -1e9
        self.last_remb = -1e9
        self.packets_in = 0
        self.paused = False  # a mediator stopped it, or a screen not allowed: nothing forwarded

    def counts(self) -> PacketCounts:
        return PacketCounts(received=self.packets_in, lost=hooks.packets_lost(self.receiver))

    def stopped_by(self, paused: set[str]) -> bool:
        """Whether ``paused`` (kinds, and "screen") stops this publication."""
        return self.kind in paused or (self.label == "screen" and "screen" in paused)

    @property
    def key(self) -> tuple[str, str]:
        return (self.owner.pid, self.mid)

    def update_codecs(self) -> None:
        self.clock_rates = {
            codec.payloadType: int(codec.clockRate)
            for codec in hooks.negotiated_codecs(self.transceiver)
        }


@dataclass(eq=False)
class Slot:
    """An outgoing m-line on a subscriber's connection, reused across sources."""

    subscriber: RelayParticipant
    kind: str
    track: hooks.IdleTrack
    rewriter: StreamRewriter
    transceiver: Any = None
    source: Publication | None = None
    offered_source: Publication | None = None
    last_source_key: tuple[str, str] | None = None
    active: bool = False
    payload_type: int | None = None
    mid: str | None = None
    ssrc: int = 0
    waiting_keyframe: bool = False
    history: dict[int, bytes] = field(default_factory=dict)
    packets_out: int = 0


@dataclass(eq=False)
class RelayParticipant:
    pid: str
    room: str
    pc: RTCPeerConnection
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    first_offer_done: bool = False
    negotiation_needed: bool = False
    closed: bool = False
    published: dict[str, Publication] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)
    extmap: dict[str, int] = field(default_factory=dict)  # header extension ids the client uses
    paused_kinds: set[str] = field(default_factory=set)  # "audio", "video", "screen": held
