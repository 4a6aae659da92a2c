"""An HTTP client that behaves like the browser towards a test server's session routes.

It holds the CSRF cookie and echoes it in the header, and it sends either a
mediator's session cookie or a party's link token. The route tests subclass
it with the calls they make.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

import aiohttp

from server.security import CSRF_COOKIE, CSRF_HEADER
from tests.signaling.world import World, browser_device


@dataclass
class Got:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str:
        code: str = self.json()["error"]["code"]
        return code


class BrowserHttp:
    def __init__(self, world: World, *, token: str | None = None, cookie: str | None = None):
        self.world = world
        self.token = token
        cookies = {"palabre_session": cookie} if cookie else {}
        jar = aiohttp.CookieJar(unsafe=True)
        self.session = aiohttp.ClientSession(cookie_jar=jar, cookies=cookies)
        self.csrf = ""

    async def prime(self) -> Self:
        """Takes the CSRF cookie, as the first page load does."""
        async with self.session.get(self.world.url + "/healthz"):
            pass
        for c in self.session.cookie_jar:
            if c.key == CSRF_COOKIE:
                self.csrf = c.value
        return self

    def headers(self, csrf: bool = True, **extra: str) -> dict[str, str]:
        out = {CSRF_HEADER: self.csrf} if csrf else {}
        if self.token is not None:  # a party's browser: its link, and its device
            out["Authorization"] = f"Bearer {self.token}"
            out["X-Palabre-Device"] = browser_device(self.token)
        return {**out, **extra}

    async def close(self) -> None:
        await self.session.close()
