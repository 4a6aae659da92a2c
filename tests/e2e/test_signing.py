"""Signing from the join page: the mediator freezes the agreement to mediate on the case
page; a party draws her signature with the mouse and confirms with the code the mediator
shows (she has no address), the other types his (the keyboard's way); the mediator signs
last with a code received by e-mail (a real SMTP server); each party downloads the PDF."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
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


@pytest.fixture
async def smtp() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.start()
    yield server
    await server.stop()


async def _page(browser: Browser, url: str, locale: str) -> Page:
    context = await browser.new_context(locale=locale, viewport={"width": 1100, "height": 1000})
    page = await context.new_page()
    await page.goto(url)
    return page


async def _draw(page: Page, selector: str) -> None:
    await page.locator(selector).scroll_into_view_if_needed()
    box = await page.locator(selector).bounding_box()
    assert box is not None
    x, y = box["x"], box["y"]
    await page.mouse.move(x + 30, y + 110)
    await page.mouse.down()
    for dx, dy in ((80, 40), (140, 100), (200, 50), (280, 90), (360, 30)):
        await page.mouse.move(x + dx, y + dy, steps=5)
    await page.mouse.up()


async def _show_code(mediator: Page, name: str) -> str:
    row = mediator.locator("#texts tr", has_text=name)
    await row.locator("button.show-code").click()
    await expect(row.locator(".shown-code")).to_have_text(re.compile(r"^\d{6}$"))
    return await row.locator(".shown-code").inner_text()


async def test_parties_sign_from_the_join_page_and_download_the_sealed_pdf(
    tmp_path: Path, browser: Browser, smtp: MailServer
) -> None:
    with serving(tmp_path, **env(smtp)) as server:
        await _signing_flow(server, browser, smtp)


async def _signing_flow(server: LiveServer, browser: Browser, smtp: MailServer) -> None:
    _session, tokens = await seed_session(server, ["Jeanne Martin", "Marc Roux"])
    mediator = await _page(browser, f"{server.url}/login", "fr-FR")
    await mediator.fill("input[name=email]", MEDIATOR_EMAIL)
    await mediator.fill("input[name=password]", MEDIATOR_PASSWORD)
    await mediator.click("#login-form button[type=submit]")
    await mediator.click("text=E2E")
    await expect(mediator.locator("#texts h2")).to_have_text("Textes à signer")
    await mediator.click("#freeze")
    block = mediator.locator("#texts article.text-block")
    await expect(block).to_have_count(1)
    await expect(block.locator("h3")).to_contain_text("Convention d'entrée en médiation")
    sha = await block.locator("code.sha256").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)

    jeanne = await _page(browser, f"{server.url}/join#{tokens['Jeanne Martin']}", "fr-FR")
    card = jeanne.locator("#texts-to-sign article.text-to-sign")
    await expect(card).to_have_count(1)
    await expect(card.locator("code.sha256")).to_have_text(sha)
    await expect(card.locator(".frozen-text h4")).to_have_text("Convention d'entrée en médiation")
    await card.locator("input.sign-name").fill("Jeanne Martin")
    await _draw(jeanne, "canvas.signature-pad")
    await card.locator("button.ask-code").click()
    await expect(card.locator(".code-status")).to_contain_text("votre médiateur vous montrera")
    await card.locator("input.sign-code").fill(await _show_code(mediator, "Jeanne Martin"))
    await jeanne.locator("#texts-to-sign").screenshot(path=str(ARTIFACTS / "signing-join-fr.png"))
    await card.locator("button.sign-submit").click()
    await expect(card.locator(".signed-by-me")).to_contain_text("Vous avez signé ce texte")

    marc = await _page(browser, f"{server.url}/join#{tokens['Marc Roux']}", "en-GB")
    card = marc.locator("#texts-to-sign article.text-to-sign")
    await card.locator("input.sign-name").fill("Marc Roux")
    await card.locator("input[value=type]").check()  # the keyboard's way
    await card.locator("input.sign-typed").fill("M. Roux")
    await card.locator("input.sign-code").fill("000000")
    await card.locator("button.sign-submit").click()
    await expect(card.locator(".error")).to_contain_text("expired or none was asked")
    await card.locator("input.sign-code").fill(await _show_code(mediator, "Marc Roux"))
    await marc.locator("#texts-to-sign").screenshot(path=str(ARTIFACTS / "signing-join-en.png"))
    await card.locator("button.sign-submit").click()
    await expect(card.locator(".signed-by-me")).to_contain_text("You signed this text")

    await mediator.reload()
    block = mediator.locator("#texts article.text-block")
    await block.locator("button", has_text="Lire et signer").click()
    form = block.locator(".signing-form")
    await form.locator("input[value=type]").check()
    await form.locator("input.sign-typed").fill("C. Médiatrice")
    await form.locator("button.ask-code").click()
    await expect(form.locator(".code-status")).to_contain_text("c•••@example.org")
    body = (await smtp.wait_for(1))[0].get_body(("plain",))
    assert body is not None
    code = re.findall(r"(?<!\d)\d{6}(?!\d)", body.get_content())[0]
    await form.locator("input.sign-code").fill(code)
    await form.locator("button.sign-submit").click()
    await expect(mediator.locator("#texts article.text-block h3")).to_contain_text("signé par tous")
    await mediator.locator("#texts").screenshot(path=str(ARTIFACTS / "signing-case-fr.png"))

    await jeanne.reload()
    download = jeanne.locator("#texts-to-sign button.download-pdf")
    async with jeanne.expect_download() as waiting:
        await download.click()
    saved = await (await waiting.value).path()
    head = await asyncio.to_thread(Path(saved).read_bytes)
    assert head.startswith(b"%PDF")
