"""The mediator's agenda across cases, and its private calendar feed (SQLite, PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientResponse, ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import update

from records.models import MediatorRow
from server.accesslog import AccessLogger
from server.app import create_app
from server.config import Config
from server.context import SERVICES
from tests.server.conftest import (
    Api,
    add_mediator,
    api_clients,
    create_case,
    make_config,
    schedule,
)


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Config:
    return make_config(tmp_path, db_url)


def parse_ics(text: str) -> list[dict[str, Any]]:
    """A small RFC 5545 reader: unfolds lines, nests components; each component is a
    dict of its properties (name -> list of values) and its ``_children``."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = text.replace("\r\n ", "").split("\r\n")[:-1]
    root: dict[str, Any] = {"_name": "ROOT", "_children": []}
    stack = [root]
    for line in lines:
        name, sep, value = line.partition(":")
        assert sep, f"not a content line: {line!r}"
        if name == "BEGIN":
            component: dict[str, Any] = {"_name": value, "_children": []}
            stack[-1]["_children"].append(component)
            stack.append(component)
        elif name == "END":
            assert stack.pop()["_name"] == value
        else:
            stack[-1].setdefault(name.split(";")[0], []).append(value)
    assert stack == [root]
    return list(root["_children"])


def events_of(text: str) -> list[dict[str, Any]]:
    (calendar,) = parse_ics(text)
    assert calendar["_name"] == "VCALENDAR" and calendar["VERSION"] == ["2.0"]
    return [c for c in calendar["_children"] if c["_name"] == "VEVENT"]


def soon(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


async def delete(api: Api, path: str) -> ClientResponse:
    return await api.client.delete(path, headers=api._headers())


async def agenda(api: Api, query: str = "") -> dict[str, Any]:
    response = await api.get(f"/api/agenda{query}")
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def new_feed(api: Api, language: str = "fr") -> str:
    response = await api.post("/api/agenda/feed", {"language": language})
    assert response.status == 201, await response.text()
    body = await response.json()
    url: str = body["url"]
    assert url.startswith("http://127.0.0.1/agenda/") and url.endswith(".ics")
    return urlsplit(url).path


async def fetch(server: TestServer, path: str) -> ClientResponse:
    """As a calendar app: a fresh client, no cookie."""
    async with ClientSession() as app:
        response = await app.get(server.make_url(path))
        await response.read()
        return response


async def test_the_agenda_lists_my_sessions_of_every_case_sorted_in_the_window(
    anne: Api, bob: Api
) -> None:
    first = await create_case(anne)
    second = await create_case(anne, reference="2026-040", public_title="Médiation familiale")
    shared = await create_case(bob, reference="B-7", co_mediator_emails=["anne@example.org"])
    bobs = await create_case(bob, reference="B-8")
    late = await schedule(anne, first["id"], date="2030-03-14", time="14:30")
    early = await schedule(anne, second["id"], date="2030-03-10", time="09:00")
    co = await schedule(bob, shared["id"], date="2030-03-12", time="10:00")
    await schedule(bob, bobs["id"], date="2030-03-11", time="10:00")  # not anne's case
    await schedule(anne, first["id"], date="2030-06-01", time="10:00")  # out of the window
    await schedule(anne, second["id"], date="2030-02-28", time="22:30")  # before, in Paris

    body = await agenda(anne, "?start=2030-03-01&end=2030-03-31&tz=Europe/Paris")
    assert [s["id"] for s in body["sessions"]] == [early["id"], co["id"], late["id"]]
    assert body["start"] == "2030-03-01T00:00:00+01:00"
    assert body["truncated"] is False
    one = body["sessions"][2]
    assert one["case_id"] == first["id"] and one["case_reference"] == "2026-031"
    assert one["case_public_title"] == "Médiation de la consommation"
    assert one["timezone"] == "Europe/Paris" and one["local_start"].startswith("2030-03-14T14:30")
    assert one["ends_at"] == "2030-03-14T15:00:00Z" and one["duration_minutes"] == 90
    assert (one["role"], one["participants"], one["invited"], one["status"]) == (
        "lead", 3, 0, "scheduled",
    )  # fmt: skip
    assert body["sessions"][1]["role"] == "co"
    text = str(body)
    assert "Jeanne" not in text and "example.org" not in text and "travaux" not in text

    # bob sees his own cases, the shared one among them, never anne's
    bob_agenda = await agenda(bob, "?start=2030-03-01&end=2030-03-31")
    bobs_ids = [s["id"] for s in bob_agenda["sessions"]]
    assert co["id"] in bobs_ids and late["id"] not in bobs_ids and early["id"] not in bobs_ids


async def test_by_default_the_agenda_is_what_is_to_come(anne: Api) -> None:
    case = await create_case(anne)
    near = await schedule(anne, case["id"], date=soon(2), time="10:00")
    await schedule(anne, case["id"], date=soon(200), time="10:00")
    body = await agenda(anne)
    assert [s["id"] for s in body["sessions"]] == [near["id"]]


@pytest.mark.parametrize(
    "query",
    [
        "?start=2030-03-10&end=2030-03-01",
        "?start=2030-01-01&end=2031-06-01",
        "?start=1999-01-01",
        "?end=2030-13-01",
        "?tz=Nowhere/Land",
        "?tz=Europe%0AParis",
    ],
)
async def test_a_bad_window_is_refused(anne: Api, query: str) -> None:
    response = await anne.get(f"/api/agenda{query}")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "validation_error"


async def test_the_agenda_and_the_feed_settings_need_a_mediator(new_client: Any) -> None:
    api: Api = await new_client()
    for response in [
        await api.get("/api/agenda"),
        await api.get("/api/agenda/feed"),
        await api.post("/api/agenda/feed", {}),
        await delete(api, "/api/agenda/feed"),
    ]:
        assert response.status == 401


async def test_the_feed_carries_one_event_per_session_and_nothing_personal(
    server: TestServer, anne: Api, bob: Api
) -> None:
    case = await create_case(anne)
    other = await create_case(anne, reference="2026-040", public_title="Voisinage")
    sessions = [
        await schedule(anne, case["id"], date=soon(3), time="14:30"),
        await schedule(anne, other["id"], date=soon(1), time="09:00"),
        await schedule(anne, case["id"], date=soon(40), time="09:00"),
    ]
    await schedule(bob, (await create_case(bob, reference="B-1"))["id"], date=soon(2))
    assert (await anne.get("/api/agenda/feed")).status == 200
    assert (await (await anne.get("/api/agenda/feed")).json())["exists"] is False

    path = await new_feed(anne)
    response = await fetch(server, path)
    assert response.status == 200 and response.content_type == "text/calendar"
    text = (await response.read()).decode()
    events = events_of(text)
    by_uid = {e["UID"][0]: e for e in events}
    assert sorted(by_uid) == sorted(f"session-{s['id']}@127.0.0.1" for s in sessions)
    nearest = by_uid[f"session-{sessions[1]['id']}@127.0.0.1"]
    assert nearest["SUMMARY"] == ["Séance de médiation — Voisinage"]
    assert nearest["URL"] == [f"http://127.0.0.1/cases/{other['id']}"]
    assert nearest["DTSTART"] == [
        datetime.fromisoformat(sessions[1]["starts_at"]).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    ]
    assert nearest["STATUS"] == ["CONFIRMED"] and nearest["SEQUENCE"] == ["0"]
    assert "LAST-MODIFIED" in nearest and "DESCRIPTION" not in nearest
    for forbidden in ("Jeanne", "Martin", "Bati", "Girard", "@example.org", "/join", "travaux"):
        assert forbidden not in text.replace("\r\n ", "")
    for event in events:
        assert set(event) - {"_name", "_children"} <= {
            "UID", "DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY",
            "URL", "STATUS", "CLASS", "TRANSP",
        }  # fmt: skip

    # the UIDs stay the same from one fetch to the next; the state says it was used
    again = events_of((await (await fetch(server, path)).read()).decode())
    assert sorted(e["UID"][0] for e in again) == sorted(by_uid)
    state = await (await anne.get("/api/agenda/feed")).json()
    assert state["exists"] is True and state["last_used_at"] is not None
    assert state["language"] == "fr"


async def test_an_english_feed_speaks_english(server: TestServer, anne: Api) -> None:
    case = await create_case(anne)
    await schedule(anne, case["id"], date=soon(3))
    text = (await (await fetch(server, await new_feed(anne, "en"))).read()).decode()
    (event,) = events_of(text)
    assert event["SUMMARY"] == ["Mediation session — Médiation de la consommation"]


async def test_revoking_or_replacing_the_feed_ends_the_old_url(
    server: TestServer, anne: Api
) -> None:
    case = await create_case(anne)
    await schedule(anne, case["id"], date=soon(3))
    first = await new_feed(anne)
    assert (await fetch(server, first)).status == 200
    second = await new_feed(anne)
    assert second != first
    gone = await fetch(server, first)
    assert gone.status == 404 and gone.content_type == "application/json"
    assert (await fetch(server, second)).status == 200

    assert (await delete(anne, "/api/agenda/feed")).status == 204
    refused = await fetch(server, second)
    assert refused.status == 404
    assert await refused.json() == {"error": {"code": "not_found", "message": "no such calendar"}}
    assert (await (await anne.get("/api/agenda/feed")).json())["exists"] is False
    assert (await delete(anne, "/api/agenda/feed")).status == 204  # nothing left: still fine

    # creating and revoking are in the audit log, as account entries (no case)
    audit = server.app[SERVICES].records.audit
    entries = await audit.for_subject(
        f"mediator:{(await (await anne.get('/api/me')).json())['id']}"
    )
    actions = [e.action for e in entries]
    assert actions == ["agenda_feed.create", "agenda_feed.create", "agenda_feed.revoke"]
    assert [e.detail.get("replaced") for e in entries[:2]] == [False, True]
    assert {e.case_id for e in entries} == {None}
    assert all(e.via.startswith("api:") and "agenda/feed" in e.via for e in entries)


async def test_another_mediators_feed_never_shows_my_sessions(
    server: TestServer, anne: Api, bob: Api
) -> None:
    mine = await schedule(anne, (await create_case(anne))["id"], date=soon(3))
    his = await schedule(bob, (await create_case(bob, reference="B-1"))["id"], date=soon(4))
    await new_feed(anne)
    text = (await (await fetch(server, await new_feed(bob))).read()).decode()
    assert [e["UID"][0] for e in events_of(text)] == [f"session-{his['id']}@127.0.0.1"]
    assert mine["id"] not in text


async def test_unknown_tokens_answer_nothing(server: TestServer, anne: Api) -> None:
    await new_feed(anne)
    for path in ["/agenda/" + "A" * 43 + ".ics", "/agenda/x.ics", "/agenda/" + "a" * 65 + ".ics"]:
        response = await fetch(server, path)
        assert response.status in {400, 404}
        assert "calendar" not in response.content_type


async def test_a_disabled_account_has_no_feed(server: TestServer, anne: Api) -> None:
    await schedule(anne, (await create_case(anne))["id"], date=soon(3))
    path = await new_feed(anne)
    svc = server.app[SERVICES]
    async with svc.db.transaction() as s:
        await s.execute(update(MediatorRow).values(disabled=True))
    assert (await fetch(server, path)).status == 404


@pytest.fixture
async def logged_server(config: Config) -> AsyncIterator[TestServer]:
    app = await create_app(config, setup_code="SETUPCODE42")
    srv = TestServer(app)
    await srv.start_server(access_log_class=AccessLogger)  # as `palabre serve` runs it
    async with srv:
        yield srv


async def test_the_access_log_never_holds_the_token(
    logged_server: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    await add_mediator(logged_server, "anne@example.org")
    async with api_clients(logged_server) as make:
        anne = await make()
        assert (await anne.login("anne@example.org")).status == 200
        caplog.set_level(logging.DEBUG, logger="aiohttp.access")
        path = await new_feed(anne)
        token = path.removeprefix("/agenda/").removesuffix(".ics")
        assert (await fetch(logged_server, path)).status == 200
        assert (await delete(anne, "/api/agenda/feed")).status == 204
        assert (await fetch(logged_server, path)).status == 404
    lines = [r.getMessage() for r in caplog.records]
    assert any("GET /agenda/{token}.ics 200" in line for line in lines)
    assert any("GET /agenda/{token}.ics 404" in line for line in lines)
    assert all(token not in line for line in lines)


async def test_the_feed_follows_a_moved_then_cancelled_session(
    server: TestServer, anne: Api
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"], date=soon(3), time="14:30")
    path = await new_feed(anne)
    uid = f"session-{session['id']}@127.0.0.1"

    move = {"date": soon(5), "time": "10:00", "timezone": "Europe/Paris", "duration_minutes": 60}
    r = await anne.post(f"/api/sessions/{session['id']}/move", move)
    assert r.status == 200, await r.text()
    (moved,) = events_of((await (await fetch(server, path)).read()).decode())
    assert moved["UID"] == [uid] and moved["SEQUENCE"] == ["1"]
    assert moved["STATUS"] == ["CONFIRMED"]
    assert moved["DTSTART"] == [
        datetime.fromisoformat((await r.json())["starts_at"]).astimezone(UTC)
        .strftime("%Y%m%dT%H%M%SZ")
    ]  # fmt: skip

    assert (await anne.post(f"/api/sessions/{session['id']}/cancel")).status == 200
    (cancelled,) = events_of((await (await fetch(server, path)).read()).decode())
    assert cancelled["UID"] == [uid] and cancelled["SEQUENCE"] == ["2"]
    assert cancelled["STATUS"] == ["CANCELLED"]
