"""The shared-text editor's packages: every module the import map reaches is served, every
bare name they import is in the map, the CSP allows the map by its hash and nothing else
inline, and nothing outside the packages' own JavaScript is served."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

from server.web import ESM_PACKAGES, FRONTEND, NODE_MODULES
from tests.server.conftest import Api

# static imports and re-exports (at the start of a line: not the JSDoc types' import())
IMPORTS = re.compile(
    r"""^(?:(?:import|export)\b[^;'"]*?\bfrom\s*|import\s*)['"]([^'"]+)['"]""", re.MULTILINE
)
MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.DOTALL)


def import_map() -> tuple[str, dict[str, str]]:
    body = MAP.findall((FRONTEND / "room.html").read_text(encoding="utf-8"))
    assert len(body) == 1
    return body[0], json.loads(body[0])["imports"]


def served_file(url: str) -> Any:
    assert url.startswith("/vendor/esm/"), url
    package, _, path = url.removeprefix("/vendor/esm/").partition("/")
    assert package in ESM_PACKAGES, url
    return NODE_MODULES / package / path


def reachable() -> dict[str, set[str]]:
    """Every module the editor can load, from the map's entries: url -> bare names it imports."""
    _, mapping = import_map()
    seen: dict[str, set[str]] = {}
    todo = list(mapping.values())
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        source = served_file(url).read_text(encoding="utf-8")
        bare = set()
        for spec in IMPORTS.findall(source):
            if spec.startswith("."):
                base = url.rsplit("/", 1)[0]
                parts = [*base.split("/"), *spec.split("/")]
                resolved: list[str] = []
                for part in parts:
                    if part == "..":
                        resolved.pop()
                    elif part != ".":
                        resolved.append(part)
                todo.append("/".join(resolved))
            else:
                bare.add(spec)
                if spec in mapping:
                    todo.append(mapping[spec])
        seen[url] = bare
    return seen


def test_every_bare_name_the_editor_imports_is_mapped_to_a_file() -> None:
    _, mapping = import_map()
    modules = reachable()
    assert len(modules) > 30  # yjs, lib0's modules, ProseMirror's, y-prosemirror's
    missing = {spec for names in modules.values() for spec in names} - set(mapping)
    assert missing == set()
    for url in modules:
        assert served_file(url).is_file(), url
    # the editor's own modules import nothing the map does not name
    for path in (FRONTEND / "static/js/room/text").glob("*.js"):
        for spec in IMPORTS.findall(path.read_text(encoding="utf-8")):
            assert spec.startswith(".") or spec in mapping, (path.name, spec)


async def test_the_modules_are_served_and_the_csp_allows_the_map_by_its_hash(
    new_client: Any,
) -> None:
    api: Api = await new_client()
    body, mapping = import_map()
    for url in sorted(mapping.values()):
        response = await api.get(url)
        assert response.status == 200, url
        assert response.headers["Content-Type"].startswith("text/javascript"), url
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    room = await api.get("/room")
    csp = room.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert script_src == f"script-src 'self' 'sha256-{digest}'"
    assert "unsafe-inline" not in csp


async def test_nothing_else_is_served_from_node_modules(new_client: Any) -> None:
    api: Api = await new_client()
    for url in [
        "/vendor/esm/yjs/package.json",  # not JavaScript
        "/vendor/esm/yjs/../socket.io-client/dist/socket.io.esm.min.js",  # out of its package
        "/vendor/esm/debug/src/browser.js",  # not one of the editor's packages
        "/vendor/esm/lib0/no-such-module.js",
        "/vendor/esm/.bin/x.js",
    ]:
        assert (await api.get(url)).status == 404, url
