"""Without an SMTP server, e-mail waits in the outbox and the mediator can copy it."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from server.config import ConfigError, load_config
from tests.server.conftest import Api, create_case, schedule


async def test_without_smtp_the_invitation_waits_and_can_be_copied(
    anne: Api, server: TestServer
) -> None:
    case = await create_case(anne)
    session = await schedule(anne, case["id"])
    jeanne = case["participants"][0]
    r = await anne.post(
        f"/api/sessions/{session['id']}/links/{jeanne['id']}/email", {"language": "en"}
    )
    assert r.status == 202, await r.text()
    mail = await r.json()
    assert (mail["state"], mail["last_reply"]) == ("waiting", "no SMTP server configured")
    outbox = await (await anne.get(f"/api/cases/{case['id']}/outbox")).json()
    assert outbox["smtp_configured"] is False
    assert [m["id"] for m in outbox["messages"]] == [mail["id"]]
    copy = await (await anne.get(f"/api/cases/{case['id']}/outbox/{mail['id']}")).json()
    assert copy["to"] == "jeanne@example.org"
    assert copy["subject"] == "Invitation to a mediation session — 14 March 2030"
    links = await (await anne.get(f"/api/sessions/{session['id']}/links")).json()
    url = next(x["url"] for x in links["links"] if x["participant_id"] == jeanne["id"])
    assert url in copy["text"]
    audit = await (await anne.get(f"/api/cases/{case['id']}/audit?limit=50")).json()
    assert {"mail.queued", "mail.read"} <= {e["action"] for e in audit["entries"]}
    paths = (await (await anne.get("/api/openapi.json")).json())["paths"]
    assert "post" in paths["/api/sessions/{session_id}/links/{participant_id}/email"]
    assert "get" in paths["/api/cases/{case_id}/outbox"]
    assert "get" in paths["/api/cases/{case_id}/outbox/{mail_id}"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"PALABRE_SMTP_SECURITY": "ssl"}, "PALABRE_SMTP_SECURITY"),
        ({"PALABRE_SMTP_HOST": "mail.example.org", "PALABRE_SMTP_PORT": "99999"}, "PORT"),
        ({"PALABRE_SMTP_HOST": "mail.example.org", "PALABRE_SMTP_USER": "u"}, "go together"),
        ({"PALABRE_SMTP_HOST": "mail.example.org", "PALABRE_SMTP_SENDER": "nobody"}, "SENDER"),
        ({"PALABRE_SMTP_HOST": "bad host"}, "PALABRE_SMTP_HOST"),
        ({"PALABRE_SMTP_PASSWORD_FILE": "/nonexistent/file"}, "PASSWORD_FILE"),
    ],
)
def test_a_bad_smtp_setting_fails_loudly(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({"PALABRE_VAR_DIR": "/tmp/palabre-test", **settings})


def test_smtp_settings_are_read(tmp_path: Path) -> None:
    secret = tmp_path / "smtp.secret"
    secret.write_text("s3cret\n")
    config = load_config(
        {
            "PALABRE_VAR_DIR": str(tmp_path),
            "PALABRE_SMTP_HOST": "mail.example.org",
            "PALABRE_SMTP_SECURITY": "tls",
            "PALABRE_SMTP_USER": "palabre",
            "PALABRE_SMTP_PASSWORD_FILE": str(secret),
            "PALABRE_SMTP_SENDER": "mediation@example.org",
        }
    ).smtp
    assert (config.host, config.port, config.security) == ("mail.example.org", 465, "tls")
    assert (config.user, config.password, config.sender) == (
        "palabre", "s3cret", "mediation@example.org",
    )  # fmt: skip
    assert "s3cret" not in repr(config)
    assert not load_config({"PALABRE_VAR_DIR": str(tmp_path)}).smtp.configured
