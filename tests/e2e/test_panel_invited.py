"""The mediator's panel lists who is invited but not in the session, with their link to copy.

Two parties invited: both listed under "Pas (encore) dans la séance" until they arrive; one
knocks and is let in and leaves the list; the other's link is copied from the room (the
clipboard holds that party's own link), a party without a link gets one from the panel.
Screenshot: test-artifacts/panel-not-arrived.png.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby

pytestmark = pytest.mark.browser


async def test_panel_lists_who_has_not_arrived_with_their_link(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    context, claire = await new_page(browser)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    await mediator_opens_room(claire, live_server, session_id)
    missing = claire.locator("#not-arrived li")
    await expect(missing).to_have_count(2, timeout=10000)
    await expect(missing.nth(0)).to_contain_text("Alice Martin")
    await expect(missing.nth(1)).to_contain_text("Bruno Petit")

    _, alice = await new_page(browser, phone=True)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await expect(missing).to_have_count(1)  # knocking: in the lobby, no longer missing
    await admit(claire, alice, "Alice Martin")
    await expect(missing).to_have_count(1)
    await expect(missing.first).to_contain_text("Bruno Petit")

    await claire.get_by_role("button", name="Copier le lien de Bruno Petit").click()
    await expect(claire.locator("#toast")).to_contain_text("Lien de Bruno Petit copié")
    copied = await claire.evaluate("navigator.clipboard.readText()")
    assert copied.endswith("#" + tokens["Bruno Petit"]), copied
    await claire.screenshot(path=str(ARTIFACTS / "panel-not-arrived.png"))

    # Alice leaves: she is listed again, with her link to send once more.
    await alice.click("#leave")
    await expect(missing).to_have_count(2, timeout=10000)
    assert claire.errors == []  # type: ignore[attr-defined]


async def test_the_lock_shows_in_the_panel_after_a_reload(
    live_server: LiveServer, browser: Browser
) -> None:
    """The panel learns whether the session is locked from the server (room:overview),
    not from what it last clicked: a page loaded again still shows the lock."""
    session_id, _tokens = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    await claire.check("#lock-room")
    await expect(claire.locator("#lock-room")).to_be_checked()
    await claire.reload()  # back in the room at once: the seat was kept for the reload
    await expect(claire.locator("#panel")).to_be_visible(timeout=15000)
    await expect(claire.locator("#lock-room")).to_be_checked(timeout=10000)
