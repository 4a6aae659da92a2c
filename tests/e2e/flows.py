"""What people do in the pages, step by step, for the browser tests."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import ARTIFACTS, MEDIATOR_EMAIL, MEDIATOR_PASSWORD, LiveServer

# The room page's live state and the board's mirror are read from their modules (a page
# importing a module it already runs gets the same instance); nothing is put on window.
ROOM_MODULE = "/static/js/room/room.js"
BOARD_MODULE = "/static/js/room/board/whiteboard.js"


def in_room(expression: str, parameter: str = "") -> str:
    """A page function of ``parameter`` returning ``expression`` over ``room``, the room
    page's state."""
    load = f"const {{ state: room }} = await import('{ROOM_MODULE}');"
    return f"async ({parameter}) => {{ {load} return ({expression}); }}"


def on_board(expression: str) -> str:
    """A page function returning ``expression`` over ``board``, the state the board mirrors."""
    load = f"const {{ mirrored: board }} = await import('{BOARD_MODULE}');"
    return f"async () => {{ {load} return ({expression}); }}"


STATS = """
async () => {
  const { state: room } = await import('/static/js/room/room.js');
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


# Headless Chromium has no screen to capture: a moving canvas stands in for one.
FAKE_SCREEN = """
navigator.mediaDevices.getDisplayMedia = async () => {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext('2d');
  let n = 0;
  setInterval(() => {
    g.fillStyle = `hsl(${(n++ * 7) % 360}, 60%, 50%)`;
    g.fillRect(0, 0, 640, 360);
  }, 66);
  return canvas.captureStream(15);
};
"""


async def new_page(browser: Browser, *, phone: bool = False) -> tuple[BrowserContext, Page]:
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
    context = await browser.new_context(locale="fr-FR", viewport=size)
    await context.add_init_script(FAKE_SCREEN)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    setattr(page, "errors", errors)  # noqa: B010 - read back by the tests
    return context, page


async def party_reaches_lobby(
    page: Page, server: LiveServer, token: str, name: str, shots: str | None = None
) -> None:
    """Join page, consent (both purposes, typed name), device check, waiting room."""
    await page.goto(f"{server.url}/join#{token}")
    await page.click("#continue")
    accept = page.locator("#consent-accept")
    await expect(accept).to_be_disabled()
    await page.check("#confidentiality-ok")
    await page.check("#privacy-ok")
    await expect(accept).to_be_disabled()  # the name is still missing
    await page.fill("#typed-name", name)
    if shots:
        await page.screenshot(path=str(ARTIFACTS / f"{shots}-consent.png"), full_page=True)
    await accept.click()
    await expect(page.locator("#device-check")).to_be_visible(timeout=15000)
    await expect(page.locator("#enter")).to_be_enabled()
    if shots:
        await page.screenshot(path=str(ARTIFACTS / f"{shots}-devices.png"))
    await page.click("#enter")
    await expect(page.locator("#lobby")).to_be_visible()


async def mediator_opens_room(page: Page, server: LiveServer, session_id: str) -> None:
    await page.goto(f"{server.url}/login")
    await page.fill("input[name=email]", MEDIATOR_EMAIL)
    await page.fill("input[name=password]", MEDIATOR_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Mes dossiers")
    await page.goto(f"{server.url}/room?session={session_id}")
    await expect(page.locator("#device-check")).to_be_visible(timeout=15000)
    await page.click("#enter")
    await expect(page.locator("#panel")).to_be_visible()


async def admit(mediator: Page, party: Page, name: str) -> None:
    row = mediator.locator("#waiting li", has_text=name)
    await expect(row).to_be_visible(timeout=10000)
    await row.locator(".admit").click()
    await expect(party.locator("#stage")).to_be_visible(timeout=10000)


async def inbound(page: Page) -> dict[str, dict[str, int]]:
    stats: dict[str, dict[str, int]] | None = await page.evaluate(STATS)
    return stats or {"video": {}, "audio": {}}


async def wait_for_flowing(page: Page, videos: int, audios: int, within: float = 25) -> None:
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
            raise AssertionError(f"media not flowing on {page.url[:50]}: {now}")
        before = now
        await asyncio.sleep(1.0)


async def rising(page: Page, seconds: float = 2.5) -> tuple[int, int]:
    """How many remote video frames and audio packets arrive in ``seconds``.

    For a count of zero to mean anything, the page's connection must have been live over
    the window: its own camera and microphone are checked to have gone on sending."""
    first, sent = await inbound(page), await outbound(page)
    await asyncio.sleep(seconds)
    second, sent_after = await inbound(page), await outbound(page)
    assert sent_after > sent, f"the page sent nothing in {seconds} s: it measured nothing"
    frames = sum(v - first["video"].get(k, 0) for k, v in second["video"].items())
    packets = sum(v - first["audio"].get(k, 0) for k, v in second["audio"].items())
    return frames, packets


OUTBOUND = """
async () => {
  const { state: room } = await import('/static/js/room/room.js');
  if (!room || !room.relay) return 0;
  const report = await room.relay.pc.getStats();
  let sent = 0;
  report.forEach((s) => { if (s.type === 'outbound-rtp') sent += s.packetsSent || 0; });
  return sent;
}
"""


async def outbound(page: Page) -> int:
    """How many packets the page's camera and microphone sent so far."""
    sent: int = await page.evaluate(OUTBOUND)
    return sent


async def barrier(page: Page) -> None:
    """Everything the server sent ``page`` before now has reached it, handlers included: the
    page asks for the board on its own socket, and the answer is sent after anything emitted
    to it earlier. Absence is asserted behind this, never after a wait."""
    await page.evaluate(in_room("room.socket.emitWithAck('wb:sync', {})"))


async def until_inked(page: Page, selector: str, below: int, more_than: int) -> None:
    """Until a canvas has more than ``more_than`` pixels darker than ``below``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10.0
    while (count := await inked(page, selector, below)) <= more_than:
        if loop.time() > deadline:
            raise AssertionError(f"{selector}: {count} inked pixels, not more than {more_than}")
        await asyncio.sleep(0.05)


async def received(page: Page) -> list[Any]:
    result: list[Any] = await page.evaluate(in_room("room.received"))
    return result


async def until_true(
    page: Page, expression: str, within: float = 10.0, explain: str | None = None
) -> None:
    """Polls ``expression`` with evaluate (wait_for_function's eval is refused by the CSP).

    ``explain``: an expression whose value is added to the failure message.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await page.evaluate(expression):
        if loop.time() > deadline:
            state = "" if explain is None else f"\n{await page.evaluate(explain)}"
            raise AssertionError(f"not true in time: {expression}{state}")
        await asyncio.sleep(0.05)


async def inked(page: Page, selector: str, below: int) -> int:
    """How many pixels of a canvas have a channel darker than ``below`` (-1: no canvas)."""
    script = """
    ([selector, below]) => {
      const canvas = document.querySelector(selector);
      if (!canvas) return -1;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i] < below || data[i + 1] < below || data[i + 2] < below) inked += 1;
      }
      return inked;
    }
    """
    count: int = await page.evaluate(script, [selector, below])
    return count
