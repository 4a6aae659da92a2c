"""Fixtures for the relay tests: a relay on loopback and a client harness."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from signaling.relay import Relay, RelayConfig

from .clients import LOOPBACK, Harness


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    yield h
    await h.close()


@pytest.fixture
async def relay(harness: Harness) -> AsyncIterator[Relay]:
    r = Relay(RelayConfig(host_addresses=LOOPBACK), harness.on_offer)
    yield r
    await r.close()


from .world import clients, world  # noqa: E402,F401  (fixtures shared by the namespace tests)
