"""The satisfaction survey on a party's end page: the mediator ends the session, the party
answers the questionnaire and is thanked; the stored row names nobody. Screenshots go to
test-artifacts/survey-*.png."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import text

from records.db import Database, sqlite_url
from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby

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
