"""axe-core on every page a person goes through, at 1280x800 and 390x844.

Sign-in, case, join, consent, device check, lobby and room (a party's and the mediator's, with
the chat, the documents and the board open; the mediator's panel with a call and someone who
has not arrived): no serious or critical violation, every visible button has
an accessible name, each page has a main heading. axe-core comes from npm
(frontend/node_modules, installed by ``make install``), injected by Playwright; nothing is
fetched from a CDN. Screenshots go to
test-artifacts/a11y-<page>-<size>.png.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
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
from tests.e2e.flows import FAKE_SCREEN, admit, in_room

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "frontend/node_modules/axe-core/axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

RUN_AXE = """
async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  const grave = (v) => ['serious', 'critical'].includes(v.impact)
    || v.id === 'page-has-heading-one';
  const where = (n) => n.target.join(' ') + ' — ' + n.failureSummary;
  return result.violations.filter(grave)
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map(where) }));
}
"""


async def new_page(browser: Browser, size: str) -> Page:
    # bypass_csp: the page's CSP refuses inline scripts, and Playwright injects axe as one
    context = await browser.new_context(locale="fr-FR", viewport=SIZES[size], bypass_csp=True)
    await context.add_init_script(FAKE_SCREEN)
    page = await context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


async def audit(page: Page, name: str, size: str, found: dict[str, Any]) -> None:
    """Runs axe on the page as it is and checks every visible button's name."""
    await page.screenshot(path=str(ARTIFACTS / f"a11y-{name}-{size}.png"), full_page=True)
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    violations = await page.evaluate(RUN_AXE)
    if violations:
        found[name] = violations
    buttons = page.locator("button:visible")
    for i in range(await buttons.count()):
        await expect(buttons.nth(i)).to_have_accessible_name(re.compile(r"\S"))


@pytest.mark.parametrize("size", list(SIZES))
async def test_every_page_passes_axe_and_names_every_button(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    assert AXE.is_file(), "axe-core is missing: run `make install`"
    found: dict[str, Any] = {}
    # Bruno is invited and never comes: the mediator's panel lists him with his link
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])

    claire = await new_page(browser, size)
    await claire.goto(f"{live_server.url}/login")
    await expect(claire.locator("#login-form")).to_be_visible()
    await audit(claire, "sign-in", size, found)
    await claire.fill("input[name=email]", MEDIATOR_EMAIL)
    await claire.fill("input[name=password]", MEDIATOR_PASSWORD)
    await claire.click("#login-form button[type=submit]")
    await expect(claire.locator("h1")).to_have_text("Mes dossiers")
    await audit(claire, "cases", size, found)
    await claire.get_by_role("link", name="E2E").first.click()
    await expect(claire.locator(".open-room").first).to_be_visible()
    await audit(claire, "case", size, found)

    alice = await new_page(browser, size)
    await alice.goto(f"{live_server.url}/join#{tokens['Alice Martin']}")
    await expect(alice.locator("#continue")).to_be_visible()
    await audit(alice, "join", size, found)
    await alice.click("#continue")
    await expect(alice.locator("#consent-accept")).to_be_visible()
    await audit(alice, "consent", size, found)
    await alice.check("#confidentiality-ok")
    await alice.check("#privacy-ok")
    await alice.fill("#typed-name", "Alice Martin")
    await alice.click("#consent-accept")
    await expect(alice.locator("#enter")).to_be_enabled(timeout=15000)
    await audit(alice, "devices", size, found)
    await alice.click("#enter")
    await expect(alice.locator("#lobby")).to_be_visible()
    await audit(alice, "lobby", size, found)

    await claire.goto(f"{live_server.url}/room?session={session_id}")
    await expect(claire.locator("#enter")).to_be_enabled(timeout=15000)
    await claire.click("#enter")
    await expect(claire.locator("#waiting li")).to_be_visible(timeout=10000)
    await audit(claire, "room-mediator-lobby", size, found)
    await admit(claire, alice, "Alice Martin")
    await expect(alice.locator(".tile")).to_have_count(2, timeout=15000)
    await audit(alice, "room", size, found)
    await expect(claire.locator("#not-arrived li")).to_have_count(1)
    # Alice calls the mediator: the panel shows the call
    await alice.evaluate(in_room("room.socket.emitWithAck('lobby:call', {})"))
    await expect(claire.locator("#calls li")).to_have_count(1, timeout=10000)
    await audit(claire, "room-mediator", size, found)
    await alice.click("#open-chat")
    await expect(alice.locator("#chat-input")).to_be_visible()
    await audit(alice, "room-chat", size, found)
    await alice.click("#open-documents")
    await expect(alice.locator("#documents")).to_be_visible()
    await audit(alice, "room-documents", size, found)
    await alice.click("#open-board")
    await expect(alice.locator("#board")).to_be_visible()
    await audit(alice, "room-board", size, found)

    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
