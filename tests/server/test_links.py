from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import update

from records.models import InviteLinkRow, utcnow
from server.context import SERVICES
from server.invites.signing import load_or_create_signing_key
from tests.server.conftest import Api, create_case, issue, schedule


def token_of(link: dict[str, Any]) -> str:
    url: str = link["url"]
    assert "/join#" in url
    return url.split("#", 1)[1]


async def join(api: Api, token: str) -> tuple[int, dict[str, Any]]:
    response = await api.post("/api/join", {"token": token})
    return response.status, await response.json()


@pytest.fixture
async def setup_links(anne: Api) -> dict[str, Any]:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    party = case["participants"][0]
    link = await issue(anne, session["id"], party["id"])
    return {"case": case, "session": session, "party": party, "link": link}


async def test_a_party_opens_their_link(new_client: Any, setup_links: dict[str, Any]) -> None:
    guest: Api = await new_client()
    status, body = await join(guest, token_of(setup_links["link"]))
    assert status == 200, body
    assert body["participant_name"] == "Jeanne Martin"
    assert body["case_title"] == "Médiation de la consommation"
    assert body["mediator_names"] == ["Anne Médiatrice"]
    assert body["role"] == "party"
    assert body["timezone"] == "Europe/Paris"
    assert body["local_start"].startswith("2030-03-14T14:30:00+01:00")
    assert body["starts_at"].startswith("2030-03-14T13:30:00")
    # never other participants' contact details, nor the confidential title
    text = json.dumps(body)
    assert "girard@example.org" not in text and "Bati+" not in text
    assert "Société Bati+" not in text and "travaux" not in text


async def test_link_lists_show_one_active_link_per_participant(
    anne: Api, setup_links: dict[str, Any]
) -> None:
    links = (await (await anne.get(f"/api/sessions/{setup_links['session']['id']}/links")).json())[
        "links"
    ]
    assert [x["status"] for x in links] == ["active", "active", "active"]
    assert links[0]["url"] == setup_links["link"]["url"]  # issued again: the new one


async def test_scheduling_a_session_creates_every_participants_link(anne: Api) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    links = (await (await anne.get(f"/api/sessions/{session['id']}/links")).json())["links"]
    assert [x["participant_id"] for x in links] == [p["id"] for p in case["participants"]]
    assert all(x["status"] == "active" and "/join#" in x["url"] for x in links), links
    guest_tokens = {x["url"].split("#", 1)[1] for x in links}
    assert len(guest_tokens) == len(links)


async def test_an_erased_participant_gets_no_link(anne: Api) -> None:
    case = await create_case(anne)
    erased = case["participants"][1]["id"]
    response = await anne.post(f"/api/cases/{case['id']}/participants/{erased}/erase", {})
    assert response.status in (200, 204), await response.text()
    session = await schedule(anne, case["id"])
    links = (await (await anne.get(f"/api/sessions/{session['id']}/links")).json())["links"]
    status = {x["participant_id"]: x["status"] for x in links}
    assert status[erased] == "none" and list(status.values()).count("active") == 2
    assert (await anne.post(f"/api/sessions/{session['id']}/links/{erased}")).status == 404


async def test_revoked_link_is_refused_with_a_contact(
    anne: Api, new_client: Any, setup_links: dict[str, Any]
) -> None:
    response = await anne.post(f"/api/links/{setup_links['link']['jti']}/revoke")
    assert response.status == 204
    guest: Api = await new_client()
    status, body = await join(guest, token_of(setup_links["link"]))
    assert status == 410
    assert body["error"]["code"] == "link_revoked"
    assert body["error"]["contact_email"] == "anne@example.org"


async def test_reissued_link_replaces_the_old_one(
    anne: Api, new_client: Any, setup_links: dict[str, Any]
) -> None:
    new = await issue(anne, setup_links["session"]["id"], setup_links["party"]["id"])
    guest: Api = await new_client()
    assert (await join(guest, token_of(setup_links["link"])))[1]["error"]["code"] == "link_revoked"
    assert (await join(guest, token_of(new)))[0] == 200


async def test_expired_link(
    server: TestServer, new_client: Any, setup_links: dict[str, Any]
) -> None:
    # past its time in the registry (the session's end and the grace after it), which
    # rules: a token's own exp is only when the link was issued (a session that moves takes
    # its links along, and the tokens already sent keep working at its new time)
    svc = server.app[SERVICES]
    async with svc.db.transaction() as s:
        await s.execute(
            update(InviteLinkRow)
            .where(InviteLinkRow.jti == setup_links["link"]["jti"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    guest: Api = await new_client()
    status, body = await join(guest, token_of(setup_links["link"]))
    assert status == 410
    assert body["error"]["code"] == "link_expired"
    assert body["error"]["contact_email"] == "anne@example.org"


async def test_a_token_past_its_own_exp_works_while_the_registry_says_the_link_does(
    server: TestServer, new_client: Any, setup_links: dict[str, Any]
) -> None:
    svc = server.app[SERVICES]
    key = load_or_create_signing_key(svc.config.signing_key_path)
    claims = jwt.decode(
        token_of(setup_links["link"]), key, algorithms=["HS256"], audience="palabre:join"
    )
    claims["exp"] = int((utcnow() - timedelta(minutes=1)).timestamp())  # its session moved
    earlier = jwt.encode(claims, key, algorithm="HS256")
    guest: Api = await new_client()
    status, _ = await join(guest, earlier)
    assert status == 200


def _tamper_payload(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{header}.{raw}.{signature}"


async def test_tampered_links_are_invalid(new_client: Any, setup_links: dict[str, Any]) -> None:
    token = token_of(setup_links["link"])
    guest: Api = await new_client()
    forged_role = _tamper_payload(token, role="counsel")
    forged_exp = _tamper_payload(token, exp=4102444800)
    other_key = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}), "x" * 32, algorithm="HS256"
    )
    none_alg = jwt.encode(jwt.decode(token, options={"verify_signature": False}), None, "none")
    for bad in [forged_role, forged_exp, other_key, none_alg, token[:-3], "garbage", "a.b.c"]:
        status, body = await join(guest, bad)
        assert status == 401, bad  # as on every route that takes a link
        assert body["error"]["code"] == "link_invalid"
        assert body["error"]["contact_email"] == ""


async def test_validly_signed_token_with_mismatched_role_is_refused(
    server: TestServer, new_client: Any, setup_links: dict[str, Any]
) -> None:
    key = load_or_create_signing_key(server.app[SERVICES].config.signing_key_path)
    claims = jwt.decode(
        token_of(setup_links["link"]), key, algorithms=["HS256"], audience="palabre:join"
    )
    claims["role"] = "observer"
    guest: Api = await new_client()
    status, body = await join(guest, jwt.encode(claims, key, algorithm="HS256"))
    assert (status, body["error"]["code"]) == (401, "link_invalid")


async def test_link_expires_after_the_session_end_plus_grace(
    setup_links: dict[str, Any],
) -> None:
    link = setup_links["link"]
    assert link["expires_at"].startswith("2030-03-14T17:00:00")  # 13:30Z + 90 min + 2 h


async def test_another_mediator_cannot_issue_revoke_or_list(
    bob: Api, setup_links: dict[str, Any]
) -> None:
    sid, pid = setup_links["session"]["id"], setup_links["party"]["id"]
    assert (await bob.post(f"/api/sessions/{sid}/links/{pid}")).status == 404
    assert (await bob.post(f"/api/links/{setup_links['link']['jti']}/revoke")).status == 404
    assert (await bob.get(f"/api/sessions/{sid}/links")).status == 404
    assert (await bob.get(f"/api/sessions/{sid}/links/{pid}/invitation.ics")).status == 404
    assert (await bob.get(f"/api/cases/{setup_links['case']['id']}/sessions")).status == 404


async def test_session_in_the_past_is_refused(anne: Api) -> None:
    case = await create_case(anne)
    response = await anne.post(
        f"/api/cases/{case['id']}/sessions",
        {"date": "2001-01-01", "time": "10:00", "timezone": "Europe/Paris"},
    )
    assert response.status == 400


@pytest.mark.parametrize(
    "body",
    [
        {"date": "2030-02-30", "time": "10:00"},
        {"date": "2030-03-01", "time": "25:00"},
        {"date": "2030-03-01", "time": "10:00", "timezone": "Mars/Olympus"},
        {"date": "2030-03-01", "time": "10:00", "duration_minutes": 5},
        {"date": "2030-03-01", "time": "10:00", "duration_minutes": "90"},
    ],
)
async def test_bad_schedules(anne: Api, body: dict[str, Any]) -> None:
    case = await create_case(anne)
    response = await anne.post(f"/api/cases/{case['id']}/sessions", body)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "validation_error"


async def test_calendar_invitation(anne: Api, setup_links: dict[str, Any]) -> None:
    sid, pid = setup_links["session"]["id"], setup_links["party"]["id"]
    response = await anne.get(f"/api/sessions/{sid}/links/{pid}/invitation.ics?lang=fr")
    assert response.status == 200
    assert response.content_type == "text/calendar"
    text = (await response.read()).decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert "DTSTART:20300314T133000Z\r\n" in text and "DTEND:20300314T150000Z\r\n" in text
    unfolded = text.replace("\r\n ", "")
    assert setup_links["link"]["url"] in unfolded
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "Bati+" not in unfolded  # another participant
