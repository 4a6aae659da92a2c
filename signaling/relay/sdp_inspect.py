"""Checks on SDP received from clients, before aiortc applies it.

Pure functions over aiortc's SDP parser: they reject descriptions aiortc would
choke on or that would let a client use a codec the relay does not forward,
and they extract the per-section facts the relay needs (mid, kind, direction,
msid) to learn which tracks a participant publishes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aiortc import sdp as aiortc_sdp

from .errors import BadLabelError, MalformedSdpError, UnsupportedCodecError

MAX_SDP_LENGTH = 64 * 1024
MAX_MEDIA_SECTIONS = 64

#: Codec forwarded per media kind (lower-case MIME subtype).
FORWARDED_CODECS: Mapping[str, str] = {"video": "vp8", "audio": "opus"}

#: Labels a published track may carry, with the media kind each implies.
TRACK_LABELS: Mapping[str, str] = {
    "camera": "video",
    "screen": "video",
    "microphone": "audio",
}

SENDING_DIRECTIONS = frozenset({"sendrecv", "sendonly"})


@dataclass(frozen=True, slots=True)
class MediaSection:
    """One audio/video m-line of a client description."""

    index: int
    mid: str
    kind: str
    direction: str
    rejected: bool
    msid_stream: str | None
    msid_track: str | None

    @property
    def client_sends(self) -> bool:
        return not self.rejected and self.direction in SENDING_DIRECTIONS


def parse_description(sdp: str, sdp_type: str) -> list[MediaSection]:
    """Parse and check a client offer or answer; raise a RelayError if unusable."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise MalformedSdpError("empty SDP")
    if len(sdp) > MAX_SDP_LENGTH:
        raise MalformedSdpError("SDP too large")
    if not sdp.lstrip().startswith("v=0"):
        raise MalformedSdpError("SDP must start with v=0")
    try:
        description = aiortc_sdp.SessionDescription.parse(sdp)
    except Exception as exc:  # aiortc's parser raises many kinds on bad input
        raise MalformedSdpError("SDP could not be parsed") from exc
    if len(description.media) > MAX_MEDIA_SECTIONS:
        raise MalformedSdpError("too many media sections")

    sections: list[MediaSection] = []
    seen_mids: set[str] = set()
    for index, media in enumerate(description.media):
        if media.kind not in FORWARDED_CODECS:
            raise MalformedSdpError(f"unsupported media section kind {media.kind!r}")
        mid = media.rtp.muxId
        if not mid or mid in seen_mids:
            raise MalformedSdpError("every media section needs a unique a=mid")
        seen_mids.add(mid)
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise MalformedSdpError("ICE credentials missing")
        if media.dtls is None or not media.dtls.fingerprints:
            raise MalformedSdpError("DTLS fingerprint missing")
        if not media.rtcp_mux:
            raise MalformedSdpError("rtcp-mux is required")
        rejected = media.port == 0
        direction = media.direction or "sendrecv"
        wanted = FORWARDED_CODECS[media.kind]
        names = {codec.name.lower() for codec in media.rtp.codecs}
        if not rejected and wanted not in names:
            raise UnsupportedCodecError(
                f"{media.kind} section {mid} offers no {wanted.upper()} codec"
            )
        stream: str | None = None
        track: str | None = None
        if media.msid:
            bits = media.msid.split()
            stream = bits[0] if bits else None
            track = bits[1] if len(bits) > 1 else None
        sections.append(
            MediaSection(
                index=index,
                mid=mid,
                kind=media.kind,
                direction=direction,
                rejected=rejected,
                msid_stream=stream,
                msid_track=track,
            )
        )
    if sdp_type == "offer" and not sections:
        raise MalformedSdpError("an offer needs at least one audio or video section")
    return sections


def assign_labels(
    sections: list[MediaSection],
    explicit: Mapping[str, str] | None,
    previous: Mapping[str, str],
) -> dict[str, str]:
    """Choose a label for every section the client sends on, keyed by mid.

    Precedence: the explicit ``{mid: label}`` mapping given with the offer; then
    a label kept from an earlier negotiation of the same mid; then an msid
    track id equal to a label name; then by kind and order (first video is
    "camera", next "screen"; audio is "microphone").
    """
    explicit = explicit or {}
    mids = {s.mid: s for s in sections}
    for mid, wanted in explicit.items():
        if wanted not in TRACK_LABELS:
            raise BadLabelError(f"unknown track label {wanted!r}")
        section = mids.get(mid)
        if section is None:
            raise BadLabelError("label given for an unknown media section")
        if TRACK_LABELS[wanted] != section.kind:
            raise BadLabelError(f"label {wanted!r} does not fit a {section.kind} section")

    chosen: dict[str, str] = {}
    for section in sections:
        if not section.client_sends:
            continue
        label: str | None = explicit.get(section.mid) or previous.get(section.mid)
        track_id = section.msid_track
        if label is None and track_id is not None and TRACK_LABELS.get(track_id) == section.kind:
            label = track_id
        if label is not None:
            chosen[section.mid] = label
    for section in sections:
        if not section.client_sends or section.mid in chosen:
            continue
        used = set(chosen.values())
        candidates = [lb for lb, kind in TRACK_LABELS.items() if kind == section.kind]
        free = [lb for lb in candidates if lb not in used]
        chosen[section.mid] = free[0] if free else candidates[0]
    labels = list(chosen.values())
    if len(labels) != len(set(labels)):
        raise BadLabelError("two published tracks share a label")
    return chosen


def parse_candidate(candidate: Mapping[str, object]) -> tuple[str, str | None, int | None]:
    """Validate a browser ``RTCIceCandidateInit``-like dict.

    Returns (candidate line without the ``candidate:`` prefix, sdpMid,
    sdpMLineIndex); an empty line means end-of-candidates.
    """
    line = candidate.get("candidate")
    mid = candidate.get("sdpMid")
    index = candidate.get("sdpMLineIndex")
    if not isinstance(line, str) or len(line) > 1024:
        raise ValueError("candidate must be a string")
    if mid is not None and not isinstance(mid, str):
        raise ValueError("sdpMid must be a string")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
        raise ValueError("sdpMLineIndex must be an integer")
    if mid is None and index is None:
        raise ValueError("sdpMid or sdpMLineIndex is required")
    if line.startswith("candidate:"):
        line = line[len("candidate:") :]
    if line and len(line.split()) < 8:
        raise ValueError("candidate line is too short")
    return line, mid, index


_EXTMAP = re.compile(r"^a=extmap:(\d+)(/[a-z]+)? (\S+)(.*)$")


def extmap_ids(sdp: str) -> dict[str, int]:
    """The RTP header extension ids a description uses, by URI."""
    ids: dict[str, int] = {}
    for line in sdp.splitlines():
        match = _EXTMAP.match(line)
        if match:
            ids.setdefault(match.group(3), int(match.group(1)))
    return ids


def align_extmap(sdp: str, negotiated: Mapping[str, int]) -> str:
    """Renumbers the relay's header extensions to the ids the client already uses.

    aiortc's ``createOffer`` resets every transceiver to its own default ids,
    which collide with a browser's ids within the BUNDLE group; Chromium then
    refuses the re-offer ("RTP extension ID reassignment not supported").
    Extensions the client never offered are left out of the offer.
    """
    out = []
    for line in sdp.split("\r\n"):
        match = _EXTMAP.match(line)
        if match:
            uri = match.group(3)
            if uri not in negotiated:
                continue
            line = f"a=extmap:{negotiated[uri]}{match.group(2) or ''} {uri}{match.group(4)}"
        out.append(line)
    return "\r\n".join(out)
