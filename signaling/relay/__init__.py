"""Palabre's WebRTC relay (SFU): forwards VP8 and Opus RTP packets from each
publisher to every subscriber in the same room, never decoding or encoding.

Transport-free: the Socket.IO glue calls these coroutines and delivers what
they return or emit. All calls happen on one asyncio event loop.

API::

    relay = Relay(config: RelayConfig, on_offer: Callable[[str, str], Awaitable[None]])
    await relay.join(participant_id: str, room_id: str) -> None
    await relay.handle_offer(participant_id: str, sdp: str,
                             labels: Mapping[str, str] | None = None) -> str   # answer SDP
    await relay.handle_answer(participant_id: str, sdp: str) -> None
    await relay.add_candidate(participant_id: str,
                              candidate: Mapping[str, object] | None) -> None
    await relay.set_room(participant_id: str, room_id: str) -> None
    await relay.request_keyframe(publisher_id: str) -> None
    await relay.leave(participant_id: str) -> None
    await relay.close() -> None
    relay.peer_connection_count -> int            # open aiortc peer connections
    relay.background_task_count -> int            # the relay's own running tasks
    relay.published_tracks() -> list[PublishedTrack]
    relay.forwarded_streams() -> list[ForwardedStream]
    relay.participant_ids() -> list[str]

Errors are :class:`RelayError` subclasses whose ``code`` is a shared
:class:`errors.ErrorCode`: ``bad_sdp`` (malformed SDP, or an SDP the
WebRTC stack refuses), ``unsupported_codec`` (a media section offers no VP8 /
no Opus), ``conflict`` (glare, or joining twice), ``bad_request`` (answer
without an outstanding offer, bad candidate), ``not_joined``,
``validation_error`` (bad id or label), ``session_closed``, ``server_busy`` (no free
UDP port in ``RelayConfig.udp_ports``: the participant's next offer gets a new peer
connection).

Negotiation (one ``RTCPeerConnection`` per participant, bundled, used both to
publish and to subscribe):

* The client makes the first offer, right after ``join`` (with its camera and
  microphone, or with nothing to send). The relay never offers before that.
* Afterwards the relay offers whenever the set of streams forwarded to the
  participant changes (someone publishes, unpublishes, joins, leaves or
  changes room): ``on_offer(participant_id, sdp)`` is awaited from a
  background task, never from inside ``handle_offer``; the glue must deliver
  the answer of ``handle_offer`` before any later offer (same ordered channel).
  The client answers with ``handle_answer``.
* The client may still offer later (to add or stop a track). Glare: the relay
  is the impolite peer. An offer arriving while the relay's offer is
  outstanding raises :class:`GlareError` (code ``conflict``); the client rolls
  back, answers the relay's offer, then sends its offer again.
* aiortc gathers all its candidates before returning a description, so the
  relay's SDP is complete; the client may trickle its candidates.

Track metadata: a published track's label is ``camera``, ``screen`` (video) or
``microphone`` (audio). The client may pass ``labels={mid: label}`` with its
offer (browsers know their transceivers' mids after ``setLocalDescription``);
otherwise an msid track id equal to a label name is used; otherwise the first
video is ``camera``, the second ``screen``, audio is ``microphone``. A label
stays with its mid across renegotiations. On the subscriber side every
forwarded track carries ``a=msid:<publisher id> <label>``: the stream id is
the publisher's participant id (``RTCTrackEvent.streams[0].id`` in a
browser), so the page labels tiles without any extra message. Participant and
room ids must match ``[A-Za-z0-9_.:-]{1,64}`` (they appear in SDP).

Rooms: a track is forwarded only to participants in the publisher's room.
``set_room`` stops forwarding across the old room boundary before it returns
(no await in between); new streams start once the renegotiation completes and
the publisher has sent a key frame (the relay asks for one with a PLI).

Key frames: a new video stream to a subscriber is gated until the next VP8
key frame, and the relay sends the publisher a PLI at once (and again every
second while a subscriber still waits). A subscriber's PLI or FIR is
forwarded as a PLI to the publisher (at most one per 300 ms per track).

Forwarding keeps the payload untouched (compatible with end-to-end
encryption) and rewrites SSRC, payload type, sequence number and timestamp
per subscriber; padding-only probe packets are dropped without leaving a
sequence gap; NACKs from subscribers are answered from a 256-packet history.
An outgoing m-line offered ``inactive`` (its stream stopped) starts its next
stream 2000 sequence numbers further on: the subscriber dropped whatever was
still in flight when it applied that offer, and must not wait for it
(:data:`.rewrite.RESTART_GAP`).
Only aiortc internals listed in :mod:`signaling.relay.aiortc_hooks` are used.

Known limits: VP8 and Opus only; no data channels (an ``application``
section is refused); no simulcast or per-subscriber bitrate adaptation (the
relay tells publishers a fixed REMB of ``RelayConfig.max_video_bitrate``); the
relay does not NACK publishers (their RTX packets are dropped); aiortc routes
RTCP feedback by its media-source field, so an RFC 5104 FIR (target SSRC only
in the FCI) is not seen — browsers send PLI for VP8. aiortc starts one idle
decoder thread per published track (it never receives work).
"""

from __future__ import annotations

from .config import RelayConfig
from .errors import (
    AlreadyJoinedError,
    BadCandidateError,
    BadLabelError,
    GlareError,
    MalformedSdpError,
    PortsExhaustedError,
    RelayClosedError,
    RelayError,
    SignalingStateError,
    UnknownParticipantError,
    UnsupportedCodecError,
)
from .relay import OfferCallback, Relay
from .state import ForwardedStream, PublishedTrack

__all__ = [
    "AlreadyJoinedError",
    "BadCandidateError",
    "BadLabelError",
    "ForwardedStream",
    "GlareError",
    "MalformedSdpError",
    "OfferCallback",
    "PortsExhaustedError",
    "PublishedTrack",
    "Relay",
    "RelayClosedError",
    "RelayConfig",
    "RelayError",
    "SignalingStateError",
    "UnknownParticipantError",
    "UnsupportedCodecError",
]
