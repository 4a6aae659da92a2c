"""Uploads cannot hold the server: permission first, one at a time per person, checks off
the event loop, and the uploader is told what hidden metadata was removed."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp

from server.uploading import UPLOAD_DESK_KEY
from tests.pdfgen import make_pdf
from tests.server import test_documents as documents
from tests.signaling import world as ns
from tests.signaling.world import Client, World, admitted, key, mediator, three, until

world = ns.world
clients = ns.clients
http = documents.http
stored_documents = documents.stored_documents


async def held_body(release: asyncio.Event, first: bytes = b"%PDF-1.4\n") -> AsyncIterator[bytes]:
    """A body whose end only comes once ``release`` is set."""
    yield first
    await release.wait()
    yield b"/Type /Page\n%%EOF\n"


async def test_an_observer_is_refused_before_the_body_is_read(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    anne = await mediator(world, clients)
    await ns.enter(world, clients, "Marc Durand")
    await ns.consent(world, "Jeanne Dupont")
    await admitted(world, clients, anne, "Olivia Observer")
    observer = await http("Olivia Observer")
    release = asyncio.Event()
    try:
        async with asyncio.timeout(5):  # the body never ends until the answer came
            status, body = await observer.upload(held_body(release))
    finally:
        release.set()
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert await stored_documents(world) == []


async def test_one_upload_in_flight_per_person(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    party = await http("Jeanne Dupont")
    other = await http("Jeanne Dupont")  # a second tab, same person
    release = asyncio.Event()
    first = asyncio.create_task(party.upload(held_body(release), "lent.pdf"))
    desk = world.server.app[UPLOAD_DESK_KEY]
    try:
        await until(lambda: desk.in_flight(world.session.id, key(world, "Jeanne Dupont")))
        status, body = await other.upload(make_pdf(1), "vite.pdf")
    finally:
        release.set()
    assert status == 429, body
    assert body["error"]["code"] == "upload_in_progress" and body["error"]["message"]
    status, done = await first
    assert (status, done["filename"]) == (201, "lent.pdf"), done
    status, body = await other.upload(make_pdf(1), "ensuite.pdf")  # and now it may
    assert status == 201, body
    marc = await http("Marc Durand")  # somebody else was never held up
    assert (await marc.upload(make_pdf(1)))[0] == 201


async def test_a_crafted_pdf_does_not_stall_the_event_loop(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    """``/Type/Pages`` x 100,000 blocked everything (healthz too) for 7.5 s."""
    await three(world, clients)
    party = await http("Jeanne Dupont")
    crafted = b"%PDF-1.4\n" + b"<</Type/Pages" * 400_000 + b"/Type/Page\n%%EOF\n"  # 5 MB
    lag = 0.0
    health: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal lag
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lag = max(lag, time.perf_counter() - before - 0.005)

    async def healthz() -> None:
        async with aiohttp.ClientSession() as session:
            while not done.is_set():
                before = time.perf_counter()
                async with session.get(f"{world.url}/healthz") as r:
                    assert r.status == 200
                health.append(time.perf_counter() - before)
                await asyncio.sleep(0.02)

    tasks = [asyncio.create_task(tick()), asyncio.create_task(healthz())]
    started = time.perf_counter()
    status, body = await party.upload(io.BytesIO(crafted), "piege.pdf")
    took = time.perf_counter() - started
    done.set()
    await asyncio.gather(*tasks)
    assert status in (201, 422), body
    assert took < 10, took
    assert health and max(health) < 0.5, max(health)
    assert lag < 0.25, lag


async def test_the_uploader_is_told_what_metadata_was_removed(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    await three(world, clients)
    party = await http("Jeanne Dupont")
    pdf = make_pdf(2, info={"Author": "Jeanne Dupont"}, xmp="<x:xmpmeta>Jeanne</x:xmpmeta>")
    status, body = await party.upload(pdf, "offre.pdf")
    assert status == 201, body
    assert body["metadata_removed"] == ["document_info", "xmp"]
    assert body["size"] == len(pdf)
    got = await (await http("Marc Durand")).get(body["doc_id"])
    assert got.status == 200 and b"Jeanne" not in got.body
    status, body = await party.upload(make_pdf(1), "propre.pdf")
    assert (status, body["metadata_removed"]) == (201, [])


async def test_image_bombs_are_refused_with_a_code(
    world: World, clients: Callable[[], Client], http: Callable[..., Any]
) -> None:
    from tests.records.files.test_uploads import png

    await three(world, clients)
    party = await http("Jeanne Dupont")
    good = png(2, 2)
    bomb = good[:16] + (30_000).to_bytes(4, "big") * 2 + good[24:]
    status, body = await party.upload(bomb, "bombe.png")
    assert (status, body["error"]["code"]) == (422, "image_too_large")
    assert await stored_documents(world) == []
