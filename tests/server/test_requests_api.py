"""Requests for a mediation from the public, through the API on a real app: refused field
by field, the honeypot, the flood limits, the queue, taking (a case with its people and
the consents), declining (a mail received by a real SMTP server), the purge's shredding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from records.models import utcnow
from records.rights.retention import DEFAULT_POLICIES, purge
from server.app import create_app
from server.config import Config
from server.context import SERVICES
from server.invites.request_withdrawal import WithdrawalTokens
from server.mail.worker import RetryPolicy
from tests.dbfaults import inserts_refused
from tests.server.conftest import Api, make_config
from tests.smtp import MailServer, env

FAST = RetryPolicy(first=timedelta(milliseconds=50), cap=timedelta(milliseconds=200))


@pytest.fixture
async def smtp() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def config(tmp_path: Path, db_url: str, smtp: MailServer) -> Config:
    # behind a trusted proxy, so that a test can come from several addresses
    return make_config(tmp_path, db_url, PALABRE_TRUST_FORWARDED="true", **env(smtp))


@pytest.fixture
async def server(config: Config) -> AsyncIterator[TestServer]:
    app = await create_app(config, setup_code="SETUPCODE42", mail_policy=FAST)
    async with TestServer(app) as srv:
        yield srv


async def form(api: Api, language: str = "fr", **overrides: Any) -> dict[str, Any]:
    notice = await (await api.get(f"/api/requests/notice?language={language}")).json()
    return {
        "name": "Jeanne Martin",
        "email": "jeanne@example.org",
        "phone": "+33 6 12 34 56 78",
        "other_name": "Paul Roux",
        "other_contact": "paul.roux@example.org",
        "kind": "neighbourhood",
        "description": "Le bruit de la terrasse du voisin tous les soirs depuis juin.",
        "language": language,
        "notice_version": notice["version"],
        "agreed": ["request_handling", "request_contact_other"],
        **overrides,
    }


async def send(api: Api, body: dict[str, Any], address: str = "10.0.0.1") -> Any:
    return await api.post("/api/requests", body, headers={"X-Forwarded-For": address})


async def queue(api: Api, state: str = "new") -> list[dict[str, Any]]:
    response = await api.get(f"/api/requests?state={state}")
    assert response.status == 200, await response.text()
    found: list[dict[str, Any]] = (await response.json())["requests"]
    return found


async def stored(server: TestServer) -> int:
    return len(await server.app[SERVICES].records.requests.list_requests())


async def test_the_notice_names_its_version_and_the_purposes(new_client: Any) -> None:
    api = await new_client()
    for language in ("fr", "en"):
        response = await api.get(f"/api/requests/notice?language={language}")
        assert response.status == 200
        notice = await response.json()
        assert notice["kind"] == "request_privacy" and notice["language"] == language
        assert notice["version"] >= 1 and len(notice["sha256"]) == 64
        assert {"name": "request_handling", "required": True} in notice["purposes"]
        assert {"name": "request_contact_other", "required": False} in notice["purposes"]
        assert "neighbourhood" in notice["kinds"]


async def test_bad_input_is_refused_field_by_field(new_client: Any, server: TestServer) -> None:
    api = await new_client()
    response = await send(api, {})
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "validation_error"
    reasons = {f["field"]: f["reason"] for f in error["fields"]}
    assert reasons == {
        "name": "required",
        "email": "required",
        "kind": "required",
        "description": "required",
        "notice_version": "outdated_notice",
        "agreed.request_handling": "consent_required",
    }
    assert all(f["message"].startswith(f["field"]) for f in error["fields"])

    bad = await form(
        api, name="x" * 121, email="jeanne.example.org", phone="call me maybe", kind="divorce",
        description="court", other_name="Paul\nRoux", agreed=["request_contact_other"],
    )  # fmt: skip
    error = (await (await send(api, bad)).json())["error"]
    assert {f["field"]: f["reason"] for f in error["fields"]} == {
        "name": "too_long",
        "email": "invalid_email",
        "phone": "invalid_phone",
        "other_name": "one_line",
        "kind": "unknown_kind",
        "description": "too_short",
        "agreed.request_handling": "consent_required",
    }
    error = (await (await send(api, await form(api, notice_version=999))).json())["error"]
    assert [(f["field"], f["reason"]) for f in error["fields"]] == [
        ("notice_version", "outdated_notice")
    ]
    assert await stored(server) == 0
    # blank is blank: spaces only are not a name
    error = (await (await send(api, await form(api, name="   "))).json())["error"]
    assert [(f["field"], f["reason"]) for f in error["fields"]] == [("name", "required")]


async def test_a_filled_honeypot_gets_the_same_answer_and_nothing_is_stored(
    new_client: Any, server: TestServer
) -> None:
    api = await new_client()
    trap = await send(api, await form(api, website="http://spam.example"))
    real = await send(api, await form(api, email="autre@example.org"), "10.0.0.2")
    assert trap.status == real.status == 202
    trapped, received = await trap.json(), await real.json()
    assert trapped.keys() == received.keys() == {"received", "withdrawal"}
    assert trapped["received"] is received["received"] is True
    assert await stored(server) == 1
    # its token withdraws nothing, and says so as a real one would
    r = await api.post("/api/requests/withdraw", {"token": trapped["withdrawal"]})
    assert (r.status, await r.json()) == (200, {"state": "withdrawn"})
    assert await stored(server) == 1


async def test_a_flood_from_one_address_is_throttled(new_client: Any, server: TestServer) -> None:
    api = await new_client()
    for i in range(3):
        response = await send(api, await form(api, email=f"p{i}@example.org"))
        assert response.status == 202
    refused = await send(api, await form(api, email="p9@example.org"))
    assert refused.status == 429
    assert (await refused.json())["error"]["code"] == "throttled"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    other = await send(api, await form(api, email="p9@example.org"), "10.0.0.9")
    assert other.status == 202  # another address is not held up
    assert await stored(server) == 4


async def test_a_flood_for_one_email_is_throttled_whatever_the_address(
    new_client: Any, server: TestServer
) -> None:
    api = await new_client()
    for i in range(3):
        assert (await send(api, await form(api), f"10.1.0.{i}")).status == 202
    refused = await send(api, await form(api, email="JEANNE@example.org"), "10.1.0.9")
    assert refused.status == 429 and "Retry-After" in refused.headers
    assert await stored(server) == 3


async def test_the_queue_is_for_mediators_only(
    anne: Api, new_client: Any, server: TestServer
) -> None:
    public = await new_client()
    assert (await send(public, await form(public))).status == 202
    [item] = await queue(anne)
    assert set(item) == {
        "id", "created_at", "state", "kind", "language", "decided_at", "case_id", "readable",
    }  # fmt: skip
    for path in ("/api/requests", f"/api/requests/{item['id']}"):
        response = await public.get(path)
        assert response.status == 401
    for action in ("take", "decline"):
        response = await public.post(f"/api/requests/{item['id']}/{action}", {"message": "non"})
        assert response.status == 401
    # a party's personal link is no mediator's cookie
    response = await public.client.get(
        "/api/requests", headers={"Authorization": "Bearer whatever.token"}
    )
    assert response.status == 401
    assert (await queue(anne))[0]["state"] == "new"


async def test_reading_a_request_is_audited_and_shows_its_consents(
    anne: Api, new_client: Any, server: TestServer
) -> None:
    public = await new_client()
    body = await form(public, agreed=["request_handling"])
    assert (await send(public, body)).status == 202
    [item] = await queue(anne)
    detail = await (await anne.get(f"/api/requests/{item['id']}")).json()
    assert detail["content"]["name"] == "Jeanne Martin"
    assert detail["content"]["description"] == body["description"]
    assert detail["agreed"] == {"request_handling": True, "request_contact_other": False}
    records = server.app[SERVICES].records
    entries = await records.audit.for_subject(f"request:{item['id']}")
    assert [e.action for e in entries] == ["request.received", "request.read"]


async def test_a_taken_request_becomes_a_case_with_its_people(
    anne: Api, bob: Api, new_client: Any, server: TestServer
) -> None:
    public = await new_client()
    assert (await send(public, await form(public))).status == 202
    [item] = await queue(anne)
    response = await anne.post(f"/api/requests/{item['id']}/take")
    assert response.status == 201, await response.text()
    case_id = (await response.json())["case_id"]
    assert (await bob.post(f"/api/requests/{item['id']}/take")).status == 409

    case = await (await anne.get(f"/api/cases/{case_id}")).json()
    assert case["mediation_type"] == "neighbourhood"
    people = [(p["display_name"], p["email"], p["role"]) for p in case["participants"]]
    assert people == [
        ("Jeanne Martin", "jeanne@example.org", "party"),
        ("Paul Roux", "paul.roux@example.org", "party"),
    ]
    assert [m["role"] for m in case["mediators"]] == ["lead"]
    assert "+33 6 12 34 56 78" in case["description"]
    assert "terrasse du voisin" in case["description"]

    records = server.app[SERVICES].records
    requester = case["participants"][0]["id"]
    carried = await records.consent.history(requester)
    notice = await records.notices.current("request_privacy", "fr")
    assert {(e.purpose, e.decision) for e in carried} == {
        ("request_handling", "given"), ("request_contact_other", "given"),
    }  # fmt: skip
    for e in carried:
        assert e.session_id == item["id"]  # the request it comes from
        assert (e.text_version, e.text_sha256, e.language) == (
            notice.version, notice.sha256, "fr",
        )  # fmt: skip
    at_submission = await records.consent.history(item["id"])
    assert [e.at for e in at_submission] < [e.at for e in carried]
    assert (await records.consent.verify()).ok

    [taken] = await queue(anne, "taken")
    assert taken["case_id"] == case_id and taken["readable"] is False
    assert (await queue(anne)) == []


async def test_a_taken_requests_addresses_are_sealed_in_the_case(
    anne: Api, new_client: Any, server: TestServer, db_url: str
) -> None:
    from sqlalchemy import text

    from records.db import Database

    public = await new_client()
    assert (await send(public, await form(public))).status == 202
    [item] = await queue(anne)
    response = await anne.post(f"/api/requests/{item['id']}/take")
    assert response.status == 201, await response.text()
    case = await (await anne.get(f"/api/cases/{(await response.json())['case_id']}")).json()
    assert [p["email"] for p in case["participants"]] == [
        "jeanne@example.org", "paul.roux@example.org",
    ]  # fmt: skip
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT * FROM participants"))).all()
    finally:
        await db.close()
    assert len(rows) == 2
    for secret in ("jeanne@example.org", "paul.roux@example.org", "example.org"):
        assert secret not in repr(rows)
    assert all(r._mapping["email"] is None and r._mapping["email_sealed"] for r in rows)


async def test_two_mediators_taking_at_once_open_one_case(
    anne: Api, bob: Api, new_client: Any, server: TestServer
) -> None:
    public = await new_client()
    assert (await send(public, await form(public))).status == 202
    [item] = await queue(anne)
    path = f"/api/requests/{item['id']}/take"
    answers = await asyncio.gather(anne.post(path), bob.post(path))
    assert sorted(a.status for a in answers) == [201, 409]
    cases = [
        *(await (await anne.get("/api/cases")).json())["cases"],
        *(await (await bob.get("/api/cases")).json())["cases"],
    ]
    assert len(cases) == 1


async def test_a_declined_request_is_answered_by_mail_in_the_requesters_language(
    anne: Api, new_client: Any, server: TestServer, smtp: MailServer
) -> None:
    public = await new_client()
    assert (await send(public, await form(public, language="en"))).status == 202
    [item] = await queue(anne)
    message = "We only handle family disputes.\nTry the town's conciliator <b>please</b>."
    response = await anne.post(f"/api/requests/{item['id']}/decline", {"message": message})
    assert response.status == 200, await response.text()
    assert (await response.json())["state"] == "declined"
    [received] = await smtp.wait_for(1)
    assert received["To"] == "jeanne@example.org"
    assert received["Subject"] == "Your mediation request"
    text = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert text is not None and html is not None
    assert "Hello Jeanne Martin" in text.get_content()
    assert "only handle family disputes" in text.get_content()
    assert "destroyed 30 days from now" in text.get_content()  # the retention policy's
    assert "&lt;b&gt;please&lt;/b&gt;" in html.get_content()
    assert (await anne.post(f"/api/requests/{item['id']}/take")).status == 409
    [declined] = await queue(anne, "declined")
    assert declined["readable"] is True  # until the end of its retention


async def test_a_decline_whose_answer_cannot_be_stored_leaves_the_request_in_the_queue(
    anne: Api, new_client: Any, server: TestServer, smtp: MailServer
) -> None:
    public = await new_client()
    assert (await send(public, await form(public))).status == 202
    [item] = await queue(anne)
    records = server.app[SERVICES].records
    decline = {"message": "Nous ne traitons pas ce type de litige."}
    async with inserts_refused(records.db, "mail_outbox"):
        failed = await anne.post(f"/api/requests/{item['id']}/decline", decline)
        assert failed.status == 503, await failed.text()
        error = (await failed.json())["error"]
        assert error["code"] == "server_busy" and "decline it again" in error["message"]
    # never declined without its answer: still new, takeable, nobody told anything
    assert [r["id"] for r in await queue(anne)] == [item["id"]]
    assert await queue(anne, "declined") == []
    actions = [e.action for e in await records.audit.for_subject(f"request:{item['id']}")]
    assert "request.declined" not in actions
    again = await anne.post(f"/api/requests/{item['id']}/decline", decline)
    assert again.status == 200, await again.text()
    [received] = await smtp.wait_for(1)
    assert received["To"] == "jeanne@example.org"
    actions = [e.action for e in await records.audit.for_subject(f"request:{item['id']}")]
    assert actions.count("request.declined") == 1 and actions.count("mail.queued") == 1


async def test_the_requester_withdraws_their_request_with_the_token_the_form_gave(
    anne: Api, new_client: Any, server: TestServer
) -> None:
    public = await new_client()
    sent = await send(public, await form(public))
    assert sent.status == 202
    token = (await sent.json())["withdrawal"]
    [item] = await queue(anne)
    records = server.app[SERVICES].records
    r = await public.post("/api/requests/withdraw", {"token": token})
    assert (r.status, await r.json()) == (200, {"state": "withdrawn"})
    assert await queue(anne) == []
    [withdrawn] = await queue(anne, "withdrawn")
    assert withdrawn["id"] == item["id"] and withdrawn["readable"] is False  # destroyed
    detail = await (await anne.get(f"/api/requests/{item['id']}")).json()
    assert detail["content"] is None
    consents = await records.consent.current(item["id"], item["id"])
    assert {p: e.decision for p, e in consents.items()} == {
        "request_handling": "withdrawn", "request_contact_other": "withdrawn",
    }  # fmt: skip
    actions = [e.action for e in await records.audit.for_subject(f"request:{item['id']}")]
    assert actions.count("request.withdrawn") == 1 and "request.shredded" in actions
    again = await public.post("/api/requests/withdraw", {"token": token})
    assert (again.status, await again.json()) == (200, {"state": "withdrawn"})
    assert (await anne.post(f"/api/requests/{item['id']}/take")).status == 409


async def test_a_taken_request_is_not_withdrawn_and_a_bad_token_is_refused(
    anne: Api, new_client: Any, server: TestServer
) -> None:
    public = await new_client()
    token = (await (await send(public, await form(public))).json())["withdrawal"]
    [item] = await queue(anne)
    assert (await anne.post(f"/api/requests/{item['id']}/take")).status == 201
    r = await public.post("/api/requests/withdraw", {"token": token})
    assert r.status == 409
    assert "will write to you" in (await r.json())["error"]["message"]
    [taken] = await queue(anne, "taken")
    assert taken["case_id"] is not None
    svc = server.app[SERVICES]
    assert svc.surveys is not None and svc.withdrawals is not None
    now = utcnow()
    forged = WithdrawalTokens(b"k" * 32).mint(item["id"], now, 90)
    expired = svc.withdrawals.mint(item["id"], now - timedelta(days=91), 90)
    for body, status, code in (
        ({"token": forged}, 401, "link_invalid"),
        ({"token": svc.surveys.mint(item["id"], now)}, 401, "link_invalid"),  # another purpose
        ({"token": "not.a.token"}, 401, "link_invalid"),
        ({"token": expired}, 410, "link_expired"),
        ({"token": ""}, 400, "validation_error"),
        ({}, 400, "validation_error"),
    ):
        r = await public.post("/api/requests/withdraw", body)
        assert (r.status, (await r.json())["error"]["code"]) == (status, code), body


async def test_the_purge_shreds_unanswered_and_declined_requests(
    anne: Api, new_client: Any, server: TestServer, smtp: MailServer
) -> None:
    public = await new_client()
    assert (await send(public, await form(public))).status == 202
    assert (await send(public, await form(public, email="b@example.org"), "10.0.0.2")).status == 202
    first, second = await queue(anne)
    decline = {"message": "Non, désolé."}
    assert (await anne.post(f"/api/requests/{second['id']}/decline", decline)).status == 200
    await smtp.wait_for(1)
    records = server.app[SERVICES].records
    store = records.requests

    counts = await purge(records, DEFAULT_POLICIES, utcnow() + timedelta(days=31))
    assert counts["requests_declined"] == 1 and counts["requests_unanswered"] == 0
    assert not await store.is_readable(second["id"])
    assert await store.is_readable(first["id"])

    counts = await purge(records, DEFAULT_POLICIES, utcnow() + timedelta(days=91))
    assert counts["requests_unanswered"] == 1
    assert not await store.is_readable(first["id"])
    assert (await anne.login("anne@example.org")).status == 200  # the purge ended sign-ins
    [expired] = await queue(anne, "expired")
    assert expired["id"] == first["id"] and expired["readable"] is False
    detail = await (await anne.get(f"/api/requests/{first['id']}")).json()
    assert detail["content"] is None
    assert (await anne.post(f"/api/requests/{first['id']}/take")).status == 409
    actions = [e.action for e in await records.audit.for_subject(f"request:{first['id']}")]
    assert "request.shredded" in actions


async def test_nothing_personal_is_stored_or_logged_in_clear(
    anne: Api, new_client: Any, server: TestServer, smtp: MailServer, db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from sqlalchemy import text

    from records.db import Database

    caplog.set_level("DEBUG")
    public = await new_client()
    body = await form(public)
    assert (await send(public, body)).status == 202
    [item] = await queue(anne)
    await anne.get(f"/api/requests/{item['id']}")
    decline = {"message": "Nous ne traitons pas ce type de litige."}
    assert (await anne.post(f"/api/requests/{item['id']}/decline", decline)).status == 200
    await smtp.wait_for(1)
    secrets = ["Jeanne", "jeanne@example.org", "12 34 56", "Roux", "terrasse", "ce type de litige"]
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            dumped = ""
            for table in ("public_requests", "mail_outbox", "consent_log", "audit_log"):
                rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
                dumped += repr(rows)
    finally:
        await db.close()
    ours = ("records", "server", "sessions", "signaling", "aiohttp")  # not the test SMTP server
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(ours))
    assert "public request" in logged
    for secret in secrets:
        assert secret not in dumped
        assert secret not in logged


async def test_the_openapi_document_describes_the_request_routes(new_client: Any) -> None:
    api = await new_client()
    doc = await (await api.get("/api/openapi.json")).json()
    paths = doc["paths"]
    assert "security" not in paths["/api/requests"]["post"]  # public
    assert "security" not in paths["/api/requests/notice"]["get"]
    for path, method in (
        ("/api/requests", "get"),
        ("/api/requests/{request_id}", "get"),
        ("/api/requests/{request_id}/take", "post"),
        ("/api/requests/{request_id}/decline", "post"),
    ):
        assert paths[path][method]["security"] == [{"cookie": []}]
    body = doc["components"]["schemas"]["RequestIn"]["properties"]
    assert {"name", "email", "kind", "description", "agreed", "website"} <= set(body)
    assert "fields" in doc["components"]["schemas"]["ErrorDetail"]["properties"]


async def test_a_take_that_fails_leaves_the_request_in_the_queue(
    anne: Api, new_client: Any, server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = await new_client()
    assert (await send(public, await form(public))).status == 202
    [item] = await queue(anne)
    store = server.app[SERVICES].records.requests

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store._cases, "create_case", broken)
    assert (await anne.post(f"/api/requests/{item['id']}/take")).status == 500
    monkeypatch.undo()
    [again] = await queue(anne)
    assert again["id"] == item["id"] and again["readable"] is True
    assert (await anne.post(f"/api/requests/{item['id']}/take")).status == 201
