"""The templates over the API: filled from a case in both languages, saved by
administrators only, unknown fields refused with their names; sealed agreements among a
case's files."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientResponse
from aiohttp.test_utils import TestServer

from records.agreements.documents import BLANK, fill
from records.agreements.fields import long_date
from records.agreements.pdf import SignatureEvidence, check_sealed, seal_agreement
from records.agreements.signed import store_signed
from records.models import utcnow
from server.app import create_app
from server.context import SERVICES
from tests.server.conftest import Api, create_case, make_config


async def put(api: Api, path: str, body: Any) -> ClientResponse:
    return await api.client.put(path, json=body, headers=api._headers())


def texts(filled: dict[str, Any]) -> list[str]:
    return [b["text"] for b in filled["blocks"]]


async def test_a_template_is_filled_from_the_case_in_french_and_english(anne: Api) -> None:
    case = await create_case(anne)
    got = await anne.get(f"/api/cases/{case['id']}/templates/agreement_to_mediate?language=fr")
    assert got.status == 200, await got.text()
    fr = await got.json()
    assert fr["blocks"][0] == {"kind": "title", "text": "Convention d'entrée en médiation"}
    body = "\n".join(texts(fr))
    assert "Dossier 2026-031 — Palabre" in body
    assert "Jeanne Martin et Bati+ (M. Roux)" in body
    assert "leur conseil : Me Paul Girard" in body
    assert "Anne Médiatrice, médiateur" in body
    today = utcnow().astimezone(ZoneInfo("Europe/Paris")).date()
    assert f"Fait le {long_date(today, 'fr')}, en autant" in body
    assert f"Les honoraires et frais de la médiation sont les suivants : {BLANK}" in body
    assert fr["blank"] == ["fees"]
    assert fr["sha256"] == hashlib.sha256(fr["text"].encode()).hexdigest()

    en = await (
        await anne.get(f"/api/cases/{case['id']}/templates/agreement_to_mediate?language=en")
    ).json()
    body = "\n".join(texts(en))
    assert en["blocks"][0]["text"] == "Agreement to mediate"
    assert "Jeanne Martin and Bati+ (M. Roux)" in body
    assert f"Made on {today.day} {today:%B} {today.year}, in as many" in body


async def test_the_report_to_the_judge_says_only_whether_there_was_an_agreement(
    anne: Api,
) -> None:
    case = await create_case(anne, mediation_type="judicial")
    path = f"/api/cases/{case['id']}/templates/court_report"
    before = "\n".join(texts(await (await anne.get(path)).json()))
    assert f"les parties {BLANK}." in before  # not closed yet: left to fill
    closing = {
        "outcome": "stopped_by_party", "referral": "court_ordered",
        "party_kinds": ["individual", "company"], "departement": "69",
        "session_minutes": [90], "summary": "Rien.", "court_reference": "RG 26/01234",
    }  # fmt: skip
    closed = await put(anne, f"/api/cases/{case['id']}/closing", closing)
    assert closed.status == 200, await closed.text()
    fr = await (await anne.get(path)).json()
    body = "\n".join(texts(fr))
    assert "Affaire n° RG 26/01234" in body
    assert "les parties ne sont pas parvenues à un accord." in body
    assert "retir" not in body and "Jeanne" not in body  # neither why nor who
    assert fr["blank"] == ["court"]
    en = "\n".join(texts(await (await anne.get(f"{path}?language=en")).json()))
    assert "the parties did not reach an agreement." in en


async def test_only_the_case_mediators_fill_its_templates(anne: Api, bob: Api) -> None:
    case = await create_case(anne)
    path = f"/api/cases/{case['id']}/templates/mediated_agreement"
    assert (await bob.get(path)).status == 404
    assert (await anne.get(f"/api/cases/{case['id']}/templates/nothing")).status == 404
    assert (await anne.get(f"{path}?language=de")).status == 400


async def test_an_administrator_saves_versions_and_the_case_uses_them(anne: Api) -> None:
    case = await create_case(anne)
    one = "/api/templates/mediated_agreement/fr"
    saved = await put(anne, one, {"body": "# Accord {{case_reference}}\n\nEntre {{parties}}."})
    assert saved.status == 200, await saved.text()
    detail = await saved.json()
    assert detail["version"] == 1 and not detail["built_in"]
    assert detail["edited_by"].startswith("mediator:")
    filled = await (await anne.get(f"/api/cases/{case['id']}/templates/mediated_agreement")).json()
    assert texts(filled) == ["Accord 2026-031", "Entre Jeanne Martin et Bati+ (M. Roux)."]
    assert filled["template_version"] == 1

    reset = await anne.post(f"{one}/reset")
    assert reset.status == 200
    back = await reset.json()
    assert back["built_in"] and back["version"] == 2
    assert [v["version"] for v in back["history"]] == [2, 1]
    listed = await (await anne.get("/api/templates")).json()
    assert len(listed["templates"]) == 8 and "parties" in listed["fields"]


async def test_unknown_fields_are_refused_with_their_names(anne: Api) -> None:
    bad = await put(anne, "/api/templates/closing_record/en",
                    {"body": "# End\n\n{{parties}} owe {{amount}} ({{Parties}})"})  # fmt: skip
    assert bad.status == 400
    error = (await bad.json())["error"]
    assert error["code"] == "validation_error"
    assert "{{amount}}" in error["message"] and "{{Parties}}" in error["message"]
    assert (await (await anne.get("/api/templates/closing_record/en")).json())["version"] == 0


async def test_a_mediator_who_is_not_an_administrator_cannot_edit(anne: Api, bob: Api) -> None:
    one = "/api/templates/court_report/fr"
    refused = await put(bob, one, {"body": "# Rapport\n\n{{outcome}}"})
    assert refused.status == 403
    assert (await refused.json())["error"]["code"] == "admin_required"
    assert (await bob.post(f"{one}/reset")).status == 403
    assert (await bob.get(one)).status == 200  # reading is for every mediator
    assert (await (await anne.get(one)).json())["version"] == 0


async def test_a_sealed_agreement_is_listed_and_downloaded_from_the_case_file(
    server: TestServer, anne: Api
) -> None:
    case = await create_case(anne)
    svc = server.app[SERVICES]
    assert svc.seal is not None and svc.seal.self_signed
    at = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    document = fill("# Protocole\n\nEntre {{parties}}.", {"parties": "Jeanne Martin"})
    signer = SignatureEvidence("Jeanne Martin", at, "Europe/Paris", "mediator_code")
    sealed = await seal_agreement(document, [signer], svc.seal, language="fr",
                                  case_reference="2026-031", sealed_at=at)  # fmt: skip
    mediator = case["mediators"][0]["id"]
    info = await store_signed(
        svc.records.casefile, case["id"], sealed, template="mediated_agreement", language="fr",
        case_reference="2026-031", sealed_at=at, actor=f"mediator:{mediator}", via="test",
    )  # fmt: skip
    files = (await (await anne.get(f"/api/cases/{case['id']}/files")).json())["files"]
    assert [(f["id"], f["kind"]) for f in files] == [(info.id, "agreement")]
    got = await anne.get(f"/api/cases/{case['id']}/files/{info.id}")
    assert got.status == 200
    assert got.headers["Content-Type"] == "application/pdf"
    assert "mediated_agreement-2026-031-2026-12-07.pdf" in got.headers["Content-Disposition"]
    pdf = await got.read()
    assert pdf == sealed.pdf and (await check_sealed(pdf, svc.seal.certificate())).ok


async def test_the_development_seal_is_made_at_setup_once_and_kept(
    tmp_path: Path, sqlite_url: str
) -> None:
    config = make_config(tmp_path, sqlite_url, PALABRE_ORGANISATION_NAME="Médiation du Rhône")
    seen = []
    for _ in range(2):  # a start, then a restart
        async with TestServer(await create_app(config)) as srv:
            seal = srv.app[SERVICES].seal
            assert seal is not None and seal.self_signed
            assert seal.certificate().subject.native["organization_name"] == "Médiation du Rhône"
            assert seal.key_path.parent == config.var_dir / "seal"
            assert stat.S_IMODE(seal.key_path.stat().st_mode) == 0o600
            seen.append((seal.cert_path.read_bytes(), seal.key_path.read_bytes()))
    assert seen[0] == seen[1]
