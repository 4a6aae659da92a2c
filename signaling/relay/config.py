"""Relay configuration: one frozen dataclass, read once, passed to :class:`Relay`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from signaling.ice import IceServer


@dataclass(frozen=True)
class RelayConfig:
    """Settings of the SFU relay.

    ``host_addresses``: the local IP addresses ICE gathers host candidates on.
    ``None`` keeps aioice's default (every interface except 127.0.0.1);
    ``("127.0.0.1",)`` keeps media on loopback (tests, benchmarks).

    ``udp_ports``: the inclusive range ``(low, high)`` the host candidates' UDP
    ports are taken from, so that a firewall rule can name them (one port per
    peer connection and address: size it for the peak of connections). ``None``
    keeps aioice's ephemeral ports. When the range is full, an offer is refused
    with :class:`~.errors.PortsExhaustedError`.

    ``ice_servers``: aioice uses the first STUN and the first TURN server only.
    An empty tuple (the default) means host candidates only — aiortc's own
    default would contact a public STUN server, which we never want implicitly.
    """

    ice_servers: tuple[IceServer, ...] = ()
    host_addresses: tuple[str, ...] | None = None
    udp_ports: tuple[int, int] | None = None
    max_video_bitrate: int = 1_500_000
    keyframe_request_interval: float = 0.3
    maintenance_interval: float = 0.5

    def __post_init__(self) -> None:
        if self.host_addresses is not None:
            if not self.host_addresses:
                raise ValueError("host_addresses must be None or non-empty")
            for address in self.host_addresses:
                ipaddress.ip_address(address)  # raises ValueError when invalid
        if self.udp_ports is not None:
            low, high = self.udp_ports
            if not 1024 <= low <= high <= 65535:
                raise ValueError("udp_ports must be low-high with 1024 <= low <= high <= 65535")
        if self.max_video_bitrate < 30_000:
            raise ValueError("max_video_bitrate is below 30 kbit/s")
        if self.keyframe_request_interval <= 0 or self.maintenance_interval <= 0:
            raise ValueError("intervals must be positive")
