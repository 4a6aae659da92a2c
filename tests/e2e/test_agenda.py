"""A mediator reads the agenda of all their cases, subscribes a calendar to it, revokes it."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import (
    ARTIFACTS,
    MEDIATOR_EMAIL,
    MEDIATOR_PASSWORD,
    LiveServer,
    seed_session,
)
from tests.e2e.test_accessibility import SIZES, audit, new_page

pytestmark = pytest.mark.browser

# A second case with a session in two days, through the API from the signed-in page.
SEED = """
async (day) => {
  const csrf = decodeURIComponent(document.cookie.split('; ')
    .find((c) => c.startsWith('palabre_csrf=')).split('=')[1]);
  const call = async (path, body) => {
    const r = await fetch(path, { method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
    return r.json();
  };
  const kase = await call('/api/cases', { reference: 'VOI-12', title: 'Dupont / Durand',
    public_title: 'Médiation de voisinage', mediation_type: 'neighbourhood',
    participants: [{ display_name: 'Marc Dupont', role: 'party' }] });
  await call(`/api/cases/${kase.id}/sessions`, { date: day, time: '09:30',
    timezone: 'Europe/Paris', duration_minutes: 90 });
  return kase.id;
}
"""


def status_of(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for where in (ARTIFACTS / f"agenda-{name}.png", f"/tmp/agenda-{name}.png"):
        await page.screenshot(path=str(where), full_page=True)


async def test_agenda_and_calendar_feed(live_server: LiveServer, browser: Browser) -> None:
    await seed_session(live_server, ["Jeanne Martin", "Paul Lefèvre"])
    context = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.goto(f"{live_server.url}/login")
    await page.fill("input[name=email]", MEDIATOR_EMAIL)
    await page.fill("input[name=password]", MEDIATOR_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Mes dossiers")
    day = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    other = await page.evaluate(SEED, day)

    await page.click("#agenda-link")
    await expect(page.locator("h1")).to_have_text("Mon agenda")
    days = page.locator(".agenda-day")
    await expect(days).to_have_count(2)  # today's session (in progress), and the one in 2 days
    await expect(days.nth(1)).to_have_attribute("data-day", day)
    await expect(days.nth(0).locator(".status-active")).to_have_text("en cours")
    await expect(days.nth(0).locator("a.open-room")).to_have_text("Ouvrir la salle")
    await expect(days.nth(1).locator("a.open-room")).to_have_count(0)  # not within the day
    second = days.nth(1).locator(".agenda-session")
    await expect(second).to_contain_text("09:30 – 11:00")
    await expect(second).to_contain_text("VOI-12 — Médiation de voisinage")
    await expect(second).to_contain_text("1 participant")
    assert "Dupont" not in await page.locator("#agenda-days").inner_text()
    await expect(page.locator("#feed-none")).to_be_visible()
    await shot(page, "1-agenda")

    await page.click("#feed-create")
    url = await page.locator("#feed-url").input_value()
    assert url.startswith(f"{live_server.url}/agenda/") and url.endswith(".ics")
    await expect(page.locator("#feed-since")).to_contain_text("Pas encore consulté")
    await shot(page, "2-feed")
    status, text = await asyncio.to_thread(status_of, url)
    assert status == 200 and text.count("BEGIN:VEVENT") == 2
    assert "Jeanne" not in text and "Dupont" not in text

    # the session's line opens its case
    await second.locator("a.agenda-ref").click()
    await expect(page).to_have_url(f"{live_server.url}/cases/{other}")
    await page.go_back()
    await expect(page.locator("#feed-since")).to_contain_text("Dernière consultation")
    await expect(page.locator("#feed-url")).to_have_count(0)  # shown once only

    await page.click("#feed-revoke")
    await expect(page.locator("#feed-none")).to_be_visible()
    assert (await asyncio.to_thread(status_of, url))[0] == 404

    # in English too
    await page.click("button[data-lang=en]")
    await expect(page.locator("h1")).to_have_text("My agenda")
    await expect(page.locator("#agenda-feed h2")).to_have_text("Subscribe from my calendar")
    await shot(page, "3-english")

    # the last 30 days: today's session (begun), not the one to come
    await page.select_option("#agenda-period", "past")
    await expect(page.locator(".agenda-day")).to_have_count(1)
    await expect(page.locator("#agenda-days")).to_contain_text("E2E")
    await expect(page.locator("#agenda-days")).not_to_contain_text("VOI-12")
    assert errors == []


@pytest.mark.parametrize("size", list(SIZES))
async def test_the_agenda_passes_axe(live_server: LiveServer, browser: Browser, size: str) -> None:
    await seed_session(live_server, ["Jeanne Martin"])
    page = await new_page(browser, size)
    await page.goto(f"{live_server.url}/login")
    await page.fill("input[name=email]", MEDIATOR_EMAIL)
    await page.fill("input[name=password]", MEDIATOR_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Mes dossiers")
    await page.click("#agenda-link")
    await expect(page.locator(".agenda-session")).to_have_count(1)
    await page.click("#feed-create")
    await expect(page.locator("#feed-url")).to_be_visible()
    found: dict[str, Any] = {}
    await audit(page, "agenda", size, found)
    assert found == {}
