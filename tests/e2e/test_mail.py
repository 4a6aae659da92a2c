"""The case page sends an invitation by e-mail; the link in the mail opens the join page.

A real SMTP server (aiosmtpd) runs in the test; the server is ``palabre serve``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import (
    ARTIFACTS,
    MEDIATOR_EMAIL,
    MEDIATOR_PASSWORD,
    LiveServer,
    seed_session,
    serving,
)
from tests.smtp import MailServer, env

pytestmark = pytest.mark.browser


async def _open_case(browser: Browser, server: LiveServer) -> Page:
    context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{server.url}/login")
    await page.fill("input[name=email]", MEDIATOR_EMAIL)
    await page.fill("input[name=password]", MEDIATOR_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.click("text=E2E")
    await expect(page.locator(".open-room")).to_be_visible()
    return page


async def test_send_by_email_from_the_case_page_and_open_the_mailed_link(
    tmp_path: Path, browser: Browser
) -> None:
    smtp = MailServer()
    await smtp.start()
    try:
        with serving(tmp_path, **env(smtp)) as server:
            await seed_session(
                server, ["Alice Martin", "Bruno Petit", "Chloé Sans-Adresse"],
                {"Alice Martin": "alice@example.org", "Bruno Petit": "bruno@example.org"},
            )  # fmt: skip
            page = await _open_case(browser, server)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            rows = page.locator("tr[data-participant-id]")
            await expect(rows).to_have_count(3)
            chloe = rows.filter(has_text="Chloé")
            await expect(chloe.locator(".copy-link")).to_be_visible()
            await expect(chloe.locator(".send-mail")).to_have_count(0)  # no address, no button
            assert "null" not in await chloe.inner_text()

            alice = rows.filter(has_text="Alice")
            await expect(alice.locator(".mail-language")).to_have_value("fr")  # the page's
            await alice.locator(".mail-language").select_option("en")
            await alice.locator(".send-mail").click()
            await expect(rows.filter(has_text="Alice")).to_contain_text("mise en file")
            [message] = await smtp.wait_for(1)
            assert message["To"] == "alice@example.org"
            assert message["Subject"].startswith("Invitation to a mediation session")
            smtp.refuse = "550 5.1.1 Mailbox unavailable"
            await rows.filter(has_text="Bruno").locator(".send-mail").click()
            outbox = page.locator("#outbox")
            failed = outbox.locator("li.mail[data-state=failed]")
            for _ in range(50):  # the worker tries it within moments; the page refreshes
                await page.click(".refresh-outbox")
                if await failed.count():
                    break
                await page.wait_for_timeout(100)
            await expect(outbox.locator("li.mail[data-state=sent]")).to_contain_text("Alice Martin")
            await expect(failed).to_contain_text("Bruno Petit")
            await expect(failed).to_contain_text("550 5.1.1 Mailbox unavailable")
            await page.locator("#outbox-section").scroll_into_view_if_needed()
            await page.screenshot(path=str(ARTIFACTS / "case-page-mail.png"), full_page=True)
            assert errors == []

            # the link in the mail opens the join page, for Alice
            text = message.get_body(("plain",))
            assert text is not None
            [url] = re.findall(r"http://localhost:\d+/join#[A-Za-z0-9._-]+", text.get_content())
            join = await page.context.new_page()
            await join.goto(url)
            await expect(join.locator("body")).to_contain_text("Alice Martin")
    finally:
        await smtp.stop()


async def test_without_smtp_the_message_waits_and_can_be_copied(
    live_server: LiveServer, browser: Browser
) -> None:
    await seed_session(live_server, ["Alice Martin"], {"Alice Martin": "alice@example.org"})
    page = await _open_case(browser, live_server)
    await page.locator("tr[data-participant-id] .send-mail").click()
    waiting = page.locator("#outbox li.mail[data-state=waiting]")
    await expect(waiting).to_contain_text("Alice Martin")
    await expect(page.locator("#outbox-section")).to_contain_text("Aucun serveur SMTP")
    await expect(waiting.locator(".mail-reason")).to_have_count(0)  # not a server's reply
    await waiting.locator(".open-mail").click()
    text = page.locator(".mail-text")
    await expect(text).to_have_value(re.compile(r"/join#"))
    await expect(waiting).to_contain_text("alice@example.org")
    await page.locator("#outbox-section").scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "case-page-mail-no-smtp.png"), full_page=True)
