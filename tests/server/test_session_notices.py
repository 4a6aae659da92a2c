"""Moving and cancelling a session, and what participants invited by e-mail are told, through
the API, received by a real SMTP server (aiosmtpd), on SQLite and PostgreSQL: the notice
with the new time and the same calendar event (a higher SEQUENCE), the cancellation
(METHOD:CANCEL) and the link it stops, a new link after a revocation, both languages, and
the refusals (a past time, an unknown zone, an ended, cancelled or started session, another
mediator's case)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.config import Config
from server.context import SERVICES
from server.mail.worker import RetryPolicy
from sessions.durable import DurableState
from tests.dbfaults import inserts_refused
from tests.server.conftest import CASE, Api, create_case, make_config, schedule
from tests.smtp import MailServer, env

FAST = RetryPolicy(first=timedelta(milliseconds=50), cap=timedelta(milliseconds=200))
MOVE = {"date": "2030-03-21", "time": "09:15", "timezone": "Europe/Paris", "duration_minutes": 60}


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


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def calendar_of(message: EmailMessage) -> dict[str, str]:
    """The attached .ics, unfolded, parsed into its fields (the first of each name)."""
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    raw = attachment.get_content()
    ics = raw if isinstance(raw, str) else raw.decode()
    lines = ics.replace("\r\n ", "").split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR", lines
    out: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        out.setdefault(name, value)
    return out


def token_in(message: EmailMessage) -> str:
    [url] = re.findall(r"http://127\.0\.0\.1/join#([A-Za-z0-9._-]+)", text_of(message))
    return url


async def invite(api: Api, session_id: str, participant_id: str, language: str) -> None:
    r = await api.post(
        f"/api/sessions/{session_id}/links/{participant_id}/email", {"language": language}
    )
    assert r.status == 202, await r.text()


async def invited_case(anne: Api, smtp: MailServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case whose session Jeanne (fr) and Me Girard (en) were invited to by e-mail; Roux
    (no address) was not."""
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    jeanne, _, girard = case["participants"]
    await invite(anne, session["id"], jeanne["id"], "fr")
    await invite(anne, session["id"], girard["id"], "en")
    await smtp.wait_for(2)
    return case, session


async def error_of(response: Any) -> tuple[int, str]:
    body = await response.json()
    return response.status, body["error"]["code"]


async def test_a_moved_session_sends_each_invited_person_the_new_time_and_the_same_event(
    anne: Api, new_client: Any, smtp: MailServer, server: TestServer
) -> None:
    case, session = await invited_case(anne, smtp)
    invitations = {m["To"]: m for m in smtp.received}
    r = await anne.post(f"/api/sessions/{session['id']}/move", MOVE)
    assert r.status == 200, await r.text()
    moved = await r.json()
    assert moved["local_start"].startswith("2030-03-21T09:15")
    assert moved["notices_queued"] == 2
    received = await smtp.wait_for(4)
    notices = {m["To"]: m for m in received[2:]}
    assert set(notices) == {"jeanne@example.org", "girard@example.org"}
    fr, en = notices["jeanne@example.org"], notices["girard@example.org"]
    assert fr["Subject"] == "Séance de médiation déplacée — désormais le 21 mars 2030"
    assert en["Subject"] == "Mediation session moved — now 21 March 2030"
    assert "21 mars 2030 à 09:15" in text_of(fr) and "14 mars 2030 à 14:30" in text_of(fr)
    assert "21 March 2030 at 09:15" in text_of(en) and "60 minutes" in text_of(en)
    for to, notice in notices.items():
        assert CASE["title"] not in notice["Subject"] and "Girard" not in notice["Subject"]
        assert "<img" not in html_of(notice)
        before, after = calendar_of(invitations[to]), calendar_of(notice)
        assert after["UID"] == before["UID"]  # the same event: calendars update it
        assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
        assert after["DTSTART"] == "20300321T081500Z" and after["DTEND"] == "20300321T091500Z"
        # the same link (its id), still valid, from the notice and from the invitation
        for message in (notice, invitations[to]):
            party: Api = await new_client()
            joined = await party.post("/api/join", {"token": token_in(message)})
            assert joined.status == 200, await joined.text()
            assert (await joined.json())["local_start"].startswith("2030-03-21T09:15")
    links = await (await anne.get(f"/api/sessions/{session['id']}/links")).json()
    expires = {link["participant_id"]: link["expires_at"] for link in links["links"]}
    assert all(e.startswith("2030-03-21T11:15") for e in expires.values()), expires  # +2 h
    outbox = await (await anne.get(f"/api/cases/{case['id']}/outbox")).json()
    kinds = sorted(m["kind"] for m in outbox["messages"])
    assert kinds == ["invitation", "invitation", "session_moved", "session_moved"]
    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=50")).json()
    entries = [e for e in audit["entries"] if e["action"] == "session.moved"]
    assert len(entries) == 1 and "2030" not in str(entries[0])  # ids only, no time
    assert [e["action"] for e in audit["entries"]].count("mail.queued") == 4


async def test_a_cancelled_session_sends_a_cancel_event_and_refuses_its_links(
    anne: Api, new_client: Any, smtp: MailServer, server: TestServer
) -> None:
    case, session = await invited_case(anne, smtp)
    invitations = {m["To"]: m for m in smtp.received}
    r = await anne.post(f"/api/sessions/{session['id']}/cancel")
    assert r.status == 200, await r.text()
    assert (await r.json())["status"] == "cancelled"
    received = await smtp.wait_for(4)
    notices = {m["To"]: m for m in received[2:]}
    fr, en = notices["jeanne@example.org"], notices["girard@example.org"]
    assert fr["Subject"] == "Séance de médiation annulée — 14 mars 2030"
    assert en["Subject"] == "Mediation session cancelled — 14 March 2030"
    assert "est annulée" in text_of(fr) and "is cancelled" in text_of(en)
    for to, notice in notices.items():
        assert "join#" not in text_of(notice)  # no link: it opens nothing any more
        cancel = calendar_of(notice)
        assert cancel["METHOD"] == "CANCEL" and cancel["STATUS"] == "CANCELLED"
        assert cancel["UID"] == calendar_of(invitations[to])["UID"]
        assert int(cancel["SEQUENCE"]) > 0
        party: Api = await new_client()
        refused = await party.post("/api/join", {"token": token_in(invitations[to])})
        assert await error_of(refused) == (410, "session_cancelled")
        assert (await refused.json())["error"]["contact_email"] == "anne@example.org"
    links = await (await anne.get(f"/api/sessions/{session['id']}/links")).json()
    assert {link["status"] for link in links["links"]} == {"cancelled"}
    # a cancelled session cannot move or get new links; cancelling it again tells nobody twice
    sid = session["id"]
    assert await error_of(await anne.post(f"/api/sessions/{sid}/move", MOVE)) == (
        410, "session_cancelled",
    )  # fmt: skip
    again = await anne.post(f"/api/sessions/{sid}/cancel")
    assert again.status == 200 and (await again.json())["notices_queued"] == 0
    jeanne = case["participants"][0]
    assert (await error_of(await anne.post(f"/api/sessions/{sid}/links/{jeanne['id']}")))[1] == (
        "session_cancelled"
    )
    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=50")).json()
    assert [e["action"] for e in audit["entries"]].count("session.cancelled") == 1


async def test_only_people_invited_by_e_mail_are_told(
    anne: Api, smtp: MailServer, server: TestServer
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    jeanne = case["participants"][0]
    await invite(anne, session["id"], jeanne["id"], "en")
    await smtp.wait_for(1)
    r = await anne.post(f"/api/sessions/{session['id']}/move", MOVE)
    assert (await r.json())["notices_queued"] == 1  # Girard has an address, no invitation
    received = await smtp.wait_for(2)
    assert [m["To"] for m in received] == ["jeanne@example.org", "jeanne@example.org"]
    assert received[1]["Subject"].startswith("Mediation session moved")  # her language


async def test_a_new_link_after_a_revocation_goes_out_as_such(
    anne: Api, new_client: Any, smtp: MailServer, server: TestServer
) -> None:
    case, session = await invited_case(anne, smtp)
    jeanne = case["participants"][0]
    invitation = next(m for m in smtp.received if m["To"] == "jeanne@example.org")
    links = await (await anne.get(f"/api/sessions/{session['id']}/links")).json()
    jti = next(x["jti"] for x in links["links"] if x["participant_id"] == jeanne["id"])
    assert (await anne.post(f"/api/links/{jti}/revoke")).status == 204
    # one click: a new link, mailed in the language of her invitation
    r = await anne.post(f"/api/sessions/{session['id']}/links/{jeanne['id']}/email", {})
    assert r.status == 202, await r.text()
    queued = await r.json()
    assert (queued["kind"], queued["language"]) == ("new_link", "fr")
    [*_, mail] = await smtp.wait_for(3)
    assert mail["Subject"] == "Votre nouveau lien pour la séance de médiation — 14 mars 2030"
    assert "ne fonctionne plus" in text_of(mail)
    assert calendar_of(mail)["UID"] == calendar_of(invitation)["UID"]
    party: Api = await new_client()
    assert (await party.post("/api/join", {"token": token_in(mail)})).status == 200
    old = await party.post("/api/join", {"token": token_in(invitation)})
    assert await error_of(old) == (410, "link_revoked")


async def test_moving_refuses_bad_times_ended_or_started_sessions_and_strangers(
    anne: Api, bob: Api, server: TestServer
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    sid = session["id"]
    move = f"/api/sessions/{sid}/move"
    past = {**MOVE, "date": "2020-01-06"}
    assert await error_of(await anne.post(move, past)) == (400, "validation_error")
    zone = {**MOVE, "timezone": "Europe/Atlantis"}
    assert await error_of(await anne.post(move, zone)) == (400, "validation_error")
    long = {**MOVE, "duration_minutes": 10_000}
    assert (await anne.post(move, long)).status == 400
    assert await error_of(await bob.post(move, MOVE)) == (404, "not_found")
    assert await error_of(await bob.post(f"/api/sessions/{sid}/cancel")) == (404, "not_found")
    # someone took part in its room: it stays where it happened
    svc = server.app[SERVICES]
    claim = await svc.records.live.claim(case["id"], sid)
    await svc.records.live.save(
        case["id"], sid, claim.epoch, DurableState(took_part=frozenset({"p-x"})).to_record()
    )
    assert await error_of(await anne.post(move, MOVE)) == (409, "session_started")
    assert await error_of(await anne.post(f"/api/sessions/{sid}/cancel")) == (
        409, "session_started",
    )  # fmt: skip
    # an ended session
    other = await schedule(anne, case["id"], date="2030-04-01")
    await svc.schedule.set_status(other["id"], "ended")
    assert await error_of(await anne.post(f"/api/sessions/{other['id']}/move", MOVE)) == (
        410, "session_closed",
    )  # fmt: skip
    sessions = await (await anne.get(f"/api/cases/{case['id']}/sessions")).json()
    assert {s["local_start"][:10] for s in sessions["sessions"]} == {"2030-03-14", "2030-04-01"}


async def test_the_reminder_setting_is_the_cases_mediators_and_bounded(
    anne: Api, bob: Api, server: TestServer
) -> None:
    case = await create_case(anne)
    path = f"/api/cases/{case['id']}/reminder"
    assert (await (await anne.get(path)).json()) == {"hours": 24, "max_hours": 168}
    r = await anne.client.put(path, json={"hours": 48}, headers=anne._headers())
    assert r.status == 200 and (await r.json())["hours"] == 48
    assert (await (await anne.get(path)).json())["hours"] == 48
    for bad in (-1, 169, "x"):
        r = await anne.client.put(path, json={"hours": bad}, headers=anne._headers())
        assert await error_of(r) == (400, "validation_error")
    r = await bob.client.put(path, json={"hours": 0}, headers=bob._headers())
    assert r.status == 404
    assert (await bob.get(path)).status == 404
    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=50")).json()
    assert [e["action"] for e in audit["entries"]].count("case.reminder") == 1


async def refused_while_the_outbox_is(
    anne: Api, server: TestServer, path: str, body: Any = None
) -> dict[str, Any]:
    """``path`` posted while the database refuses new outbox rows: its error body."""
    async with inserts_refused(server.app[SERVICES].records.db, "mail_outbox"):
        failed = await anne.post(path, body) if body is not None else await anne.post(path)
        assert await error_of(failed) == (503, "server_busy")
    body_out: dict[str, Any] = await failed.json()
    return body_out


async def test_a_cancellation_whose_notices_failed_is_finished_by_cancelling_again(
    anne: Api, smtp: MailServer, server: TestServer
) -> None:
    case, session = await invited_case(anne, smtp)
    sid = session["id"]
    failed = await refused_while_the_outbox_is(anne, server, f"/api/sessions/{sid}/cancel")
    assert "do it again" in failed["error"]["message"]
    # the cancellation itself is stored: the links no longer open
    links = await (await anne.get(f"/api/sessions/{sid}/links")).json()
    assert {link["status"] for link in links["links"]} == {"cancelled"}
    r = await anne.post(f"/api/sessions/{sid}/cancel")
    assert r.status == 200 and (await r.json())["notices_queued"] == 2
    received = await smtp.wait_for(4)
    assert sorted(m["To"] for m in received[2:]) == ["girard@example.org", "jeanne@example.org"]
    assert all(calendar_of(m)["METHOD"] == "CANCEL" for m in received[2:])
    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=50")).json()
    assert [e["action"] for e in audit["entries"]].count("session.cancelled") == 1


async def test_a_move_whose_notices_failed_says_so_and_moving_again_tells_everyone(
    anne: Api, smtp: MailServer, server: TestServer
) -> None:
    _, session = await invited_case(anne, smtp)
    sid = session["id"]
    await refused_while_the_outbox_is(anne, server, f"/api/sessions/{sid}/move", MOVE)
    r = await anne.post(f"/api/sessions/{sid}/move", MOVE)
    assert r.status == 200 and (await r.json())["notices_queued"] == 2
    received = await smtp.wait_for(4)
    assert all("21" in m["Subject"] for m in received[2:])
