"""Shared documents in real Chromium: the PDF.js viewer under the CSP, upload, follow me."""

from __future__ import annotations

import base64

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import (
    admit,
    barrier,
    inked,
    mediator_opens_room,
    new_page,
    party_reaches_lobby,
    received,
    until_true,
)
from tests.pdfgen import make_pdf
from tests.records.files.test_upload_safety import photo_with_gps
from tests.records.files.test_uploads import png

pytestmark = pytest.mark.browser


OPEN_IN_VIEWER = """
async ([b64, mime, page]) => {
  const { DocViewer } = await import('/static/js/room/documents/docview.js');
  const box = document.createElement('div');
  box.style.cssText = 'position:fixed;inset:0;background:#fff;display:flex;flex-direction:column';
  document.body.appendChild(box);
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  window.rendered = [];
  const viewer = new DocViewer(box, { onRendered: (s) => window.rendered.push(s) });
  window.viewer = viewer;
  await viewer.open({ doc_id: 'd1', title: 'test', blob: new Blob([bytes]), mime }, page, 1);
  return viewer.current;
}
"""


async def test_the_viewer_draws_pdf_pages_with_the_local_pdfjs_under_the_csp(
    live_server: LiveServer, browser: Browser
) -> None:
    _, page = await new_page(browser)
    violations: list[str] = []
    page.on("console", lambda m: violations.extend([m.text] if "Security" in m.text else []))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    await page.goto(f"{live_server.url}/room")
    pdf = base64.b64encode(make_pdf(3)).decode()
    current = await page.evaluate(OPEN_IN_VIEWER, [pdf, "application/pdf", 2])
    assert current == {"doc_id": "d1", "page": 2, "zoom": 1}
    await until_true(page, "window.rendered.some((r) => r.page === 2)")
    assert await inked(page, "#doc-canvas", 240) > 1000
    assert await page.locator("#doc-page").text_content() == "Page 2 sur 3"
    await page.screenshot(path=str(ARTIFACTS / "docs-0-viewer-page2.png"))
    await page.click("#doc-next")
    await until_true(page, "window.rendered.some((r) => r.page === 3)")
    await page.click("#doc-zoom-in")
    await until_true(page, "window.rendered.some((r) => r.zoom === 1.25)")
    assert await page.evaluate("window.viewer.current") == {"doc_id": "d1", "page": 3, "zoom": 1.25}
    assert await page.locator("#doc-next").is_disabled()
    # PDF.js came from this server only, its worker too
    assert any(u.endswith("/vendor/pdfjs/pdf.min.mjs") for u in requests)
    assert any(u.endswith("/vendor/pdfjs/pdf.worker.min.mjs") for u in requests)
    assert all(u.startswith((live_server.url, "blob:", "data:")) for u in requests), requests
    # an image and a text file in the same viewer
    await page.evaluate("window.viewer.destroy()")
    current = await page.evaluate(
        OPEN_IN_VIEWER, [base64.b64encode(png()).decode(), "image/png", 1]
    )
    assert current == {"doc_id": "d1", "page": 1, "zoom": 1}
    await expect(page.locator(".doc-image")).to_be_visible()
    assert await page.evaluate("document.querySelector('.doc-image').naturalWidth") == 2
    await page.evaluate("window.viewer.destroy()")
    text = "<b>pas du HTML</b>\nligne 2"
    encoded = base64.b64encode(text.encode()).decode()
    await page.evaluate(OPEN_IN_VIEWER, [encoded, "text/plain; charset=utf-8", 1])
    await expect(page.locator("pre.doc-text")).to_have_text(text)
    assert await page.locator("pre.doc-text b").count() == 0
    assert violations == []
    assert getattr(page, "errors", []) == []


async def test_mediator_presents_a_pdf_and_the_party_follows_or_not(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser, phone=True)  # the party is on her phone
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")

    # The mediator shares a three-page PDF from the documents tool.
    pdf = make_pdf(3)
    await claire.click("#open-documents")
    await claire.set_input_files(
        "#docs-file", files=[{"name": "Ordre du jour.pdf", "mimeType": "application/pdf",
                              "buffer": pdf}],
    )  # fmt: skip
    row = claire.locator("#docs-list .docs-item", has_text="Ordre du jour.pdf")
    await expect(row).to_be_visible(timeout=10000)
    await expect(row.locator(".docs-meta")).to_contain_text("3 pages")

    # The party sees it in her list, without a download button.
    await alice.click("#open-documents")
    alice_row = alice.locator("#docs-list .docs-item", has_text="Ordre du jour.pdf")
    await expect(alice_row).to_be_visible()
    await expect(alice_row.locator(".docs-download")).to_have_count(0)
    await expect(alice_row.locator(".docs-withdraw")).to_have_count(0)

    # Present page 1, then turn to page 2: the party's viewer follows.
    await row.locator(".docs-open").click()
    await expect(claire.locator("#doc-stage")).to_have_attribute("data-page", "1")
    await claire.click("#docs-present")
    await expect(alice.locator("#docs-presenting")).to_contain_text("Claire Médiatrice")
    await expect(alice.locator("#doc-stage")).to_have_attribute("data-page", "1")
    await claire.click("#doc-next")
    await expect(alice.locator("#doc-stage")).to_have_attribute("data-page", "2")
    assert await alice.locator("#doc-page").text_content() == "Page 2 sur 3"
    assert await alice.locator("#docs-presenting").get_attribute("data-following") == "true"
    assert await inked(alice, "#doc-canvas", 240) > 1000
    assert await alice.locator("#doc-next").is_disabled()  # following: the presenter leads
    await claire.screenshot(path=str(ARTIFACTS / "docs-1-mediator-presents.png"))
    await alice.screenshot(path=str(ARTIFACTS / "docs-2-party-follows-page2.png"), full_page=True)

    # The party stops following; the mediator goes on to page 3; she stays on page 2.
    await alice.click("#docs-follow")
    await expect(alice.locator("#docs-presenting")).to_have_attribute("data-following", "false")
    await claire.click("#doc-next")
    await expect(claire.locator("#doc-stage")).to_have_attribute("data-page", "3")
    await barrier(alice)  # whatever the server sent her about page 3 has arrived
    assert await alice.locator("#doc-page").text_content() == "Page 2 sur 3"
    assert await alice.locator("#doc-stage").get_attribute("data-page") == "2"
    assert await alice.locator("#docs-presenting").get_attribute("data-following") == "false"
    await alice.screenshot(path=str(ARTIFACTS / "docs-3-party-stopped-following.png"))
    # ... and catches up when she follows again.
    await alice.click("#docs-follow")
    await expect(alice.locator("#doc-stage")).to_have_attribute("data-page", "3")

    # Download: only once the mediator allows it, and it is the very file.
    await row.locator(".docs-allow-download").check()
    download_button = alice_row.locator(".docs-download")
    await expect(download_button).to_be_visible()
    async with alice.expect_download() as waiting:
        await download_button.click()
    download = await waiting.value
    assert download.suggested_filename == "Ordre du jour.pdf"
    saved = await download.path()
    assert saved is not None and saved.read_bytes() == pdf

    # The party shares a text file from her side (link token + CSRF header).
    await alice.set_input_files(
        "#docs-file", files=[{"name": "mes notes.txt", "mimeType": "text/plain",
                              "buffer": "Proposition : 3 × 400 €".encode()}],
    )  # fmt: skip
    await expect(claire.locator("#docs-list .docs-item", has_text="mes notes.txt")).to_be_visible()
    await expect(alice.locator("#docs-metadata")).to_be_hidden()  # plain text: nothing removed
    await (
        claire.locator("#docs-list .docs-item", has_text="mes notes.txt")
        .locator(".docs-open")
        .click()
    )
    await expect(claire.locator("#docs-viewer pre")).to_have_text("Proposition : 3 × 400 €")
    await claire.screenshot(path=str(ARTIFACTS / "docs-4-mediator-reads-party-text.png"))
    # presenting it, the mediator took the party along to the text
    await expect(alice.locator("#docs-viewer pre")).to_have_text("Proposition : 3 × 400 €")

    # The party withdraws her file: it leaves every list and the mediator's viewer.
    await (
        alice.locator("#docs-list .docs-item", has_text="mes notes.txt")
        .locator(".docs-withdraw")
        .click()
    )
    for page in (claire, alice):
        await expect(page.locator("#docs-list .docs-item")).to_have_count(1)
    await expect(claire.locator("#docs-viewer")).to_be_hidden()
    await expect(claire.locator("#docs-presenting")).to_be_hidden()
    # The mediator stops presenting: the party's banner goes.
    await claire.locator("#docs-list .docs-open").click()
    await claire.click("#docs-present")
    await expect(alice.locator("#docs-presenting")).to_be_visible()
    await claire.click("#docs-stop")
    await expect(alice.locator("#docs-presenting")).to_be_hidden()

    # A phone photo: its GPS position, camera and author are taken out, and she is told so.
    await alice.set_input_files(
        "#docs-file", files=[{"name": "le mur.jpg", "mimeType": "image/jpeg",
                              "buffer": photo_with_gps()}],
    )  # fmt: skip
    await expect(claire.locator("#docs-list .docs-item", has_text="le mur.jpg")).to_be_visible()
    note = alice.locator("#docs-metadata")
    await expect(note).to_be_visible()
    await expect(note).to_have_attribute("data-location", "true")
    await expect(note).to_contain_text("le mur.jpg")
    await expect(note).to_contain_text("position GPS")
    await expect(note).to_contain_text("EXIF")
    await alice.screenshot(path=str(ARTIFACTS / "docs-8-metadata-removed.png"))
    await expect(claire.locator("#docs-metadata")).to_be_hidden()  # only the uploader is told
    for page in (claire, alice):
        assert getattr(page, "errors", []) == []


async def test_a_document_shared_in_a_private_meeting_never_reaches_the_other_party(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    _, bruno = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    await party_reaches_lobby(bruno, live_server, tokens["Bruno Petit"], "Bruno Petit")
    await admit(claire, bruno, "Bruno Petit")
    for page in (claire, alice, bruno):
        await page.click("#open-documents")

    await claire.locator("#panel .person", has_text="Alice Martin").locator("input").check()
    await claire.click("#open-caucus")
    await expect(alice.locator("#banner")).to_have_attribute("data-kind", "private")
    seen_before = len(await received(bruno))
    await alice.select_option("#docs-visibility", "private_meeting_members")
    await alice.set_input_files(
        "#docs-file", files=[{"name": "ma limite.txt", "mimeType": "text/plain",
                              "buffer": "Je peux descendre à 8 000 €".encode()}],
    )  # fmt: skip
    secret_row = claire.locator("#docs-list .docs-item", has_text="ma limite.txt")
    await expect(secret_row).to_be_visible()
    await expect(secret_row.locator(".docs-badge")).to_have_text("aparté")
    await alice.screenshot(path=str(ARTIFACTS / "docs-5-private-meeting-share.png"))

    # Back in the plenary: Alice and the mediator still have it, Bruno never heard of it.
    await claire.click("#return-all")
    await expect(bruno.locator("#banner")).to_be_hidden(timeout=10000)
    await expect(alice.locator("#docs-list .docs-item", has_text="ma limite.txt")).to_be_visible()
    await expect(claire.locator("#docs-list .docs-item", has_text="ma limite.txt")).to_be_visible()
    await expect(bruno.locator("#docs-list .docs-empty")).to_be_visible()
    await barrier(bruno)
    during = (await received(bruno))[seen_before:]
    assert not [event for event, _ in during if event.startswith("doc:")]
    assert not [p for _, p in during if "limite" in p]
    await bruno.screenshot(path=str(ARTIFACTS / "docs-6-other-party-sees-nothing.png"))

    # Alice decides to show it to everyone: shared here, in the plenary, Bruno sees it.
    await alice.select_option("#docs-visibility", "room")
    mine = alice.locator("#docs-list .docs-item", has_text="ma limite.txt")
    await mine.locator(".docs-share-here").click()
    await expect(bruno.locator("#docs-list .docs-item", has_text="ma limite.txt")).to_be_visible()
    await expect(mine.locator(".docs-badge")).to_have_count(0)
    await expect(mine.locator(".docs-share-here")).to_have_count(0)
    await alice.screenshot(path=str(ARTIFACTS / "docs-7-shared-here.png"))
    for page in (claire, alice, bruno):
        assert getattr(page, "errors", []) == []
