"""The case page: closing and erasing are steps of their own; an ended session offers no room."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import (
    ARTIFACTS,
    MEDIATOR_EMAIL,
    MEDIATOR_PASSWORD,
    LiveServer,
    seed_session,
)

pytestmark = pytest.mark.browser


async def end_session(server: LiveServer, session_id: str) -> None:
    from records.db import Database, sqlite_url
    from records.stores.scheduling import ScheduleStore

    db = Database(sqlite_url(server.var_dir))
    try:
        await ScheduleStore(db).set_status(session_id, "ended")
    finally:
        await db.close()


async def test_closing_and_erasing_are_their_own_step_and_an_ended_session_is_shown_ended(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, _ = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss())))
    await page.goto(f"{live_server.url}/login")
    await page.fill("input[name=email]", MEDIATOR_EMAIL)
    await page.fill("input[name=password]", MEDIATOR_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.click("text=E2E")
    await expect(page.locator(".open-room")).to_be_visible()

    # A new case: no closing form, no erase button in sight.
    await expect(page.locator("#start-closing")).to_be_visible()
    await expect(page.locator("#closing-form")).to_be_hidden()
    await expect(page.locator(".erase-subject:visible")).to_have_count(0)
    await page.screenshot(path=str(ARTIFACTS / "case-page-new.png"), full_page=True)

    # Closing opens on purpose, with no outcome chosen, and asks before doing anything.
    await page.click("#start-closing")
    form = page.locator("#closing-form")
    await expect(form).to_be_visible()
    await expect(form.locator("select[name=outcome]")).to_have_value("")
    await form.locator("select[name=outcome]").select_option("no_agreement")
    await form.locator("select[name=departement]").select_option("69")
    await page.click("#close-case")
    for _ in range(100):
        if dialogs:
            break
        await asyncio.sleep(0.05)
    assert len(dialogs) == 1, dialogs
    assert "« Pas d’accord »" in dialogs[0], dialogs
    assert "statistiques" in dialogs[0], dialogs
    await expect(page.locator("#closing-facts")).to_have_count(0)  # dismissed: nothing closed
    await page.click("#cancel-closing")
    await expect(form).to_be_hidden()

    # Erasing: inside the person's data step, which says what erasing does.
    alice = page.locator("#people li", has_text="Alice Martin")
    await alice.locator("summary").click()
    await expect(alice.locator(".erase-subject")).to_be_visible()
    await expect(alice).to_contain_text("Irréversible")

    # After the session: shown as ended, no room to open, no link to copy or create.
    await end_session(live_server, session_id)
    await page.reload()
    block = page.locator(f"[data-session-id='{session_id}']")
    await expect(block.locator(".session-ended")).to_have_text("Séance terminée")
    await expect(page.locator(".open-room")).to_have_count(0)
    await expect(block.locator("tbody tr")).to_have_count(2)
    await expect(block.locator("tbody .status-ended")).to_have_count(2)
    await expect(block.locator(".copy-link, .issue-link, .link-url")).to_have_count(0)
    await expect(block).not_to_contain_text("Actif")
    await page.screenshot(path=str(ARTIFACTS / "case-page-ended.png"), full_page=True)
    assert errors == []
