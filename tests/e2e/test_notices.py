"""Only an organisation administrator is offered the editor of the legal texts."""

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


async def _notices_page(browser: Browser, server: LiveServer, email: str) -> Page:
    context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(server.url + "/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#notices-link")).to_be_visible()
    await page.click("#notices-link")
    await expect(page.locator("section.card")).to_have_count(4)
    return page


async def test_only_the_administrator_is_offered_the_editor(
    live_server: LiveServer, browser: Browser
) -> None:
    await _accounts(live_server)
    mediator = await _notices_page(browser, live_server, "med@example.org")
    await expect(mediator.locator("#notices-admin-only")).to_contain_text("administrateur")
    await expect(mediator.locator(".notice-body")).to_have_count(4)
    await expect(mediator.locator("textarea")).to_have_count(0)
    await expect(mediator.locator("button.primary")).to_have_count(0)
    await mediator.screenshot(path=str(ARTIFACTS / "notices-mediator.png"), full_page=True)

    admin = await _notices_page(browser, live_server, "admin@example.org")
    await expect(admin.locator("textarea.notice-editor")).to_have_count(4)
    await expect(admin.locator("#notices-admin-only")).to_have_count(0)
