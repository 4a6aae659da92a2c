"""A mediator takes party A aside: party B neither sees nor hears anything of it."""

from __future__ import annotations

import hashlib

import pytest
from playwright.async_api import Browser, expect

from records.crypto.keys import FileKeyProvider
from records.crypto.keystore import KeyStore, default_keys_url
from records.db import Database, sqlite_url
from records.logs.consent import ConsentLog
from records.stores.notices import NoticeTexts
from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import (
    admit,
    barrier,
    in_room,
    mediator_opens_room,
    new_page,
    party_reaches_lobby,
    received,
    rising,
    wait_for_flowing,
)

pytestmark = pytest.mark.browser


async def test_private_meeting_is_private(live_server: LiveServer, browser: Browser) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    _, bruno = await new_page(browser)
    await party_reaches_lobby(
        alice, live_server, tokens["Alice Martin"], "Alice Martin", shots="party"
    )
    await expect(claire.locator("#waiting-count")).to_have_text("1")
    await claire.screenshot(path=str(ARTIFACTS / "caucus-1-lobby.png"))
    await admit(claire, alice, "Alice Martin")
    await party_reaches_lobby(bruno, live_server, tokens["Bruno Petit"], "Bruno Petit")
    await admit(claire, bruno, "Bruno Petit")
    for page in (claire, alice, bruno):
        await wait_for_flowing(page, videos=2, audios=2)

    # The mediator opens a private meeting with Alice.
    seen_before = len(await received(bruno))
    await claire.locator("#panel .person", has_text="Alice Martin").locator("input").check()
    await claire.click("#open-caucus")
    await expect(alice.locator("#banner")).to_have_attribute("data-kind", "private")
    await expect(bruno.locator("#banner")).to_have_attribute("data-kind", "hold")
    await expect(bruno.locator(".tile")).to_have_count(1)  # only himself
    await expect(alice.locator(".tile")).to_have_count(2)  # herself and the mediator
    await wait_for_flowing(alice, videos=1, audios=1)
    # Alice writes in the private meeting's chat and draws on its board.
    secret = "Je pourrais céder sur le préavis"
    await alice.click("#open-chat")
    await alice.fill("#chat-input", secret)
    await alice.press("#chat-input", "Enter")
    await claire.click("#open-chat")
    await expect(claire.locator(".chat-message .chat-text")).to_have_text([secret])
    await expect(claire.locator(".chat-room")).to_have_class("chat-room private")
    stroke = {"type": "stroke", "id": "aside-1", "points": [[1.0, 2.0]], "color": "#000000",
              "width": 2.0}  # fmt: skip
    ack = await alice.evaluate(in_room("room.socket.emitWithAck('wb:op', { op })", "op"), stroke)
    assert ack["ok"], ack
    await bruno.click("#open-chat")
    await expect(bruno.locator(".chat-room")).to_have_class("chat-room plenary")
    await expect(bruno.locator(".chat-message")).to_have_count(0)
    frames, packets = await rising(bruno)
    assert (frames, packets) == (0, 0), "Bruno receives media during the private meeting"
    await barrier(bruno)
    await claire.screenshot(path=str(ARTIFACTS / "caucus-2-mediator.png"))
    await alice.screenshot(path=str(ARTIFACTS / "caucus-2-private-party.png"))
    await bruno.screenshot(path=str(ARTIFACTS / "caucus-3-waiting-party.png"))
    during = (await received(bruno))[seen_before:]
    events = {event for event, _ in during}
    # (e2ee:room: his own key group, alone while on hold; what it holds is checked below)
    assert events <= {"room:view", "rtc:offer", "e2ee:room"}, events
    alice_key = await alice.evaluate(in_room("room.self.key"))
    private_room = await alice.evaluate(in_room("room.view.room_id"))
    assert private_room != "plenary"
    leaks = [
        p for _, p in during
        if alice_key in p or private_room in p or "Alice" in p or "préavis" in p or "aside" in p
    ]  # fmt: skip
    assert leaks == []
    board = await bruno.evaluate(in_room("room.socket.emitWithAck('wb:sync', {})"))
    assert board["snapshot"]["objects"] == []

    # Back to the plenary: everyone sees and hears everyone again.
    await claire.click("#return-all")
    for page in (claire, alice, bruno):
        await expect(page.locator(".tile")).to_have_count(3, timeout=10000)
        await wait_for_flowing(page, videos=2, audios=2)
    for page in (claire, alice, bruno):
        assert getattr(page, "errors", []) == []

    # The consent records of this run match what was shown.
    db = Database(sqlite_url(live_server.var_dir))
    keys_db = Database(default_keys_url(db.url, live_server.var_dir))
    try:
        notices = NoticeTexts(db)
        shown = {
            "mediation": await notices.current("confidentiality", "fr"),
            "privacy": await notices.current("privacy", "fr"),
        }
        keys = FileKeyProvider(live_server.var_dir / "keys.json", must_exist=True)
        log = ConsentLog(db, keys, KeyStore(keys_db))
        for name, participant in zip(
            ["Alice Martin", "Bruno Petit"], await participants(db, session_id), strict=True
        ):
            entries = await log.current(session_id, participant, decrypt=True)
            assert set(entries) == {"mediation", "privacy"}
            for purpose, entry in entries.items():
                text = shown[purpose]
                assert entry.decision == "given"
                assert entry.text_version == text.version
                assert entry.text_sha256 == hashlib.sha256(text.body.encode()).hexdigest()
                assert entry.language == "fr" and entry.typed_name == name
                assert entry.mechanism["form"] == "join-page"
                assert "Chrome" in entry.mechanism["user_agent"]
        assert (await log.verify()).ok
    finally:
        await keys_db.close()
        await db.close()


async def participants(db: Database, session_id: str) -> list[str]:
    from records.stores.scheduling import ScheduleStore

    roster = await ScheduleStore(db).get_roster(session_id)
    return [pid for pid, _, _ in roster.participants]
