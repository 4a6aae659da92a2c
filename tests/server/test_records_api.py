from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer

from server.context import SERVICES
from tests.server.conftest import Api, create_case
from tests.server.test_practice_api import CLOSING, put


async def test_private_notes_are_for_the_cases_mediators_only(anne: Api, bob: Api) -> None:
    case = await create_case(anne)
    base = f"/api/cases/{case['id']}/notes"
    created = await anne.post(base, {"body": "Tension forte entre les parties."})
    assert created.status == 201
    note = await created.json()
    assert note["version"] == 1
    edited = await anne.client.put(
        f"{base}/{note['id']}", json={"body": "v2"}, headers=anne._headers()
    )
    assert edited.status == 200 and (await edited.json())["version"] == 2
    listed = await (await anne.get(base)).json()
    assert [n["body"] for n in listed["notes"]] == ["v2"]
    for response in (
        await bob.get(base),
        await bob.post(base, {"body": "intrus"}),
        await bob.get(f"/api/cases/{case['id']}/audit"),
    ):
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"
    bad = await anne.post(base, {"body": ""})
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "validation_error"
    gone = await anne.client.delete(f"{base}/{note['id']}", headers=anne._headers())
    assert gone.status == 204
    assert (await (await anne.get(base)).json())["notes"] == []


async def test_the_audit_trail_shows_reads_and_writes(anne: Api) -> None:
    case = await create_case(anne)
    await anne.get(f"/api/cases/{case['id']}")
    await anne.post(f"/api/cases/{case['id']}/notes", {"body": "secret"})
    response = await anne.get(f"/api/cases/{case['id']}/audit?limit=2")
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    assert [e["action"] for e in body["entries"]] == ["item.write", "item.read"]
    assert body["entries"][0]["via"] == "api:POST /api/cases/{case_id}/notes"
    assert "secret" not in str(body)
    more = await anne.get(f"/api/cases/{case['id']}/audit?before={body['next_before']}")
    assert more.status == 200
    assert (await anne.get(f"/api/cases/{case['id']}/audit?limit=x")).status == 400


async def test_export_and_erase_a_participant(anne: Api, bob: Api, server: TestServer) -> None:
    case = await create_case(anne)
    jeanne = case["participants"][0]["id"]
    url = f"/api/cases/{case['id']}/participants/{jeanne}"
    records = server.app[SERVICES].records
    await records.casefile.put_item(
        case["id"], "chat", b"<script>x</script>", actor="participant:x", via="t",  # type: ignore[arg-type]
        provided_by=jeanne,
    )  # fmt: skip
    as_json = await anne.get(f"{url}/export")
    assert as_json.status == 200
    doc = await as_json.json()
    assert doc["participant"]["display_name"] == "Jeanne Martin"
    assert doc["provided"][0]["text"] == "<script>x</script>"
    page = await anne.get(f"{url}/export?format=html")
    text = await page.text()
    assert page.content_type == "text/html" and "<script>x" not in text
    assert (await bob.get(f"{url}/export")).status == 404
    assert (await bob.post(f"{url}/erase")).status == 404
    erased = await anne.post(f"{url}/erase")
    assert erased.status == 200
    report = await erased.json()
    assert report["kept"] and report["erased"]
    case_now = await (await anne.get(f"/api/cases/{case['id']}")).json()
    assert case_now["participants"][0]["display_name"] == "[erased]"


async def test_new_routes_are_in_the_openapi_document(anne: Api) -> None:
    doc = await (await anne.get("/api/openapi.json")).json()
    paths = doc["paths"]
    assert "put" in paths["/api/cases/{case_id}/notes/{note_id}"]
    assert "get" in paths["/api/cases/{case_id}/audit"]
    assert "post" in paths["/api/cases/{case_id}/participants/{participant_id}/erase"]


async def test_legal_hold_keeps_items_on_erasure_and_close(
    anne: Api, bob: Api, server: TestServer
) -> None:
    case = await create_case(anne)
    jeanne = case["participants"][0]["id"]
    records = server.app[SERVICES].records
    doc = await records.casefile.put_item(
        case["id"], "document", b"pdf", actor="t", via="t", provided_by=jeanne,  # type: ignore[arg-type]
    )  # fmt: skip
    hold = f"/api/cases/{case['id']}/legal-hold"
    assert (await bob.post(hold, {"on": True})).status == 404
    assert (await anne.post(hold, {"on": "yes"})).status == 400
    assert (await anne.post(hold, {"on": True})).status == 204
    erased = await anne.post(f"/api/cases/{case['id']}/participants/{jeanne}/erase")
    report = await erased.json()
    assert report["kept"][0]["why"] == "the case is under legal hold"
    assert (await records.casefile.get_item(doc.id, actor="t", via="t")).content == b"pdf"
    closing = f"/api/cases/{case['id']}/closing"
    assert (await put(bob, closing, CLOSING)).status == 404
    assert (await put(anne, closing, CLOSING)).status == 200
    body = await (await anne.get(f"/api/cases/{case['id']}")).json()
    assert body["status"] == "closed"
    trail = await (await anne.get(f"/api/cases/{case['id']}/audit")).json()
    assert {"case.close", "case.legal_hold", "subject.erase"} <= {
        e["action"] for e in trail["entries"]
    }


async def test_a_case_is_closed_by_one_route_that_audits_it_once(anne: Api) -> None:
    case = await create_case(anne)
    assert (await anne.post(f"/api/cases/{case['id']}/close")).status == 404  # no second way
    closing = f"/api/cases/{case['id']}/closing"
    assert (await put(anne, closing, CLOSING)).status == 200
    assert (await put(anne, closing, {**CLOSING, "departement": "75"})).status == 200  # corrected
    assert (await (await anne.get(f"/api/cases/{case['id']}")).json())["status"] == "closed"
    trail = await (await anne.get(f"/api/cases/{case['id']}/audit")).json()
    assert [e["action"] for e in trail["entries"]].count("case.close") == 1
