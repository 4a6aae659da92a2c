"""The mediator brings everyone to the board, as 'Présenter' does for a document.

'Montrer à tous' in the board's toolbar opens the board for the party (on a phone), with a
toast saying who shows it. Screenshot: test-artifacts/board-shown-phone.png.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby

pytestmark = pytest.mark.browser


async def test_the_mediator_brings_everyone_to_the_board(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser, phone=True)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    await expect(alice.locator("#board")).to_be_hidden()

    await claire.click("#open-board")
    await claire.get_by_role("button", name="Montrer à tous").click()
    await expect(claire.locator("#toast")).to_contain_text(
        "Le tableau est ouvert chez tout le monde"
    )
    await expect(alice.locator("#board")).to_be_visible(timeout=10000)
    await expect(alice.locator("#open-board")).to_have_attribute("aria-pressed", "true")
    await expect(alice.locator("#toast")).to_contain_text(
        "Claire Médiatrice vous montre le tableau"
    )
    await expect(alice.locator("#board-show")).to_have_count(0)  # the mediator's button only
    await alice.screenshot(path=str(ARTIFACTS / "board-shown-phone.png"))
    for page in (claire, alice):
        assert page.errors == []  # type: ignore[attr-defined]
