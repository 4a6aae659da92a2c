"""Schemathesis against /api/openapi.json on a real server (SQLite and PostgreSQL).

Signed out, as a signed-in mediator (with the CSRF header) and as a party (with
a personal link's token), every operation gets schema-valid and schema-invalid
requests: no answer is a 5xx, and every answer conforms to the document.
``PALABRE_FUZZ_EXAMPLES`` sets the examples per operation and mode (``make fuzz``).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.accesslog import AccessLogger
from server.app import create_app
from server.context import SERVICES
from server.passwords import hash_password
from server.security import CSRF_COOKIE, CSRF_HEADER
from tests.server.conftest import CASE, PASSWORD, make_config

EXAMPLES = int(os.environ.get("PALABRE_FUZZ_EXAMPLES", "2"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class LiveServer:
    """The real app in a thread of its own, so that schemathesis' blocking client can call it."""

    url: str = ""
    loop: asyncio.AbstractEventLoop | None = None
    app: web.Application | None = None
    _stop: asyncio.Event | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    def run(self, config: Any) -> None:
        asyncio.run(self._main(config))

    async def _main(self, config: Any) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.app = await create_app(config, setup_code="SETUPCODE42")
        runner = web.AppRunner(self.app, access_log_class=AccessLogger)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def call(self, coro: Any) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        assert self.loop is not None and self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)


def start_server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    config = make_config(tmp_path, database_url)
    live = LiveServer()
    thread = threading.Thread(target=live.run, args=(config,), daemon=True)
    thread.start()
    assert live._ready.wait(30), "the server did not start"
    try:
        yield live
    finally:
        live.stop()
        thread.join(30)


@pytest.fixture
def live(tmp_path: Path, db_url: str) -> Iterator[LiveServer]:
    yield from start_server(tmp_path, db_url)


def signed_out(live: LiveServer) -> requests.Session:
    session = requests.Session()
    session.get(f"{live.url}/healthz")  # the CSRF cookie
    session.headers[CSRF_HEADER] = session.cookies[CSRF_COOKIE]
    return session


async def _new_mediator(live: LiveServer, email: str) -> None:
    assert live.app is not None
    await live.app[SERVICES].accounts.create_mediator(email, "Anne Fuzz", hash_password(PASSWORD))


def as_mediator(live: LiveServer) -> requests.Session:
    live.call(_new_mediator(live, "anne@example.org"))
    session = signed_out(live)
    response = session.post(
        f"{live.url}/api/login", json={"email": "anne@example.org", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return session


def as_party(live: LiveServer) -> requests.Session:
    """A party of a scheduled session, holding its link's token (Bearer)."""
    mediator = as_mediator(live)
    case = mediator.post(f"{live.url}/api/cases", json=CASE).json()
    when = {"date": "2030-03-14", "time": "14:30", "timezone": "Europe/Paris"}
    session_id = mediator.post(f"{live.url}/api/cases/{case['id']}/sessions", json=when).json()[
        "id"
    ]
    party = case["participants"][0]["id"]
    link = mediator.post(f"{live.url}/api/sessions/{session_id}/links/{party}").json()
    token = link["url"].split("#", 1)[1]
    session = signed_out(live)
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def fuzz(live: LiveServer, client: requests.Session) -> None:
    raw = client.get(f"{live.url}/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(raw)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=EXAMPLES <= 10,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                case.call_and_validate(base_url=live.url, session=client, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:  # nothing in this operation can be made invalid
                continue
            except Exception as exc:  # report every operation, not just the first
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)


def test_fuzz_signed_out(live: LiveServer) -> None:
    fuzz(live, signed_out(live))


def test_fuzz_as_mediator(live: LiveServer) -> None:
    fuzz(live, as_mediator(live))


def test_fuzz_as_party(live: LiveServer) -> None:
    fuzz(live, as_party(live))


def test_exports_answer_what_the_document_says(live: LiveServer) -> None:
    """Routes that answer JSON or CSV by ``?format=`` are described as such (they were
    declared a string), and their query parameters are in the document."""
    client = as_mediator(live)
    schema = schemathesis.openapi.from_dict(client.get(f"{live.url}/api/openapi.json").json())
    summaries = schema["/api/practice/summaries"]["GET"]
    stats = schema["/api/practice/stats"]["GET"]
    for operation, query in (
        (summaries, {}), (summaries, {"year": 2030, "format": "csv"}), (stats, {"k": 3}),
    ):  # fmt: skip
        case = operation.Case(query=query)
        case.call_and_validate(base_url=live.url, session=client, checks=CHECKS)
    params = {p["name"]: p["schema"] for p in summaries.definition.raw["parameters"]}
    assert params["year"]["anyOf"][0] == {"type": "integer", "minimum": 2000, "maximum": 2100}
    body = client.get(f"{live.url}/api/practice/summaries").json()
    assert body["format"] == "palabre-case-summaries"
