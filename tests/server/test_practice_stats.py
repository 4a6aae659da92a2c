"""Practice statistics over closed cases: k-anonymity on generated data, filters, exports."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from aiohttp.test_utils import TestServer

from records.stores.cases import MediationType, NewCase, NewParticipant, ParticipantRole
from records.stores.outcomes import Closing, Outcome, PartyKind, Referral
from server.context import SERVICES
from tests.server.conftest import Api

DEPTS = ["69", "75", "13", "33", "2A", "974", "59", "29"]


async def generate(server: TestServer, mediator_email: str, n: int, seed: int) -> None:
    svc = server.app[SERVICES]
    mediator = (await svc.accounts.get_mediators_by_email([mediator_email]))[mediator_email]
    rng = random.Random(seed)
    types = list(MediationType)
    for i in range(n):
        case = await svc.cases.create_case(
            mediator.id,
            NewCase(
                reference=f"G-{i}", title=f"Dossier {i}", public_title="Médiation",
                mediation_type=rng.choice(types[:4]) if rng.random() < 0.9 else rng.choice(types),
                description="", participants=[NewParticipant("Jean Test", ParticipantRole.PARTY)],
                co_mediator_ids=[],
            ),
        )  # fmt: skip
        closing = Closing(
            outcome=rng.choice(list(Outcome)), referral=rng.choice(list(Referral)),
            party_kinds=(PartyKind.INDIVIDUAL,), departement=rng.choice(DEPTS),
            session_minutes=tuple(60 for _ in range(rng.choice([1, 1, 2, 3, 6]))),
            language="fr", summary="",
        )  # fmt: skip
        await svc.records.outcomes.close_case(case.id, mediator.id, closing, via="test")


def published_counts(data: dict[str, Any]) -> list[int]:
    out: list[int] = []
    for table in data["tables"]:
        out += list(table["counts"].values())
        if table["total"] is not None:
            out.append(table["total"])
    for cross in data["cross_tables"]:
        out += [c["count"] for c in cross["cells"] if c["count"] is not None]
        out += [n for n in cross["row_totals"].values() if n is not None]
        out += [n for n in cross["column_totals"].values() if n is not None]
    return out


async def test_no_exported_cell_below_k(server: TestServer, anne: Api) -> None:
    await generate(server, "anne@example.org", 60, seed=7)
    for k in (2, 3, 5, 7, 11):
        await check_k(anne, k)


async def check_k(anne: Api, k: int) -> None:
    response = await anne.get(f"/api/practice/stats?k={k}")
    data = await response.json()
    assert data["k"] == k and data["cases"] == 60
    counts = published_counts(data)
    assert counts and all(n == 0 or n >= k for n in counts)
    region = next(t for t in data["tables"] if t["dimension"] == "region")
    assert region["merged_into_other"] or all(n >= k for n in region["counts"].values())
    text = await (await anne.get(f"/api/practice/stats?k={k}&format=csv")).text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    for row in rows:
        if row["count"]:
            assert int(row["count"]) == 0 or int(row["count"]) >= k, row
    if k == 7:
        assert any(row["note"] for row in rows)  # says what was merged or suppressed


async def test_filters_and_bounds(server: TestServer, anne: Api, bob: Api) -> None:
    await generate(server, "anne@example.org", 12, seed=1)
    mine = await (await anne.get("/api/practice/stats?type=family&k=2")).json()
    assert mine["filters"] == {"year": None, "type": "family"}
    table = next(t for t in mine["tables"] if t["dimension"] == "mediation_type")
    assert set(table["counts"]) <= {"family"}
    theirs = await (await bob.get("/api/practice/stats")).json()
    assert theirs["cases"] == 0 and theirs["years"] == []
    year = mine["years"][0]
    assert (await (await anne.get(f"/api/practice/stats?year={year + 1}")).json())["cases"] == 0
    assert (await anne.get("/api/practice/stats?k=1")).status == 400
    assert (await anne.get("/api/practice/stats?type=nope")).status == 400
    few = await (await anne.get("/api/practice/stats?k=50")).json()
    assert few["cases"] is None
    assert all(t["suppressed"] for t in few["tables"])


async def test_the_type_other_is_not_the_merged_bucket(server: TestServer, anne: Api) -> None:
    svc = server.app[SERVICES]
    mediator = (await svc.accounts.get_mediators_by_email(["anne@example.org"]))["anne@example.org"]
    plan = [MediationType.OTHER] * 5 + [MediationType.FAMILY] * 5 + [MediationType.CONSUMER] * 2
    plan += [MediationType.WORKPLACE] * 3
    for i, kind in enumerate(plan):
        case = await svc.cases.create_case(
            mediator.id,
            NewCase(f"O-{i}", "t", "t", kind, "", [], []),
        )
        closing = Closing(
            Outcome.NO_AGREEMENT, Referral.VOLUNTARY, (PartyKind.COMPANY,), "75", (60,), "fr", ""
        )
        await svc.records.outcomes.close_case(case.id, mediator.id, closing, via="test")
    data = await (await anne.get("/api/practice/stats")).json()
    table = next(t for t in data["tables"] if t["dimension"] == "mediation_type")
    assert table["counts"] == {"family": 5, "other": 5, "other_type": 5}
    assert sum(table["counts"].values()) == table["total"] == 15
