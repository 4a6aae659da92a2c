"""The room's shared text in real Chromium: three people typing into the same paragraph at
once converge on one text, which is the text stored in the case file; a reload and a late
joiner get it. (That a private meeting's text reaches nobody outside it is asserted on the
wire, in tests/signaling/test_drafting.py.)"""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Browser, Page, expect

from records.crypto.keys import FileKeyProvider
from records.crypto.keystore import KeyStore
from records.db import Database, sqlite_url
from records.service import default_keys_url
from records.stores.text_journal import TextJournal
from sessions.rooms import PLENARY
from sessions.shared_text import SharedText, TextEntry
from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import (
    admit,
    barrier,
    mediator_opens_room,
    new_page,
    party_reaches_lobby,
    received,
    until_true,
)

pytestmark = pytest.mark.browser

EDITOR = "#text .ProseMirror"
TEXT = f"(document.querySelector('{EDITOR}')?.innerText ?? null)"


async def open_text(page: Page) -> None:
    await page.click("#open-text")
    await expect(page.locator(EDITOR)).to_be_visible(timeout=15000)
    await expect(page.locator(EDITOR)).to_have_attribute("contenteditable", "true")
    await expect(page.locator("#text .text-status")).to_have_text("Enregistré")


async def text(page: Page) -> str:
    value: str = await page.evaluate(TEXT)
    return value.strip()


async def same_text(pages: list[Page], within: float = 15.0) -> str:
    """Waits until every page's editor shows the same text, and nothing is being saved."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        texts = [await text(p) for p in pages]
        saved = [await p.locator("#text .text-status").inner_text() for p in pages]
        if len(set(texts)) == 1 and set(saved) == {"Enregistré"}:
            return texts[0]
        if loop.time() > deadline:
            raise AssertionError(f"the editors do not agree: {texts} {saved}")
        await asyncio.sleep(0.1)


async def stored_text(server: LiveServer, session_id: str, room_id: str = PLENARY) -> str:
    """What the case file holds: every stored update of the room's text, applied in order."""
    db = Database(sqlite_url(server.var_dir))
    keys_db = Database(default_keys_url(db.url, server.var_dir))
    try:
        keys = FileKeyProvider(server.var_dir / "keys.json", must_exist=True)
        journal = TextJournal(db, KeyStore(keys_db), keys)
        case_id = await _case_of(db, session_id)
        stored = await journal.load(case_id, session_id, room_id)
        journal.close()
        shared = SharedText(room_id)
        shared.restore(TextEntry.from_record(e.seq, e.data()) for e in stored)
        return shared.plain().strip()
    finally:
        await keys_db.close()
        await db.close()


async def _case_of(db: Database, session_id: str) -> str:
    from records.stores.scheduling import ScheduleStore

    return (await ScheduleStore(db).get_roster(session_id)).session.case_id


async def type_at_end(page: Page, words: str) -> None:
    """Puts the caret at the end of the first paragraph and types, key by key."""
    await page.locator(f"{EDITOR} p").first.click()
    await page.keyboard.press("End")
    await page.keyboard.type(words, delay=40)


async def test_three_people_typing_at_once_converge_on_the_stored_text(
    live_server: LiveServer, browser: Browser
) -> None:
    names = ["Alice Martin", "Bruno Petit", "Dora Tardive"]
    session_id, tokens = await seed_session(live_server, names)
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    _, bruno = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    await party_reaches_lobby(bruno, live_server, tokens["Bruno Petit"], "Bruno Petit")
    await admit(claire, bruno, "Bruno Petit")
    pages = [claire, alice, bruno]
    for page in pages:
        await open_text(page)

    # The mediator starts the paragraph; everyone sees it.
    await claire.locator(EDITOR).click()
    await claire.keyboard.type("Accord :", delay=20)
    for page in pages:
        await until_true(page, f"({TEXT} || '').includes('Accord :')")

    # All three type into that paragraph at the same time.
    words = {"claire": " alpha", "alice": " bravo", "bruno": " charlie"}
    await asyncio.gather(
        type_at_end(claire, words["claire"]),
        type_at_end(alice, words["alice"]),
        type_at_end(bruno, words["bruno"]),
    )
    agreed = await same_text(pages)
    assert agreed.startswith("Accord :"), agreed
    # nothing anyone typed was lost, nor added (carets at the same place may interleave the
    # words: each person's caret follows where their editor maps it after others' inserts)
    typed = agreed.removeprefix("Accord :")
    assert sorted(typed) == sorted("".join(words.values())), agreed
    await claire.screenshot(path=str(ARTIFACTS / "shared-text-three.png"))
    assert await stored_text(live_server, session_id) == agreed

    # The versions say who changed the text; the oldest shows it as the mediator began it.
    await claire.click("#text-history-toggle")
    versions = claire.locator("#text-history li")
    await expect(versions.first).to_be_visible()
    names = await claire.locator("#text-history .text-version-who").all_inner_texts()
    assert {"Vous", "Alice Martin", "Bruno Petit"} <= set(names), names
    await versions.last.locator("button").click()
    shown = claire.locator("#text .text-version .ProseMirror")
    await expect(shown).to_be_visible()
    assert (await shown.inner_text()).startswith("Accord :")
    await claire.screenshot(path=str(ARTIFACTS / "shared-text-history.png"))
    await claire.click("#text .text-version-banner button")
    await expect(claire.locator(EDITOR)).to_be_visible()

    # A reload gets the text back from the server.
    await bruno.reload()
    await expect(bruno.locator("#stage")).to_be_visible(timeout=15000)
    await open_text(bruno)
    await until_true(bruno, f"({TEXT} || '').trim() === {agreed!r}")

    # So does someone who joins late.
    _, late = await new_page(browser)
    await party_reaches_lobby(late, live_server, tokens["Dora Tardive"], "Dora Tardive")
    await admit(claire, late, "Dora Tardive")
    await open_text(late)
    await until_true(late, f"({TEXT} || '').trim() === {agreed!r}")
    for page in [*pages, late]:
        assert getattr(page, "errors", []) == []


async def test_a_private_meetings_text_stays_there_until_the_mediator_brings_it(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    _, bruno = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    await party_reaches_lobby(bruno, live_server, tokens["Bruno Petit"], "Bruno Petit")
    await admit(claire, bruno, "Bruno Petit")
    for page in (claire, alice, bruno):
        await open_text(page)

    # A private meeting with Alice: its text is a new, empty one.
    seen_before = len(await received(bruno))
    await claire.locator("#panel .person", has_text="Alice Martin").locator("input").check()
    await claire.click("#open-caucus")
    await expect(alice.locator("#banner")).to_have_attribute("data-kind", "private")
    await expect(alice.locator("#text .text-note")).to_have_class(re.compile("private"))
    await until_true(alice, f"{TEXT} !== null && {TEXT}.trim() === ''")
    await expect(alice.locator(EDITOR)).to_have_attribute("contenteditable", "true")
    await alice.locator(EDITOR).click()
    await alice.keyboard.type("Je pourrais céder sur le préavis", delay=10)
    await alice.keyboard.press("Enter")
    await alice.keyboard.type("mais pas sur le loyer", delay=10)
    await until_true(claire, f"({TEXT} || '').includes('pas sur le loyer')")
    await claire.screenshot(path=str(ARTIFACTS / "shared-text-private.png"))
    await barrier(bruno)
    during = (await received(bruno))[seen_before:]
    assert not [p for event, p in during if event.startswith("text:") or "préavis" in str(p)]
    assert await text(bruno) == ""

    # The mediator brings the first paragraph into the plenary: Bruno sees that one only.
    await claire.locator(f"{EDITOR} p").first.click()
    await claire.click("#text-bring")
    await until_true(bruno, f"({TEXT} || '').includes('préavis')")
    assert await text(bruno) == "Je pourrais céder sur le préavis"
    await barrier(bruno)
    assert "loyer" not in str(await received(bruno))
    for page in (claire, alice, bruno):
        assert getattr(page, "errors", []) == []


async def test_a_locked_paragraph_is_the_mediators_to_change(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    for page in (claire, alice):
        await open_text(page)
    await expect(alice.locator("#text-lock")).to_have_count(0)
    await claire.locator(EDITOR).click()
    await claire.keyboard.type("Article 1 : le loyer reste inchangé.", delay=5)
    await claire.click("#text-lock")
    await expect(claire.locator(f"{EDITOR} p.text-locked")).to_have_count(1)
    await expect(alice.locator(f"{EDITOR} p.text-locked")).to_have_count(1)
    # Alice's keys do nothing in it; below it, she writes
    await alice.locator(f"{EDITOR} p").first.click()
    await alice.keyboard.press("End")
    await alice.keyboard.type(" NON", delay=5)
    await alice.keyboard.press("Backspace")
    await alice.keyboard.press("Enter")
    await alice.keyboard.type("Article 2 : à discuter.", delay=5)
    agreed = await same_text([claire, alice])
    lines = [line for line in agreed.splitlines() if line]  # a paragraph a line
    assert lines == ["Article 1 : le loyer reste inchangé.", "Article 2 : à discuter."], agreed
    await alice.screenshot(path=str(ARTIFACTS / "shared-text-locked.png"))
    for page in (claire, alice):
        assert getattr(page, "errors", []) == []
