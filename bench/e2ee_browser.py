"""Benchmark: the cost of end-to-end frame encryption in the browser, per video frame.

    .venv/bin/python bench/e2ee_browser.py [--quick] [--seconds S]

Headless Chromium (Debian's, fake camera 640x480 and fake microphone) runs the loopback of
the browser tests (tests/e2e/e2ee_loopback.js): two peer connections in one page, VP8, each
with its FrameCrypto (frontend/static/js/room/e2ee), the same room key on both ends. For each
frame-transform API ('script' = RTCRtpScriptTransform, 'streams' = createEncodedStreams) it
streams for ``seconds`` (20; ``--quick`` 5) after a 2 s warm-up, then reads the workers'
timings of the last 600 video frames at most:

* encrypt: from the frame entering the send transform to its encrypted bytes (in the worker:
  random iv, AES-GCM of the frame after the clear prefix, trailer);
* decrypt: the same on the receive side;
* encrypt+decrypt: the k-th encrypt time plus the k-th decrypt time (frames arrive in order
  on the loopback, so k is the same frame up to the odd frame lost);
* the median size of the encoded frames, and frames decoded per second.

The fake camera's frames are small (about 3 KB); a real camera's are larger, and key frames
larger still. So the same workers also run, outside WebRTC, 300 random frames of each size
of ``SIZES`` (sequentially through a sending worker then a receiving one): encrypt, decrypt
and encrypt+decrypt per frame at that size.

The page is cross-origin isolated so that performance.now() in the worker is precise to a few
microseconds. Target: encrypt+decrypt under 1 ms per frame at the median. Figures are printed
and written to bench/results/e2ee_browser.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.async_api import Page, async_playwright  # noqa: E402

from bench.figures import percentile  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.e2ee_loopback import call, serving  # noqa: E402

APIS = ("script", "streams")
TARGET_MS = 1.0
SIZES = (3_000, 10_000, 30_000, 100_000)
CHAIN_FRAMES = 300
SAMPLES = """
async ([id, side]) => (await import('/loopback.js')).crypto(id, side).stats({ samples: true })
"""


def _figures(values: list[float]) -> dict[str, float | int | None]:
    def ms(q: float) -> float | None:
        v = percentile(values, q)
        return None if v is None else round(v, 4)

    return {"count": len(values), "median_ms": ms(0.5), "p95_ms": ms(0.95)}


async def _run(page: Page, api: str, seconds: float) -> dict[str, Any]:
    loop = await call(page, "start", api)
    try:
        key = list(os.urandom(32))
        await call(page, "setKey", loop, "recv", 1, key)
        await call(page, "setKey", loop, "send", 1, key)
        await asyncio.sleep(2)
        first = await call(page, "inbound", loop)
        started = time.monotonic()
        await asyncio.sleep(seconds)
        last = await call(page, "inbound", loop)
        elapsed = time.monotonic() - started
        send = await page.evaluate(SAMPLES, [loop, "send"])
        recv = await page.evaluate(SAMPLES, [loop, "recv"])
    finally:
        await call(page, "stop", loop)
    encrypt: list[float] = send["samples"]["encrypt"]
    decrypt: list[float] = recv["samples"]["decrypt"]
    n = min(len(encrypt), len(decrypt))
    both = [e + d for e, d in zip(encrypt[-n:], decrypt[-n:], strict=True)] if n else []
    sizes = send["samples"]["bytes"]
    decoded = last["framesDecoded"] - first["framesDecoded"]
    sent = send["send"]["video"]
    return {
        "api": api,
        "seconds": round(elapsed, 1),
        "codec": last["codec"],
        "frames_decoded_per_s": round(decoded / elapsed, 1),
        "frame_bytes_median": statistics.median(sizes) if sizes else None,
        "encrypt": _figures(encrypt),
        "decrypt": _figures(decrypt),
        "encrypt_plus_decrypt": _figures(both),
        "dropped": {
            "send": sent["dropped_no_key"] + sent["dropped_failed"],
            "recv_failed": recv["recv"]["video"]["dropped_failed"],
        },
    }


async def _sizes(page: Page) -> list[dict[str, Any]]:
    rows = []
    for size in SIZES:
        out = await call(page, "chain", size, CHAIN_FRAMES)
        both = [e + d for e, d in zip(out["encrypt"], out["decrypt"], strict=True)]
        rows.append(
            {
                "frame_bytes": size,
                "frames": out["received"],
                "encrypt": _figures(out["encrypt"]),
                "decrypt": _figures(out["decrypt"]),
                "encrypt_plus_decrypt": _figures(both),
            }
        )
    return rows


def _chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip()
    except OSError:
        return "unknown"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s per API")
    parser.add_argument("--seconds", type=float, default=None)
    args = parser.parse_args()
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    runs = []
    async with serving() as url, async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
        )
        page = await browser.new_page()
        await page.goto(url)
        isolated = await page.evaluate("crossOriginIsolated")
        for api in APIS:
            runs.append(await _run(page, api, seconds))
        sizes = await _sizes(page)
        await browser.close()
    for r in runs:
        both = r["encrypt_plus_decrypt"]
        print(
            f"{r['api']:8} {r['codec']} {r['frames_decoded_per_s']} fps, "
            f"frame {r['frame_bytes_median']} B | encrypt median {r['encrypt']['median_ms']} ms "
            f"p95 {r['encrypt']['p95_ms']} | decrypt median {r['decrypt']['median_ms']} ms "
            f"p95 {r['decrypt']['p95_ms']} | both median {both['median_ms']} ms "
            f"p95 {both['p95_ms']} (n={both['count']})"
        )
    for row in sizes:
        both = row["encrypt_plus_decrypt"]
        print(
            f"synthetic {row['frame_bytes']:>7} B x{row['frames']} | encrypt median "
            f"{row['encrypt']['median_ms']} ms p95 {row['encrypt']['p95_ms']} | decrypt median "
            f"{row['decrypt']['median_ms']} ms p95 {row['decrypt']['p95_ms']} | both median "
            f"{both['median_ms']} ms p95 {both['p95_ms']}"
        )
    met = all((r["encrypt_plus_decrypt"]["median_ms"] or 1e9) < TARGET_MS for r in runs)
    print(f"target encrypt+decrypt median < {TARGET_MS} ms: {'met' if met else 'NOT met'}")
    result = {
        "benchmark": "e2ee_browser",
        "resolution": "640x480",
        "seconds_per_api": seconds,
        "target_ms": TARGET_MS,
        "target_met": met,
        "cross_origin_isolated": isolated,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "chromium": _chromium_version(),
        },
        "runs": runs,
        "synthetic_sizes": sizes,
    }
    out = ROOT / "bench" / "results" / "e2ee_browser.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
