"""Shared documents in real Chromium: the PDF.js viewer under the CSP, upload, follow me."""

from __future__ import annotations

import base64

import pytest
from playwright.async_api import Browser

from tests.e2e.conftest import ARTIFACTS, LiveServer
from tests.e2e.flows import new_page
from tests.pdfgen import make_pdf

pytestmark = pytest.mark.browser

# How many pixels of the viewer's canvas are not white (the page was really drawn).
INKED = """
() => {
  const canvas = document.querySelector('#doc-canvas');
  if (!canvas) return -1;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240) inked += 1;
  }
  return inked;
}
"""

OPEN_IN_VIEWER = """
async ([b64, mime, page]) => {
  const { DocViewer } = await import('/static/js/docview.js');
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
    await page.wait_for_function("window.rendered.some((r) => r.page === 2)")
    assert await page.evaluate(INKED) > 1000
    assert await page.locator("#doc-page").text_content() == "Page 2 sur 3"
    await page.screenshot(path=str(ARTIFACTS / "docs-0-viewer-page2.png"))
    await page.click("#doc-next")
    await page.wait_for_function("window.rendered.some((r) => r.page === 3)")
    await page.click("#doc-zoom-in")
    await page.wait_for_function("window.rendered.some((r) => r.zoom === 1.25)")
    assert await page.evaluate("window.viewer.current") == {"doc_id": "d1", "page": 3, "zoom": 1.25}
    assert await page.locator("#doc-next").is_disabled()
    # PDF.js came from this server only, its worker too
    assert any(u.endswith("/vendor/pdfjs/pdf.min.mjs") for u in requests)
    assert any(u.endswith("/vendor/pdfjs/pdf.worker.min.mjs") for u in requests)
    assert all(u.startswith((live_server.url, "blob:", "data:")) for u in requests), requests
    assert violations == []
    assert getattr(page, "errors", []) == []
