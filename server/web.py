"""Serves the frontend: static ES modules and styles, and the HTML pages."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"

# Mediator pages share one shell; parties get the join page.
MEDIATOR_PAGES = [
    "/",
    "/login",
    "/setup",
    "/cases",
    "/cases/new",
    "/cases/{case_id}",
    "/statistics",
    "/notices",
    "/agenda",
    "/templates",
    "/requests",
]


def _page(name: str) -> web.Response:
    return web.Response(
        body=(FRONTEND / name).read_bytes(),
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def mediator_page(request: web.Request) -> web.Response:
    return _page("index.html")


async def join_page(request: web.Request) -> web.Response:
    return _page("join.html")


async def room_page(request: web.Request) -> web.Response:
    return _page("room.html")


async def survey_page(request: web.Request) -> web.Response:
    """The questionnaire opened from its e-mail (its token in the fragment)."""
    return _page("survey.html")


async def request_page(request: web.Request) -> web.Response:
    """The public request form and its confirmation (no account)."""
    return _page("demande.html")


# Browser packages from npm (frontend/package-lock.json), served by exact name only.
PDFJS = FRONTEND / "node_modules/pdfjs-dist/build"
VENDOR = {
    "socket.io.esm.min.js": FRONTEND / "node_modules/socket.io-client/dist/socket.io.esm.min.js",
    # PDF.js for the document viewer: the library and its worker (module scripts)
    "pdfjs/pdf.min.mjs": PDFJS / "pdf.min.mjs",
    "pdfjs/pdf.worker.min.mjs": PDFJS / "pdf.worker.min.mjs",
}


async def vendor_file(request: web.Request) -> web.StreamResponse:
    path = VENDOR.get(request.match_info["name"])
    if path is None or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": "text/javascript; charset=utf-8"})


def register_routes(app: web.Application) -> None:
    for path in MEDIATOR_PAGES:
        app.router.add_get(path, mediator_page)
    app.router.add_get("/join", join_page)
    app.router.add_get("/room", room_page)
    app.router.add_get("/survey", survey_page)
    app.router.add_get("/demande", request_page)
    app.router.add_get("/demande/merci", request_page)
    app.router.add_get("/vendor/{name:[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)?}", vendor_file)
    app.router.add_static("/static", FRONTEND / "static", follow_symlinks=False)
