"""The relay tap's checks, without a browser: aiortc publishers at a bare relay, one
replaying clear VP8/Opus, one the same frames encrypted in the spec's format. The tap
reads the first and cannot read the second, which opens with the room key only."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from bench.relay_e2ee import KEY_INDEX, encrypt_media
from bench.relay_peers import Media, Publisher, pre_encode
from signaling.relay import Relay, RelayConfig
from tests import e2ee_frames
from tests.e2e.inprocess import OfferRouter
from tests.e2e.relay_tap import RelayTap
from tests.e2e.tap_checks import assert_tap_cannot_read_media, assert_tap_reads_media

ROOM = "s1.plenary"


@pytest.fixture(scope="module")
def media() -> Media:
    return pre_encode(seconds=1)


@pytest.fixture
async def relay() -> AsyncIterator[tuple[Relay, OfferRouter]]:
    offers = OfferRouter()

    async def nobody(participant_id: str, sdp: str) -> None:
        return None

    relay = Relay(RelayConfig(host_addresses=("127.0.0.1",)), offers.bind(nobody))
    try:
        yield relay, offers
    finally:
        await relay.close()


async def test_the_tap_reads_clear_media_and_not_encrypted_media(
    relay: tuple[Relay, OfferRouter], media: Media
) -> None:
    key = os.urandom(32)
    clear = Publisher("s1.p-clear", media, room=ROOM)
    sealed = Publisher("s1.p-sealed", encrypt_media(media, key), room=ROOM)
    try:
        for publisher in (clear, sealed):
            await publisher.connect(relay[0])
        async with RelayTap(*relay, "s1.tap-1", ROOM) as tap:
            await assert_tap_reads_media(tap, [clear.pid])
            await assert_tap_cannot_read_media(tap, [sealed.pid], {KEY_INDEX: key})
            with pytest.raises(AssertionError, match="decoded"):  # clear frames decode
                await assert_tap_cannot_read_media(tap, [clear.pid], {KEY_INDEX: key}, within=1)
            with pytest.raises(e2ee_frames.E2eeError):  # and do not open with the key
                e2ee_frames.decrypt_frame(
                    {KEY_INDEX: key}, tap.frames("video")[0].data, "video", False
                )
            wrong = {KEY_INDEX: os.urandom(32)}
            with pytest.raises(e2ee_frames.AuthenticationError):
                await assert_tap_cannot_read_media(tap, [sealed.pid], wrong, within=1)
    finally:
        await clear.pc.close()
        await sealed.pc.close()
