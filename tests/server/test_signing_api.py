"""Freezing a text and signing it from each party's link, on SQLite and PostgreSQL, with
a real SMTP server (aiosmtpd) receiving the codes: two parties (one with an address, one
whose code the mediator shows), their counsel, the mediator last; the sealed PDF reads as
the frozen text and validates against the organisation's certificate; every refusal has
its code; the codes are in neither the logs nor the audit log."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestServer
from PIL import Image, ImageDraw

from records.agreements.documents import normalise, parse, plain_text
from records.agreements.pdf import check_sealed
from records.agreements.signed import read_signed
from records.models import utcnow
from server.app import create_app
from server.config import Config
from server.context import SERVICES
from server.mail.worker import RetryPolicy
from tests.records.agreements.pdftext import text_pages
from tests.server.conftest import Api, create_case, issue, make_config, schedule
from tests.smtp import MailServer, env

FAST = RetryPolicy(first=timedelta(milliseconds=50), cap=timedelta(milliseconds=200))
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 signing-test"


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


def drawing() -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (80, 20), (150, 70), (290, 15)], fill="navy", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


class Holder:
    """A signer's browser: their link's token in every request."""

    def __init__(self, api: Api, token: str) -> None:
        self.api, self.token = api, token

    def _h(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "User-Agent": BROWSER}

    async def texts(self) -> list[dict[str, Any]]:
        r = await self.api.client.get("/api/join/texts", headers=self._h())
        assert r.status == 200, await r.text()
        found: list[dict[str, Any]] = (await r.json())["texts"]
        return found

    async def code(self, text_id: str) -> ClientResponse:
        return await self.api.post(f"/api/join/texts/{text_id}/code", headers=self._h())

    async def sign(self, text_id: str, **body: Any) -> ClientResponse:
        return await self.api.post(f"/api/join/texts/{text_id}/sign", body, headers=self._h())

    async def pdf(self, text_id: str) -> ClientResponse:
        return await self.api.client.get(f"/api/join/texts/{text_id}/pdf", headers=self._h())


async def people(anne: Api, new_client: Any) -> tuple[dict[str, Any], dict[str, Holder]]:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    holders = {}
    for p in case["participants"]:
        link = await issue(anne, session["id"], p["id"])
        holders[p["display_name"]] = Holder(await new_client(), link["url"].split("#", 1)[1])
    return case, holders


async def freeze(anne: Api, case: dict[str, Any], **body: Any) -> dict[str, Any]:
    r = await anne.post(f"/api/cases/{case['id']}/texts", {"kind": "mediated_agreement", **body})
    assert r.status == 201, await r.text()
    frozen: dict[str, Any] = await r.json()
    return frozen


def code_in(message: Any) -> str:
    body = message.get_body(("plain",)).get_content()
    found = CODE.findall(body)
    assert len(found) == 1, body
    return str(found[0])


def error(body: dict[str, Any]) -> str:
    return str(body["error"]["code"])


async def test_two_parties_their_counsel_and_the_mediator_sign_and_the_pdf_is_sealed(
    anne: Api, new_client: Any, smtp: MailServer, server: TestServer,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO)
    svc = server.app[SERVICES]
    case, holders = await people(anne, new_client)
    jeanne, bati, girard = (
        holders["Jeanne Martin"],
        holders["Bati+ (M. Roux)"],
        holders["Me Paul Girard"],
    )
    counsel_id = case["participants"][2]["id"]
    frozen = await freeze(anne, case, counsel=[counsel_id])
    sha = frozen["sha256"]
    assert sha == hashlib.sha256(frozen["text"].encode()).hexdigest()
    assert [s["name"] for s in frozen["signers"]] == [
        "Jeanne Martin", "Bati+ (M. Roux)", "Me Paul Girard", "Anne Médiatrice",
    ]  # fmt: skip
    tid, codes = frozen["id"], []

    mine = await jeanne.texts()
    assert [(t["id"], t["sha256"], t["text"]) for t in mine] == [(tid, sha, frozen["text"])]
    sent = await jeanne.code(tid)
    assert sent.status == 202, await sent.text()
    assert (await sent.json())["to"] == "j•••@example.org"
    message = (await smtp.wait_for(1))[0]
    assert message["To"] == "jeanne@example.org"
    assert message["Subject"] == "Votre code de signature"  # nothing of the case
    codes.append(code_in(message))
    outbox = (await (await anne.get(f"/api/cases/{case['id']}/outbox")).json())["messages"]
    code_mail = next(m for m in outbox if m["kind"] == "signing_code")
    copy = await anne.get(f"/api/cases/{case['id']}/outbox/{code_mail['id']}")
    assert copy.status == 403  # the mediator cannot read the party's code
    signed = await jeanne.sign(tid, sha256=sha, typed_name="Jeanne Martin",
                               signature_png=drawing(), code=codes[-1])  # fmt: skip
    assert signed.status == 200, await signed.text()

    # no address: the party is told to ask; the mediator's page shows a code
    asked = await bati.code(tid)
    assert asked.status == 200 and (await asked.json())["channel"] == "mediator"
    bati_signer = frozen["signers"][1]["id"]
    shown = await anne.post(f"/api/cases/{case['id']}/texts/{tid}/signers/{bati_signer}/code")
    assert shown.status == 200, await shown.text()
    codes.append((await shown.json())["code"])
    signed = await bati.sign(tid, sha256=sha, typed_name="Marc Roux",
                             typed_signature="M. Roux", code=codes[-1])  # fmt: skip
    assert signed.status == 200, await signed.text()

    # the mediator signs last
    early = await anne.post(f"/api/cases/{case['id']}/texts/{tid}/sign",
                            {"sha256": sha, "typed_name": "Anne", "typed_signature": "Anne",
                             "code": "000000"})  # fmt: skip
    assert early.status == 409 and error(await early.json()) == "mediator_signs_last"

    assert (await girard.code(tid)).status == 202
    codes.append(code_in((await smtp.wait_for(2))[1]))
    signed = await girard.sign(tid, sha256=sha, typed_name="Paul Girard",
                               typed_signature="P. Girard", code=codes[-1])  # fmt: skip
    assert signed.status == 200, await signed.text()
    assert (await jeanne.pdf(tid)).status == 404  # not sealed yet

    mine_sent = await anne.post(f"/api/cases/{case['id']}/texts/{tid}/code")
    assert mine_sent.status == 202, await mine_sent.text()
    message = (await smtp.wait_for(3))[2]
    assert message["To"] == "anne@example.org"
    codes.append(code_in(message))
    last = await anne.post(f"/api/cases/{case['id']}/texts/{tid}/sign",
                           {"sha256": sha, "typed_name": "Anne Médiatrice",
                            "signature_png": drawing(), "code": codes[-1]})  # fmt: skip
    assert last.status == 200, await last.text()
    done = await last.json()
    assert done["state"] == "signed" and done["sealed"]
    assert [s["method"] for s in done["signers"]] == [
        "email_otp", "code_shown_by_mediator", "email_otp", "email_otp",
    ]  # fmt: skip

    got = await jeanne.pdf(tid)
    assert got.status == 200 and got.headers["Content-Type"] == "application/pdf"
    pdf = await got.read()
    assert svc.seal is not None
    assert (await check_sealed(pdf, svc.seal.certificate())).ok
    mediator_copy = await anne.get(f"/api/cases/{case['id']}/texts/{tid}/pdf")
    assert await mediator_copy.read() == pdf
    listed = (await (await anne.get(f"/api/cases/{case['id']}/texts")).json())["texts"]
    assert listed[0]["state"] == "signed"
    files = (await (await anne.get(f"/api/cases/{case['id']}/files")).json())["files"]
    assert [f["kind"] for f in files] == ["agreement"]
    meta, stored = await read_signed(svc.records.casefile, case["id"], files[0]["id"],
                                     actor="test", via="test")  # fmt: skip
    assert stored == pdf and meta.text_sha256 == sha
    read = text_pages(pdf, meta.text_pages, sha, "2026-031", "fr")
    assert normalise(read) == normalise(plain_text(parse(frozen["text"])))

    entries = await svc.records.audit.for_case(case["id"])
    ours = [e for e in entries if e.action.startswith("text.")]
    actions = {e.action for e in ours}
    assert {"text.frozen", "text.code_sent", "text.code_shown", "text.signed",
            "text.sign_refused", "text.sealed", "text.downloaded"} <= actions  # fmt: skip
    assert all(e.detail["sha256"] == sha for e in ours)
    assert all(e.detail["user_agent"] == BROWSER for e in ours if e.action == "text.signed"
               and str(e.actor).startswith("participant:"))  # fmt: skip
    trail = repr([(e.actor, e.action, e.subject, e.detail, e.via) for e in entries])
    for code in codes:
        assert code not in trail
        assert not re.search(rf"(?<!\d){code}(?!\d)", caplog.text)
    assert "Jeanne" not in trail and "jeanne@" not in trail


async def test_a_changed_text_a_wrong_an_expired_code_and_the_lock_are_refused(
    anne: Api, new_client: Any, smtp: MailServer, server: TestServer
) -> None:
    signing = server.app[SERVICES].records.signing
    case, holders = await people(anne, new_client)
    jeanne = holders["Jeanne Martin"]
    frozen = await freeze(anne, case, blocks=[
        {"kind": "title", "text": "Protocole d'accord"},
        {"kind": "paragraph", "text": "Bati+ rembourse 1 200 € à Jeanne Martin."},
    ])  # fmt: skip
    tid, sha = frozen["id"], frozen["sha256"]
    changed = hashlib.sha256("# Protocole\n\nBati+ rembourse 12 €.\n".encode()).hexdigest()
    sign = {"typed_name": "Jeanne Martin", "typed_signature": "J. Martin"}

    assert (await jeanne.code(tid)).status == 202
    code = code_in((await smtp.wait_for(1))[0])
    r = await jeanne.sign(tid, sha256=changed, code=code, **sign)
    assert r.status == 409 and error(await r.json()) == "text_changed"
    r = await jeanne.sign(tid, sha256=sha, code=f"{(int(code) + 1) % 10**6:06d}", **sign)
    body = await r.json()
    assert r.status == 403 and error(body) == "code_wrong" and body["error"]["tries_left"] == 4

    again = await jeanne.code(tid)  # within the minute: not yet
    assert again.status == 429 and int(again.headers["Retry-After"]) <= 60

    real = signing.clock
    signing.clock = lambda: real() + timedelta(minutes=11)
    r = await jeanne.sign(tid, sha256=sha, code=code, **sign)
    assert r.status == 403 and error(await r.json()) == "code_expired"

    assert (await jeanne.code(tid)).status == 202  # a new code, later
    code = code_in((await smtp.wait_for(2))[1])
    wrong = f"{(int(code) + 7) % 10**6:06d}"
    for left in (3, 2, 1, 0):
        r = await jeanne.sign(tid, sha256=sha, code=wrong, **sign)
        body = await r.json()
        assert body["error"]["tries_left"] == left  # the 4 left after the first wrong one
    assert r.status == 429 and error(body) == "signer_locked"
    assert int(r.headers["Retry-After"]) == 15 * 60
    r = await jeanne.sign(tid, sha256=sha, code=code, **sign)  # the right one: locked, dropped
    assert r.status == 429 and error(await r.json()) == "signer_locked"
    assert (await jeanne.code(tid)).status == 429

    signing.clock = lambda: real() + timedelta(minutes=27)  # the lock is over
    assert (await jeanne.code(tid)).status == 202
    code = code_in((await smtp.wait_for(3))[2])
    r = await jeanne.sign(tid, sha256=sha, code=code, **sign)
    assert r.status == 200, await r.text()
    r = await jeanne.sign(tid, sha256=sha, code=code, **sign)
    assert r.status == 409 and error(await r.json()) == "already_signed"

    withdrawn = await anne.post(f"/api/cases/{case['id']}/texts/{tid}/withdraw")
    assert withdrawn.status == 200 and (await withdrawn.json())["state"] == "withdrawn"
    bati = holders["Bati+ (M. Roux)"]
    r = await bati.sign(tid, sha256=sha, code="123456", **sign)
    assert r.status == 410 and error(await r.json()) == "text_withdrawn"
    assert await bati.texts() == []
    signing.clock = real
    assert utcnow()  # the real clock again


async def test_only_the_signers_of_the_case_reach_its_texts(
    anne: Api, bob: Api, new_client: Any, server: TestServer
) -> None:
    case, holders = await people(anne, new_client)
    other, others = await people(anne, new_client)
    frozen = await freeze(anne, case)  # counsel not picked: parties and Anne
    tid = frozen["id"]
    girard = holders["Me Paul Girard"]
    assert await girard.texts() == []
    assert (await girard.code(tid)).status == 403
    assert (await girard.pdf(tid)).status == 403
    stranger = others["Jeanne Martin"]  # the same name, another case
    assert await stranger.texts() == []
    assert (await stranger.code(tid)).status == 404
    r = await stranger.sign(tid, sha256=frozen["sha256"], typed_name="x", typed_signature="x",
                            code="123456")  # fmt: skip
    assert r.status == 404
    anonymous = await new_client()
    assert (await anonymous.client.get("/api/join/texts")).status == 401
    forged = Holder(anonymous, "not-a-token")
    assert (await forged.code(tid)).status == 401
    assert (await bob.get(f"/api/cases/{case['id']}/texts")).status == 404
    assert (await bob.get(f"/api/cases/{case['id']}/texts/{tid}")).status == 404
    assert (await anne.get(f"/api/cases/{other['id']}/texts/{tid}")).status == 404
    free = await anne.post(f"/api/cases/{case['id']}/texts", {"kind": "free"})
    assert free.status == 400
    blocks = [{"kind": "paragraph", "text": "日本"}]
    bad = await anne.post(f"/api/cases/{case['id']}/texts", {"kind": "free", "blocks": blocks})
    assert bad.status == 400 and "日" in (await bad.json())["error"]["message"]


async def test_a_text_signed_by_all_whose_sealing_failed_is_sealed_at_the_next_listing(
    anne: Api, new_client: Any, smtp: MailServer, server: TestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import server.rest.signing as rest

    case, holders = await people(anne, new_client)
    blocks = [{"kind": "paragraph", "text": "Les parties conviennent de se revoir."}]
    frozen = await freeze(anne, case, kind="free", blocks=blocks, language="en")
    tid, sha = frozen["id"], frozen["sha256"]
    sign = {"sha256": sha, "typed_name": "Someone", "typed_signature": "S."}
    jeanne, bati = holders["Jeanne Martin"], holders["Bati+ (M. Roux)"]
    assert (await jeanne.code(tid)).status == 202
    code = code_in((await smtp.wait_for(1))[0])
    assert (await jeanne.sign(tid, code=code, **sign)).status == 200
    bati_signer = frozen["signers"][1]["id"]
    shown = await anne.post(f"/api/cases/{case['id']}/texts/{tid}/signers/{bati_signer}/code")
    assert (await bati.sign(tid, code=(await shown.json())["code"], **sign)).status == 200
    assert (await anne.post(f"/api/cases/{case['id']}/texts/{tid}/code")).status == 202
    code = code_in((await smtp.wait_for(2))[1])

    real = rest.seal_agreement

    async def broken(*args: Any, **kw: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(rest, "seal_agreement", broken)
    last = await anne.post(f"/api/cases/{case['id']}/texts/{tid}/sign", {**sign, "code": code})
    assert last.status == 200, await last.text()
    body = await last.json()
    assert body["state"] == "open" and not body["sealed"]  # signed by all, not sealed yet
    assert (await jeanne.pdf(tid)).status == 404

    monkeypatch.setattr(rest, "seal_agreement", real)
    listed = (await (await anne.get(f"/api/cases/{case['id']}/texts")).json())["texts"]
    assert listed[0]["state"] == "signed" and listed[0]["sealed"]
    got = await jeanne.pdf(tid)
    assert got.status == 200 and (await got.read()).startswith(b"%PDF")
    files = (await (await anne.get(f"/api/cases/{case['id']}/files")).json())["files"]
    assert len(files) == 1
