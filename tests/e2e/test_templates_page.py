"""The templates page: an administrator edits a template, inserts a field, is told which
fields do not exist; another mediator only reads."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from records.db import Database, sqlite_url
from records.stores.accounts import AccountStore
from server.passwords import hash_password
from tests.e2e.conftest import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "un mot de passe solide"


async def _accounts(server: LiveServer) -> None:
    db = Database(sqlite_url(server.var_dir))
    try:
        store = AccountStore(db)
        await store.create_mediator("admin@example.org", "Claire Admin", hash_password(PASSWORD))
        await store.create_mediator("med@example.org", "Marc Médiateur", hash_password(PASSWORD))
    finally:
        await db.close()


async def _templates_page(browser: Browser, server: LiveServer, email: str) -> Page:
    context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(server.url + "/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#templates-link")).to_be_visible()
    await page.click("#templates-link")
    await expect(page.locator("section.card")).to_have_count(8)
    return page


async def test_the_administrator_edits_and_is_told_of_unknown_fields(
    live_server: LiveServer, browser: Browser
) -> None:
    await _accounts(live_server)
    admin = await _templates_page(browser, live_server, "admin@example.org")
    card = admin.locator("section.card[data-kind=mediated_agreement][data-lang=fr]")
    await expect(card.locator("h2")).to_have_text("Protocole d’accord — FR")
    await expect(card.locator("[role=status]")).to_contain_text("jamais modifié")
    area = card.locator("textarea")
    await area.fill("# Protocole <b>{{case_reference}}</b>\n\nMontant : {{montant}}\n\nEntre ")
    await card.locator("button.chip", has_text="{{parties}}").click()
    assert (await area.input_value()).endswith("Entre {{parties}}")
    await card.locator("button.primary").click()
    await expect(card.locator(".error")).to_contain_text("Ces champs n’existent pas : {{montant}}.")
    await card.screenshot(path=str(ARTIFACTS / "templates-refused.png"))
    await area.fill("# Protocole <b>{{case_reference}}</b>\n\nEntre {{parties}}.")
    await card.locator("button.primary").click()
    await expect(card.locator("[role=status]")).to_contain_text("Version 1, enregistrée le")
    await expect(card.locator(".error")).to_be_hidden()
    await card.screenshot(path=str(ARTIFACTS / "templates-saved.png"))

    mediator = await _templates_page(browser, live_server, "med@example.org")
    await expect(mediator.locator("#templates-admin-only")).to_contain_text("administrateur")
    await expect(mediator.locator("textarea")).to_have_count(0)
    read = mediator.locator("section.card[data-kind=mediated_agreement][data-lang=fr] .notice-body")
    await expect(read).to_have_text("# Protocole <b>{{case_reference}}</b>\n\nEntre {{parties}}.")
    await expect(mediator.locator("b")).to_have_count(0)  # shown as text, never as HTML
