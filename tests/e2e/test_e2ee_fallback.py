"""A browser that cannot encrypt frames: refused where the case requires end-to-end
encryption (before the consent step, and by the server in the room), or let in where the
mediator allows it, with its room shown as "encrypted as far as the server only" to all."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.e2ee_pages import shown, until_same_code
from tests.e2e.flows import (
    admit,
    mediator_opens_room,
    new_page,
    party_reaches_lobby,
    wait_for_flowing,
)

pytestmark = pytest.mark.browser

# What a browser without RTCRtpScriptTransform nor createEncodedStreams looks like.
NO_FRAME_TRANSFORMS = """
delete window.RTCRtpScriptTransform;
delete RTCRtpSender.prototype.createEncodedStreams;
delete RTCRtpReceiver.prototype.createEncodedStreams;
"""


async def old_browser_page(browser: Browser) -> Page:
    context, page = await new_page(browser)
    await context.add_init_script(NO_FRAME_TRANSFORMS)
    return page


async def set_policy(mediator: Page, server: LiveServer, policy: str) -> None:
    """The mediator changes the case's setting on the case page."""
    await mediator.goto(f"{server.url}/cases")
    await mediator.locator("a", has_text="E2E").first.click()
    choice = mediator.locator(f"#encryption input[value={policy}]")
    await choice.check()
    await expect(mediator.locator("#encryption-status")).not_to_be_empty()
    await expect(choice).to_be_checked()


async def test_a_browser_without_frame_encryption_is_refused_or_shown_to_everyone(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    old = await old_browser_page(browser)

    # Required (the default): the join page says so and offers no way on.
    await old.goto(f"{live_server.url}/join#{tokens['Bruno Petit']}")
    await expect(old.locator("#join-e2ee")).to_have_attribute("data-blocked", "true")
    await expect(old.locator("#continue")).to_have_count(0)
    await old.screenshot(path=str(ARTIFACTS / "e2ee-join-refused.png"))

    # Allowed: Bruno consents and comes in; the mediator's panel says his browser cannot
    # encrypt, and everyone in the plenary sees it is encrypted as far as the server only.
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    room = claire.url
    await set_policy(claire, live_server, "allowed")
    await claire.goto(room)  # back in the room at once: she opened it already
    await expect(claire.locator("#panel")).to_be_visible(timeout=15000)
    await old.goto("about:blank")  # the join page again, from the start
    await party_reaches_lobby(old, live_server, tokens["Bruno Petit"], "Bruno Petit")
    await admit(claire, old, "Bruno Petit")
    for page in (claire, old):
        await expect(page.locator("#e2ee")).to_have_attribute("data-state", "transport")
        await page.click("#e2ee-more")  # whose browser it is, and what it means
        await expect(page.locator("#e2ee-details")).to_contain_text("Bruno Petit")
    await expect(claire.locator("#panel [data-e2ee=unsupported]")).to_have_count(1)
    await expect(claire.locator("#panel [data-e2ee=transport]")).to_have_count(1)
    await wait_for_flowing(old, videos=1, audios=1)
    await wait_for_flowing(claire, videos=1, audios=1)
    await claire.screenshot(path=str(ARTIFACTS / "e2ee-transport.png"))

    # Bruno leaves: the plenary is end to end again (a new code for whoever is there).
    _, alice = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    assert (await shown(alice))["state"] in {"transport", "keying"}
    await old.click("#leave")
    await until_same_code([claire, alice])

    # Required again: Bruno, who consented meanwhile, is turned away by the server itself.
    await set_policy(claire, live_server, "required")
    await old.goto("about:blank")
    await old.goto(f"{live_server.url}/room#{tokens['Bruno Petit']}")
    await expect(old.locator("#room-error")).to_have_attribute("data-code", "e2ee_unsupported")
    await expect(old.locator("#stage")).to_be_hidden()
