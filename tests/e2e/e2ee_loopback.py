"""A page for the frame-encryption tests and bench: the app's static files and the loopback
harness (``e2ee_loopback.js``) served by a bare aiohttp server, since module workers need
http(s). No Palabre server, database or socket is involved."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import Page

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).with_name("e2ee_loopback.js")
PAGE = "<!doctype html><meta charset=utf-8><title>e2ee loopback</title>"


@asynccontextmanager
async def serving() -> AsyncIterator[str]:
    """The base URL of a server on a free port, stopped when the block ends."""
    app = web.Application()

    async def isolate(_: web.Request, response: web.StreamResponse) -> None:
        # Cross-origin isolated: performance.now() in the worker is then precise to a few us.
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Embedder-Policy"] = "require-corp"

    app.on_response_prepare.append(isolate)

    async def page(_: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def harness(_: web.Request) -> web.FileResponse:
        return web.FileResponse(HARNESS, headers={"Content-Type": "text/javascript"})

    app.router.add_get("/", page)
    app.router.add_get("/loopback.js", harness)
    app.router.add_static("/static", ROOT / "frontend" / "static", follow_symlinks=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def call(page: Page, function: str, *args: Any) -> Any:
    """``function(...args)`` of the harness module, in the page."""
    source = f"async (a) => (await import('/loopback.js')).{function}(...a)"
    return await page.evaluate(source, json.loads(json.dumps(list(args))))
