"""Every way out of the room shows its own page and nothing of the room, on a desktop and a phone.

Ended by the mediator (the mediator and a party each see their own page), left, consent
withdrawn, removed: no tile, no control that can be clicked, the status pill no longer says
"Connecté". Screenshots go to test-artifacts/end-<state>-<size>.png.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import (
    ARTIFACTS,
    MEDIATOR_EMAIL,
    MEDIATOR_PASSWORD,
    LiveServer,
    seed_session,
)
from tests.e2e.flows import admit, new_page, party_reaches_lobby

pytestmark = pytest.mark.browser

SIZES = {"desktop": False, "phone": True}


async def mediator_opens_room_from_case(page: Page, server: LiveServer) -> None:
    """Sign in, open the case, click "Ouvrir la salle" (the path a mediator takes)."""
    await page.goto(f"{server.url}/login")
    await page.fill("input[name=email]", MEDIATOR_EMAIL)
    await page.fill("input[name=password]", MEDIATOR_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Mes dossiers")
    await page.get_by_role("link", name="E2E").first.click()
    await page.locator(".open-room").first.click()
    await expect(page.locator("#device-check")).to_be_visible(timeout=15000)
    await page.click("#enter")
    await expect(page.locator("#panel")).to_be_visible()


async def nothing_of_the_room(page: Page, page_id: str, shot: str, allowed: str = "") -> None:
    """``allowed``: the buttons of the page's next step (they are not the room's)."""
    await expect(page.locator(f"#{page_id}")).to_be_visible(timeout=10000)
    await expect(page.locator("#stage")).to_be_hidden()
    await expect(page.locator(".tile:visible")).to_have_count(0)
    await expect(page.locator("video:visible")).to_have_count(0)
    await expect(page.locator("#controls")).to_be_hidden()
    await expect(page.locator("#controls button:enabled:visible")).to_have_count(0)
    await expect(page.locator("#panel")).to_be_hidden()
    await expect(page.locator("#banner")).to_be_hidden()
    # the only buttons left on the page: the language switch and the next step
    buttons = page.locator(f"button:visible:enabled:not([data-lang]){allowed}")
    await expect(buttons).to_have_count(0)
    status = page.locator("#connection")
    await expect(status).not_to_have_text("Connecté")
    await expect(status).not_to_have_text("Connexion…")
    await expect(status).not_to_have_text("Reconnexion…")
    await page.screenshot(path=str(ARTIFACTS / f"end-{shot}.png"))
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", list(SIZES))
async def test_every_end_state_shows_its_own_page_and_nothing_of_the_room(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    phone = SIZES[size]
    names = ["Alice Martin", "Bruno Petit", "Chloé Roux", "David Morel"]
    _, tokens = await seed_session(live_server, names)
    _, claire = await new_page(browser, phone=phone)
    await mediator_opens_room_from_case(claire, live_server)

    async def enters(name: str) -> Page:
        _, page = await new_page(browser, phone=phone)
        await party_reaches_lobby(page, live_server, tokens[name], name)
        await admit(claire, page, name)
        await expect(page.locator(".tile")).to_have_count(2, timeout=15000)
        await expect(page.locator("#connection")).to_have_text("Connecté", timeout=20000)
        return page

    # Alice leaves.
    alice = await enters("Alice Martin")
    await alice.click("#leave")
    await nothing_of_the_room(alice, "left", f"left-{size}", allowed=":not(#rejoin)")
    await expect(alice.locator("#left")).to_contain_text("en rouvrant votre lien")
    # coming back is one click: the device check again, then the waiting room
    await alice.click("#rejoin")
    await expect(alice.locator("#device-check")).to_be_visible(timeout=15000)
    await alice.context.close()

    # Bruno withdraws his consent (the confirmation is accepted).
    bruno = await enters("Bruno Petit")
    await bruno.click("#withdraw")
    await nothing_of_the_room(bruno, "withdrawn", f"withdrawn-{size}")
    await expect(bruno.locator("#withdrawn h1")).to_have_text("Consentement retiré")
    await expect(bruno.locator("#withdrawn")).to_contain_text("Si vous changez d’avis")
    await bruno.context.close()

    # Chloé is removed by the mediator.
    chloe = await enters("Chloé Roux")
    person = claire.locator("#panel .person", has_text="Chloé Roux")
    await person.get_by_role("button", name="Retirer").click()
    await nothing_of_the_room(chloe, "removed", f"removed-{size}")
    await expect(chloe.locator("#removed h1")).to_have_text("Vous avez été retiré(e) de la séance")
    await chloe.context.close()

    # The mediator ends the session: David and the mediator each see their own page.
    david = await enters("David Morel")
    await claire.click("#end-session")
    # the party's end page offers the satisfaction survey (tests/e2e/test_survey.py)
    await nothing_of_the_room(david, "ended", f"ended-party-{size}", allowed=":not(#survey-send)")
    await expect(david.locator("#ended")).to_contain_text("Merci de votre participation")
    await expect(david.locator("#connection")).to_have_text("Séance terminée")
    await expect(david.locator("#back-to-case")).to_have_count(0)
    await nothing_of_the_room(claire, "ended", f"ended-mediator-{size}")
    await expect(claire.locator("#ended")).to_contain_text("Vous avez clos la séance pour tous")
    await expect(claire.locator("#ended")).not_to_contain_text("Le médiateur a clos")
    # English too, and the way back to the case works.
    await claire.click("button[data-lang=en]")
    await expect(claire.locator("#ended h1")).to_have_text("The session has ended")
    await expect(claire.locator("#connection")).to_have_text("Session over")
    await claire.click("#back-to-case")
    await expect(claire.locator("h1")).to_have_text("E2E — E2E")
