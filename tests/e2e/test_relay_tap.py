"""What the relay itself could get of an end-to-end encrypted session: nothing readable.

A subscriber of the test's own is attached at the relay (its Python API, no signaling, no
key), in the room the pages are in, and receives every packet the relay forwards there. It
decodes no frame, while every frame it got opens with the room key the pages exported (so
it did get the real media). Someone removed, or moved out of a private meeting, keeps every
key they held: none opens a frame sent after they left.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from signaling.media import relay_room
from tests import e2ee_frames
from tests.e2e.conftest import ARTIFACTS, seed_session
from tests.e2e.e2ee_pages import held_keys, key_bytes, shown, until_decoding, until_same_code
from tests.e2e.flows import (
    admit,
    in_room,
    mediator_opens_room,
    new_page,
    party_reaches_lobby,
    wait_for_flowing,
)
from tests.e2e.inprocess import InProcessServer, in_process_server
from tests.e2e.relay_tap import CapturedFrame, RelayTap
from tests.e2e.tap_checks import assert_tap_cannot_read_media, open_frames

pytestmark = pytest.mark.browser


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[InProcessServer]:
    async with in_process_server(tmp_path) as running:
        yield running


async def room_of_three(server: InProcessServer, browser: Browser) -> tuple[str, list[Page]]:
    session_id, tokens = await seed_session(server, ["Alice Martin", "Bruno Petit"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, server, session_id)
    pages = [claire]
    for name in ["Alice Martin", "Bruno Petit"]:
        _, page = await new_page(browser)
        await party_reaches_lobby(page, server, tokens[name], name)
        await admit(claire, page, name)
        pages.append(page)
    await until_same_code(pages)
    return session_id, pages


def publishers(server: InProcessServer, room: str) -> set[str]:
    return {t.publisher_id for t in server.relay.published_tracks() if t.room_id == room}


async def current_key(page: Page) -> dict[int, bytes]:
    """The room key the page holds now, by its key index."""
    group = await page.evaluate(in_room("room.keys.installed"))
    entry = next(k for k in await held_keys(page) if k["epoch"] == group["epoch"])
    return {entry["index"]: key_bytes(entry)}


async def keys_of(page: Page) -> dict[int, bytes]:
    """Every room key the page ever held, by key index."""
    return {k["index"]: key_bytes(k) for k in await held_keys(page)}


async def rekeyed(pages: Sequence[Page], before: str) -> None:
    """Until the pages agree on a code other than ``before`` (a new key set) and hold its key."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while (await shown(pages[0])).get("code") == before:
        assert loop.time() < deadline, "the code did not change"
        await asyncio.sleep(0.05)
    await until_same_code(list(pages))


def none_open(frames: Sequence[CapturedFrame], keys: dict[int, bytes]) -> None:
    """Not one of ``frames`` opens with any of ``keys``."""
    for frame in frames:
        kind: e2ee_frames.Kind = "video" if frame.kind == "video" else "audio"
        for index, key in keys.items():
            with pytest.raises(e2ee_frames.E2eeError):
                e2ee_frames.decrypt_frame({index: key}, frame.data, kind, frame.keyframe)


async def frames_after(
    tap: RelayTap, since: float, of: set[str], count: int = 40
) -> list[CapturedFrame]:
    """The frames of ``of`` the tap receives after ``since`` (at least ``count`` video frames
    of each, a key frame among them)."""

    def enough() -> bool:
        for publisher in of:
            video = [
                f for f in tap.frames("video") if f.publisher == publisher and f.arrival > since
            ]
            if len(video) < count or not any(f.keyframe for f in video):
                return False
        return True

    await tap.until(enough, 20)
    return [f for f in tap.frames() if f.arrival > since and f.publisher in of]


async def test_the_relay_gets_every_frame_and_can_read_none(
    server: InProcessServer, browser: Browser
) -> None:
    session_id, pages = await room_of_three(server, browser)
    room = relay_room(session_id)
    async with RelayTap(server.relay, server.offers, f"{session_id}.tap-1", room) as tap:
        await tap.until(lambda: len(publishers(server, room)) == 3)
        keys = await current_key(pages[1])
        await assert_tap_cannot_read_media(tap, publishers(server, room), keys)
        assert tap.packets("video") > 0 and tap.packets("audio") > 0
        assert {s.label for s in tap.streams} >= {"camera", "microphone"}
    for page in pages:
        assert getattr(page, "errors", []) == []


async def test_someone_removed_cannot_open_what_is_said_after(
    server: InProcessServer, browser: Browser
) -> None:
    session_id, (claire, alice, bruno) = await room_of_three(server, browser)
    room = relay_room(session_id)
    async with RelayTap(server.relay, server.offers, f"{session_id}.tap-1", room) as tap:
        await tap.until(lambda: len(publishers(server, room)) == 3)
        kept = await keys_of(bruno)  # everything Bruno's page ever held
        assert kept
        before = (await shown(claire))["code"]
        bruno_key = await bruno.evaluate(in_room("room.self.key"))
        ack = await claire.evaluate(
            in_room("room.socket.emitWithAck('participant:remove', { key })", "key"), bruno_key
        )
        assert ack["ok"], ack
        removed_at = time.monotonic()
        await expect(bruno.locator("#removed")).to_be_visible()
        await rekeyed([claire, alice], before)
        # everything sent from half a second after the removal: under a key Bruno never had
        speakers = publishers(server, room)
        assert len(speakers) == 2
        after = await frames_after(tap, removed_at + 0.5, speakers)
        none_open(after, kept)
        assert open_frames(after, await current_key(alice))  # the tap did get the real media
        await wait_for_flowing(alice, videos=1, audios=1)


async def test_someone_moved_out_of_a_private_meeting_cannot_open_what_is_said_after(
    server: InProcessServer, browser: Browser
) -> None:
    session_id, (claire, alice, bruno) = await room_of_three(server, browser)
    alice_key = await alice.evaluate(in_room("room.self.key"))
    ack = await claire.evaluate(
        in_room("room.socket.emitWithAck('caucus:open', { members: [key], label: '' })", "key"),
        alice_key,
    )
    assert ack["ok"], ack
    caucus = relay_room(session_id, ack["room_id"])
    # Claire and Alice see and hear each other under the meeting's own key; Bruno, alone
    # on hold, has a code of his own.
    meeting = await until_same_code([claire, alice])
    assert (await shown(bruno))["code"] != meeting
    for page in (claire, alice):
        await until_decoding(page)  # pictures and sound (audio energy), decrypted
    await claire.screenshot(path=str(ARTIFACTS / "e2ee-private-meeting.png"))

    async with RelayTap(server.relay, server.offers, f"{session_id}.tap-2", caucus) as tap:
        await tap.until(lambda: len(publishers(server, caucus)) == 2)
        await assert_tap_cannot_read_media(
            tap, publishers(server, caucus), await current_key(alice)
        )
        kept = await keys_of(alice)
        move = "room.socket.emitWithAck('caucus:move', { key, room_id: 'plenary' })"
        assert (await claire.evaluate(in_room(move, "key"), alice_key))["ok"]
        moved_at = time.monotonic()
        await rekeyed([claire], meeting)
        after = await frames_after(tap, moved_at + 0.5, publishers(server, caucus))
        none_open(after, kept)
        assert open_frames(after, await current_key(claire))
