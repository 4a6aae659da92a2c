"""Hostile requests get a 4xx with a code, never a 500, and leave no trace of what they
carried in the log: every logger at DEBUG (aiohttp's access and server logs, SQLAlchemy),
on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from server.rest.fields import check_text
from tests.server.conftest import CASE
from tests.server.test_fuzz_api import LiveServer, as_mediator, signed_out, start_server

EMAIL = "zoe.secret@example.org"
NAME = "Zoé Sentinelle"
TEXT = "le loyer impayé de Zoé"
TOKEN = "eyJzZWNyZXQiOiJ0b2tlbiJ9.c2VudGluZWw.c2lnbmF0dXJl"
SENT = [EMAIL, NAME, TEXT, TOKEN, "zoe.secret", "Sentinelle", "loyer impay"]
NUL = "\u0000"


@pytest.fixture
def live(tmp_path: Path, db_url: str) -> Iterator[LiveServer]:
    yield from start_server(tmp_path, db_url)


def hostile_requests(live: LiveServer) -> list[tuple[str, requests.Response]]:
    url = live.url
    out: list[tuple[str, requests.Response]] = []
    anon = signed_out(live)
    me = as_mediator(live)
    case = me.post(f"{url}/api/cases", json=CASE).json()
    cid = case["id"]
    pid = case["participants"][0]["id"]
    sid = me.post(
        f"{url}/api/cases/{cid}/sessions",
        json={"date": "2030-03-14", "time": "14:30", "timezone": "Europe/Paris"},
    ).json()["id"]

    def send(label: str, session: requests.Session, method: str, path: str, **kw: Any) -> None:
        out.append((label, session.request(method, f"{url}{path}", timeout=30, **kw)))

    for bad in (f"{EMAIL}{NUL}", f"{NUL}{EMAIL}", f"{EMAIL}\n"):
        send("sign-in e-mail", anon, "POST", "/api/login", json={"email": bad, "password": TEXT})
    send(
        "setup", anon, "POST", "/api/setup",
        json={"code": NUL, "email": EMAIL, "display_name": NAME + NUL, "password": TEXT + NUL},
    )  # fmt: skip
    send(
        "consent typed name", anon, "POST", "/api/join/consent",
        json={"token": TOKEN, "language": "fr", "shown": {"confidentiality": 1, "privacy": 1},
              "decisions": {"mediation": "given", "privacy": "given"},
              "typed_name": NAME + NUL},
    )  # fmt: skip
    send("join token", anon, "POST", "/api/join", json={"token": TOKEN + NUL})
    for field, value in (
        ("title", NAME + NUL),
        ("reference", NAME + NUL),
        ("description", TEXT + NUL),
        ("public_title", "\u0085" + NAME),
        ("participants", [{"display_name": NAME + NUL, "role": "party"}]),
        ("participants", [{"display_name": "X", "role": "party", "email": EMAIL + NUL}]),
        ("co_mediator_emails", [EMAIL + NUL]),
    ):
        send(f"case {field}", me, "POST", "/api/cases", json={**CASE, field: value})
    send(
        "participant", me, "POST", f"/api/cases/{cid}/participants",
        json={"display_name": NAME + NUL, "role": "party", "email": EMAIL},
    )  # fmt: skip
    send(
        "notice", me, "POST", "/api/notices",
        json={"kind": "privacy", "language": "fr", "body": (TEXT + " ") * 3 + NUL},
    )  # fmt: skip
    send("note", me, "POST", f"/api/cases/{cid}/notes", json={"body": TEXT + NUL})
    send("path id", me, "GET", f"/api/cases/{cid}%00")
    send("path e-mail", me, "GET", f"/api/cases/{EMAIL}")
    send("path name", me, "GET", f"/api/cases/{cid}/participants/{NAME}/export")
    send("query", me, "GET", "/api/notices", params={"lang": NAME + NUL})
    send("query", me, "GET", f"/api/cases/{cid}/audit", params={"before": EMAIL})
    send(
        "upload name", anon, "POST", f"/api/sessions/{sid}/documents",
        params={"filename": NAME + ".pdf", "visibility": NAME},
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/pdf"},
        data=TEXT.encode(),
    )  # fmt: skip
    send("link", me, "POST", f"/api/sessions/{sid}/links/{pid}%00")
    send("bad JSON", me, "POST", "/api/cases", data=f'{{"title": "{NAME}"', headers={
        "Content-Type": "application/json"})  # fmt: skip
    send("page", anon, "GET", f"/cases/{NAME}{NUL}")
    return out


def server_log(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the server logged (the test's own HTTP client, urllib3, is left out)."""
    return "\n".join(
        f"{r.getMessage()}\n{r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith("urllib3")
    )


def test_hostile_input_is_refused_and_leaves_nothing_in_the_log(
    live: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("aiohttp.access", "aiohttp.server", "sqlalchemy", "sqlalchemy.engine"):
        caplog.set_level(logging.DEBUG, logger=name)
    answers = hostile_requests(live)
    # barrier: a last request; its access-log line comes after every earlier request's
    barrier = signed_out(live).get(f"{live.url}/api/setup")
    assert barrier.status_code == 200
    for label, response in answers:
        assert response.status_code < 500, (label, response.status_code, response.text)
        if "/api/" in str(response.url):
            assert response.status_code >= 400, (label, response.text)
            assert response.json()["error"]["code"], label
    deadline = time.monotonic() + 10
    while "GET /api/setup 200" not in server_log(caplog):
        assert time.monotonic() < deadline, "the access log line never came"
        time.sleep(0.05)
    logged = server_log(caplog)
    for secret in SENT:
        assert secret not in logged, secret
    assert "\x00" not in logged


@pytest.mark.parametrize(
    "value",
    ["a\x00b", "\x1b[31m", "x\x7f", "\x85", ["ok", "\x00"], {"k": "\x08"}, {"\x00": "k"}],
)
def test_control_characters_are_refused_wherever_they_are(value: Any) -> None:
    with pytest.raises(ValueError):
        check_text(value)


@pytest.mark.parametrize("value", ["Zoé", "a\tb\nc\r", ["ok"], {"k": "v"}, 3, None])
def test_text_without_control_characters_passes(value: Any) -> None:
    check_text(value)


def test_websockets_only_to_palabre_itself(live: LiveServer) -> None:
    csp = requests.get(f"{live.url}/", timeout=30).headers["Content-Security-Policy"]
    connect = next(d for d in csp.split("; ") if d.startswith("connect-src"))
    assert connect == "connect-src 'self' ws://127.0.0.1"  # PALABRE_PUBLIC_URL of the tests
