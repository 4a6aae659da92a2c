"""The states between arriving and leaving, as a party on a phone sees them, in both languages.

Waiting in the lobby (its own status, not "Vérification"), not let in, the network gone and
back, the server gone for a while (the room says so and nothing in it can be used; when it is
back the party is in the room again at once, nobody lets them in again: the live session
resumes from what was stored as it changed), the session over (in the room and on the join
page), links expired or withdrawn. On a phone with the board open and several tiles, the
control bar stays in sight and the board's tools do not scroll sideways. Screenshots:
test-artifacts/state-*.png.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import (
    ARTIFACTS,
    MEDIATOR_EMAIL,
    LiveServer,
    kill_server,
    restart_server,
    seed_session,
)
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby

pytestmark = pytest.mark.browser

FITS = """
() => {
  const bar = document.getElementById('controls').getBoundingClientRect();
  const tools = document.getElementById('board-toolbar');
  const strip = document.getElementById('tiles');
  return {
    controlsInSight: bar.top >= 0 && bar.bottom <= innerHeight,
    toolsScroll: tools.scrollWidth > tools.clientWidth + 1,
    stripScrolls: strip.scrollWidth > strip.clientWidth + 1,
    pageScrolls: document.documentElement.scrollWidth > innerWidth,
  };
}
"""


async def room_is_dead(page: Page) -> None:
    """Nothing of the room can be used: every control sits in an inert part of the page."""
    live = await page.evaluate(
        "[...document.querySelectorAll('#controls button, #work button')]"
        ".filter((b) => !b.closest('[inert]') && b.offsetParent).length"
    )
    assert live == 0


async def test_a_party_on_a_phone_waits_loses_the_connection_and_comes_back(
    live_server: LiveServer, browser: Browser
) -> None:
    names = ["Alice Martin", "Bruno Petit", "Chloé Roux"]
    session_id, tokens = await seed_session(live_server, names)
    _, claire = await new_page(browser)
    _, alice = await new_page(browser, phone=True)
    # Alice arrives before the mediator: the waiting room, and a status that says so.
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await expect(alice.locator("#connection")).to_have_text("En salle d’attente")
    # ... and that nobody is there yet to let her in
    await expect(alice.locator("#lobby")).to_contain_text("pas encore dans la séance")
    await expect(alice.locator("#lobby h1")).to_be_focused()
    await alice.click("button[data-lang=en]")  # the waiting room follows the language
    await expect(alice.locator("#lobby")).to_contain_text("not in the session yet")
    await alice.click("button[data-lang=fr]")
    await expect(alice.locator("#lobby")).to_contain_text("pas encore dans la séance")
    await expect(alice.locator("#stage")).to_be_hidden()
    await mediator_opens_room(claire, live_server, session_id)
    # the mediator has arrived: the page says so by itself, without a reload
    await expect(alice.locator("#lobby")).to_contain_text("Le médiateur va vous faire entrer")
    await admit(claire, alice, "Alice Martin")
    _, bruno = await new_page(browser)
    await party_reaches_lobby(bruno, live_server, tokens["Bruno Petit"], "Bruno Petit")
    await admit(claire, bruno, "Bruno Petit")
    # Chloé is not let in: her own page, nothing to click, and not "Connecté".
    _, chloe = await new_page(browser)
    await party_reaches_lobby(chloe, live_server, tokens["Chloé Roux"], "Chloé Roux")
    await claire.locator("#waiting li", has_text="Chloé Roux").locator(".decline").click()
    await expect(chloe.locator("#declined h1")).to_have_text(
        "Le médiateur ne vous a pas fait entrer", timeout=10000
    )
    await expect(chloe.locator("#declined")).to_contain_text("Contactez votre médiateur")
    await expect(chloe.locator("#connection")).to_have_text("Hors de la séance")
    await expect(chloe.locator("button:visible:not([data-lang])")).to_have_count(0)
    await expect(chloe.locator("#stage")).to_be_hidden()
    # the focus went with the waiting room: the new page's heading has it
    await expect(chloe.locator("#declined h1")).to_be_focused()
    await chloe.context.close()

    # The board shown to everyone, three tiles: on the phone all of it fits.
    await claire.click("#open-board")
    await claire.click("#board-show")
    await expect(alice.locator("#board")).to_be_visible(timeout=10000)
    await expect(alice.locator(".tile")).to_have_count(3, timeout=15000)
    await expect(alice.locator("#connection")).to_have_text("Connecté", timeout=20000)
    fits = await alice.evaluate(FITS)
    assert fits == {
        "controlsInSight": True,
        "toolsScroll": False,
        "stripScrolls": False,
        "pageScrolls": False,
    }
    await alice.screenshot(path=str(ARTIFACTS / "state-board-phone.png"))

    # The network goes: said at once, nothing can be clicked; back: the room works again.
    await alice.context.set_offline(True)
    lost = alice.locator("#connection-lost")
    await expect(lost).to_contain_text("La connexion au serveur est coupée")
    await expect(alice.locator("#connection")).to_have_text("Reconnexion…")
    await room_is_dead(alice)
    await alice.context.set_offline(False)
    await expect(lost).to_be_hidden()
    await expect(alice.locator("#connection")).to_have_text("Connecté")
    await expect(alice.locator("#leave")).to_be_enabled()
    assert await alice.evaluate("document.getElementById('controls').inert") is False

    # In English, the server goes for a while.
    await alice.click("button[data-lang=en]")
    kill_server(live_server)
    await expect(lost).to_contain_text("The connection to the server is lost", timeout=10000)
    await expect(alice.locator("#connection")).to_have_text("Reconnecting…")
    await room_is_dead(alice)
    fits = await alice.evaluate(FITS)
    assert fits["controlsInSight"]
    await alice.screenshot(path=str(ARTIFACTS / "state-server-gone-phone.png"))
    # Back, it remembers who was let in: Alice is in the room again at once, whole, and
    # nobody had to let her in (the mediator did nothing).
    restart_server(live_server)
    await expect(lost).to_be_hidden(timeout=15000)
    await expect(alice.locator("#connection")).to_have_text("Connected", timeout=20000)
    await expect(alice.locator("#lobby")).to_have_count(0)
    await expect(alice.locator("#controls")).to_be_visible()
    await expect(alice.locator("#leave")).to_be_enabled()
    assert await alice.evaluate("document.getElementById('controls').inert") is False
    await expect(claire.locator("#waiting li")).to_have_count(0)
    await alice.screenshot(path=str(ARTIFACTS / "state-server-back-in-room-phone.png"))

    # The session ends; the link then says so, with what comes next.
    await claire.click("#end-session")
    await expect(alice.locator("#ended h1")).to_have_text("The session has ended", timeout=10000)
    await alice.goto(f"{live_server.url}/join#{tokens['Alice Martin']}")
    error = alice.locator("#link-error")
    await expect(error).to_have_attribute("data-code", "session_closed")
    await expect(error).to_contain_text("link to the next session")
    await expect(error).not_to_contain_text("new link")
    await expect(error.locator("a[href^=mailto]")).to_be_visible()
    # The room's own address, opened again: the end page, not "cannot enter".
    await alice.goto(f"{live_server.url}/room#{tokens['Alice Martin']}")
    await expect(alice.locator("#ended h1")).to_have_text("The session has ended")
    await expect(alice.locator("#connection")).to_have_text("Session over")
    # The mediator opening the room of a closed session again: why not, and what to do.
    await claire.goto(f"{live_server.url}/room?session={session_id}")
    await expect(claire.locator("#ended")).to_contain_text("sa salle ne s’ouvre plus")
    await expect(claire.locator("#back-to-case")).to_be_visible()
    for page in (claire, alice, bruno):
        assert page.errors == [], page.url  # type: ignore[attr-defined]


async def test_expired_and_withdrawn_links_say_so_in_both_languages(
    live_server: LiveServer, browser: Browser
) -> None:
    from records.db import Database, sqlite_url
    from records.stores.accounts import AccountStore
    from records.stores.scheduling import ScheduleStore
    from server.invites.links import LinkService, LinkSigner
    from server.invites.signing import load_or_create_signing_key

    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    db = Database(sqlite_url(live_server.var_dir))
    try:
        schedule = ScheduleStore(db)
        signer = LinkSigner(load_or_create_signing_key(live_server.var_dir / "signing.key"))
        links = LinkService(signer, schedule, live_server.url, timedelta(hours=1))
        credentials = await AccountStore(db).get_credentials(MEDIATOR_EMAIL)
        assert credentials is not None
        mediator = credentials.mediator.id
        participant = signer.verify(tokens["Alice Martin"]).participant_id
        past = datetime.now(UTC) - timedelta(minutes=5)
        revoked = await links.issue(session_id, participant, mediator)
        # the participant's current link, past its time (issuing it withdraws the one before:
        # a link both withdrawn and past its time is told as withdrawn)
        expired = await schedule.issue_link(
            session_id, participant, mediator, secrets.token_hex(16), past
        )
    finally:
        await db.close()
    cases = {
        "link_expired": (links.url_for(expired), "Ce lien a expiré", "This link has expired"),
        "link_revoked": (links.url_for(revoked), "Ce lien a été retiré", "withdrawn"),
    }
    for phone, lang in ((True, "fr"), (False, "en")):
        _, page = await new_page(browser, phone=phone)
        if lang == "en":
            await page.goto(f"{live_server.url}/join")
            await page.click("button[data-lang=en]")
        for code, (url, fr, en) in cases.items():
            await page.goto(url)
            await page.reload()  # only the fragment changed
            error = page.locator("#link-error")
            await expect(error).to_have_attribute("data-code", code)
            await expect(error.locator("h1")).to_contain_text(fr if lang == "fr" else en)
            await expect(error.locator("a[href^=mailto]")).to_be_visible()  # whom to ask
            assert not await page.evaluate("document.documentElement.scrollWidth > innerWidth")
            await page.screenshot(path=str(ARTIFACTS / f"state-{code}-{lang}.png"))
