"""The consent step: "J'accepte et je continue" looks disabled and says what is missing."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Locator, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import mediator_opens_room, new_page

pytestmark = pytest.mark.browser

LOOK = """(el) => {
  const s = getComputedStyle(el);
  return { background: s.backgroundColor, color: s.color, cursor: s.cursor };
}"""


async def look(locator: Locator) -> dict[str, str]:
    result: dict[str, str] = await locator.evaluate(LOOK)
    return result


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
async def test_accept_looks_disabled_and_says_what_is_missing(
    live_server: LiveServer, browser: Browser, phone: bool
) -> None:
    _, tokens = await seed_session(live_server, ["Alice Martin"])
    _, page = await new_page(browser, phone=phone)
    await page.goto(f"{live_server.url}/join#{tokens['Alice Martin']}")
    await page.click("#continue")
    accept = page.locator("#consent-accept")
    missing = page.locator("#consent-missing")
    await expect(accept).to_be_disabled()
    await expect(missing).to_be_visible()
    await expect(missing).to_have_text(
        "Pour continuer : cochez l’engagement de confidentialité ; cochez l’accord sur vos "
        "données personnelles ; tapez votre nom (2 caractères au moins)."
    )
    await expect(accept).to_have_accessible_description(await missing.inner_text())
    disabled = await look(accept)
    assert disabled["cursor"] == "not-allowed", disabled
    size = "phone" if phone else "desktop"
    await page.screenshot(path=str(ARTIFACTS / f"consent-disabled-{size}.png"), full_page=True)

    await page.check("#confidentiality-ok")
    await expect(missing).not_to_contain_text("confidentialité")
    await page.check("#privacy-ok")
    await expect(missing).to_have_text("Pour continuer : tapez votre nom (2 caractères au moins).")
    await expect(accept).to_be_disabled()

    # In English too (the step is drawn again: nothing is ticked any more).
    await page.click("button[data-lang=en]")
    await expect(page.locator("#consent-missing")).to_have_text(
        "To continue: tick the confidentiality undertaking; tick the agreement on your personal "
        "data; type your name (at least 2 characters).",
        timeout=5000,
    )
    await page.click("button[data-lang=fr]")
    await expect(page.locator("#consent-missing")).to_contain_text("Pour continuer")
    await page.check("#confidentiality-ok")
    await page.check("#privacy-ok")

    await page.fill("#typed-name", "Alice Martin")
    accept = page.locator("#consent-accept")
    await expect(accept).to_be_enabled()
    await expect(page.locator("#consent-missing")).to_be_hidden()
    enabled = await look(accept)
    assert enabled["cursor"] == "pointer", enabled
    assert enabled["background"] != disabled["background"], (enabled, disabled)
    assert enabled["color"] != disabled["color"], (enabled, disabled)
    await page.screenshot(path=str(ARTIFACTS / f"consent-enabled-{size}.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


async def test_the_mediator_is_told_by_name_when_a_party_declines(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)  # accepts the confirmation dialog
    await alice.goto(f"{live_server.url}/join#{tokens['Alice Martin']}")
    await alice.click("#continue")
    await alice.click("#consent-decline")
    await expect(alice.locator("#declined")).to_be_visible()
    await expect(claire.locator("#toast")).to_have_text(
        "Alice Martin a refusé de donner son consentement.", timeout=10000
    )


async def test_a_session_ended_while_reading_shows_the_link_page_not_an_error(
    live_server: LiveServer, browser: Browser
) -> None:
    from records.db import Database, sqlite_url
    from records.stores.scheduling import ScheduleStore

    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    _, page = await new_page(browser)
    await page.goto(f"{live_server.url}/join#{tokens['Alice Martin']}")
    await page.click("#continue")
    await page.check("#confidentiality-ok")
    await page.check("#privacy-ok")
    await page.fill("#typed-name", "Alice Martin")
    db = Database(sqlite_url(live_server.var_dir))
    try:
        await ScheduleStore(db).set_status(session_id, "ended")  # the mediator ends it meanwhile
    finally:
        await db.close()
    await page.click("#consent-accept")
    # the same page as opening the link now, with whom to ask (not "an error occurred")
    await expect(page.locator("#link-error h1")).to_have_text("Cette séance est terminée")
    await expect(page.locator("#link-error a")).to_have_text("claire@example.org")
