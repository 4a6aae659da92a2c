"""Details a mediator notices at once, at 1280x800 (and the self-view on a phone).

The mediator's device check has no "Étape 2 sur 3" and its button is on screen without
scrolling (a party's too); the tile captions follow a language switch ("(you)", no
"(vous)" left); my own picture is small in a corner while others are there; the board opens
at 100 %. Screenshots: test-artifacts/details-*.png.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.e2e.conftest import (
    ARTIFACTS,
    MEDIATOR_EMAIL,
    MEDIATOR_PASSWORD,
    LiveServer,
    seed_session,
)
from tests.e2e.flows import admit, new_page, party_reaches_lobby

pytestmark = pytest.mark.browser


async def on_screen(page: Page, locator: Locator, shot: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"details-{shot}.png"))
    box = await locator.bounding_box()
    assert box is not None
    size = page.viewport_size
    assert size is not None
    scrolled = await page.evaluate("window.scrollY")
    assert scrolled == 0 and box["y"] + box["height"] <= size["height"], (box, scrolled)


async def width(locator: Locator) -> float:
    box = await locator.bounding_box()
    assert box is not None
    return box["width"]


async def test_device_check_captions_self_view_and_board_scale(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await claire.goto(f"{live_server.url}/login")
    await claire.fill("input[name=email]", MEDIATOR_EMAIL)
    await claire.fill("input[name=password]", MEDIATOR_PASSWORD)
    await claire.click("#login-form button[type=submit]")
    await expect(claire.locator("h1")).to_have_text("Mes dossiers")
    await claire.goto(f"{live_server.url}/room?session={session_id}")
    await expect(claire.locator("#enter")).to_be_enabled(timeout=15000)
    title = claire.locator("#device-check h1")
    await expect(title).to_have_text("Caméra et micro avant d’ouvrir la séance")
    await on_screen(claire, claire.locator("#enter"), "mediator-devices")
    await claire.click("#enter")
    await expect(claire.locator("#panel")).to_be_visible()

    _, alice = await new_page(browser)
    await alice.goto(f"{live_server.url}/join#{tokens['Alice Martin']}")
    await alice.click("#continue")
    await alice.check("#confidentiality-ok")
    await alice.check("#privacy-ok")
    await alice.fill("#typed-name", "Alice Martin")
    await alice.click("#consent-accept")
    await expect(alice.locator("#enter")).to_be_enabled(timeout=15000)
    await expect(alice.locator("#device-check h1")).to_contain_text("Étape 2 sur 3")
    await on_screen(alice, alice.locator("#enter"), "party-devices")
    await alice.click("#enter")
    await expect(alice.locator("#lobby")).to_be_visible()
    await admit(claire, alice, "Alice Martin")

    # my own picture: small, in a corner, while someone else is there
    own, other = alice.locator(".tile.self"), alice.locator(".tile:not(.self)")
    await expect(other).to_have_count(1, timeout=15000)
    assert await width(own) < 0.4 * await width(other)
    await alice.screenshot(path=str(ARTIFACTS / "details-self-view.png"))

    # the language switch: captions too
    await expect(own.locator(".tile-name")).to_have_text("Alice Martin (vous)")
    await alice.click("button[data-lang=en]")
    await expect(own.locator(".tile-name")).to_have_text("Alice Martin (you)")
    await expect(alice.get_by_text("(vous)")).to_have_count(0)
    await alice.click("button[data-lang=fr]")
    await expect(own.locator(".tile-name")).to_have_text("Alice Martin (vous)")

    # the board opens at 100 %
    await claire.click("#open-board")
    await expect(claire.locator("#board-zoom")).to_have_text("100 %")
    await claire.screenshot(path=str(ARTIFACTS / "details-board.png"))
    for page in (claire, alice):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_on_a_phone_my_own_picture_is_small(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    from tests.e2e.flows import mediator_opens_room

    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser, phone=True)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    own, other = alice.locator(".tile.self"), alice.locator(".tile:not(.self)")
    await expect(other).to_have_count(1, timeout=15000)
    assert await width(own) < 0.4 * await width(other)
    await alice.screenshot(path=str(ARTIFACTS / "details-self-view-phone.png"))
