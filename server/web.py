"""Serves the frontend: static ES modules and styles, and the HTML pages."""

from __future__ import annotations

import base64
import hashlib
import re
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


# ES modules of the shared-text editor (Yjs, ProseMirror, y-prosemirror and what they import),
# served as they are in node_modules under /vendor/esm/<package>/<file>; the pages import
# them by their bare names through the import map in room.html.
NODE_MODULES = FRONTEND / "node_modules"
ESM_PACKAGES = frozenset(
    {
        "yjs", "lib0", "y-prosemirror", "y-protocols", "prosemirror-model", "prosemirror-state",
        "prosemirror-view", "prosemirror-transform", "prosemirror-keymap", "prosemirror-commands",
        "prosemirror-schema-list", "orderedmap", "w3c-keyname",
    }
)  # fmt: skip
_ESM_PATH = re.compile(r"^(?:[A-Za-z0-9_.-]+/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.m?js$")
_IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)


async def esm_file(request: web.Request) -> web.StreamResponse:
    package, path = request.match_info["package"], request.match_info["path"]
    if package not in ESM_PACKAGES or not _ESM_PATH.fullmatch(path):
        raise web.HTTPNotFound()
    root = (NODE_MODULES / package).resolve()
    file = (root / path).resolve()
    if not file.is_relative_to(root) or not file.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(
        file,
        headers={"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"},
    )


def inline_script_hashes(pages: tuple[str, ...] = ("room.html",)) -> tuple[str, ...]:
    """The CSP sources (``'sha256-...'``) of the pages' inline import maps: the only inline
    scripts there are, allowed by their exact content and nothing else."""
    found = []
    for name in pages:
        for body in _IMPORT_MAP.findall((FRONTEND / name).read_text(encoding="utf-8")):
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            found.append(f"'sha256-{digest}'")
    return tuple(found)


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
    app.router.add_get("/vendor/esm/{package:[a-z0-9-]+}/{path:.+}", esm_file)
    app.router.add_get("/vendor/{name:[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)?}", vendor_file)
    app.router.add_static("/static", FRONTEND / "static", follow_symlinks=False)
