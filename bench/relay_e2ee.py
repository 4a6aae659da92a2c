"""The relay benchmark's end-to-end encryption comparison (used by bench/relay.py).

Publishers replay the same pre-encoded VP8 and Opus frames, in clear and encrypted in
the spec's frame format (:mod:`tests.e2ee_frames`: clear VP8/Opus prefix, AES-GCM-256,
iv and key index appended), encrypted once at start, before aiortc's ``pack()``. The
relay forwards both without reading them; the figure is Palabre's relay CPU per
forwarded video stream, encryption on over off (target: within 10%).

Both modes run in ONE relay process with the same peers: the publishers switch between
the clear and the encrypted frame lists every slice (ABBA order), and the relay's CPU
time is summed per mode. Separate runs per mode differed by up to 30% from one run to
the next on a shared two-core machine (setup, neighbours); slices a second or two long
share whatever the machine does. Each slice lasts one loop of the media (3 s).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from bench.relay_peers import FPS, Media, Publisher, Subscriber
from signaling.relay.standalone import RelayProcess
from tests import e2ee_frames

LOAD = (4, 5)  # publishers x subscribers: 20 video streams, well under capacity
KEY_INDEX = 1
TARGET = 0.10


def encrypt_media(media: Media, key: bytes, index: int = KEY_INDEX) -> Media:
    """Every frame of ``media`` as a browser's sender transform would send it."""
    video = [
        e2ee_frames.encrypt_frame(key, index, f, "video", e2ee_frames.is_vp8_keyframe(f))
        for f in media.video
    ]
    audio = [e2ee_frames.encrypt_frame(key, index, f, "audio", False) for f in media.audio]
    return Media(video=video, audio=audio)


def check_encrypted(clear: Media, encrypted: Media, key: bytes) -> None:
    """The replayed frames really are the spec's format: they open with the key only."""
    keys = {KEY_INDEX: key}
    for plain, sealed, kind in [
        (clear.video[0], encrypted.video[0], "video"),
        (clear.video[1], encrypted.video[1], "video"),
        (clear.audio[0], encrypted.audio[0], "audio"),
    ]:
        keyframe = kind == "video" and e2ee_frames.is_vp8_keyframe(sealed)
        assert sealed != plain
        opened = e2ee_frames.decrypt_frame(keys, sealed, kind, keyframe)  # type: ignore[arg-type]
        assert opened == plain


def _cpu(stats: dict[str, Any]) -> float:
    return float(stats["cpu"]["user"] + stats["cpu"]["system"])


def _forwarded(stats: dict[str, Any], kind: str) -> int:
    return sum(int(f["packets_sent"]) for f in stats["forwarded"] if f["kind"] == kind)


def _use(publishers: dict[str, Publisher], media: Media) -> None:
    """From the next frame on, every publisher replays ``media`` (same frame index)."""
    for publisher in publishers.values():
        for sender in publisher.pc.getSenders():
            track: Any = sender.track
            track._packets = media.video if track.kind == "video" else media.audio


def _loss(subscribers: dict[str, Subscriber], kind: str) -> tuple[int, int]:
    streams = [s for sub in subscribers.values() for s in sub.streams.values() if s.kind == kind]
    return sum(s.expected for s in streams), sum(s.received for s in streams)


async def compare(media: Media, warmup: float, slices: int) -> dict[str, Any]:
    """``slices`` alternating clear / encrypted slices at :data:`LOAD` in one relay.

    A slice lasts one loop of the replayed media, so that every slice forwards the same
    frames (shorter slices fell on more or fewer key frames: 5% more or fewer packets).
    """
    slice_s = len(media.video) / FPS
    key = os.urandom(e2ee_frames.KEY_SIZE)
    encrypted = encrypt_media(media, key)
    check_encrypted(media, encrypted, key)
    n_pub, n_sub = LOAD
    subscribers: dict[str, Subscriber] = {}

    async def on_offer(pid: str, sdp: str) -> None:
        if pid in subscribers:
            await subscribers[pid].on_offer(sdp)

    relay = RelayProcess(
        [sys.executable, "-m", "signaling.relay.standalone", "--host", "127.0.0.1"], on_offer
    )
    await relay.start()
    publishers = {f"pub{i}": Publisher(f"pub{i}", media) for i in range(n_pub)}
    totals = {m: {"cpu": 0.0, "s": 0.0, "video": 0, "audio": 0} for m in ("clear", "e2ee")}
    losses = {m: {"expected": 0, "received": 0} for m in ("clear", "e2ee")}
    per_slice: list[dict[str, Any]] = []
    try:
        for publisher in publishers.values():
            await publisher.connect(relay)
        await asyncio.sleep(1.0)
        for i in range(n_sub):
            subscribers[f"sub{i}"] = Subscriber(f"sub{i}", publishers)
            await subscribers[f"sub{i}"].connect(relay)
        for _ in range(100):
            flowing = [
                s for sub in subscribers.values() for s in sub.streams.values() if s.received
            ]
            if len(flowing) >= 2 * n_pub * n_sub:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(warmup)
        for i in range(slices):
            mode = "clear" if i % 4 in (0, 3) else "e2ee"  # ABBA ABBA ...
            _use(publishers, encrypted if mode == "e2ee" else media)
            await asyncio.sleep(0.2)  # frames of the other mode still in flight
            for stream in (s for sub in subscribers.values() for s in sub.streams.values()):
                stream.reset()
            before, started = await relay.call("stats"), time.monotonic()
            await asyncio.sleep(slice_s)
            after, elapsed = await relay.call("stats"), time.monotonic() - started
            t = totals[mode]
            cpu = _cpu(after) - _cpu(before)
            per_slice.append({"mode": mode, "cpu_ms_per_stream_s": cpu / (n_pub * n_sub * elapsed)})
            t["cpu"] += cpu
            t["s"] += elapsed
            for kind in ("video", "audio"):
                t[kind] += _forwarded(after, kind) - _forwarded(before, kind)
            expected, received = _loss(subscribers, "video")
            losses[mode]["expected"] += expected
            losses[mode]["received"] += received
    finally:
        for pc in [*(x.pc for x in subscribers.values()), *(x.pc for x in publishers.values())]:
            await pc.close()
        await relay.close()

    streams = n_pub * n_sub
    per_stream = {m: t["cpu"] / (streams * t["s"]) for m, t in totals.items()}
    ratio = per_stream["e2ee"] / max(1e-12, per_stream["clear"])
    # the same CPU per packet the relay forwarded: the publishers (one client process on a
    # shared machine) do not always keep their rate, and a slice with fewer packets costs less
    per_packet = {m: t["cpu"] / max(1, t["video"] + t["audio"]) for m, t in totals.items()}
    packet_ratio = per_packet["e2ee"] / max(1e-12, per_packet["clear"])
    loss = {
        m: 1 - v["received"] / v["expected"] if v["expected"] else 1.0 for m, v in losses.items()
    }
    summary = {
        "method": "one relay process, publishers switch clear/encrypted frames per slice (ABBA)",
        "load": {"publishers": n_pub, "subscribers": n_sub, "video_streams": streams},
        "slices": slices,
        "slice_s": round(slice_s, 3),
        "clear_cpu_s_per_video_stream_s": per_stream["clear"],
        "e2ee_cpu_s_per_video_stream_s": per_stream["e2ee"],
        "cpu_ratio_e2ee_over_clear": round(ratio, 3),
        "within_10pct": abs(ratio - 1) <= TARGET,
        "clear_cpu_us_per_forwarded_packet": round(per_packet["clear"] * 1e6, 2),
        "e2ee_cpu_us_per_forwarded_packet": round(per_packet["e2ee"] * 1e6, 2),
        "cpu_per_packet_ratio_e2ee_over_clear": round(packet_ratio, 3),
        "clear_video_loss": round(loss["clear"], 4),
        "e2ee_video_loss": round(loss["e2ee"], 4),
        "clear_forwarded_packets_per_s": {
            k: round(totals["clear"][k] / totals["clear"]["s"]) for k in ("video", "audio")
        },
        "e2ee_forwarded_packets_per_s": {
            k: round(totals["e2ee"][k] / totals["e2ee"]["s"]) for k in ("video", "audio")
        },
        "clear_video_bytes_per_frame": round(sum(map(len, media.video)) / len(media.video), 1),
        "per_slice_cpu_ms_per_stream_s": [
            {"mode": x["mode"], "cpu": round(x["cpu_ms_per_stream_s"] * 1000, 3)} for x in per_slice
        ],
        "e2ee_video_bytes_per_frame": round(
            sum(map(len, encrypted.video)) / len(encrypted.video), 1
        ),
    }
    print(
        f"e2ee: relay cpu/stream/s clear={per_stream['clear'] * 1000:.3f} ms "
        f"encrypted={per_stream['e2ee'] * 1000:.3f} ms ratio={ratio:.3f} "
        f"({'within' if summary['within_10pct'] else 'OUTSIDE'} 10%); per forwarded packet "
        f"{per_packet['clear'] * 1e6:.1f} / {per_packet['e2ee'] * 1e6:.1f} us "
        f"ratio={packet_ratio:.3f}; "
        f"loss v clear={loss['clear'] * 100:.2f}% e2ee={loss['e2ee'] * 100:.2f}%, "
        f"{slices} slices of {slice_s} s at {n_pub}x{n_sub}",
        flush=True,
    )
    return summary
