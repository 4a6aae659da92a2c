"""Signing without leaving the room, in real Chromium: the mediator inserts the mediated
agreement's template into the plenary's text, types a clause and freezes it; everyone in
the room sees the same fingerprint; each party signs from the room with the code the
mediator shows them (neither has an address), the mediator signs last with a code
received by e-mail (a real SMTP server); all three see that the signed PDF is ready, and
the PDF's text pages read exactly as the frozen text."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from pypdf import PdfReader

from records.agreements.documents import Block, BlockKind, normalise, plain_text
from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session, serving
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby, until_true
from tests.e2e.test_shared_text import EDITOR, TEXT, open_text, same_text
from tests.records.agreements.pdftext import text_pages
from tests.smtp import MailServer, env

pytestmark = pytest.mark.browser

BANNER = "#text-frozen-banner"
CLAUSE = "Marc Roux rembourse 1 200 € à Jeanne Martin avant le 31 mars."


@pytest.fixture
async def smtp() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.start()
    yield server
    await server.stop()


async def _show_code(mediator: Page, name: str) -> str:
    row = mediator.locator("#textsign-signers li", has_text=name)
    await row.locator("button.show-code").click()
    await expect(row.locator(".shown-code")).to_have_text(re.compile(r"^\d{6}$"))
    return await row.locator(".shown-code").inner_text()


async def _party_signs(party: Page, mediator: Page, name: str, shot: str | None = None) -> None:
    await party.click("#text-sign")
    form = party.locator("#sign-dialog .signing-form")
    await expect(form).to_be_visible()
    await expect(form.locator("input.sign-name")).to_have_value(name)
    await form.locator("input[value=type]").check()
    await form.locator("input.sign-typed").fill(name)
    await form.locator("button.ask-code").click()
    await expect(form.locator(".code-status")).to_contain_text("votre médiateur vous montrera")
    await form.locator("input.sign-code").fill(await _show_code(mediator, name))
    if shot:
        await party.screenshot(path=str(ARTIFACTS / shot))
    await form.locator("button.sign-submit").click()
    await expect(party.locator(f"{BANNER} .signed-by-me")).to_be_visible()


async def test_the_room_writes_freezes_and_signs_its_agreement(
    tmp_path: Path, browser: Browser, smtp: MailServer
) -> None:
    with serving(tmp_path, **env(smtp)) as server:
        await _flow(server, browser, smtp)


async def _flow(server: LiveServer, browser: Browser, smtp: MailServer) -> None:
    session_id, tokens = await seed_session(server, ["Jeanne Martin", "Marc Roux"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, server, session_id)
    _, jeanne = await new_page(browser)
    _, marc = await new_page(browser)
    await party_reaches_lobby(jeanne, server, tokens["Jeanne Martin"], "Jeanne Martin")
    await admit(claire, jeanne, "Jeanne Martin")
    await party_reaches_lobby(marc, server, tokens["Marc Roux"], "Marc Roux")
    await admit(claire, marc, "Marc Roux")
    pages = [claire, jeanne, marc]
    for page in pages:
        await open_text(page)
    # parties have no template or freeze button
    await expect(jeanne.locator("#text-template")).to_have_count(0)
    await expect(jeanne.locator("#text-freeze")).to_have_count(0)

    # the template, filled from the case, reaches everyone's text
    await claire.select_option("#textsign-kind", "mediated_agreement")
    await claire.click("#text-template")
    for page in pages:
        await until_true(page, f"({TEXT} || '').includes('Marc Roux')")
    # a clause typed after it
    await claire.locator(f"{EDITOR} > *").last.click()
    await claire.keyboard.press("Control+End")
    await claire.keyboard.press("Enter")
    await claire.keyboard.type(CLAUSE, delay=5)
    live = await same_text(pages)
    assert CLAUSE in live

    await claire.click("#text-freeze")
    shas = []
    for page in pages:
        await expect(page.locator(f"{BANNER} code.sha256")).to_have_text(
            re.compile("^[0-9a-f]{64}$")
        )
        shas.append(await page.locator(f"{BANNER} code.sha256").inner_text())
    assert len(set(shas)) == 1, shas
    await expect(claire.locator("#textsign-signers li")).to_have_count(3)

    await _party_signs(jeanne, claire, "Jeanne Martin", shot="room-signing-dialog.png")
    await expect(claire.locator("#textsign-signers li[data-signed=true]")).to_have_count(1)
    await expect(marc.locator("#textsign-count")).to_contain_text("1")
    await _party_signs(marc, claire, "Marc Roux")
    await expect(claire.locator("#textsign-signers li[data-signed=true]")).to_have_count(2)
    await claire.screenshot(path=str(ARTIFACTS / "room-signing-mediator.png"))

    # the mediator signs last, with a code by e-mail
    await claire.click("#text-sign")
    form = claire.locator("#sign-dialog .signing-form")
    await form.locator("input[value=type]").check()
    await form.locator("input.sign-typed").fill("C. Médiatrice")
    await form.locator("button.ask-code").click()
    await expect(form.locator(".code-status")).to_contain_text("@example.org")
    body = (await smtp.wait_for(1))[0].get_body(("plain",))
    assert body is not None
    code = re.findall(r"(?<!\d)\d{6}(?!\d)", body.get_content())[0]
    await form.locator("input.sign-code").fill(code)
    await form.locator("button.sign-submit").click()
    for page in pages:
        await expect(page.locator("#textsign-ready")).to_be_visible(timeout=15000)
        await expect(page.locator("#text-pdf")).to_be_visible()
    await jeanne.screenshot(path=str(ARTIFACTS / "room-signing-ready.png"))

    # the PDF Jeanne downloads reads as the frozen text
    async with jeanne.expect_download() as waiting:
        await jeanne.click("#text-pdf")
    pdf = await asyncio.to_thread(Path(await (await waiting.value).path()).read_bytes)
    text_id = await claire.locator(BANNER).get_attribute("data-text")
    detail: dict[str, Any] = await claire.evaluate(
        """async (id) => {
            const texts = await (await fetch('/api/cases')).json();
            for (const c of texts.cases) {
              const r = await fetch(`/api/cases/${c.id}/texts/${id}`);
              if (r.ok) return await r.json();
            }
            return null;
        }""",
        text_id,
    )
    assert detail is not None and detail["sha256"] == shas[0]
    frozen = tuple(Block(BlockKind(b["kind"]), b["text"]) for b in detail["blocks"])
    assert CLAUSE in [b.text for b in frozen]
    pages_count = len(PdfReader(io.BytesIO(pdf)).pages)
    read = text_pages(pdf, pages_count - 1, shas[0], "E2E", "fr")
    assert normalise(read) == normalise(plain_text(frozen))
    # and the frozen text is the room's text as it stood
    assert normalise(plain_text(frozen)) == normalise(live)
    for page in pages:
        assert not getattr(page, "errors"), getattr(page, "errors")  # noqa: B009
