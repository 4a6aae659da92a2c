"""A mediator closes a case, reviews its anonymised summary, exports it, reads the statistics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
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

pytestmark = pytest.mark.browser
PIPELINES_LOADED_MS = 30000  # a busy machine loads spaCy's two pipelines in seconds

SUMMARY = (
    "Mme Jeanne Martin et M. Paul Lefèvre sont voisins depuis 2015. Jeanne reproche à "
    "Paul Lefèvre le bruit de sa pompe à chaleur, installée contre le mur de la cuisine. "
    "M. Lefèvre a proposé de la déplacer; on peut le joindre au 06 12 34 56 78 ou à "
    "paul.lefevre@example.org. Claire Médiatrice a proposé une seconde séance."
)

# More closed cases, through the API from the signed-in page, so that the statistics show figures.
SEED_CASES = """
async (n) => {
  const csrf = decodeURIComponent(document.cookie.split('; ')
    .find((c) => c.startsWith('palabre_csrf=')).split('=')[1]);
  const call = async (method, path, body) => {
    const r = await fetch(path, { method, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
    return r.json();
  };
  for (let i = 0; i < n; i += 1) {
    const kase = await call('POST', '/api/cases', { reference: `S-${i}`, title: `Dossier ${i}`,
      mediation_type: 'neighbourhood', participants: [] });
    await call('PUT', `/api/cases/${kase.id}/closing`, {
      outcome: i % 3 ? 'full_agreement' : 'no_agreement', referral: 'voluntary',
      party_kinds: ['individual'], departement: i % 2 ? '69' : '75', session_minutes: [90] });
  }
}
"""


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"practice-{name}.png"), full_page=True)


async def select_in_text(page: Page, word: str) -> None:
    await page.evaluate(
        """(word) => {
          for (const seg of document.querySelectorAll('#anonymised-text .seg')) {
            const node = seg.firstChild;
            const at = node ? node.textContent.indexOf(word) : -1;
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + word.length);
            const sel = window.getSelection();
            sel.removeAllRanges();
            sel.addRange(range);
            return;
          }
          throw new Error('word not found: ' + word);
        }""",
        word,
    )


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """As in production: the entity pipelines load in the background as the server starts."""
    with serving(tmp_path, PALABRE_WARM_UP_ENTITIES="true") as server:
        yield server


async def test_close_review_export_statistics(live_server: LiveServer, browser: Browser) -> None:
    await seed_session(live_server, ["Jeanne Martin", "Paul Lefèvre"])
    context = await browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{live_server.url}/login")
    await page.fill("input[name=email]", MEDIATOR_EMAIL)
    await page.fill("input[name=password]", MEDIATOR_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Mes dossiers")
    await page.click("text=E2E")

    # Closing: its own step (confirmed); the session lengths are filled in from the schedule.
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.click("#start-closing")
    form = page.locator("#closing-form")
    await expect(form).to_be_visible()
    await expect(form.locator("input[name=session_minutes]")).to_have_value("120")
    await form.locator("select[name=outcome]").select_option("partial_agreement")
    await form.locator("select[name=departement]").select_option("69")
    await form.locator("textarea[name=summary]").fill(SUMMARY)
    await shot(page, "1-closing")
    await page.click("#close-case")
    await expect(page.locator("#closing-facts")).to_contain_text("Auvergne-Rhône-Alpes")

    # Review: every replacement highlighted with its kind; nothing of the names left.
    text = page.locator("#anonymised-text")
    # the first review of a server may wait for its entity pipelines to finish loading
    await expect(text.locator("mark").first).to_be_visible(timeout=PIPELINES_LOADED_MS)
    content = await text.inner_text()
    for name in ("Jeanne", "Martin", "Lefèvre", "Claire", "06 12", "example.org"):
        assert name not in content
    assert "Partie A" in content and "Partie B" in content
    kinds = set(await text.locator("mark").evaluate_all("ms => ms.map(m => m.dataset.kind)"))
    assert {"PERSON", "PHONE", "EMAIL"} <= kinds
    await expect(page.locator("#exports")).to_have_count(0)

    # A manual redaction of a word the anonymiser left.
    await select_in_text(page, "pompe à chaleur")
    await page.click("#redact")
    await expect(text.locator("mark.manual")).to_have_count(1)
    await expect(text).not_to_contain_text("pompe à chaleur")
    await expect(text.locator("mark.manual")).to_have_attribute("data-kind", "MANUAL")
    await page.click("#confirm-review")
    await expect(page.locator("#exports")).to_be_visible()
    await shot(page, "2-review")

    async with page.expect_download() as info:
        await page.click("#export-json")
    download = await info.value
    path = await download.path()
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "palabre-case-summary" and doc["version"] == 1
    assert doc["case"]["outcome"] == "partial_agreement" and doc["case"]["sessions"] == 1
    assert "[EXPURGÉ]" in doc["summary"]["text"]
    assert "Jeanne" not in json.dumps(doc, ensure_ascii=False)

    # Statistics: enough closed cases for figures, then the page with its charts.
    await page.evaluate(SEED_CASES, 9)
    await page.click("text=← Mes dossiers")
    await page.click("#statistics")
    await expect(page.locator("h1")).to_have_text("Statistiques")
    await expect(page.locator("#stats-count")).to_contain_text("10 dossier")
    outcome = page.locator('.stat[data-dimension="outcome"]')
    await expect(outcome.locator(".note.merged")).to_be_visible()  # 6, 3 and 1: all merged
    await expect(outcome.locator("svg.chart rect.bar")).to_have_count(1)
    region = page.locator('.stat[data-dimension="region"]')
    await page.fill("input[name=k]", "3")
    await page.click("#stats-filter button[type=submit]")
    await expect(page).to_have_url(f"{live_server.url}/statistics?k=3")
    await expect(region.locator("svg.chart rect.bar")).to_have_count(2)
    await expect(region.locator(".note.merged")).to_have_count(0)
    await expect(outcome.locator("svg.chart rect.bar")).to_have_count(2)
    await expect(outcome.locator(".note.merged")).to_contain_text("Accord partiel")
    await shot(page, "3-statistics")
    assert errors == []
    await context.close()


FAMILY = (
    "Mme Jeanne Martin et M. Paul Lefèvre sont voisins. Sa fille Léa (8 ans) joue dans le "
    "jardin; le docteur Marc Aubert atteste de son asthme. Jeanne habite à Onet-le-Château. "
    "Les carreaux de Florence posés par M. Lefèvre sont fendus."
)


async def test_suggestions_show_their_reason_and_a_rejection_is_remembered(
    live_server: LiveServer, browser: Browser
) -> None:
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
    await page.click("text=E2E")
    await page.click("#start-closing")
    form = page.locator("#closing-form")
    await form.locator("select[name=outcome]").select_option("partial_agreement")
    await form.locator("select[name=departement]").select_option("12")
    await form.locator("textarea[name=summary]").fill(FAMILY)
    await page.click("#close-case")

    # Each suggestion is its own kind in the text and in the list, with the rule's reason.
    text = page.locator("#anonymised-text")
    await expect(text.locator("mark.suggestion").first).to_be_visible(timeout=PIPELINES_LOADED_MS)
    for word in ("Léa", "Aubert", "Onet", "Florence"):
        await expect(text).not_to_contain_text(word)
    listed = page.locator("#suggestion-list li")
    florence = listed.filter(has_text="Florence")
    await expect(florence).to_contain_text("prénom du lexique")
    await expect(florence).to_contain_text("À examiner")
    await expect(listed.filter(has_text="Léa")).to_contain_text("lien de parenté ou rôle")
    await expect(listed.filter(has_text="Marc Aubert")).to_contain_text("titre ou civilité")
    await expect(listed.filter(has_text="Onet-le-Château")).to_contain_text("lieu annoncé")
    await expect(page.locator("#suggestions h4")).to_contain_text("4 à examiner")
    await shot(page, "4-suggestions")

    # "Florence" names nobody here (a kind of tiles): rejected, it is left in clear.
    await florence.locator("button.reject").click()
    await expect(text).to_contain_text("carreaux de Florence")
    await expect(florence).to_have_attribute("data-decision", "reject")
    await expect(florence).to_contain_text("Rejeté")
    await listed.filter(has_text="Marc Aubert").locator("button.accept").click()
    await expect(listed.filter(has_text="Marc Aubert")).to_have_attribute("data-decision", "accept")
    await expect(page.locator("#suggestions h4")).to_contain_text("2 à examiner")
    await expect(text).not_to_contain_text("Aubert")
    await shot(page, "5-suggestion-rejected")

    # Remembered for the case: after a reload, and in the confirmed export.
    await page.reload()
    await expect(page.locator("#anonymised-text")).to_contain_text("carreaux de Florence")
    await expect(page.locator("#suggestion-list li").filter(has_text="Florence")).to_have_attribute(
        "data-decision", "reject"
    )
    await page.click("#confirm-review")
    await expect(page.locator("#exports")).to_be_visible()
    assert errors == []
    await context.close()
