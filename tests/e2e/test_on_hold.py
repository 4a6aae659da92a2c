"""A party on hold while the mediator is in a private meeting, on a phone.

The plenary chat says nobody reads it and lets nothing be typed; "Appeler le médiateur" tells
the mediator, whose panel shows who called (the party in the private meeting sees nothing of
it); back in the plenary the chat works again. Screenshots: test-artifacts/on-hold-*.png.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import (
    admit,
    barrier,
    mediator_opens_room,
    new_page,
    party_reaches_lobby,
    received,
)

pytestmark = pytest.mark.browser


async def test_on_hold_the_chat_says_so_and_the_party_can_call_the_mediator(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    _, bruno = await new_page(browser, phone=True)
    for page, name in ((alice, "Alice Martin"), (bruno, "Bruno Petit")):
        await party_reaches_lobby(page, live_server, tokens[name], name)
        await admit(claire, page, name)
    await bruno.click("#open-chat")
    await expect(bruno.locator("#chat-input")).to_be_enabled()

    await claire.locator("#panel .person", has_text="Alice Martin").locator("input").check()
    await claire.click("#open-caucus")
    await expect(bruno.locator("#banner")).to_have_attribute("data-kind", "hold", timeout=10000)
    await expect(bruno.locator("#chat-input")).to_be_disabled()
    await expect(bruno.locator("#chat-send")).to_be_disabled()
    await expect(bruno.locator("#chat-hold")).to_contain_text("personne ne lit")
    await bruno.screenshot(path=str(ARTIFACTS / "on-hold-phone.png"), full_page=True)

    await bruno.click("#call-mediator")
    await expect(bruno.locator("#toast")).to_contain_text("Le médiateur a été prévenu")
    call = claire.locator("#calls li", has_text="Bruno Petit vous appelle")
    await expect(call).to_be_visible(timeout=10000)
    await expect(call).to_contain_text("En attente en plénière")
    await claire.screenshot(path=str(ARTIFACTS / "on-hold-mediator-called.png"))
    await barrier(alice)
    assert not any(event == "lobby:called" for event, _ in await received(alice))
    await expect(alice.locator("#call-mediator")).to_have_count(0)  # in the meeting: no hold
    await call.get_by_role("button", name="Appel de Bruno Petit vu").click()
    await expect(claire.locator("#calls")).to_have_count(0)

    await claire.click("#return-all")
    await expect(bruno.locator("#banner")).to_be_hidden(timeout=10000)
    await expect(bruno.locator("#chat-input")).to_be_enabled()
    await expect(bruno.locator("#chat-hold")).to_have_count(0)
    await bruno.fill("#chat-input", "Je suis là")
    await bruno.press("#chat-input", "Enter")
    await expect(claire.locator("#open-chat .unread")).to_be_visible(timeout=10000)
    for page in (claire, alice, bruno):
        assert page.errors == []  # type: ignore[attr-defined]
