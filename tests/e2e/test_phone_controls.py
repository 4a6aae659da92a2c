"""The room's control bar on a phone (390x844): every button is named, nothing is cut.

Each control has an accessible name (the full label, not only a hidden short one), the unread
badge of the chat is whole and announced, *Retirer mon consentement* says what it does, and
with the documents open every tile of the strip is on screen. Screenshots go to
test-artifacts/phone-controls-*.png.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby

pytestmark = pytest.mark.browser

NAMES = {
    "toggle-mic": "Couper le micro",
    "toggle-camera": "Couper la caméra",
    "open-board": "Tableau",
    "open-documents": "Documents",
    "open-chat": "Discussion",
    "withdraw": "Retirer mon consentement",
    "leave": "Quitter",
}

# Is the element's box inside the viewport and not cut by an ancestor that clips it?
WHOLE = """
(el) => {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return false;
  for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
    const c = p.getBoundingClientRect();
    const out = r.left < c.left - 0.5 || r.right > c.right + 0.5
      || r.top < c.top - 0.5 || r.bottom > c.bottom + 0.5;
    if (out) return false;
  }
  return true;
}
"""

# Text that is cut by an ellipsis or by its box
CUT = "(el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1"


async def visible_label_is_whole(page: Page, button_id: str) -> None:
    label = page.locator(f"#{button_id} .label-short")
    await expect(label).to_be_visible()
    assert not await label.evaluate(CUT), f"{button_id}: its label is cut"


async def test_phone_controls_are_named_whole_and_keep_the_tiles_in_sight(
    live_server: LiveServer, browser: Browser
) -> None:
    names = ["Alice Martin", "Bruno Petit"]
    session_id, tokens = await seed_session(live_server, names)
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    phones: dict[str, Page] = {}
    for name in names:
        _, page = await new_page(browser, phone=True)
        await party_reaches_lobby(page, live_server, tokens[name], name)
        await admit(claire, page, name)
        phones[name] = page
    alice = phones["Alice Martin"]
    await expect(alice.locator(".tile")).to_have_count(3, timeout=15000)

    for button_id, name in NAMES.items():
        button = alice.locator(f"#{button_id}")
        await expect(button).to_have_accessible_name(name)
        await visible_label_is_whole(alice, button_id)
    await expect(alice.locator("#withdraw .label-short")).to_contain_text("consentement")
    await expect(alice.get_by_role("button", name="Quitter")).to_have_count(1)

    # An unread message: the badge is whole, the label too, and the name says it.
    await claire.click("#open-chat")
    await claire.fill("#chat-input", "Bonjour à tous")
    await claire.press("#chat-input", "Enter")
    badge = alice.locator("#open-chat .unread")
    await expect(badge).to_be_visible(timeout=10000)
    await expect(alice.locator("#open-chat")).to_have_accessible_name(
        "Discussion 1 message(s) non lu(s)"
    )
    assert await badge.evaluate(WHOLE), "the unread badge is cut"
    await visible_label_is_whole(alice, "open-chat")
    await alice.screenshot(path=str(ARTIFACTS / "phone-controls-unread.png"))

    # Documents open: the three tiles stay on screen, none hidden in the strip.
    await alice.click("#open-documents")
    await expect(alice.locator("#documents")).to_be_visible()
    tiles = alice.locator(".tile")
    await expect(tiles).to_have_count(3)
    for i in range(3):
        assert await tiles.nth(i).evaluate(WHOLE), f"tile {i} is cut with the documents open"
    for button_id in NAMES:
        await visible_label_is_whole(alice, button_id)
    captions = alice.locator(".tile figcaption")
    for i in range(3):  # each name on one line, inside its tile
        assert await captions.nth(i).evaluate(WHOLE), f"the name of tile {i} leaves it"
        height = await captions.nth(i).evaluate("(el) => el.getBoundingClientRect().height")
        assert height < 24, f"the name of tile {i} takes {height}px"
    await alice.screenshot(path=str(ARTIFACTS / "phone-controls-documents.png"))
    await alice.click("#open-board")
    await expect(alice.locator("#board")).to_be_visible()
    for i in range(3):
        assert await tiles.nth(i).evaluate(WHOLE), f"tile {i} is cut with the board open"
    await alice.screenshot(path=str(ARTIFACTS / "phone-controls-board.png"))
    assert alice.errors == []  # type: ignore[attr-defined]
