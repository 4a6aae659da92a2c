"""A locked-down network: browsers reach Palabre's relay only through coturn.

The deployment forces TURN (PALABRE_ICE_TRANSPORT_POLICY=relay) and tells browsers of one
TURN URL only, over TCP (or TLS); the relay's own ports come from PALABRE_RELAY_UDP_PORTS.
Everything runs on this machine, on loopback.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.e2e.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LiveServer, seed_session, serving
from tests.e2e.coturn import Coturn, running_coturn
from tests.e2e.flows import (
    admit,
    mediator_opens_room,
    new_page,
    party_reaches_lobby,
    wait_for_flowing,
)
from tests.signaling.clients import free_udp_range

pytestmark = pytest.mark.browser

# The path media takes: the selected candidate pair of the page's connection to the relay,
# and every local candidate the browser gathered.
SELECTED_PATH = """
async () => {
  const { state: room } = await import('/static/js/room/room.js');
  if (!room || !room.relay) return null;
  const report = await room.relay.pc.getStats();
  let pairId = null;
  const locals = [];
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    if (s.type === 'local-candidate') locals.push(s.candidateType);
  });
  if (!pairId) return null;
  const pair = report.get(pairId);
  const local = report.get(pair.localCandidateId);
  const remote = report.get(pair.remoteCandidateId);
  return {
    policy: room.relay.pc.getConfiguration().iceTransportPolicy,
    locals,
    local: { type: local.candidateType, relayProtocol: local.relayProtocol, url: local.url },
    remote: { type: remote.candidateType, port: remote.port },
  };
}
"""


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    with running_coturn(tmp_path / "coturn") as turn:
        yield turn


@contextlib.contextmanager
def _turn_only(tmp_path: Path, url: str, coturn: Coturn) -> Iterator[LiveServer]:
    low, high = free_udp_range(20)
    with serving(
        tmp_path,
        PALABRE_TURN_URLS=url,
        PALABRE_TURN_SECRET=coturn.secret,
        PALABRE_ICE_TRANSPORT_POLICY="relay",
        PALABRE_RELAY_UDP_PORTS=f"{low}-{high}",
    ) as server:
        yield server


# (each server fixture comes before the browser: the pages close before the server stops)
@pytest.fixture
def over_tcp(tmp_path: Path, coturn: Coturn) -> Iterator[LiveServer]:
    with _turn_only(tmp_path, f"turn:127.0.0.1:{coturn.port}?transport=tcp", coturn) as server:
        yield server


@pytest.fixture
def over_tls(tmp_path: Path, coturn: Coturn) -> Iterator[LiveServer]:
    url = f"turns:127.0.0.1:{coturn.tls_port}?transport=tcp"
    with _turn_only(tmp_path, url, coturn) as server:
        yield server


async def _see_and_hear_through_coturn(
    server: LiveServer, browser: Browser, coturn: Coturn, protocol: str
) -> None:
    session_id, tokens = await seed_session(server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, server, session_id)
    _, alice = await new_page(browser)
    await party_reaches_lobby(alice, server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    low, high = (int(p) for p in server.env["PALABRE_RELAY_UDP_PORTS"].split("-"))
    for page in (claire, alice):
        await expect(page.locator(".tile")).to_have_count(2, timeout=20000)
        try:
            await wait_for_flowing(page, videos=1, audios=1)
        except AssertionError:
            print("".join(server.output)[-6000:], *page.errors, sep="\n")
            raise
        path = await page.evaluate(SELECTED_PATH)
        assert path is not None, "no selected candidate pair"
        assert path["policy"] == "relay", path
        assert set(path["locals"]) == {"relay"}, path  # nothing but TURN was even tried
        assert path["local"]["type"] == "relay", path
        assert path["local"]["relayProtocol"] == protocol, path
        # the relay's end is one of its host candidates, within the configured range
        assert path["remote"]["type"] == "host" and low <= path["remote"]["port"] <= high, path
    await alice.screenshot(path=str(ARTIFACTS / f"room-turn-{protocol}.png"))
    # coturn allocated for Palabre's per-connection usernames, and its log names no one
    log = coturn.log_text()
    users = set(
        re.findall(r"user <(\d+:[A-Za-z0-9_-]+)>: incoming packet ALLOCATE processed, success", log)
    )
    assert len(users) >= 2, log[-3000:]
    for personal in ("Alice", "Martin", "claire", "Claire", "example.org"):
        assert personal not in log


async def test_relay_only_through_coturn_over_tcp(
    over_tcp: LiveServer, coturn: Coturn, browser: Browser
) -> None:
    await _see_and_hear_through_coturn(over_tcp, browser, coturn, "tcp")


@pytest.fixture
async def browser_trusting_any_certificate() -> AsyncIterator[Browser]:
    """Chromium checks a TURN server's TLS certificate; ours is self-signed."""
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"],
        )
        yield b
        await b.close()


async def test_relay_only_through_coturn_over_tls(
    over_tls: LiveServer, coturn: Coturn, browser_trusting_any_certificate: Browser
) -> None:
    await _see_and_hear_through_coturn(over_tls, browser_trusting_any_certificate, coturn, "tls")
