"""The selective forwarding unit: one aiortc peer connection per participant,
RTP packets forwarded from publishers to subscribers of the same room.

See the package docstring for the API contract; aiortc internals are only
touched through :mod:`.aiortc_hooks`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.sdp import candidate_from_sdp

from errors import ErrorCode

from . import aiortc_hooks as hooks
from . import sdp_inspect
from .config import RelayConfig
from .errors import (
    AlreadyJoinedError,
    BadCandidateError,
    GlareError,
    MalformedSdpError,
    PortsExhaustedError,
    RelayClosedError,
    RelayError,
    SignalingStateError,
    UnknownParticipantError,
    UnsupportedCodecError,
)
from .forward import packet_handler, resend
from .rewrite import StreamRewriter
from .sdp_inspect import FORWARDED_CODECS, assign_labels, parse_candidate, parse_description
from .state import ForwardedStream, Publication, PublishedTrack, RelayParticipant, Slot

logger = logging.getLogger(__name__)

IDLE_STREAM = "idle"

OfferCallback = Callable[[str, str], Awaitable[None]]

CLOCK_RATES: Mapping[str, int] = {"video": 90_000, "audio": 48_000}
KEYFRAME_RETRY = 1.0
REMB_INTERVAL = 1.0
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class Relay:
    """Palabre's SFU. All methods must be called from one event loop."""

    def __init__(self, config: RelayConfig, on_offer: OfferCallback) -> None:
        self._config = config
        self._on_offer = on_offer
        self._participants: dict[str, RelayParticipant] = {}
        self._pcs: set[RTCPeerConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._maintenance: asyncio.Task[None] | None = None
        self._closed = False

    # --- public API ---------------------------------------------------------

    async def join(self, participant_id: str, room_id: str) -> None:
        """Create the participant's peer connection; nothing is negotiated yet."""
        self._check_open()
        _check_id(participant_id, "participant id")
        _check_id(room_id, "room id")
        if participant_id in self._participants:
            raise AlreadyJoinedError("participant already joined")
        participant = RelayParticipant(
            pid=participant_id, room=room_id, pc=self._new_pc(participant_id)
        )
        self._participants[participant_id] = participant
        self._ensure_maintenance()
        self._reconcile(participant)
        logger.info("relay: %s joined room %s", participant_id, room_id)

    async def handle_offer(
        self, participant_id: str, sdp: str, labels: Mapping[str, str] | None = None
    ) -> str:
        """Apply a client offer and return the answer SDP.

        ``labels`` optionally maps the client's mids to track labels
        (camera/microphone/screen). Raises :class:`MalformedSdpError`,
        :class:`UnsupportedCodecError` (a sending section without VP8/Opus),
        :class:`GlareError` (the relay's own offer is outstanding),
        :class:`BadLabelError`.
        """
        participant = self._get(participant_id)
        sections = parse_description(sdp, "offer")
        chosen = assign_labels(sections, labels, participant.labels)
        async with participant.lock:
            if participant.closed:
                raise UnknownParticipantError("participant has left")
            pc = participant.pc
            if pc.signalingState == "have-local-offer":
                raise GlareError("the relay's offer is outstanding: roll back and answer it")
            if pc.signalingState != "stable":
                raise SignalingStateError(f"cannot take an offer in {pc.signalingState}")
            try:
                with self._gathering():
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                    participant.extmap.update(sdp_inspect.extmap_ids(sdp))
            except RelayError:
                raise
            except Exception as exc:
                raise MalformedSdpError("offer rejected by the WebRTC stack") from exc
            transceivers = {t.mid: t for t in pc.getTransceivers()}
            for section in sections:
                transceiver = transceivers.get(section.mid)
                if transceiver is None or section.rejected:
                    continue
                if not hooks.restrict_codecs(transceiver, FORWARDED_CODECS[section.kind]):
                    raise UnsupportedCodecError("no forwardable codec negotiated")
            answer = await pc.createAnswer()
            try:
                with self._gathering():
                    await pc.setLocalDescription(answer)
            except hooks.PortRangeExhausted as exc:
                # the peer connection is stuck half-gathered; a later offer gets a new one
                logger.error("relay: %s for %s: refused its offer", exc, participant_id)
                participant.pc = self._new_pc(participant_id)
                await self._close_pc(pc)
                raise PortsExhaustedError("the relay has no free port: try again later") from None
            hooks.pin_negotiated_codecs(pc)
            participant.first_offer_done = True
            self._update_publications(participant, sections, chosen, transceivers)
            for slot in participant.slots:
                self._refresh_slot(slot)
            answer_sdp: str = pc.localDescription.sdp
        self._reconcile_all()
        if participant.negotiation_needed:
            self._schedule_negotiation(participant)
        return answer_sdp

    async def handle_answer(self, participant_id: str, sdp: str) -> None:
        """Apply the client's answer to the relay's last offer."""
        participant = self._get(participant_id)
        parse_description(sdp, "answer")
        async with participant.lock:
            if participant.closed:
                raise UnknownParticipantError("participant has left")
            pc = participant.pc
            if pc.signalingState != "have-local-offer":
                raise SignalingStateError("no relay offer is outstanding")
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            except Exception as exc:
                raise MalformedSdpError("answer rejected by the WebRTC stack") from exc
            hooks.pin_negotiated_codecs(pc)
            for published in participant.published.values():
                published.update_codecs()
            for slot in participant.slots:
                self._refresh_slot(slot)
                source = slot.source
                if source is not None and source is slot.offered_source and not slot.active:
                    slot.active = True
                    if source.kind == "video":
                        self._request_keyframe(source, force=True)
                slot.offered_source = None
        if participant.negotiation_needed:
            self._schedule_negotiation(participant)

    async def add_candidate(
        self, participant_id: str, candidate: Mapping[str, object] | None
    ) -> None:
        """Add a trickled remote ICE candidate (``None``: end of candidates)."""
        participant = self._get(participant_id)
        if candidate is None:
            await participant.pc.addIceCandidate(None)
            return
        try:
            line, mid, index = parse_candidate(candidate)
            if not line:
                await participant.pc.addIceCandidate(None)
                return
            parsed = candidate_from_sdp(line)
            parsed.sdpMid = mid
            parsed.sdpMLineIndex = index
            await participant.pc.addIceCandidate(parsed)
        except RelayError:
            raise
        except Exception as exc:
            raise BadCandidateError("ICE candidate rejected") from exc

    async def set_paused(self, participant_id: str, kind: str, paused: bool) -> None:
        """Stop (or resume) forwarding a publisher's audio, video (camera and screen) or
        screen alone, whatever its page does."""
        if kind not in ("audio", "video", "screen"):
            raise RelayError(f"unknown kind {kind!r}", ErrorCode.VALIDATION)
        participant = self._get(participant_id)
        if paused:
            participant.paused_kinds.add(kind)
        else:
            participant.paused_kinds.discard(kind)
        for published in participant.published.values():
            stopped = published.stopped_by(participant.paused_kinds)
            if published.paused != stopped:
                published.paused = stopped
                if not stopped and published.kind == "video":
                    self._request_keyframe(published, force=True)

    async def set_room(self, participant_id: str, room_id: str) -> None:
        """Move a participant; forwarding across rooms stops before this returns."""
        _check_id(room_id, "room id")
        participant = self._get(participant_id)
        if participant.room == room_id:
            return
        participant.room = room_id
        self._reconcile_all()
        logger.info("relay: %s moved to room %s", participant_id, room_id)

    async def request_keyframe(self, publisher_id: str) -> None:
        """Ask a publisher for key frames on all its video tracks."""
        for published in self._get(publisher_id).published.values():
            self._request_keyframe(published, force=True)

    async def leave(self, participant_id: str) -> None:
        """Stop everything of this participant and close its peer connection."""
        participant = self._participants.pop(participant_id, None)
        if participant is None:
            raise UnknownParticipantError("participant not joined")
        participant.closed = True
        for published in list(participant.published.values()):
            self._unpublish(published)
        participant.published.clear()
        for slot in participant.slots:
            self._unbind(slot)
            slot.track.stop()
        self._reconcile_all()
        await self._close_pc(participant.pc)
        if not self._participants:
            await self._stop_maintenance()
        logger.info("relay: %s left", participant_id)

    async def close(self) -> None:
        """Close every peer connection and stop every background task."""
        self._closed = True
        for participant_id in list(self._participants):
            await self.leave(participant_id)
        await self._stop_maintenance()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # --- introspection ---------------------------------------------------------

    @property
    def peer_connection_count(self) -> int:
        """Peer connections created and not yet closed."""
        return len(self._pcs)

    @property
    def background_task_count(self) -> int:
        """The relay's own running tasks (negotiations, keyframe requests, timer)."""
        running = sum(1 for task in self._tasks if not task.done())
        if self._maintenance is not None and not self._maintenance.done():
            running += 1
        return running

    def participant_ids(self) -> list[str]:
        return sorted(self._participants)

    def published_tracks(self) -> list[PublishedTrack]:
        return [
            PublishedTrack(p.pid, p.room, pub.kind, pub.label, pub.mid)
            for p in self._participants.values()
            for pub in p.published.values()
        ]

    def forwarded_streams(self) -> list[ForwardedStream]:
        streams: list[ForwardedStream] = []
        for participant in self._participants.values():
            for slot in participant.slots:
                source = slot.source
                if source is None:
                    continue
                streams.append(
                    ForwardedStream(
                        publisher_id=source.owner.pid,
                        subscriber_id=participant.pid,
                        room_id=participant.room,
                        kind=source.kind,
                        label=source.label,
                        active=slot.active,
                        packets_sent=slot.packets_out,
                    )
                )
        return streams

    # --- publications --------------------------------------------------------------

    def _update_publications(
        self,
        participant: RelayParticipant,
        sections: list[Any],
        labels: dict[str, str],
        transceivers: dict[str | None, Any],
    ) -> None:
        sending = {s.mid: s for s in sections if s.client_sends}
        for mid, old in list(participant.published.items()):
            if mid not in sending or labels.get(mid) != old.label:
                self._unpublish(old)
                del participant.published[mid]
        for mid, section in sending.items():
            transceiver = transceivers.get(mid)
            if transceiver is None:
                continue
            published = participant.published.get(mid)
            if published is None:
                published = Publication(participant, mid, section.kind, labels[mid], transceiver)
                published.paused = published.stopped_by(participant.paused_kinds)
                participant.published[mid] = published
                hooks.intercept_rtp(transceiver.receiver, packet_handler(published))
                logger.info(
                    "relay: %s publishes %s (%s)", participant.pid, published.label, section.kind
                )
            published.update_codecs()
        participant.labels = dict(labels)

    def _unpublish(self, published: Publication) -> None:
        for slot in list(published.outputs.values()):
            self._unbind(slot)
            slot.subscriber.negotiation_needed = True
        published.outputs.clear()

    # --- subscriptions ---------------------------------------------------------------

    def _reconcile_all(self) -> None:
        for participant in list(self._participants.values()):
            self._reconcile(participant)

    def _reconcile(self, subscriber: RelayParticipant) -> None:
        """Bind/unbind the subscriber's slots to match its room; unbinding is
        immediate, binding waits for the renegotiation to complete."""
        desired: dict[tuple[str, str], Publication] = {}
        for other in self._participants.values():
            if other is subscriber or other.room != subscriber.room or other.closed:
                continue
            for published in other.published.values():
                desired[published.key] = published
        changed = subscriber.negotiation_needed
        for slot in subscriber.slots:
            source = slot.source
            if source is not None and desired.get(source.key) is not source:
                self._unbind(slot)
                changed = True
        bound = {slot.source.key for slot in subscriber.slots if slot.source is not None}
        for key in sorted(desired):
            if key in bound:
                continue
            published = desired[key]
            slot = self._free_slot(subscriber, published)
            slot.source = published
            slot.active = False
            slot.waiting_keyframe = published.kind == "video"
            slot.rewriter.rebase()
            published.outputs[subscriber.pid] = slot
            changed = True
        if changed and not subscriber.closed:
            subscriber.negotiation_needed = True
            self._schedule_negotiation(subscriber)

    def _free_slot(self, subscriber: RelayParticipant, published: Publication) -> Slot:
        free = [s for s in subscriber.slots if s.source is None and s.kind == published.kind]
        for slot in free:
            if slot.last_source_key == published.key:
                return slot
        if free:
            return free[0]
        slot = Slot(
            subscriber=subscriber,
            kind=published.kind,
            track=hooks.IdleTrack(published.kind),
            rewriter=StreamRewriter.create(CLOCK_RATES[published.kind]),
        )
        subscriber.slots.append(slot)
        return slot

    def _unbind(self, slot: Slot) -> None:
        source = slot.source
        if source is not None:
            if source.outputs.get(slot.subscriber.pid) is slot:
                del source.outputs[slot.subscriber.pid]
            slot.last_source_key = source.key
        slot.source = None
        slot.active = False
        slot.waiting_keyframe = False
        slot.history.clear()  # NACKs never reach packets of a former source

    def _refresh_slot(self, slot: Slot) -> None:
        transceiver = slot.transceiver
        if transceiver is None:
            return
        codecs = hooks.negotiated_codecs(transceiver)
        slot.payload_type = codecs[0].payloadType if codecs else None
        slot.mid = transceiver.mid

    # --- negotiation -------------------------------------------------------------------

    def _schedule_negotiation(self, participant: RelayParticipant) -> None:
        self._spawn(self._negotiate(participant), f"negotiate-{participant.pid}")

    async def _negotiate(self, participant: RelayParticipant) -> None:
        async with participant.lock:
            pc = participant.pc
            if (
                participant.closed
                or not participant.negotiation_needed
                or not participant.first_offer_done
                or pc.signalingState != "stable"
            ):
                return
            participant.negotiation_needed = False
            for position, slot in enumerate(participant.slots):
                if slot.transceiver is None:
                    self._create_transceiver(participant, slot)
                source = slot.source
                transceiver = slot.transceiver
                if source is not None:
                    hooks.set_msid(transceiver.sender, source.owner.pid, source.label)
                    transceiver.direction = "sendonly"
                else:
                    # An idle slot names nobody: a subscriber must not learn whose
                    # stream stopped (e.g. who went into a private meeting).
                    hooks.set_msid(transceiver.sender, IDLE_STREAM, f"{slot.kind}-{position}")
                    transceiver.direction = "inactive"
                    # the subscriber drops what is still in flight once it applies this:
                    # whatever comes next on the slot must not wait on those packets
                    slot.rewriter.rebase(restart=True)
                slot.offered_source = source
            offer = await pc.createOffer()
            if participant.extmap:
                hooks.align_header_extensions(pc, participant.extmap)
                offer = RTCSessionDescription(
                    sdp=sdp_inspect.align_extmap(offer.sdp, participant.extmap), type="offer"
                )
            with self._gathering():
                await pc.setLocalDescription(offer)
            sdp: str = pc.localDescription.sdp
        try:
            await self._on_offer(participant.pid, sdp)
        except Exception:
            logger.exception("relay: delivering an offer to %s failed", participant.pid)

    def _create_transceiver(self, participant: RelayParticipant, slot: Slot) -> None:
        transceiver = participant.pc.addTransceiver(slot.track, direction="sendonly")
        wanted = FORWARDED_CODECS[slot.kind]
        capabilities = RTCRtpSender.getCapabilities(slot.kind).codecs
        preferred = [c for c in capabilities if c.name.lower() == wanted]
        if slot.kind == "video":
            preferred += [c for c in capabilities if c.name.lower() == "rtx"]
        transceiver.setCodecPreferences(preferred)
        sender = transceiver.sender
        slot.transceiver = transceiver
        slot.ssrc = hooks.sender_ssrc(sender)

        def on_keyframe_request() -> None:
            source = slot.source
            if source is not None and slot.active:
                self._request_keyframe(source)

        async def on_nack(sequence_number: int) -> None:
            await resend(slot, sequence_number)

        hooks.take_over_sender(sender, on_keyframe_request, on_nack)

    # --- key frames -------------------------------------------------------------------------

    def _request_keyframe(self, published: Publication, force: bool = False) -> None:
        if published.kind != "video" or published.ssrc is None:
            return
        now = time.monotonic()
        if not force and now - published.last_pli < self._config.keyframe_request_interval:
            return
        published.last_pli = now
        self._spawn(
            hooks.send_pli(published.receiver, published.ssrc), f"pli-{published.owner.pid}"
        )

    # --- background work ------------------------------------------------------------------

    def _ensure_maintenance(self) -> None:
        if self._maintenance is None or self._maintenance.done():
            self._maintenance = asyncio.create_task(self._run_maintenance(), name="relay-timer")

    async def _stop_maintenance(self) -> None:
        task, self._maintenance = self._maintenance, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run_maintenance(self) -> None:
        """Retry unanswered key frame requests; keep publishers' REMB fresh."""
        while True:
            await asyncio.sleep(self._config.maintenance_interval)
            now = time.monotonic()
            for participant in list(self._participants.values()):
                for published in list(participant.published.values()):
                    if published.kind != "video" or published.ssrc is None:
                        continue
                    waiting = any(
                        s.active and s.waiting_keyframe for s in published.outputs.values()
                    )
                    if waiting and now - published.last_pli >= KEYFRAME_RETRY:
                        self._request_keyframe(published, force=True)
                    if now - published.last_remb >= REMB_INTERVAL:
                        published.last_remb = now
                        try:
                            await hooks.send_remb(
                                published.receiver,
                                published.rtcp_ssrc,
                                self._config.max_video_bitrate,
                                [published.ssrc],
                            )
                        except ConnectionError:
                            pass

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("relay task %s failed", task.get_name(), exc_info=task.exception())

    async def _close_pc(self, pc: RTCPeerConnection) -> None:
        try:
            await pc.close()
        finally:
            self._pcs.discard(pc)

    # --- helpers ----------------------------------------------------------------------------

    def _new_pc(self, participant_id: str) -> RTCPeerConnection:
        pc = RTCPeerConnection(self._rtc_configuration())
        self._pcs.add(pc)

        @pc.on("connectionstatechange")
        def _on_state() -> None:
            logger.info("relay pc %s: %s", participant_id, pc.connectionState)

        return pc

    def _gathering(self) -> contextlib.AbstractContextManager[None]:
        """Where ICE gathers host candidates (aiortc gathers in set*Description)."""
        return hooks.host_candidates(self._config.host_addresses, self._config.udp_ports)

    def _rtc_configuration(self) -> RTCConfiguration:
        servers = [
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in self._config.ice_servers
        ]
        return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)

    def _get(self, participant_id: str) -> RelayParticipant:
        self._check_open()
        participant = self._participants.get(participant_id)
        if participant is None:
            raise UnknownParticipantError("participant not joined")
        return participant

    def _check_open(self) -> None:
        if self._closed:
            raise RelayClosedError("relay is closed")


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not _ID_PATTERN.match(value):
        raise RelayError(f"invalid {what}", ErrorCode.VALIDATION)
