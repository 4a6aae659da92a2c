"""The case page moves a session and cancels it (after a confirm step), sets the reminder, and
mails a new link after a revocation in one click; a real SMTP server (aiosmtpd) receives
what the participants invited by e-mail are told, and the join page says the cancelled
session's link no longer opens anything. The server is ``palabre serve``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, seed_session, serving
from tests.e2e.test_mail import _open_case
from tests.smtp import MailServer, env

pytestmark = pytest.mark.browser


async def test_move_cancel_remind_and_a_new_link_from_the_case_page(
    tmp_path: Path, browser: Browser
) -> None:
    smtp = MailServer()
    await smtp.start()
    try:
        with serving(tmp_path, **env(smtp)) as server:
            await seed_session(
                server, ["Alice Martin", "Bruno Petit"],
                {"Alice Martin": "alice@example.org", "Bruno Petit": "bruno@example.org"},
            )  # fmt: skip
            page = await _open_case(browser, server)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            rows = page.locator("tr[data-participant-id]")
            await expect(rows).to_have_count(2)
            await rows.filter(has_text="Alice").locator(".send-mail").click()
            await smtp.wait_for(1)
            await rows.filter(has_text="Bruno").locator(".send-mail").click()
            await smtp.wait_for(2)

            # the reminder: 48 hours before
            await expect(page.locator("#reminder-hours")).to_have_value("24")
            await page.fill("#reminder-hours", "48")
            await page.click("#reminder-form button[type=submit]")
            await expect(page.locator("#reminder-status")).to_have_text("Enregistré")

            # a new link after a revocation, one click
            alice = rows.filter(has_text="Alice")
            page.once("dialog", lambda dialog: dialog.accept())
            await alice.locator(".link.danger").click()
            await expect(alice.locator(".new-link-mail")).to_be_visible()
            await alice.locator(".new-link-mail").click()
            await expect(rows.filter(has_text="Alice").locator(".status-active")).to_be_visible()
            [*_, renewed] = await smtp.wait_for(3)
            assert renewed["Subject"].startswith("Votre nouveau lien")
            await expect(page.locator("#outbox")).to_contain_text("Nouveau lien")

            # move it ten days ahead
            day = (datetime.now(UTC) + timedelta(days=10)).date()
            await page.click(".move-session")
            await page.fill(".move-form input[name=date]", day.isoformat())
            await page.fill(".move-form input[name=time]", "10:30")
            await page.locator(".move-form").screenshot(
                path=str(ARTIFACTS / "case-page-move-form.png")
            )
            await page.click(".move-submit")
            await expect(page.locator(".session-flash")).to_contain_text("2 courriel(s)")
            received = await smtp.wait_for(5)
            moved = {m["To"]: m for m in received[3:]}
            assert set(moved) == {"alice@example.org", "bruno@example.org"}
            assert moved["alice@example.org"]["Subject"].startswith("Séance de médiation déplacée")
            await expect(page.locator("#outbox")).to_contain_text("Séance déplacée")

            # cancel it: a confirm step first
            await page.click(".cancel-session")
            await expect(page.locator(".cancel-confirm")).to_contain_text("définitif")
            await page.locator(".session").screenshot(
                path=str(ARTIFACTS / "case-page-cancel-confirm.png")
            )
            await page.click(".cancel-confirm-yes")
            await expect(page.locator(".session-cancelled")).to_have_text("Séance annulée")
            await expect(page.locator(".open-room")).to_have_count(0)
            received = await smtp.wait_for(7)
            assert all("annulée" in m["Subject"] for m in received[5:])
            await expect(page.locator("#outbox")).to_contain_text("Séance annulée")
            await page.screenshot(path=str(ARTIFACTS / "case-page-cancelled.png"), full_page=True)
            assert errors == []

            # Alice's (new) link says the session was cancelled, in her language
            text = renewed.get_body(("plain",))
            assert text is not None
            [url] = re.findall(r"http://localhost:\d+/join#[A-Za-z0-9._-]+", text.get_content())
            join = await page.context.new_page()
            await join.goto(url)
            await expect(join.locator("#link-error h1")).to_have_text("Cette séance a été annulée")
            await join.screenshot(path=str(ARTIFACTS / "join-cancelled.png"))
    finally:
        await smtp.stop()
