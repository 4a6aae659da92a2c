"""The public request form in a real browser: refusals shown next to their fields (and
announced), the confirmation page, French and English; then a mediator's queue, where the
request is opened and taken (a case with its people). axe-core on each page; screenshots
go to test-artifacts/request-*.png."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, MEDIATOR_EMAIL, MEDIATOR_PASSWORD, LiveServer
from tests.e2e.test_accessibility import AXE, RUN_AXE, SIZES

pytestmark = pytest.mark.browser


async def axe(page: Page) -> list[object]:
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    found: list[object] = await page.evaluate(RUN_AXE)
    return found


async def new_page(browser: Browser, size: str = "desktop") -> Page:
    context = await browser.new_context(locale="fr-FR", viewport=SIZES[size], bypass_csp=True)
    return await context.new_page()


async def send_form(page: Page, name: str, kind: str, description: str) -> None:
    """Fills the form's required fields, sends it, waits for the confirmation page."""
    await page.fill("#rq-name", name)
    await page.fill("#rq-email", "jeanne@example.org")
    await page.select_option("#rq-kind", kind)
    await page.fill("#rq-description", description)
    await page.check("#rq-agreed-request_handling")
    await page.click("#request-send")
    await page.wait_for_url("**/demande/merci#*")


async def add_mediator(server: LiveServer) -> None:
    from records.db import Database, sqlite_url
    from records.stores.accounts import AccountStore
    from server.passwords import hash_password

    db = Database(sqlite_url(server.var_dir))
    try:
        await AccountStore(db).create_mediator(
            MEDIATOR_EMAIL, "Claire Médiatrice", hash_password(MEDIATOR_PASSWORD)
        )
    finally:
        await db.close()


async def test_the_form_shows_each_refusal_next_to_its_field_then_sends(
    live_server: LiveServer, browser: Browser
) -> None:
    page = await new_page(browser)
    await page.goto(f"{live_server.url}/demande")
    await expect(page.locator("h1")).to_have_text("Demander une médiation")
    assert await axe(page) == []
    await page.screenshot(path=str(ARTIFACTS / "request-form-fr.png"), full_page=True)

    await page.fill("#rq-email", "jeanne.example.org")
    await page.fill("#rq-description", "Bruit")
    await page.click("#request-send")
    summary = page.locator("#request-errors")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()  # role=alert, and the focus: announced
    await expect(page.locator("#rq-name-error")).to_have_text("Ce champ est obligatoire.")
    await expect(page.locator("#rq-email-error")).to_contain_text("Ce n’est pas une adresse e-mail")
    await expect(page.locator("#rq-kind-error")).to_have_text("Ce champ est obligatoire.")
    await expect(page.locator("#rq-description-error")).to_contain_text("trop court")
    await expect(page.locator('[id="rq-agreed.request_handling-error"]')).to_have_text(
        "Cet accord est nécessaire pour traiter votre demande."
    )
    await expect(page.locator("#rq-phone-error")).to_be_hidden()
    await expect(page.locator("#rq-name")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#rq-name")).to_have_accessible_description(
        "Ce champ est obligatoire."
    )
    assert await axe(page) == []
    await page.screenshot(path=str(ARTIFACTS / "request-form-errors-fr.png"), full_page=True)

    await page.click("button[data-lang=en]")  # what was typed stays; the page speaks English
    await expect(page.locator("h1")).to_have_text("Ask for a mediation")
    await expect(page.locator("#rq-email")).to_have_value("jeanne.example.org")
    await page.screenshot(path=str(ARTIFACTS / "request-form-en.png"), full_page=True)
    await page.click("#request-send")
    await expect(page.locator("#rq-name-error")).to_have_text("This field is required.")
    await page.screenshot(path=str(ARTIFACTS / "request-form-errors-en.png"), full_page=True)

    await send_form(
        page,
        "Jeanne <b>Martin</b>",
        "neighbourhood",
        "The neighbour's terrace is loud every night since June.",
    )
    await expect(page.locator("h1")).to_have_text("Your request was sent")
    assert await axe(page) == []
    await page.screenshot(path=str(ARTIFACTS / "request-sent-en.png"), full_page=True)

    # the mediator's queue: nothing personal in the list; opened, then taken
    await add_mediator(live_server)
    claire = await new_page(browser)
    await claire.goto(f"{live_server.url}/login")
    await claire.fill("input[name=email]", MEDIATOR_EMAIL)
    await claire.fill("input[name=password]", MEDIATOR_PASSWORD)
    await claire.click("#login-form button[type=submit]")
    await expect(claire.locator("h1")).to_have_text("Mes dossiers")
    await claire.click("#requests-link")
    rows = claire.locator("#request-list tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("De voisinage")
    await expect(claire.locator("#request-list")).not_to_contain_text("Jeanne")
    assert await axe(claire) == []
    await claire.screenshot(path=str(ARTIFACTS / "request-queue-fr.png"), full_page=True)
    await rows.first.get_by_role("button").click()
    view = claire.locator("#request-view")
    await expect(view).to_contain_text("Jeanne <b>Martin</b>")  # as text, never as markup
    assert await claire.locator("#request-view b").count() == 0
    assert await axe(claire) == []
    await claire.screenshot(path=str(ARTIFACTS / "request-open-fr.png"), full_page=True)
    await claire.click("#request-take")
    await claire.wait_for_url("**/cases/*")
    await expect(claire.locator("main")).to_contain_text("Jeanne <b>Martin</b>")


async def test_the_form_on_a_phone(live_server: LiveServer, browser: Browser) -> None:
    page = await new_page(browser, "phone")
    await page.goto(f"{live_server.url}/demande")
    await expect(page.locator("#request-form")).to_be_visible()
    assert await axe(page) == []
    await page.screenshot(path=str(ARTIFACTS / "request-form-phone.png"), full_page=True)


async def test_a_mediator_declines_a_request_with_a_message(
    live_server: LiveServer, browser: Browser
) -> None:
    page = await new_page(browser)
    await page.goto(f"{live_server.url}/demande")
    await send_form(page, "Jeanne Martin", "consumer", "Un litige sur une facture de réparation.")
    await expect(page.locator("#request-sent")).to_contain_text("90 jours")

    await add_mediator(live_server)
    claire = await new_page(browser)
    await claire.goto(f"{live_server.url}/login")
    await claire.fill("input[name=email]", MEDIATOR_EMAIL)
    await claire.fill("input[name=password]", MEDIATOR_PASSWORD)
    await claire.click("#login-form button[type=submit]")
    await claire.click("#requests-link")
    await claire.locator("#request-list tbody tr").first.get_by_role("button").click()
    await claire.click("#request-decline")
    await expect(claire.locator("#decline-message")).to_be_focused()
    await claire.fill("#decline-message", "Nous ne traitons pas les litiges de consommation.")
    await claire.click("#decline-send")
    # no SMTP server on this one: the message waits in the outbox, and the page says so
    await expect(claire.locator("#decline-done")).to_contain_text("boîte d’envoi")
    await expect(claire.locator("#request-view")).to_have_attribute("data-state", "declined")
    assert await claire.locator("#request-take").count() == 0
    await claire.screenshot(path=str(ARTIFACTS / "request-declined-fr.png"), full_page=True)
    await claire.click("text=Retour aux demandes")
    await expect(claire.locator("#requests-empty")).to_be_visible()
    await claire.select_option("#requests-state", "declined")
    await expect(claire.locator("#request-list tbody tr")).to_have_count(1)
    await expect(claire.locator("#request-list")).to_contain_text("Déclinée")
    # the requester's confirmation page, still open: answered already, nothing to withdraw
    await page.click("#withdraw")
    await page.click("#withdraw-confirm")
    await expect(page.locator("#withdraw-result")).to_contain_text("déjà reçu une réponse")


async def test_the_requester_withdraws_from_the_confirmation_page(
    live_server: LiveServer, browser: Browser
) -> None:
    page = await new_page(browser)
    await page.goto(f"{live_server.url}/demande")
    await send_form(page, "Jeanne Martin", "family", "La garde des enfants pendant les vacances.")
    section = page.locator("#request-withdrawal")
    await expect(section).to_contain_text("Vous avez changé d’avis ?")
    await expect(page.locator("#withdraw-link")).to_have_value(page.url)  # theirs to keep
    await page.click("#withdraw")
    await expect(page.locator("#withdraw-confirm")).to_be_focused()
    assert await axe(page) == []
    await page.screenshot(path=str(ARTIFACTS / "request-withdraw-fr.png"), full_page=True)
    await page.click("#withdraw-confirm")
    result = page.locator("#withdraw-result")
    await expect(result).to_contain_text("retirée et son contenu détruit")
    await expect(result).to_be_focused()
    await expect(page.locator("#withdraw")).to_be_hidden()
    await page.screenshot(path=str(ARTIFACTS / "request-withdrawn-fr.png"), full_page=True)
    # the same address later, in another browser: the request is gone, and it says so
    other = await new_page(browser)
    await other.goto(page.url)
    await other.click("#withdraw")
    await other.click("#withdraw-confirm")
    await expect(other.locator("#withdraw-result")).to_contain_text("retirée")
