"""What the browser tests read of a room page's end-to-end encryption: the state the room
shows, the keys the page held (exported for the tests), and the frame worker's counters."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from playwright.async_api import Page

from tests.e2e.flows import in_room

SHOWN = """
() => {
  const bar = document.getElementById('e2ee');
  if (!bar || bar.hidden) return { state: 'hidden' };
  return { state: bar.dataset.state, code: bar.dataset.code || null,
           words: (document.getElementById('e2ee-words') || {}).textContent || null };
}
"""

RECEIVED_MEDIA = """
async () => {
  const { state: room } = await import('/static/js/room/room.js');
  if (!room || !room.relay) return null;
  const report = await room.relay.pc.getStats();
  const out = { frames: 0, videoPackets: 0, audioPackets: 0, energy: 0 };
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      out.frames += s.framesDecoded || 0;
      out.videoPackets += s.packetsReceived || 0;
    } else {
      out.audioPackets += s.packetsReceived || 0;
      out.energy += s.totalAudioEnergy || 0;
    }
  });
  return out;
}
"""


async def shown(page: Page) -> dict[str, Any]:
    """What the room's encryption bar says: state ('e2ee', 'keying', 'transport',
    'hidden'), the verification code's hex and its words."""
    result: dict[str, Any] = await page.evaluate(SHOWN)
    return result


async def until_same_code(pages: list[Page], within: float = 20.0) -> str:
    """Until every page shows "end-to-end encrypted" with one and the same code."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        states = [await shown(p) for p in pages]
        codes = {s.get("code") for s in states}
        if all(s["state"] == "e2ee" for s in states) and len(codes) == 1:
            code: str = states[0]["code"]
            return code
        if loop.time() > deadline:
            raise AssertionError(f"the pages do not agree on a code: {states}")
        await asyncio.sleep(0.1)


async def received_media(page: Page) -> dict[str, float]:
    """Totals over the page's inbound streams: video frames decoded and packets received,
    audio packets received and audio energy."""
    result: dict[str, float] | None = await page.evaluate(RECEIVED_MEDIA)
    return result or {"frames": 0, "videoPackets": 0, "audioPackets": 0, "energy": 0.0}


async def frame_counters(page: Page) -> dict[str, Any]:
    """The frame worker's counters (encrypted, decrypted, dropped...) and timings."""
    stats: dict[str, Any] = await page.evaluate(in_room("room.keys.stats()"))
    return stats


async def held_keys(page: Page) -> list[dict[str, Any]]:
    """Every room key the page held: [{group, epoch, index, key (base64url)}]."""
    keys: list[dict[str, Any]] = await page.evaluate(in_room("room.keys.exportKeys()"))
    return keys


def key_bytes(entry: dict[str, Any]) -> bytes:
    raw: str = entry["key"]
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


def spellings(key: bytes) -> list[bytes]:
    """The ways a key's bytes could be written down: raw, hex, base64 and base64url (with
    and without padding), and as a JSON array of numbers."""
    b64 = base64.b64encode(key)
    url = base64.urlsafe_b64encode(key)
    numbers = ",".join(str(b) for b in key).encode()
    return [key, key.hex().encode(), key.hex().upper().encode(), b64, b64.rstrip(b"="),
            url, url.rstrip(b"="), numbers]  # fmt: skip


async def decoding(page: Page, seconds: float = 2.0) -> dict[str, float]:
    """How much more the page decoded and received over ``seconds``."""
    before = await received_media(page)
    await asyncio.sleep(seconds)
    after = await received_media(page)
    return {k: after[k] - before[k] for k in after}


async def until_decoding(page: Page, within: float = 25.0) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        delta = await decoding(page, 1.0)
        if delta["frames"] > 0 and delta["energy"] > 0:
            return delta
        if loop.time() > deadline:
            raise AssertionError(f"nothing decoded: {delta}, {await frame_counters(page)}")
