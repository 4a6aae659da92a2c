"""A mediator and two parties see and hear each other through Palabre's relay."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session, serving
from tests.e2e.flows import (
    admit,
    barrier,
    mediator_opens_room,
    new_page,
    party_reaches_lobby,
    wait_for_flowing,
)

pytestmark = pytest.mark.browser


async def test_three_participants_see_and_hear_each_other(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    parties = {}
    for name in ["Alice Martin", "Bruno Petit"]:
        _, parties[name] = await new_page(browser)
        await party_reaches_lobby(parties[name], live_server, tokens[name], name)
        await admit(claire, parties[name], name)
    pages = [claire, *parties.values()]
    for page in pages:
        await expect(page.locator(".tile")).to_have_count(3, timeout=15000)
        await wait_for_flowing(page, videos=2, audios=2)
    await claire.screenshot(path=str(ARTIFACTS / "room-mediator.png"))

    # The mediator shares a screen: both parties decode it as a third video, then it stops.
    await claire.click("#toggle-screen")
    for page in parties.values():
        await expect(page.locator(".tile.screen")).to_have_count(1, timeout=10000)
        await wait_for_flowing(page, videos=3, audios=2)
    await parties["Alice Martin"].screenshot(path=str(ARTIFACTS / "room-screen-share.png"))
    await claire.click("#toggle-screen")
    for page in parties.values():
        await expect(page.locator(".tile.screen")).to_have_count(0, timeout=10000)

    # Bruno leaves: the others lose his tile within 5 s.
    bruno = parties["Bruno Petit"]
    await bruno.click("#leave")
    await expect(bruno.locator("#left")).to_be_visible()
    for page in [claire, parties["Alice Martin"]]:
        await expect(page.locator(".tile")).to_have_count(2, timeout=5000)
        await expect(page.locator(".tile-name", has_text="Bruno Petit")).to_have_count(0)

    # He comes back (on a phone), is let in again, and is seen and heard again.
    await bruno.context.close()
    _, bruno = await new_page(browser, phone=True)
    await bruno.goto(f"{live_server.url}/room#{tokens['Bruno Petit']}")
    await bruno.click("#enter")
    await admit(claire, bruno, "Bruno Petit")
    for page in [claire, parties["Alice Martin"], bruno]:
        await expect(page.locator(".tile")).to_have_count(3, timeout=15000)
        await wait_for_flowing(page, videos=2, audios=2)
    await bruno.screenshot(path=str(ARTIFACTS / "room-phone.png"))
    # On the phone the control bar keeps to two rows of short labels, full names for
    # screen readers: the tiles keep the screen.
    bar = await bruno.locator("#controls").bounding_box()
    assert bar is not None and bar["height"] < 110, bar
    await expect(bruno.locator("#toggle-mic .label-short")).to_have_text("Micro")
    await expect(bruno.locator("#toggle-mic .label-short")).to_be_visible()
    await expect(bruno.locator("#toggle-mic")).to_have_accessible_name("Couper le micro")
    await expect(bruno.locator("#withdraw")).to_have_accessible_name("Retirer mon consentement")

    # Alice reloads her page: she is back in the same room within 10 s, not re-admitted.
    alice = parties["Alice Martin"]
    await alice.reload()
    await expect(alice.locator("#stage")).to_be_visible(timeout=10000)
    await expect(alice.locator("#lobby")).to_have_count(0)
    await expect(alice.locator(".tile")).to_have_count(3, timeout=10000)
    await wait_for_flowing(alice, videos=2, audios=2)
    await wait_for_flowing(claire, videos=2, audios=2)
    for page in [claire, parties["Alice Martin"], bruno]:
        assert getattr(page, "errors", []) == []


async def test_a_full_relay_says_so_and_nothing_breaks_in_the_page(
    tmp_path: Path, browser: Browser
) -> None:
    """One UDP port for the relay: the mediator's connection takes it, the party's offer is
    refused (server_busy) while her connection stands: her page says sound and picture
    stopped, with no error left unhandled in it."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serving(tmp_path, PALABRE_RELAY_UDP_PORTS=f"{port}-{port}") as server:
        session_id, tokens = await seed_session(server, ["Alice Martin"])
        _, claire = await new_page(browser)
        await mediator_opens_room(claire, server, session_id)
        connection = claire.locator("#connection")
        await expect(connection).to_have_attribute("data-state", "connected", timeout=20000)
        _, alice = await new_page(browser)
        errors: list[str] = []
        alice.on("pageerror", lambda exc: errors.append(str(exc)))
        await party_reaches_lobby(alice, server, tokens["Alice Martin"], "Alice Martin")
        await admit(claire, alice, "Alice Martin")
        lost = alice.locator("#connection-lost")
        await expect(lost).to_have_attribute("data-kind", "failed", timeout=20000)
        await expect(lost).to_contain_text("Le son et l’image ne passent plus")
        await barrier(alice)
        assert errors == []
