"""What a key-less relay tap can read of a room's media: the checks browser tests share.

Clear media (:func:`assert_tap_reads_media`) decodes; encrypted media
(:func:`assert_tap_cannot_read_media`) decodes nothing. A frame's VP8 header stays in clear
(the relay reads it) but the first partition's size in its tag is masked, so libvpx refuses
every encrypted frame as truncated instead of making noise pictures of the ciphertext. The
encrypted checks also show that what the tap got is the real media: every frame opens with
the room key (which only the pages hold), and what it opens to decodes.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

import av
import numpy as np

from tests import e2ee_frames
from tests.e2e.relay_tap import CapturedFrame, RelayTap

#: Above this, a picture decoded from the forwarded bytes would resemble the real one
#: (noise against a picture measures about 10 dB; a poor but readable picture 25 dB).
UNREADABLE_PSNR_DB = 15.0


def _streams(frames: Sequence[CapturedFrame]) -> list[list[CapturedFrame]]:
    streams: dict[tuple[str | None, str | None], list[CapturedFrame]] = {}
    for frame in frames:
        if frame.kind == "video":
            streams.setdefault((frame.publisher, frame.label), []).append(frame)
    return list(streams.values())


def _decode(stream: Sequence[CapturedFrame]) -> list[Any]:
    """Luma of each picture libvpx (PyAV) decodes, None where it decodes none; one
    decoder, fed in arrival order from the first key frame."""
    codec = av.CodecContext.create("libvpx", "r")
    started = False
    pictures: list[Any] = []
    for frame in stream:
        started = started or frame.keyframe
        picture = None
        if started:
            try:
                decoded = codec.decode(av.Packet(frame.data))
                if decoded:
                    picture = decoded[-1].to_ndarray(format="gray")
            except av.FFmpegError:
                pass
        pictures.append(picture)
    return pictures


def decodable_vp8_frames(frames: Sequence[CapturedFrame]) -> int:
    """How many pictures libvpx decodes from ``frames`` (a decoder per stream)."""
    return sum(p is not None for stream in _streams(frames) for p in _decode(stream))


def psnr(a: Any, b: Any) -> float:
    if a.shape != b.shape:
        return 0.0
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def open_frames(frames: Sequence[CapturedFrame], keys: Mapping[int, bytes]) -> list[CapturedFrame]:
    """The frames decrypted with ``keys``; raises :class:`e2ee_frames.E2eeError` on the
    first that does not open (clear, tampered, another key)."""
    opened = []
    for frame in frames:
        kind: e2ee_frames.Kind = "video" if frame.kind == "video" else "audio"
        clear = e2ee_frames.decrypt_frame(keys, frame.data, kind, frame.keyframe)
        opened.append(replace(frame, data=clear))
    return opened


def assert_frames_unreadable(frames: Sequence[CapturedFrame], keys: Mapping[int, bytes]) -> None:
    """Every frame is ciphertext under ``keys`` ({key index: room key}), it holds real
    video, and libvpx decodes no picture from the frames as they are (nor one that looks
    like the real one, should a decoder ever get past the masked header)."""
    opened = open_frames(frames, keys)
    assert decodable_vp8_frames(opened) > 0, "the decrypted frames are not video"
    assert decodable_vp8_frames(frames) == 0, "a key-less decoder decodes the frames"
    sealed_streams, clear_streams = _streams(frames), _streams(opened)
    for sealed, clear in zip(sealed_streams, clear_streams, strict=True):
        for seen, real in zip(_decode(sealed), _decode(clear), strict=True):
            if seen is not None and real is not None:
                assert psnr(seen, real) < UNREADABLE_PSNR_DB, "a picture shows through"


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
        lambda: (
            _received_enough(tap, publishers, frames) and tap.decoded_video_frames(publishers) > 0
        ),
        within,
    )
    assert tap.publishers("video") >= set(publishers), tap.describe()
    captured = [f for f in tap.frames("video") if f.publisher in publishers]
    assert decodable_vp8_frames(captured) > 0, tap.describe()


async def assert_tap_cannot_read_media(
    tap: RelayTap,
    publishers: Collection[str],
    keys: Mapping[int, bytes],
    frames: int = 30,
    within: float = 20.0,
) -> None:
    """Encrypted media: once ``frames`` video frames (a key frame among them) and audio
    frames of each publisher have reached the tap (the barrier), all of them hold
    :func:`assert_frames_unreadable`, and the tap's own receiver (aiortc's decoder) has
    decoded no video frame."""
    await tap.until(lambda: _received_enough(tap, publishers, frames), within)
    assert tap.decoded_video_frames(publishers) == 0, tap.describe()
    assert_frames_unreadable([f for f in tap.frames() if f.publisher in publishers], keys)
