"""What a key-less relay tap can read of a room's media: the checks browser tests share.

Today's pages send clear media: :func:`assert_tap_reads_media` is the positive control.
With end-to-end encryption on, :func:`assert_tap_cannot_read_media` must hold instead:
the tap gets the same frames, libvpx decodes none of them, and each one opens with the
room's keys (so the tap really got the publishers' media, in the spec's format).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import av

from tests import e2ee_frames
from tests.e2e.relay_tap import CapturedFrame, RelayTap


def decodable_vp8_frames(frames: Sequence[CapturedFrame]) -> int:
    """How many pictures libvpx (PyAV) decodes from ``frames``: one decoder per
    publisher's stream, fed in arrival order from its first key frame."""
    streams: dict[tuple[str | None, str | None], list[CapturedFrame]] = {}
    for frame in frames:
        if frame.kind == "video":
            streams.setdefault((frame.publisher, frame.label), []).append(frame)
    decoded = 0
    for stream in streams.values():
        codec = av.CodecContext.create("libvpx", "r")
        started = False
        for frame in stream:
            started = started or frame.keyframe
            if not started:
                continue
            try:
                decoded += len(codec.decode(av.Packet(frame.data)))
            except av.FFmpegError:
                continue
    return decoded


def _received_enough(tap: RelayTap, publishers: Collection[str], frames: int) -> bool:
    """Each publisher's video (from a key frame on) and audio reached the tap."""
    for publisher in publishers:
        video = [f for f in tap.frames("video") if f.publisher == publisher]
        audio = [f for f in tap.frames("audio") if f.publisher == publisher]
        if len(video) < frames or not any(f.keyframe for f in video) or len(audio) < frames:
            return False
    return True


async def assert_tap_reads_media(
    tap: RelayTap, publishers: Collection[str], frames: int = 10, within: float = 20.0
) -> None:
    """Clear media: the tap gets every publisher's video and audio, and decodes video
    (aiortc's decoder thread and a libvpx decoder of its own)."""
    await tap.until(
        lambda: _received_enough(tap, publishers, frames) and tap.decoded_video_frames() > 0,
        within,
    )
    assert tap.publishers("video") >= set(publishers), tap.describe()
    assert decodable_vp8_frames(tap.frames("video")) > 0, tap.describe()


async def assert_tap_cannot_read_media(
    tap: RelayTap,
    publishers: Collection[str],
    keys: Mapping[int, bytes],
    frames: int = 30,
    within: float = 20.0,
) -> None:
    """Encrypted media: once ``frames`` video frames (a key frame among them) and audio
    frames of each publisher have reached the tap (the barrier), libvpx has decoded none
    of them, aiortc's decoder none so far, and every one opens with the room's ``keys``
    (``{key index: room key}``) and not without them."""
    await tap.until(lambda: _received_enough(tap, publishers, frames), within)
    captured = [f for f in tap.frames() if f.publisher in publishers]
    assert decodable_vp8_frames(captured) == 0, tap.describe()
    assert tap.decoded_video_frames() == 0, tap.describe()
    for frame in captured:
        kind: e2ee_frames.Kind = "video" if frame.kind == "video" else "audio"
        clear = e2ee_frames.decrypt_frame(keys, frame.data, kind, frame.keyframe)
        assert clear[:1] == frame.data[:1]
