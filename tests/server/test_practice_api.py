"""Closing a case, the report to the judge, the anonymised summary review and its exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestServer

from server.context import SERVICES
from tests.server.conftest import Api, create_case, schedule

SUMMARY = (
    "Mme Jeanne Martin reproche à la société Bati+ des travaux mal faits dans sa cuisine. "
    "Jeanne a apporté des photos; son conseil, Me Paul Girard, a proposé une expertise. "
    "Elle est joignable au 06 12 34 56 78. Anne Médiatrice a reformulé les besoins."
)

CLOSING: dict[str, Any] = {
    "outcome": "partial_agreement",
    "referral": "voluntary",
    "party_kinds": ["individual", "company"],
    "departement": "69",
    "session_minutes": [90, 60],
    "summary": SUMMARY,
    "organisations": ["Bati+"],
}


async def put(api: Api, path: str, body: Any) -> ClientResponse:
    return await api.client.put(path, json=body, headers=api._headers())


async def close(api: Api, case_id: str, **overrides: Any) -> dict[str, Any]:
    response = await put(api, f"/api/cases/{case_id}/closing", {**CLOSING, **overrides})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_close_prefills_sessions_and_stores_the_summary_encrypted(
    server: TestServer, anne: Api
) -> None:
    case = await create_case(anne)
    await schedule(anne, case["id"])
    await schedule(anne, case["id"], date="2030-03-21", duration_minutes=60)
    before = await (await anne.get(f"/api/cases/{case['id']}/closing")).json()
    assert before["closed"] is False
    assert before["scheduled_minutes"] == [90, 60]
    closed = await close(anne, case["id"])
    assert closed["outcome"]["region"] == "Auvergne-Rhône-Alpes"
    assert closed["outcome"]["confirmed"] is False
    again = await (await anne.get(f"/api/cases/{case['id']}/closing")).json()
    assert again["summary"] == SUMMARY and again["organisations"] == ["Bati+"]
    opened = await (await anne.get(f"/api/cases/{case['id']}")).json()
    assert opened["status"] == "closed"
    # the summary is nowhere in clear in the database
    svc = server.app[SERVICES]
    async with svc.db.transaction() as s:
        from sqlalchemy import text

        for query in (
            "SELECT * FROM case_outcomes", "SELECT * FROM case_item_versions",
            "SELECT * FROM audit_log",
        ):  # fmt: skip
            rows = (await s.execute(text(query))).all()
            assert "Jeanne" not in repr(rows)


async def test_closing_is_refused_to_others_and_checked(anne: Api, bob: Api) -> None:
    case = await create_case(anne)
    response = await put(bob, f"/api/cases/{case['id']}/closing", CLOSING)
    assert response.status == 404
    bad = await put(anne, f"/api/cases/{case['id']}/closing", {**CLOSING, "departement": "00"})
    assert bad.status == 400
    bad = await put(anne, f"/api/cases/{case['id']}/closing", {**CLOSING, "outcome": "won"})
    assert bad.status == 400


async def test_review_edit_confirm_and_export(anne: Api, bob: Api) -> None:
    case = await create_case(anne)
    await close(anne, case["id"])
    url = f"/api/cases/{case['id']}/summary/review"
    got = await (await anne.get(url)).json()
    text = got["text"]
    assert "Jeanne" not in text and "Girard" not in text and "Bati+" not in text
    assert "Partie A" in text and "Conseil de la partie A" in text
    assert "le médiateur" in text.lower() and "[TÉLÉPHONE]" in text
    kinds = {r["kind"] for r in got["replacements"]}
    assert {"PERSON", "PHONE", "ORGANISATION"} <= kinds
    for r in got["replacements"]:
        assert text[r["output_start"] : r["output_end"]] == r["replacement"]
    # export before confirming is refused
    assert (await anne.get(f"/api/cases/{case['id']}/summary/export")).status == 409
    start = got["original"].index("cuisine")
    edits = [{"op": "redact", "start": start, "end": start + len("cuisine")}]
    person = next(r for r in got["replacements"] if r["kind"] == "PHONE")
    edits.append({"op": "revert", "id": person["id"]})
    edited = await (await put(anne, url, {"edits": edits, "confirm": True})).json()
    assert "cuisine" not in edited["text"] and "[EXPURGÉ]" in edited["text"]
    assert "06 12 34 56 78" in edited["text"]
    assert edited["confirmed"] is True
    bad = await put(anne, url, {"edits": [{"op": "revert", "id": "nope"}]})
    assert bad.status == 400

    export = await anne.get(f"/api/cases/{case['id']}/summary/export?format=json")
    assert export.status == 200
    doc = json.loads(await export.text())
    assert doc["format"] == "palabre-case-summary" and doc["version"] == 1
    assert doc["case"]["region"] == "Auvergne-Rhône-Alpes"
    assert doc["case"]["sessions"] == 2
    assert "Jeanne" not in json.dumps(doc, ensure_ascii=False)
    assert case["reference"] not in json.dumps(doc)
    assert all("original" not in r for r in doc["summary"]["replacements"])
    csv_text = await (await anne.get(f"/api/cases/{case['id']}/summary/export?format=csv")).text()
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0][0] == "format_version" and rows[1][2] == "partial_agreement"
    page = await anne.get(f"/api/cases/{case['id']}/summary/export?format=html")
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = await page.text()
    assert "<mark" not in html and "Partie A" in html and "Jeanne" not in html

    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=200")).json()
    exports = [e for e in audit["entries"] if e["action"] == "summary.export"]
    assert sorted(e["detail"]["format"] for e in exports) == ["csv", "html", "json"]

    # someone who is not the case's mediator: refused, and nothing is logged for them
    for fmt in ("json", "csv", "html"):
        refused = await bob.get(f"/api/cases/{case['id']}/summary/export?format={fmt}")
        assert refused.status == 404
        assert "Partie" not in await refused.text()
    assert (await bob.get(url)).status == 404
    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=200")).json()
    assert len([e for e in audit["entries"] if e["action"] == "summary.export"]) == 3


async def test_english_labels(anne: Api) -> None:
    case = await create_case(anne)
    await close(anne, case["id"], language="en", summary="Jeanne Martin met Paul Girard.")
    got = await (await anne.get(f"/api/cases/{case['id']}/summary/review")).json()
    assert got["text"] == "Party A met Counsel for party A."


async def test_court_report_says_only_whether_an_agreement_was_reached(anne: Api) -> None:
    case = await create_case(anne, mediation_type="judicial", reference="RG 24/01234")
    voluntary = await create_case(anne)
    await close(anne, voluntary["id"])
    assert (await anne.get(f"/api/cases/{voluntary['id']}/court-report")).status == 409
    assert (await anne.get(f"/api/cases/{case['id']}/court-report")).status == 404
    await close(anne, case["id"], referral="court_ordered", outcome="stopped_by_party")
    text = await (await anne.get(f"/api/cases/{case['id']}/court-report?format=text")).text()
    assert "RG 24/01234" in text
    assert "ne sont pas parvenues à un accord" in text
    for secret in ("Jeanne", "Martin", "Girard", "Anne", "cuisine", "partie", "séance", "90"):
        assert secret not in text.replace("les parties", "")
    assert len(text.strip().split("\n\n")) == 4
    await close(anne, case["id"], referral="court_ordered", court_reference="RG 25/777")
    html = await (await anne.get(f"/api/cases/{case['id']}/court-report")).text()
    assert "RG 25/777" in html and "sont parvenues à un accord" in html
    assert "ne sont pas" not in html and "Médiatrice" not in html


async def test_openapi_describes_the_practice_routes(anne: Api) -> None:
    doc = await (await anne.get("/api/openapi.json")).json()
    for path in (
        "/api/cases/{case_id}/closing", "/api/cases/{case_id}/court-report",
        "/api/cases/{case_id}/summary/review", "/api/cases/{case_id}/summary/export",
        "/api/practice/stats", "/api/practice/places",
    ):  # fmt: skip
        assert path in doc["paths"], path
    assert "ClosingIn" in doc["components"]["schemas"]


async def test_bulk_export_of_confirmed_summaries(anne: Api, bob: Api) -> None:
    first = await create_case(anne)
    second = await create_case(anne, reference="2026-032", mediation_type="family")
    await close(anne, first["id"])
    await close(anne, second["id"])
    url = f"/api/cases/{first['id']}/summary/review"
    assert (await put(anne, url, {"edits": [], "confirm": True})).status == 200
    body = json.loads(await (await anne.get("/api/practice/summaries")).text())
    assert body["format"] == "palabre-case-summaries" and body["skipped_unconfirmed"] == 1
    assert len(body["summaries"]) == 1
    assert "Jeanne" not in json.dumps(body, ensure_ascii=False)
    rows = list(
        csv.reader(io.StringIO(await (await anne.get("/api/practice/summaries?format=csv")).text()))
    )
    assert len(rows) == 2
    empty = json.loads(await (await bob.get("/api/practice/summaries")).text())
    assert empty["summaries"] == [] and empty["skipped_unconfirmed"] == 0
    audit = await (await anne.get(f"/api/cases/{first['id']}/audit?limit=200")).json()
    bulk = [e for e in audit["entries"] if e["action"] == "summary.export"]
    assert len(bulk) == 2 and all(e["detail"]["bulk"] for e in bulk)


async def _exports(api: Api, case_id: str) -> dict[str, str]:
    out = {}
    for fmt in ("json", "csv", "html"):
        response = await api.get(f"/api/cases/{case_id}/summary/export?format={fmt}")
        assert response.status == 200, await response.text()
        out[fmt] = await response.text()
    for fmt in ("json", "csv"):
        response = await api.get(f"/api/practice/summaries?format={fmt}")
        assert response.status == 200
        text = await response.text()
        if fmt == "json":  # the envelope says when it was made; what it carries may not change
            text = json.dumps(json.loads(text)["summaries"], ensure_ascii=False)
        out[f"bulk-{fmt}"] = text
    return out


async def test_erasing_a_participant_after_confirmation_changes_no_export(anne: Api) -> None:
    case = await create_case(anne)
    await close(anne, case["id"])
    url = f"/api/cases/{case['id']}/summary/review"
    got = await (await anne.get(url)).json()
    start = got["original"].index("cuisine")
    redact = [{"op": "redact", "start": start, "end": start + len("cuisine")}]
    assert (await put(anne, url, {"edits": redact, "confirm": True})).status == 200
    before = await _exports(anne, case["id"])
    assert "Partie A" in before["json"] and "[EXPURGÉ]" in before["json"]
    jeanne = case["participants"][0]["id"]
    erased = await anne.post(f"/api/cases/{case['id']}/participants/{jeanne}/erase")
    assert erased.status == 200
    after = await _exports(anne, case["id"])
    assert after == before
    assert "Jeanne" not in after["json"] and "cuisine" not in after["html"]


async def test_editing_the_review_again_withdraws_the_confirmed_document(anne: Api) -> None:
    case = await create_case(anne)
    await close(anne, case["id"])
    url = f"/api/cases/{case['id']}/summary/review"
    assert (await put(anne, url, {"edits": [], "confirm": True})).status == 200
    export = f"/api/cases/{case['id']}/summary/export"
    assert (await anne.get(export)).status == 200
    assert (await put(anne, url, {"edits": [], "confirm": False})).status == 200
    assert (await anne.get(export)).status == 409
    assert (await put(anne, url, {"edits": [], "confirm": True})).status == 200
    await close(anne, case["id"], summary="Jeanne Martin a signé.")  # a correction
    assert (await anne.get(export)).status == 409


FAMILY = (
    "Mme Jeanne Martin reproche à la société Bati+ des travaux mal faits dans sa cuisine. "
    "Sa fille Léa (8 ans) a vu le chantier; le docteur Marc Aubert atteste de son asthme. "
    "Jeanne habite à Onet-le-Château. Les carreaux de Florence posés par Bati+ sont fendus."
)


def _suggestion(review: dict[str, Any], original: str) -> dict[str, Any]:
    found = [s for s in review["suggestions"] if s["original"] == original]
    assert found, (original, review["suggestions"])
    return found[0]


async def test_suggestions_carry_their_reason_and_the_mediator_decides_each(
    server: TestServer, anne: Api, bob: Api
) -> None:
    case = await create_case(anne)
    await close(anne, case["id"], summary=FAMILY)
    url = f"/api/cases/{case['id']}/summary/review"
    got = await (await anne.get(url)).json()
    reasons = {s["original"]: s["reason"] for s in got["suggestions"]}
    assert reasons["Léa"] == "relationship" and reasons["Marc Aubert"] == "title"
    assert reasons["Onet-le-Château"] == "place_cue" and reasons["Florence"] == "first_name"
    assert {s["decision"] for s in got["suggestions"]} == {"pending"}
    # the case's listed people are no suggestions: nothing to decide about them
    listed = [r for r in got["replacements"] if r["original"] == "Mme Jeanne Martin"]
    assert listed and listed[0]["reason"] is None and listed[0]["decision"] is None
    assert "Florence" not in got["text"]

    decide = f"/api/cases/{case['id']}/summary/suggestions"
    florence = _suggestion(got, "Florence")
    rejected = await put(anne, f"{decide}/{florence['id']}", {"decision": "reject"})
    assert rejected.status == 200, await rejected.text()
    after = await rejected.json()
    assert "carreaux de Florence" in after["text"]
    assert _suggestion(after, "Florence")["decision"] == "reject"
    assert all(r["original"] != "Florence" for r in after["replacements"])
    assert "Léa" not in after["text"] and "Aubert" not in after["text"]
    aubert = _suggestion(after, "Marc Aubert")
    accepted = await (await put(anne, f"{decide}/{aubert['id']}", {"decision": "accept"})).json()
    assert _suggestion(accepted, "Marc Aubert")["decision"] == "accept"
    assert "Aubert" not in accepted["text"] and "carreaux de Florence" in accepted["text"]

    # only a suggestion of this review, only "accept" or "reject", only the case's mediators
    listed_id = listed[0]["id"]
    assert (await put(anne, f"{decide}/{listed_id}", {"decision": "reject"})).status == 404
    assert (await put(anne, f"{decide}/r999", {"decision": "reject"})).status == 404
    bad = await put(anne, f"{decide}/{florence['id']}", {"decision": "maybe"})
    assert bad.status == 400
    assert (await put(bob, f"{decide}/{aubert['id']}", {"decision": "reject"})).status == 404
    again = await (await anne.get(url)).json()
    assert _suggestion(again, "Marc Aubert")["decision"] == "accept"
    assert "Aubert" not in again["text"]

    # the decisions are kept encrypted with the summary, never in clear
    async with server.app[SERVICES].db.transaction() as s:
        from sqlalchemy import text

        for query in ("SELECT * FROM case_outcomes", "SELECT * FROM case_item_versions"):
            assert "Florence" not in repr((await s.execute(text(query))).all())


async def test_a_rejected_suggestion_stays_rejected_for_the_case(anne: Api) -> None:
    case = await create_case(anne)
    await close(anne, case["id"], summary=FAMILY)
    url = f"/api/cases/{case['id']}/summary/review"
    got = await (await anne.get(url)).json()
    florence = _suggestion(got, "Florence")
    decide = f"/api/cases/{case['id']}/summary/suggestions/{florence['id']}"
    assert (await put(anne, decide, {"decision": "reject"})).status == 200
    # the next anonymisation of the case's summary: a correction of the closing, new text
    corrected = FAMILY + " Le carrelage de Florence sera remplacé; Léa a repris l'école."
    await close(anne, case["id"], summary=corrected)
    got = await (await anne.get(url)).json()
    assert got["text"].count("de Florence") == 2
    assert [s["decision"] for s in got["suggestions"] if s["original"] == "Florence"] == [
        "reject",
        "reject",
    ]
    assert "Léa" not in got["text"] and "Aubert" not in got["text"]
    # and it is what is confirmed and exported
    assert (await put(anne, url, {"edits": [], "confirm": True})).status == 200
    export = f"/api/cases/{case['id']}/summary/export?format=json"
    doc = await (await anne.get(export)).json()
    assert "carreaux de Florence" in doc["summary"]["text"] and "Léa" not in doc["summary"]["text"]
    # a decision changes the review: the confirmed document is withdrawn until confirmed again
    aubert = _suggestion(got, "Marc Aubert")
    decide = f"/api/cases/{case['id']}/summary/suggestions/{aubert['id']}"
    assert (await put(anne, decide, {"decision": "reject"})).status == 200
    assert (await anne.get(export)).status == 409
    # changing one's mind: accepting it again replaces it again
    got = await (await anne.get(url)).json()
    assert "Marc Aubert" in got["text"]
    assert (await put(anne, decide, {"decision": "accept"})).status == 200
    assert "Marc Aubert" not in (await (await anne.get(url)).json())["text"]
