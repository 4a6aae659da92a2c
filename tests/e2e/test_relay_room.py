"""Three browsers in one session see and hear each other through Palabre's relay."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session

pytestmark = pytest.mark.browser

STATS = """
async () => {
  const room = window.palabreRoom;
  if (!room || !room.relay) return null;
  const report = await room.relay.pc.getStats();
  const out = { video: {}, audio: {} };
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') out.video[s.mid || s.id] = s.framesDecoded || 0;
    if (s.kind === 'audio') out.audio[s.mid || s.id] = s.packetsReceived || 0;
  });
  return out;
}
"""


async def inbound(page: Page) -> dict[str, dict[str, int]]:
    stats: dict[str, dict[str, int]] | None = await page.evaluate(STATS)
    assert stats is not None
    return stats


async def wait_for_flowing(page: Page, videos: int, audios: int, within: float = 20) -> None:
    """Until ``videos`` remote videos decode frames and ``audios`` audio tracks get packets."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    before: dict[str, dict[str, int]] = {"video": {}, "audio": {}}
    while True:
        now = await inbound(page)
        rising_v = [k for k, v in now["video"].items() if v > before["video"].get(k, 0) > 0]
        rising_a = [k for k, v in now["audio"].items() if v > before["audio"].get(k, 0) > 0]
        if len(rising_v) >= videos and len(rising_a) >= audios:
            return
        if loop.time() > deadline:
            raise AssertionError(f"media not flowing on {page.url[:40]}: {now}")
        before = now
        await asyncio.sleep(1.0)


async def open_room(browser: Browser, url: str, name: str) -> tuple[Any, Page]:
    context = await browser.new_context(locale="fr-FR", viewport={"width": 960, "height": 720})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(url)
    connection = page.locator("#connection")
    await expect(connection).to_have_attribute("data-state", "connected", timeout=20000)
    assert errors == [], errors
    return context, page


async def test_three_participants_see_and_hear_each_other(
    live_server: LiveServer, browser: Browser
) -> None:
    names = ["Alice Martin", "Bruno Petit", "Chloé Roux"]
    _, tokens = await seed_session(live_server, names)
    pages: dict[str, Page] = {}
    for name in names:
        _, pages[name] = await open_room(browser, f"{live_server.url}/room#{tokens[name]}", name)
    for page in pages.values():
        await expect(page.locator(".tile")).to_have_count(3, timeout=15000)
        await wait_for_flowing(page, videos=2, audios=2)
    await pages["Alice Martin"].screenshot(path=str(ARTIFACTS / "room-three.png"))

    # Chloé leaves: the others lose her tile within 5 s.
    await pages["Chloé Roux"].click("#leave")
    await expect(pages["Chloé Roux"].locator("#left")).to_be_visible()
    for name in ["Alice Martin", "Bruno Petit"]:
        await expect(pages[name].locator(".tile")).to_have_count(2, timeout=5000)
        await expect(pages[name].locator(".tile-name", has_text="Chloé Roux")).to_have_count(0)

    # She comes back and is seen and heard again.
    await pages["Chloé Roux"].context.close()
    _, pages["Chloé Roux"] = await open_room(
        browser, f"{live_server.url}/room#{tokens['Chloé Roux']}", "Chloé Roux"
    )
    for page in pages.values():
        await expect(page.locator(".tile")).to_have_count(3, timeout=15000)
        await wait_for_flowing(page, videos=2, audios=2)
    await pages["Chloé Roux"].set_viewport_size({"width": 390, "height": 844})
    await pages["Chloé Roux"].screenshot(path=str(ARTIFACTS / "room-phone.png"))
