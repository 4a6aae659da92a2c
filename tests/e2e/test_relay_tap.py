"""A key-less subscriber attached at the relay itself gets the room's media.

Positive control for end-to-end encryption: with today's clear media the tap decodes
the pages' VP8 video; once pages encrypt, the same tap must decode nothing
(:func:`tests.e2e.tap_checks.assert_tap_cannot_read_media`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.async_api import Browser

from signaling.media import relay_room
from tests import e2ee_frames
from tests.e2e.conftest import seed_session
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby
from tests.e2e.inprocess import InProcessServer, in_process_server
from tests.e2e.relay_tap import CapturedFrame, RelayTap
from tests.e2e.tap_checks import assert_frames_unreadable, assert_tap_reads_media

pytestmark = pytest.mark.browser


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[InProcessServer]:
    async with in_process_server(tmp_path) as running:
        yield running


async def test_a_tap_at_the_relay_decodes_clear_media(
    server: InProcessServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, server, session_id)
    _, alice = await new_page(browser)
    await party_reaches_lobby(alice, server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")

    room = relay_room(session_id)
    tap = RelayTap(server.relay, server.offers, f"{session_id}.tap-1", room)
    async with tap:
        await tap.until(lambda: len(_publishers(server, room)) == 2)
        await assert_tap_reads_media(tap, _publishers(server, room))
        captured = tap.frames("video")
        assert all(f.data and f.arrival for f in captured)
        assert any(f.keyframe for f in captured)
        assert {s.label for s in tap.streams} >= {"camera", "microphone"}
        # The very same Chromium frames, encrypted as the spec says, fail the checks the
        # encrypted case will use: those checks are not vacuous on real pages' video.
        key = os.urandom(32)
        sealed = [
            replace(f, data=e2ee_frames.encrypt_frame(key, 7, f.data, _kind(f), f.keyframe))
            for f in tap.frames()
        ]
        assert_frames_unreadable(sealed, {7: key})
    assert f"{session_id}.tap-1" not in server.relay.participant_ids()
    for page in [claire, alice]:
        assert getattr(page, "errors", []) == []


def _kind(frame: CapturedFrame) -> e2ee_frames.Kind:
    return "video" if frame.kind == "video" else "audio"


def _publishers(server: InProcessServer, room: str) -> set[str]:
    return {t.publisher_id for t in server.relay.published_tracks() if t.room_id == room}
