"""Invitations by e-mail through the API, received by a real SMTP server (aiosmtpd),
on SQLite and PostgreSQL: both languages, text and HTML, the .ics, the link that opens the
join page, the outbox the case page lists, what the database holds in clear."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from records.models import MailRow
from server.app import create_app
from server.config import Config
from server.context import SERVICES
from server.mail.worker import RetryPolicy
from tests.server.conftest import CASE, Api, create_case, make_config, schedule
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
    return make_config(tmp_path, db_url, **env(smtp))


@pytest.fixture
async def server(config: Config) -> AsyncIterator[TestServer]:
    app = await create_app(config, setup_code="SETUPCODE42", mail_policy=FAST)
    async with TestServer(app) as srv:
        yield srv


def _parts(message: EmailMessage) -> dict[str, Any]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    attachments = list(message.iter_attachments())
    assert text is not None and html is not None
    return {
        "text": text.get_content(),
        "html": html.get_content(),
        "ics": [(a.get_filename(), a.get_content_type(), a.get_content()) for a in attachments],
    }


def _unfold(ics: str) -> dict[str, str]:
    lines = ics.replace("\r\n ", "").split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR", lines
    out: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        out.setdefault(name, value)
    return out


async def test_the_invitation_arrives_in_each_language_and_its_link_opens_the_join_page(
    anne: Api, new_client: Any, smtp: MailServer, server: TestServer
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    jeanne, _, girard = case["participants"]
    for who, lang in ((jeanne, "fr"), (girard, "en")):
        r = await anne.post(
            f"/api/sessions/{session['id']}/links/{who['id']}/email", {"language": lang}
        )
        assert r.status == 202, await r.text()
        queued = await r.json()
        assert queued["state"] in {"waiting", "sending", "sent"}
        assert queued["recipient_name"] == who["display_name"]
    received = await smtp.wait_for(2)
    by_to = {m["To"]: m for m in received}
    assert set(by_to) == {"jeanne@example.org", "girard@example.org"}
    fr, en = by_to["jeanne@example.org"], by_to["girard@example.org"]
    assert fr["Subject"] == "Invitation à une séance de médiation — 14 mars 2030"
    assert en["Subject"] == "Invitation to a mediation session — 14 March 2030"
    for message in (fr, en):
        assert message["From"] == "mediation@palabre.test"
        assert CASE["title"] not in message["Subject"]  # nothing confidential in the subject
        assert "Girard" not in fr["Subject"] and "Martin" not in en["Subject"]
    parts_fr, parts_en = _parts(fr), _parts(en)
    assert (
        "Bonjour Jeanne Martin" in parts_fr["text"] and "14 mars 2030 à 14:30" in parts_fr["text"]
    )
    assert (
        "Hello Me Paul Girard" in parts_en["text"] and "14 March 2030 at 14:30" in parts_en["text"]
    )
    for parts in (parts_fr, parts_en):
        assert "<img" not in parts["html"]  # no tracking pixel
        [(filename, content_type, ics)] = parts["ics"]
        assert (filename, content_type) == ("mediation.ics", "text/calendar")
        fields = _unfold(ics if isinstance(ics, str) else ics.decode())
        assert fields["DTSTART"] == "20300314T133000Z"  # 14:30 in Paris
        assert fields["DTEND"] == "20300314T150000Z"
        [url] = re.findall(r"http://127\.0\.0\.1/join#[A-Za-z0-9._-]+", parts["text"])
        assert fields["URL"] == url
        # the HTML carries the same link, and only it
        assert re.findall(r'href="([^"]+)"', parts["html"]) == [url]
        token = url.partition("#")[2]
        party: Api = await new_client()
        joined = await party.post("/api/join", {"token": token})
        assert joined.status == 200, await joined.text()
        assert (await joined.json())["participant_name"] in {"Jeanne Martin", "Me Paul Girard"}

    # the link mailed is the one the case page shows to copy (not a new one)
    links = await (await anne.get(f"/api/sessions/{session['id']}/links")).json()
    shown = {link["participant_id"]: link["url"] for link in links["links"]}
    assert shown[jeanne["id"]] in parts_fr["text"]

    outbox = await (await anne.get(f"/api/cases/{case['id']}/outbox")).json()
    assert outbox["smtp_configured"] is True
    assert sorted(m["state"] for m in outbox["messages"]) == ["sent", "sent"]
    listing = str(outbox)
    assert "example.org" not in listing and "join#" not in listing  # no address, no body
    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=50")).json()
    actions = [e["action"] for e in audit["entries"]]
    assert actions.count("mail.queued") == 2 and actions.count("mail.sent") == 2


async def test_the_stored_rows_hold_no_address_subject_or_link_in_clear(
    anne: Api, smtp: MailServer, server: TestServer, db_url: str
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    jeanne = case["participants"][0]
    r = await anne.post(f"/api/sessions/{session['id']}/links/{jeanne['id']}/email", {})
    assert r.status == 202
    [message] = await smtp.wait_for(1)
    token = re.findall(r"join#([A-Za-z0-9._-]+)", _parts(message)["text"])[0]
    secrets_ = [b"jeanne@example.org", "séance".encode(), token.encode(), b"Invitation"]
    svc = server.app[SERVICES]
    async with svc.db.transaction() as s:
        rows = (await s.execute(select(MailRow.__table__))).all()
    assert len(rows) == 1
    raw = repr(tuple(rows[0])).encode() + b"".join(v for v in rows[0] if isinstance(v, bytes))
    for secret in secrets_:
        assert secret not in raw
    if db_url.startswith("sqlite"):
        path = Path(db_url.partition(":///")[2])
        data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        # the address is in the participants table (the case's own record); the message's
        # subject and the personal link are nowhere in the file
        for secret in (token.encode(), "séance de médiation —".encode()):
            assert secret not in data


async def test_a_participant_without_an_address_cannot_be_mailed(
    anne: Api, server: TestServer
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    roux = case["participants"][1]
    r = await anne.post(f"/api/sessions/{session['id']}/links/{roux['id']}/email", {})
    assert r.status == 400
    assert "e-mail" in (await r.json())["error"]["message"]


async def test_only_the_cases_mediators_may_send_or_see_its_mail(
    anne: Api, bob: Api, server: TestServer
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    jeanne = case["participants"][0]
    r = await bob.post(f"/api/sessions/{session['id']}/links/{jeanne['id']}/email", {})
    assert r.status == 404
    assert (await bob.get(f"/api/cases/{case['id']}/outbox")).status == 404


async def _outbox(api: Api, case_id: str) -> list[dict[str, Any]]:
    body = await (await api.get(f"/api/cases/{case_id}/outbox")).json()
    messages: list[dict[str, Any]] = body["messages"]
    return messages


async def test_smtp_down_then_up_across_a_restart_sends_once(tmp_path: Path, db_url: str) -> None:
    from tests.server.conftest import add_mediator, api_clients

    smtp = MailServer()  # not started: nothing listens on its port yet
    config = make_config(tmp_path, db_url, **env(smtp))
    app = await create_app(config, mail_policy=FAST)
    async with TestServer(app) as first, api_clients(first) as make:
        await add_mediator(first, "anne@example.org")
        anne = await make()
        assert (await anne.login("anne@example.org")).status == 200
        case = await create_case(anne)
        session = await schedule(anne, case["id"])
        jeanne, _, girard = case["participants"]
        r = await anne.post(f"/api/sessions/{session['id']}/links/{jeanne['id']}/email", {})
        assert r.status == 202
        for _ in range(200):  # the worker tries, fails, and waits a little longer each time
            [mail] = await _outbox(anne, case["id"])
            if mail["attempts"] >= 2:
                break
            await asyncio.sleep(0.05)
        assert mail["state"] in {"waiting", "sending"} and mail["attempts"] >= 2
    # the node stops (its worker with it) and starts again; the server is up now
    await smtp.start()
    try:
        app = await create_app(config, mail_policy=FAST)
        async with TestServer(app) as second, api_clients(second) as make:
            anne = await make()
            assert (await anne.login("anne@example.org")).status == 200
            [message] = await smtp.wait_for(1)
            assert message["To"] == "jeanne@example.org"
            # a sentinel: the next message arrives, and Jeanne's was not sent again
            r = await anne.post(f"/api/sessions/{session['id']}/links/{girard['id']}/email", {})
            assert r.status == 202
            received = await smtp.wait_for(2)
            assert [m["To"] for m in received] == ["jeanne@example.org", "girard@example.org"]
            states = {m["participant_id"]: m for m in await _outbox(anne, case["id"])}
            assert states[jeanne["id"]]["state"] == "sent"
            assert states[jeanne["id"]]["attempts"] >= 3
    finally:
        await smtp.stop()
