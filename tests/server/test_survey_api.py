"""The survey over HTTP: a ballot only once the session has ended and once per link, an
answer spent once, bad input refused field by field, results k-anonymous and aggregate."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer

from server.context import SERVICES
from tests.server.conftest import Api, create_case, issue, schedule

GOOD = {"heard": 4, "understood": 5, "tool_worked": 3, "recommend": "yes", "comment": "Merci"}


async def _tokens(anne: Api, sessions: int = 1) -> tuple[list[str], list[str]]:
    """Each party's link token for each of ``sessions`` sessions of one case."""
    case = await create_case(anne)
    parties = [p["id"] for p in case["participants"] if p["role"] == "party"]
    tokens, ids = [], []
    for _ in range(sessions):
        session = await schedule(anne, case["id"])
        ids.append(session["id"])
        for pid in parties:
            tokens.append((await issue(anne, session["id"], pid))["url"].split("#", 1)[1])
    return tokens, ids


async def _end(server: TestServer, session_ids: list[str]) -> None:
    for sid in session_ids:
        await server.app[SERVICES].schedule.set_status(sid, "ended")


async def _ballot(anne: Api, token: str) -> tuple[int, dict[str, Any]]:
    response = await anne.post("/api/survey/ballot", {"token": token})
    return response.status, await response.json()


async def _answer(anne: Api, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    response = await anne.post("/api/survey/answers", body)
    return response.status, None if response.status == 204 else await response.json()


async def test_a_ballot_follows_an_ended_session_and_is_spent_once(
    server: TestServer, anne: Api
) -> None:
    tokens, ids = await _tokens(anne)
    status, body = await _ballot(anne, tokens[0])
    assert status == 409 and body["error"]["code"] == "conflict"  # not ended yet
    status, body = await _ballot(anne, "not-a-token")
    assert 400 <= status < 500 and body["error"]["code"] == "link_invalid"
    await _end(server, ids)
    status, body = await _ballot(anne, tokens[0])
    assert status == 201
    ballot = body["ballot"]
    again, refused = await _ballot(anne, tokens[0])
    assert again == 409 and "already" in refused["error"]["message"]
    assert (await _answer(anne, {"ballot": ballot, **GOOD}))[0] == 204
    status, error = await _answer(anne, {"ballot": ballot, **GOOD})
    assert status == 409 and error is not None
    assert error["error"]["code"] == "conflict" and "already" in error["error"]["message"]


async def test_only_the_parties_are_asked(server: TestServer, anne: Api) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    counsel = next(p["id"] for p in case["participants"] if p["role"] == "counsel")
    token = (await issue(anne, session["id"], counsel))["url"].split("#", 1)[1]
    await _end(server, [session["id"]])
    status, body = await _ballot(anne, token)
    assert status == 403 and body["error"]["code"] == "forbidden"


async def test_bad_answers_are_refused_field_by_field(server: TestServer, anne: Api) -> None:
    tokens, ids = await _tokens(anne)
    await _end(server, ids)
    ballot = (await _ballot(anne, tokens[0]))[1]["ballot"]
    bad: list[tuple[str, Any]] = [
        ("heard", 0), ("heard", 6), ("heard", "5"), ("understood", 9), ("tool_worked", -1),
        ("recommend", "maybe"), ("comment", "x" * 1001), ("comment", "a\x00b"), ("ballot", "!"),
    ]  # fmt: skip
    for field, value in bad:
        status, body = await _answer(anne, {"ballot": ballot, **GOOD, field: value})
        assert status == 400, (field, value)
        assert body is not None and body["error"]["code"] == "validation_error"
        assert field in body["error"]["message"], body
    for field in ("heard", "recommend", "ballot"):
        missing = {k: v for k, v in {"ballot": ballot, **GOOD}.items() if k != field}
        status, body = await _answer(anne, missing)
        assert status == 400 and body is not None and field in body["error"]["message"]
    status, body = await _answer(anne, {"ballot": ballot, **GOOD, "who": "Jeanne"})
    assert status == 400
    # the ballot was not spent by any refused answer
    assert (await _answer(anne, {"ballot": ballot, **GOOD}))[0] == 204


async def test_results_are_k_anonymous_and_name_nobody(server: TestServer, anne: Api) -> None:
    tokens, ids = await _tokens(anne, sessions=2)  # two parties of two sessions, one bucket
    await _end(server, ids)
    scores = [5, 5, 4, 2]
    for token, score in zip(tokens, scores, strict=True):
        ballot = (await _ballot(anne, token))[1]["ballot"]
        body = {**GOOD, "heard": score, "comment": f"avis {score}"}
        assert (await _answer(anne, {"ballot": ballot, **body}))[0] == 204
    few = await (await anne.get("/api/practice/survey?k=5")).json()
    assert few["answers"] is None and few["comments"] == []
    assert all(t["suppressed"] and t["counts"] == {} for t in few["tables"])
    some = await (await anne.get("/api/practice/survey?k=2")).json()
    assert some["answers"] == 4
    heard = next(t for t in some["tables"] if t["dimension"] == "heard")
    assert heard["counts"] == {"5": 2, "other": 2}  # 4 and 2 (once each) merged
    assert all(n == 0 or n >= 2 for t in some["tables"] for n in t["counts"].values())
    assert some["comments"] == ["avis 2", "avis 4", "avis 5", "avis 5"]  # sorted, no ids
    text = repr(some)
    for identifier in [*ids, *tokens]:
        assert identifier not in text
    family = await (await anne.get("/api/practice/survey?type=family&k=2")).json()
    assert family["answers"] == 0
