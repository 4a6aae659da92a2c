from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from server.context import SERVICES
from server.session_host import CaseConsent
from tests.server.conftest import Api, create_case, issue, schedule


@pytest.fixture
async def link(anne: Api) -> dict[str, Any]:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    made = await issue(anne, session["id"], case["participants"][0]["id"])
    return {"token": made["url"].split("#", 1)[1], "session": session, "case": case}


async def texts(api: Api, lang: str = "fr") -> dict[str, Any]:
    result: dict[str, Any] = await (await api.get(f"/api/notices?lang={lang}")).json()
    return result


def consent_body(token: str, shown: dict[str, Any], decision: str = "given") -> dict[str, Any]:
    return {
        "token": token,
        "language": "fr",
        "shown": {
            "confidentiality": shown["confidentiality"]["version"],
            "privacy": shown["privacy"]["version"],
        },
        "decisions": {"mediation": decision, "privacy": decision},
        "typed_name": "Jeanne Martin",
    }


async def test_consent_is_recorded_per_purpose_with_text_version(
    server: TestServer, new_client: Any, link: dict[str, Any]
) -> None:
    party: Api = await new_client()
    shown = await texts(party)
    assert "21-3" in shown["confidentiality"]["body"]  # cites loi 95-125
    response = await party.post(
        "/api/join/consent",
        consent_body(link["token"], shown),
        headers={"User-Agent": "TestBrowser/1.0"},
    )
    assert response.status == 201
    assert await response.json() == {"consented": True}
    svc = server.app[SERVICES]
    pid = link["case"]["participants"][0]["id"]
    entries = await svc.records.consent.current(link["session"]["id"], pid, decrypt=True)
    assert set(entries) == {"mediation", "privacy"}
    assert entries["mediation"].text_sha256 == shown["confidentiality"]["sha256"]
    assert entries["privacy"].text_version == shown["privacy"]["version"]
    assert entries["mediation"].mechanism == {"form": "join-page", "user_agent": "TestBrowser/1.0"}
    consent = CaseConsent(svc.schedule, svc.records)
    version = await consent.version(link["session"]["id"])
    assert await consent.has_consent(link["session"]["id"], f"p-{pid}", version)


async def test_declining_is_recorded_and_needs_no_name(
    server: TestServer, new_client: Any, link: dict[str, Any]
) -> None:
    party: Api = await new_client()
    body = consent_body(link["token"], await texts(party), "declined")
    body["typed_name"] = ""
    response = await party.post("/api/join/consent", body)
    assert (response.status, await response.json()) == (201, {"consented": False})
    pid = link["case"]["participants"][0]["id"]
    entries = await server.app[SERVICES].records.consent.current(link["session"]["id"], pid)
    assert {e.decision for e in entries.values()} == {"declined"}


async def test_consent_needs_the_typed_name_the_current_texts_and_a_valid_link(
    new_client: Any, link: dict[str, Any]
) -> None:
    party: Api = await new_client()
    shown = await texts(party)
    body = consent_body(link["token"], shown)
    body["typed_name"] = ""
    assert (await party.post("/api/join/consent", body)).status == 400
    stale = consent_body(link["token"], shown)
    stale["shown"]["privacy"] = shown["privacy"]["version"] + 1
    response = await party.post("/api/join/consent", stale)
    assert response.status == 409
    response = await party.post("/api/join/consent", consent_body("forged.token.x", shown))
    assert (await response.json())["error"]["code"] == "link_invalid"
    pre_ticked = consent_body(link["token"], shown)
    pre_ticked["decisions"]["privacy"] = "yes"
    assert (await party.post("/api/join/consent", pre_ticked)).status == 400


async def test_publishing_a_new_version_asks_everyone_to_consent_again(
    server: TestServer, anne: Api, new_client: Any, link: dict[str, Any]
) -> None:
    party: Api = await new_client()
    shown = await texts(party)
    await party.post("/api/join/consent", consent_body(link["token"], shown))
    new_body = shown["privacy"]["body"] + "\n\nMise à jour : nouvel hébergeur."
    response = await anne.post(
        "/api/notices", {"kind": "privacy", "language": "fr", "body": new_body}
    )
    assert response.status == 201
    published = await response.json()
    assert published["version"] == shown["privacy"]["version"] + 1
    assert (await texts(party))["privacy"]["body"] == new_body
    svc = server.app[SERVICES]
    consent = CaseConsent(svc.schedule, svc.records)
    pid = link["case"]["participants"][0]["id"]
    version = await consent.version(link["session"]["id"])
    assert not await consent.has_consent(link["session"]["id"], f"p-{pid}", version)
    old = await svc.records.notices.get("privacy", "fr", shown["privacy"]["version"])
    assert old.body == shown["privacy"]["body"]  # every version is kept


async def test_only_mediators_publish_texts(new_client: Any) -> None:
    stranger: Api = await new_client()
    response = await stranger.post(
        "/api/notices", {"kind": "privacy", "language": "fr", "body": "x" * 40}
    )
    assert response.status == 401


async def test_parties_are_asked_about_the_cases_observers(
    server: TestServer, anne: Api, new_client: Any, link: dict[str, Any]
) -> None:
    response = await anne.post(
        f"/api/cases/{link['case']['id']}/participants",
        {"display_name": "Stagiaire Dubois", "role": "observer"},
    )
    assert response.status == 201
    party: Api = await new_client()
    info = await (await party.post("/api/join", {"token": link["token"]})).json()
    assert info["observers"] == ["Stagiaire Dubois"]
    shown = await texts(party)
    body = consent_body(link["token"], shown)
    assert (await party.post("/api/join/consent", body)).status == 400  # must answer
    body["decisions"]["observer"] = "declined"
    assert (await party.post("/api/join/consent", body)).status == 201
    pid = link["case"]["participants"][0]["id"]
    entries = await server.app[SERVICES].records.consent.current(
        link["session"]["id"], pid, decrypt=True
    )
    assert entries["observer_presence"].decision == "declined"
    assert entries["observer_presence"].mechanism["observers"] == "Stagiaire Dubois"
    assert entries["mediation"].decision == "given"  # declining an observer is not leaving
