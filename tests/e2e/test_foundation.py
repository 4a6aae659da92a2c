"""A mediator sets Palabre up, opens a case, schedules a session and sends a party a link."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import update

from records.db import Database, sqlite_url
from records.models import InviteLinkRow, utcnow
from server.invites.signing import load_or_create_signing_key
from tests.e2e.conftest import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "un mot de passe solide"


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"foundation-{name}.png"), full_page=True)


async def test_mediator_to_party_link(live_server: LiveServer, browser: Browser) -> None:
    assert live_server.setup_code, "make run must print a one-time setup code on a fresh database"
    mediator = await browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    await mediator.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = await mediator.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # First visit on a fresh database: the setup page.
    await page.goto(live_server.url + "/")
    await expect(page).to_have_url(live_server.url + "/setup")
    await expect(page.locator("h1")).to_have_text("Première installation")
    await page.fill("input[name=code]", live_server.setup_code.lower())
    await page.fill("input[name=display_name]", "Claire Médiatrice")
    await page.fill("input[name=email]", "claire@example.org")
    await page.fill("input[name=password]", PASSWORD)
    await shot(page, "1-setup")
    await page.click("#setup-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Mes dossiers")

    # Sign out and in again.
    await page.click("#logout")
    await expect(page.locator("h1")).to_have_text("Connexion médiateur")
    await page.fill("input[name=email]", "claire@example.org")
    await page.fill("input[name=password]", "pas le bon mot de passe")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator(".error")).to_contain_text("incorrect")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator(".empty")).to_be_visible()

    # A case with two parties.
    await page.click("#new-case")
    await page.fill("input[name=reference]", "2026-042")
    await page.fill("input[name=title]", "Lefèvre / Garnier — succession")
    await page.fill("input[name=public_title]", "Médiation familiale")
    await page.select_option("select[name=mediation_type]", "family")
    await page.fill("textarea[name=description]", "Indivision d'une maison familiale.")
    names = page.locator("input[name=p_name]")
    emails = page.locator("input[name=p_email]")
    await names.nth(0).fill("Sophie Lefèvre")
    await emails.nth(0).fill("sophie@example.org")
    await names.nth(1).fill("Luc Garnier")
    await shot(page, "2-new-case")
    await page.click("#case-form button[type=submit]")
    await expect(page.locator("h1")).to_have_text("2026-042 — Lefèvre / Garnier — succession")
    await expect(page.locator("#people li")).to_have_count(2)

    # A private note (shown as text, never as HTML) and the case's audit trail.
    await page.fill("#note-form textarea[name=body]", "<b>Tension</b> sur la maison.")
    await page.click("#note-form button[type=submit]")
    await expect(page.locator("#notes .note-body")).to_have_text("<b>Tension</b> sur la maison.")
    await expect(page.locator("#notes b")).to_have_count(0)
    await expect(page.locator("#audit-trail tbody tr").first).to_be_visible()
    await expect(page.locator("#people .export-json")).to_have_count(2)

    # Schedule a session.
    await page.fill("input[name=date]", "2030-06-18")
    await page.fill("input[name=time]", "09:30")
    await page.click("#schedule-form button[type=submit]")
    session = page.locator(".session")
    await expect(session).to_have_count(1)
    await expect(session.locator("h3")).to_contain_text("18 juin 2030")

    # Sophie's personal link came with the session: copy it.
    row = session.locator("tbody tr").nth(0)
    await expect(row.locator(".copy-link")).to_be_visible()
    await expect(row.locator(".issue-link")).to_have_count(0)
    await row.locator(".copy-link").click()
    await expect(row.locator(".feedback")).to_have_text("Lien copié")
    link = await page.evaluate("navigator.clipboard.readText()")
    assert link == await row.locator(".link-url").input_value()
    assert link.startswith(live_server.url + "/join#")
    await shot(page, "3-case")

    # The party opens it in another browser, in French.
    party_context = await browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}
    )
    party = await party_context.new_page()
    await party.goto(link)
    await expect(party.locator("#join-info h1")).to_have_text("Bonjour Sophie Lefèvre")
    await expect(party.locator("#case-title")).to_have_text("Médiation familiale")
    await expect(party.locator("#when")).to_contain_text("mardi 18 juin 2030")
    await expect(party.locator("#when")).to_contain_text("09:30")
    body_text = await party.locator("main").inner_text()
    assert "Luc Garnier" not in body_text and "succession" not in body_text
    assert "Aucun enregistrement" in body_text
    await shot(party, "4-join-fr")
    await party.click("button[data-lang=en]")
    await expect(party.locator("#join-info h1")).to_have_text("Hello Sophie Lefèvre")
    await shot(party, "5-join-en")

    # The same link, expired (in the registry, which rules over the token's own exp): a
    # clear page naming whom to contact.
    key = load_or_create_signing_key(live_server.var_dir / "signing.key")
    token = link.split("#", 1)[1]
    claims = jwt.decode(token, key, algorithms=["HS256"], audience="palabre:join")
    db = Database(sqlite_url(live_server.var_dir))
    try:
        async with db.transaction() as s:
            await s.execute(
                update(InviteLinkRow)
                .where(InviteLinkRow.jti == claims["jti"])
                .values(expires_at=utcnow() - timedelta(hours=1))
            )
    finally:
        await db.close()
    late = await (await browser.new_context(locale="fr-FR")).new_page()
    await late.goto(f"{live_server.url}/join#{token}")
    await expect(late.locator("#link-error h1")).to_have_text("Ce lien a expiré")
    await expect(late.locator("#link-error a")).to_have_text("claire@example.org")
    await shot(late, "6-expired")

    # A tampered link.
    await late.goto(f"{live_server.url}/join#{token[:-4]}AAAA")
    await late.reload()
    await expect(late.locator("#link-error h1")).to_have_text("Ce lien n’est pas valide")
    assert errors == []
