"""The satisfaction survey on a party's end page: the mediator ends the session, the party
answers the questionnaire and is thanked; the stored row names nobody. Screenshots go to
test-artifacts/survey-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import text

from records.db import Database, sqlite_url
from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session, serving
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby
from tests.smtp import MailServer, env

pytestmark = pytest.mark.browser


async def test_a_party_answers_the_survey_when_the_mediator_ends_the_session(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    await claire.click("#end-session")

    form = alice.locator("#survey-form")
    await expect(form).to_be_visible(timeout=15000)
    await expect(alice.locator("#survey h2")).to_have_text("Votre avis sur la médiation")
    await expect(claire.locator("#survey")).to_have_count(0)  # the mediator is not asked
    # incomplete: refused on the page, nothing sent
    await alice.click("#survey-send")
    await expect(alice.locator("#survey [role=alert]")).to_contain_text("quatre questions")
    # a language change keeps what was chosen
    await alice.check("#survey-heard input[value='4']")
    await alice.click("button[data-lang=en]")
    await expect(alice.locator("#survey h2")).to_have_text("Your view of the mediation")
    await expect(alice.locator("#survey-heard input[value='4']")).to_be_checked()
    await expect(alice.locator("#survey [role=alert]")).to_contain_text("four questions")
    await alice.check("#survey-understood input[value='5']")
    await alice.check("#survey-tool_worked input[value='3']")
    await alice.check("#survey-recommend input[value='partly']")
    await alice.fill("#survey-comment", "Clear and calm")
    await alice.screenshot(path=str(ARTIFACTS / "survey-form.png"), full_page=True)
    await alice.click("#survey-send")
    await expect(alice.locator("#survey-thanks")).to_contain_text("Thank you", timeout=10000)
    await expect(alice.locator("#survey-form")).to_have_count(0)
    await alice.screenshot(path=str(ARTIFACTS / "survey-thanks.png"), full_page=True)
    assert alice.errors == []  # type: ignore[attr-defined]

    db = Database(sqlite_url(live_server.var_dir))
    try:
        async with db.transaction() as tx:
            rows = (await tx.execute(text("SELECT * FROM survey_answers"))).mappings().all()
            ballots = (await tx.execute(text("SELECT count(*) FROM survey_ballots"))).scalar()
    finally:
        await db.close()
    assert len(rows) == 1 and ballots == 0
    row = dict(rows[0])
    assert (row["heard"], row["understood"], row["tool_worked"]) == (4, 5, 3)
    assert (row["recommend"], row["comment"]) == ("partly", "Clear and calm")
    assert (row["mediation_type"], row["region"]) == ("other", "unspecified")
    assert session_id not in repr(row)

    # reopening the page after answering: the link has drawn its ballot, no second form
    await alice.reload()
    await expect(alice.locator("#ended")).to_be_visible(timeout=15000)
    survey = alice.locator("#survey")
    await expect(survey).to_have_attribute("data-phase", "unavailable", timeout=10000)
    await expect(survey).to_be_hidden()
    await expect(alice.locator("#survey-form")).to_have_count(0)

    # the mediator's statistics: one answer is under k, so every figure is suppressed
    await claire.goto(f"{live_server.url}/statistics?k=2")
    await expect(claire.locator("#survey-count")).to_have_text(
        "Moins de 2 réponses : tous les chiffres sont masqués.", timeout=10000
    )
    heard = claire.locator("#survey-stats .stat[data-answers=heard]")
    await expect(heard).to_contain_text("Masqué : moins de 2 réponses.")
    await expect(claire.locator("#survey-comments")).to_have_count(0)
    await claire.locator("#survey-stats").screenshot(path=str(ARTIFACTS / "survey-stats.png"))
    assert claire.errors == []  # type: ignore[attr-defined]


async def test_the_mailed_questionnaire_opens_its_page_and_is_answered_once(
    tmp_path: Path, browser: Browser
) -> None:
    """The session ends while the party is away: the questionnaire's e-mail brings her to
    its own page (no account, no personal link), she answers, and neither the page again
    nor the room's end page offers a second ballot."""
    smtp = MailServer()
    await smtp.start()
    try:
        with serving(tmp_path, **env(smtp)) as server:
            session_id, tokens = await seed_session(
                server, ["Alice Martin"], {"Alice Martin": "alice@example.org"}
            )
            _, claire = await new_page(browser)
            await mediator_opens_room(claire, server, session_id)
            alice_context, alice = await new_page(browser)
            await party_reaches_lobby(alice, server, tokens["Alice Martin"], "Alice Martin")
            await admit(claire, alice, "Alice Martin")
            await alice_context.close()  # she left before the end: no end page drew a ballot
            await claire.click("#end-session")
            await expect(claire.locator("#ended")).to_be_visible(timeout=15000)

            [message] = await smtp.wait_for(1)
            assert message["To"] == "alice@example.org"
            assert message["Subject"] == "Votre avis sur le déroulement de la médiation"
            body = message.get_body(("plain",))
            assert body is not None
            [url] = re.findall(r"http://localhost:\d+/survey\?lang=fr#[A-Za-z0-9._-]+",
                               body.get_content())  # fmt: skip

            _, page = await new_page(browser)
            await page.goto(url)
            await expect(page.locator("h1")).to_have_text("Votre avis sur la médiation")
            await expect(page.locator("#survey-form")).to_be_visible(timeout=10000)
            await page.check("#survey-heard input[value='5']")
            await page.check("#survey-understood input[value='4']")
            await page.check("#survey-tool_worked input[value='4']")
            await page.check("#survey-recommend input[value='yes']")
            await page.screenshot(path=str(ARTIFACTS / "survey-mailed-form.png"), full_page=True)
            await page.click("#survey-send")
            await expect(page.locator("#survey-thanks")).to_contain_text("Merci", timeout=10000)

            # the same link again: said plainly, in either language
            await page.reload()
            survey = page.locator("#survey")
            await expect(survey).to_have_attribute("data-why", "spent", timeout=10000)
            await expect(survey).to_contain_text("déjà reçu une réponse")
            await page.click("button[data-lang=en]")
            await expect(survey).to_contain_text("already been answered")
            await page.screenshot(path=str(ARTIFACTS / "survey-mailed-spent.png"), full_page=True)
            assert page.errors == []  # type: ignore[attr-defined]

            # her personal link's end page has no second form for her
            _, room = await new_page(browser)
            await room.goto(f"{server.url}/room#{tokens['Alice Martin']}")
            await expect(room.locator("#ended")).to_be_visible(timeout=15000)
            await expect(room.locator("#survey")).to_have_attribute(
                "data-phase", "unavailable", timeout=10000
            )
            await expect(room.locator("#survey-form")).to_have_count(0)
            assert len(smtp.received) == 1

            db = Database(sqlite_url(server.var_dir))
            try:
                async with db.transaction() as tx:
                    answers = (
                        await tx.execute(text("SELECT count(*) FROM survey_answers"))
                    ).scalar()
            finally:
                await db.close()
            assert answers == 1
    finally:
        await smtp.stop()
