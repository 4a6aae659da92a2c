"""The same personal link opened in another browser (a forwarded invitation) does not take the
admitted person's seat: it waits, the mediator sees who knocks again and from where, and decides."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby

pytestmark = pytest.mark.browser


async def test_another_browser_with_the_same_link_waits_for_the_mediator(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    # Someone else opens Alice's link in their own browser (its own storage: another device).
    _, other = await new_page(browser)
    await party_reaches_lobby(other, live_server, tokens["Alice Martin"], "Alice Martin")
    await expect(other.locator("#lobby")).to_have_attribute("data-again", "true")
    await expect(other.locator("#lobby")).to_contain_text("autre appareil")
    await other.screenshot(path=str(ARTIFACTS / "second-device-1-waiting.png"))
    row = claire.locator("#waiting li", has_text="Alice Martin")
    await expect(row).to_have_attribute("data-again", "true", timeout=10000)
    await expect(row).to_contain_text("autre appareil")
    await claire.screenshot(path=str(ARTIFACTS / "second-device-2-mediator.png"))
    # Alice, still seated, notices nothing.
    await expect(alice.locator("#stage")).to_be_visible()
    # The mediator keeps Alice where she is: the other browser is turned away.
    await row.locator(".decline").click()
    await expect(other.locator("main")).to_contain_text("autre appareil", timeout=10000)
    await other.screenshot(path=str(ARTIFACTS / "second-device-3-turned-away.png"))
    await expect(alice.locator("#stage")).to_be_visible()
    await expect(claire.locator("#waiting li")).to_have_count(0)
    assert not alice.errors and not claire.errors  # type: ignore[attr-defined]
