from __future__ import annotations

import io

import pytest
from aiohttp.test_utils import TestServer

from server.context import SERVICES
from tests.server.conftest import CASE, Api, add_mediator, create_case


async def test_create_list_open(anne: Api) -> None:
    case = await create_case(anne)
    assert case["public_title"] == "Médiation de la consommation"
    assert [p["role"] for p in case["participants"]] == ["party", "party", "counsel"]
    listed = await (await anne.get("/api/cases")).json()
    assert [c["id"] for c in listed["cases"]] == [case["id"]]
    opened = await (await anne.get(f"/api/cases/{case['id']}")).json()
    assert opened == case


async def test_public_title_defaults_to_title(anne: Api) -> None:
    case = await create_case(anne, public_title=None)
    assert case["public_title"] == CASE["title"]


async def test_another_mediator_gets_404(anne: Api, bob: Api) -> None:
    case = await create_case(anne)
    response = await bob.get(f"/api/cases/{case['id']}")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"
    assert (await (await bob.get("/api/cases")).json()) == {"cases": []}
    response = await bob.post(
        f"/api/cases/{case['id']}/participants", {"display_name": "Intrus", "role": "party"}
    )
    assert response.status == 404


async def test_co_mediator_sees_the_case(server: TestServer, anne: Api, bob: Api) -> None:
    case = await create_case(anne, co_mediator_emails=["BOB@example.org"])
    assert [m["role"] for m in case["mediators"]] == ["lead", "co"]
    assert (await bob.get(f"/api/cases/{case['id']}")).status == 200


async def test_unknown_co_mediator_is_a_clear_error(server: TestServer, anne: Api) -> None:
    response = await anne.post("/api/cases", {**CASE, "co_mediator_emails": ["x@example.org"]})
    assert response.status == 400
    assert "co_mediator_emails" in (await response.json())["error"]["message"]
    assert (await (await anne.get("/api/cases")).json()) == {"cases": []}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**CASE, "mediation_type": "divorce-express"}, "validation_error"),
        ({**CASE, "unexpected": 1}, "validation_error"),
        ({**CASE, "title": 42}, "validation_error"),
        ({**CASE, "title": "x" * 201}, "validation_error"),
        ({**CASE, "participants": [{"display_name": "A", "role": "judge"}]}, "validation_error"),
        ({**CASE, "participants": [{"display_name": "A", "role": "party"}] * 31},
         "validation_error"),
        ({**CASE, "participants": [{"display_name": "A", "role": "party", "email": "x"}]},
         "validation_error"),
        ([1, 2, 3], "validation_error"),
    ],
)  # fmt: skip
async def test_bad_bodies_are_refused_without_writing(anne: Api, body: object, code: str) -> None:
    response = await anne.post("/api/cases", body)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == code
    assert (await (await anne.get("/api/cases")).json()) == {"cases": []}


async def test_malformed_json_and_wrong_content_type(anne: Api) -> None:
    response = await anne.post(
        "/api/cases", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_json"
    response = await anne.post("/api/cases", data=b"a=b", headers={"Content-Type": "text/plain"})
    assert response.status == 415


async def test_oversized_body_is_413(anne: Api) -> None:
    response = await anne.post(
        "/api/cases",
        data=io.BytesIO(b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "payload_too_large"


async def test_unknown_ids_and_methods(anne: Api) -> None:
    assert (await anne.get("/api/cases/does-not-exist")).status == 404
    assert (await anne.get("/api/nothing-here")).status == 404
    response = await anne.client.delete("/api/cases", headers=anne._headers())
    assert response.status == 405
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_signed_out_is_401(server: TestServer, new_client: object) -> None:
    api: Api = await new_client()  # type: ignore[operator]
    response = await api.get("/api/cases")
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "not_authenticated"


async def test_description_is_not_in_the_case_list(anne: Api) -> None:
    await create_case(anne)
    listed = await (await anne.get("/api/cases")).json()
    assert "description" not in listed["cases"][0]


async def test_add_participant(server: TestServer, anne: Api) -> None:
    case = await create_case(anne)
    response = await anne.post(
        f"/api/cases/{case['id']}/participants",
        {"display_name": "Stagiaire", "role": "observer"},
    )
    assert response.status == 201
    await add_mediator(server, "x@example.org")
    svc = server.app[SERVICES]
    assert len((await svc.cases.get_case(case["id"], case["mediators"][0]["id"])).participants) == 4


async def test_media_encryption_is_required_unless_a_mediator_of_the_case_allows_otherwise(
    anne: Api, bob: Api
) -> None:
    case = await create_case(anne)
    assert case["media_encryption"] == "required"
    url = f"/api/cases/{case['id']}/media-encryption"
    assert (await bob.post(url, {"policy": "allowed"})).status == 404  # not his case
    refused = await anne.post(url, {"policy": "sometimes"})
    assert refused.status == 400
    assert (await refused.json())["error"]["code"] == "validation_error"
    assert (await anne.post(url, {"policy": "allowed"})).status == 204
    opened = await (await anne.get(f"/api/cases/{case['id']}")).json()
    assert opened["media_encryption"] == "allowed"
    trail = await (await anne.get(f"/api/cases/{case['id']}/audit")).json()
    assert "case.media_encryption" in [e["action"] for e in trail["entries"]]
    allowed_at_once = await create_case(anne, media_encryption="allowed")
    assert allowed_at_once["media_encryption"] == "allowed"
