"""The relay benchmark's end-to-end encryption comparison (used by bench/relay.py).

Publishers replay the same pre-encoded VP8 and Opus frames, once in clear and once
encrypted in the spec's frame format (:mod:`tests.e2ee_frames`: clear VP8/Opus prefix,
AES-GCM-256, iv and key index appended), encrypted once at start, before aiortc's
``pack()``. The relay forwards both without reading them; the figure is Palabre's relay
CPU per forwarded video stream, encryption on over off (target: within 10%). Runs
alternate clear and encrypted so that a neighbour's load on the shared machine falls on
both alike; the medians are compared.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

from bench.relay_peers import Media
from tests import e2ee_frames

Step = dict[str, Any]
RunStep = Callable[[str, int, int, Media, float, float], Awaitable[Step]]

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


async def compare(
    run_step: RunStep,
    show: Callable[[Step], None],
    media: Media,
    warmup: float,
    window: float,
    pairs: int,
) -> dict[str, Any]:
    """``pairs`` clear and encrypted runs at :data:`LOAD`, alternating; the comparison."""
    key = os.urandom(e2ee_frames.KEY_SIZE)
    encrypted = encrypt_media(media, key)
    check_encrypted(media, encrypted, key)
    runs: dict[str, list[Step]] = {"clear": [], "e2ee": []}
    for i in range(pairs):
        order = ("clear", "e2ee") if i % 2 == 0 else ("e2ee", "clear")
        for mode in order:
            step = await run_step(
                "palabre", *LOAD, encrypted if mode == "e2ee" else media, warmup, window
            )
            step["media_encryption"] = mode
            runs[mode].append(step)
            print(f"[{mode:>5}] ", end="")
            show(step)

    def median(mode: str, figure: str) -> float:
        return statistics.median(float(s[figure]) for s in runs[mode])

    clear_cpu = median("clear", "cpu_s_per_video_stream_s")
    e2ee_cpu = median("e2ee", "cpu_s_per_video_stream_s")
    ratio = e2ee_cpu / max(1e-12, clear_cpu)
    sizes = {
        "clear_video_bytes_per_frame": sum(map(len, media.video)) / len(media.video),
        "e2ee_video_bytes_per_frame": sum(map(len, encrypted.video)) / len(encrypted.video),
    }
    summary = {
        "load": {"publishers": LOAD[0], "subscribers": LOAD[1], "video_streams": LOAD[0] * LOAD[1]},
        "runs_per_mode": pairs,
        "clear_cpu_s_per_video_stream_s": clear_cpu,
        "e2ee_cpu_s_per_video_stream_s": e2ee_cpu,
        "cpu_ratio_e2ee_over_clear": round(ratio, 3),
        "within_10pct": abs(ratio - 1) <= TARGET,
        "clear_video_loss": median("clear", "video_loss"),
        "e2ee_video_loss": median("e2ee", "video_loss"),
        "clear_audio_loss": median("clear", "audio_loss"),
        "e2ee_audio_loss": median("e2ee", "audio_loss"),
        **{k: round(v, 1) for k, v in sizes.items()},
    }
    print(
        f"e2ee: relay cpu/stream/s clear={clear_cpu * 1000:.3f} ms "
        f"encrypted={e2ee_cpu * 1000:.3f} ms ratio={ratio:.3f} "
        f"({'within' if summary['within_10pct'] else 'OUTSIDE'} 10%), "
        f"{pairs} run(s) each at {LOAD[0]}x{LOAD[1]}",
        flush=True,
    )
    return {"summary": summary, "clear": runs["clear"], "e2ee": runs["e2ee"]}
