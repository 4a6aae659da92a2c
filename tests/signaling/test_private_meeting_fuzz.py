"""Seeded, randomised whole sessions over real sockets: nothing of a room reaches anyone who was
not in it, and nobody removed, revoked or expired keeps a working connection.

Steps: private meetings opened, closed and everyone brought back; moves; chat, uploads and
drawings, some of them in flight while their author is moved; breaks (everyone leaves and the
live session is let go) and server restarts (a new app on the same database); the same link
from another device, let in or turned away; removals, REST revocations (with a new link
afterwards) and links that expire while connected. After every step, behind a barrier, each
content item (a unique token in a chat message, a document's name, a drawing's id) must have
reached only people who were in its room at some point, and the relay must forward each
person inside their own room only. After a break or a restart everyone who was in a room
is back in that same room from their own browser without being let in again (the live
session resumes from what was stored as it changed).

The suite runs one fixed seed; ``make fuzz`` runs more seeds and steps
(``PALABRE_FUZZ_SEED``, ``PALABRE_FUZZ_STEPS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

import signaling.live
from records.models import utcnow
from server.realtime import NAMESPACE_KEY
from tests.server.browserlike import BrowserHttp
from tests.signaling.world import Client, World, consent, key, restarted, until, world_on

SEED = int(os.environ.get("PALABRE_FUZZ_SEED", "20261206"))
STEPS = int(os.environ.get("PALABRE_FUZZ_STEPS", "60"))
PARTIES = ("Jeanne Dupont", "Marc Durand", "Me Paul Girard")


@dataclass
class Item:
    token: str
    room: str  # where the server took it


@dataclass
class Person:
    name: str
    key: str
    client: Client | None = None
    out: bool = False  # removed: never again in this session
    device: str | None = None  # the browser holding the seat, if not the link's usual one
    gone: list[Client] = field(default_factory=list)  # connections that must be closed


class Run:
    def __init__(self, world: World, tmp_path: Path, rng: random.Random) -> None:
        self.world = world
        self.tmp_path = tmp_path
        self.rng = rng
        self.relay = world.relay
        self.people = {n: Person(n, key(world, n)) for n in PARTIES}
        self.anne: Client | None = None
        self.items: list[Item] = []
        self.ever_in: dict[str, set[str]] = {}
        self.counter = 0
        self.restarts = contextlib.AsyncExitStack()
        self.log: list[str] = []

    # -- the server's side -------------------------------------------------------------

    @property
    def hub(self) -> Any:
        return self.world.server.app[NAMESPACE_KEY].hub

    def snapshot(self) -> None:
        """Who is in which room now, by the server's domain (accumulated)."""
        live = self.hub.session(self.world.session.id)
        if live is None:
            return
        for pid, room in live.rooms.placed().items():
            self.ever_in.setdefault(self.instance(room), set()).add(pid)

    def instance(self, room: str) -> str:
        """A room as one meeting: a private meeting carries on across breaks and restarts
        under its id, and a new one never takes the id of another."""
        return room

    def rooms(self) -> list[str]:
        live = self.hub.session(self.world.session.id)
        return [] if live is None else live.rooms.open_room_ids()

    def placed(self) -> dict[str, str]:
        live = self.hub.session(self.world.session.id)
        return {} if live is None else dict(live.rooms.placed())

    def token(self, kind: str) -> str:
        self.counter += 1
        return f"tok{kind}{self.counter:04d}x{self.rng.randrange(10**6):06d}"

    # -- people ----------------------------------------------------------------------------

    def present(self) -> list[Person]:
        placed = self.placed()
        return [p for p in self.people.values() if p.client is not None and p.key in placed]

    async def connect_mediator(self) -> None:
        anne = Client()
        cookie = self.world.mediator_cookie
        await anne.connect(self.world, {"session_id": self.world.session.id}, cookie=cookie)
        await until(lambda: bool(anne.seen("session:hello")))
        assert (await anne.call("lobby:knock", {}))["state"] == "admitted"
        self.anne = anne

    async def bring_in(self, person: Person) -> bool:
        """Connect from their browser, knock and be let in unless they still hold a seat;
        returns whether they had to be let in."""
        if person.out:
            return False
        c = Client()
        auth: dict[str, Any] = {"token": self.world.tokens[person.name]}
        if person.device is not None:
            auth["device"] = person.device
        await c.connect(self.world, auth)
        await until(lambda: bool(c.seen("session:hello")))
        let_in = c.hello["state"] != "admitted"
        if let_in:
            ack = await c.call("lobby:knock", {})
            assert ack["ok"], ack
            assert self.anne is not None
            assert (await self.anne.call("lobby:admit", {"key": person.key}))["ok"]
        await until(lambda: bool(c.seen("room:view")))
        person.client = c
        return let_in

    async def everyone_leaves(self) -> None:
        for c in self.connected():
            await c.close()
        for person in self.people.values():
            person.client = None
        self.anne = None
        await until(lambda: self.hub.session(self.world.session.id) is None, within=5)

    async def everyone_comes_back(self, placed: dict[str, str] | None = None) -> None:
        """Everyone connects again; ``placed``: who was in which room before a break or a
        restart, where each must be again without being let in."""
        await self.connect_mediator()
        for person in self.people.values():
            let_in = await self.bring_in(person)
            if placed is not None and person.key in placed:
                assert not let_in, f"seed {SEED}: {person.key} had to be let in again"
        if placed is not None:
            now = self.placed()
            again = {k: now.get(k) for k in placed}
            assert again == placed, f"seed {SEED}: not back where they were: {again} {placed}"

    def connected(self) -> list[Client]:
        out = [p.client for p in self.people.values() if p.client is not None]
        return ([self.anne] if self.anne is not None else []) + out

    # -- steps -------------------------------------------------------------------------------

    async def open_private(self) -> None:
        present = self.present()
        if not present or self.anne is None:
            return
        chosen = self.rng.sample(present, self.rng.randint(1, len(present)))
        members = [p.key for p in chosen]
        ack = await self.anne.call("caucus:open", {"members": members, "label": ""})
        assert ack["ok"] or ack["error"]["code"] in {"conflict", "not_in_room"}, ack

    async def close_private(self) -> None:
        private = [r for r in self.rooms() if r != "plenary"]
        if self.anne is None:
            return
        if private and self.rng.random() < 0.6:
            ack = await self.anne.call("caucus:close", {"room_id": self.rng.choice(private)})
        else:
            ack = await self.anne.call("caucus:return_all", {})
        assert ack["ok"], ack

    async def move(self) -> None:
        present = self.present()
        if not present or self.anne is None:
            return
        person = self.rng.choice(present)
        room = self.rng.choice(self.rooms())
        ack = await self.anne.call("caucus:move", {"key": person.key, "room_id": room})
        assert ack["ok"] or ack["error"]["code"] in {"validation_error", "not_in_room"}, ack

    async def post(self, person: Person, room: str, *, kind: str) -> None:
        """One content item from ``person``, meant for ``room``."""
        c = person.client
        assert c is not None
        token = self.token(kind)
        if kind == "chat":
            ack = await c.call("chat:send", {"text": f"secret {token}", "room_id": room})
            taken = ack["ok"]
            where = ack["message"]["room_id"] if taken else None
        elif kind == "draw":
            op = {
                "type": "text", "id": token, "x": 1.0, "y": 2.0, "text": token,
                "color": "#000000", "size": 12.0,
            }  # fmt: skip
            ack = await c.call("wb:op", {"op": op, "room_id": room})
            taken = ack["ok"]
            where = room if taken else None
        else:
            status, body = await self.upload(person, token, room)
            taken = status == 201
            where = body["room_id"] if taken else None
            ack = body
        if taken:
            assert where == room, (token, where, room)  # never anywhere else
            self.items.append(Item(token, self.instance(room)))
        else:
            assert ack["error"]["code"] in {
                "not_in_room", "forbidden", "not_joined", "not_authenticated",
            }, ack  # fmt: skip

    async def upload(self, person: Person, token: str, room: str) -> tuple[int, Any]:
        http = BrowserHttp(self.world, token=self.world.tokens[person.name])
        try:
            await http.prime()
            url = f"{self.world.url}/api/sessions/{self.world.session.id}/documents"
            headers = http.headers(True, **{"X-Filename": quote(f"{token}.txt")})
            params = {"visibility": "room", "room_id": room}
            body = f"Pièce confidentielle {token}\n".encode()
            async with http.session.post(url, data=body, params=params, headers=headers) as r:
                return r.status, await r.json()
        except aiohttp.ClientError:
            return 0, {"error": {"code": "not_authenticated"}}
        finally:
            await http.close()

    async def content(self) -> None:
        present = self.present()
        if not present:
            return
        person = self.rng.choice(present)
        room = self.placed()[person.key]
        kind = self.rng.choice(["chat", "chat", "draw", "upload"])
        await self.post(person, room, kind=kind)

    async def content_in_flight(self) -> None:
        """Something typed in one room while its author is moved elsewhere."""
        present = self.present()
        if not present or self.anne is None:
            return
        person = self.rng.choice(present)
        room = self.placed()[person.key]
        others = [r for r in self.rooms() if r != room]
        if not others:
            return
        kind = self.rng.choice(["chat", "draw", "upload"])
        moving = self.anne.call("caucus:move", {"key": person.key, "room_id": others[0]})
        self.snapshot()
        await asyncio.gather(moving, self.post(person, room, kind=kind))

    async def second_device(self) -> None:
        present = [p for p in self.present() if not p.out]
        if not present or self.anne is None:
            return
        person = self.rng.choice(present)
        other = Client()
        token = self.world.tokens[person.name]
        device = f"dev{self.token('d')}"
        await other.connect(self.world, {"token": token, "device": device})
        await until(lambda: bool(other.seen("session:hello")))
        assert other.hello["state"] == "waiting" and other.hello["again"] is True
        # it may ask for things: it gets nothing of the room
        ack = await other.call("chat:history", {})
        assert ack["error"]["code"] == "not_joined", ack
        if self.rng.random() < 0.5:
            assert (await self.anne.call("lobby:admit", {"key": person.key}))["ok"]
            assert person.client is not None
            person.gone.append(person.client)
            await until(lambda: bool(other.seen("room:view")))
            person.client = other
            person.device = device  # the seat is this browser's now
        else:
            assert (await self.anne.call("lobby:decline", {"key": person.key}))["ok"]
            person.gone.append(other)

    async def remove(self) -> None:
        candidates = [p for p in self.present() if not p.out]
        if len(candidates) < 2 or self.anne is None or self.rng.random() < 0.5:
            return
        person = self.rng.choice(candidates)
        assert (await self.anne.call("participant:remove", {"key": person.key}))["ok"]
        person.out = True
        if person.client is not None:
            person.gone.append(person.client)
        person.client = None

    async def revoke(self) -> None:
        """Over REST: revoke the person's link, then give them a new one; they come back
        through the lobby with it."""
        candidates = [p for p in self.people.values() if not p.out and p.client is not None]
        if not candidates:
            return
        person = self.rng.choice(candidates)
        http = BrowserHttp(self.world, cookie=self.world.mediator_cookie)
        await http.prime()
        try:
            pid = person.key[2:]
            base = f"{self.world.url}/api/sessions/{self.world.session.id}/links"
            if self.rng.random() < 0.5:
                async with http.session.get(base, headers=http.headers(False)) as r:
                    links = (await r.json())["links"]
                jti = next(x["jti"] for x in links if x["participant_id"] == pid)
                url = f"{self.world.url}/api/links/{jti}/revoke"
                async with http.session.post(url, headers=http.headers()) as r:
                    assert r.status == 204
            async with http.session.post(f"{base}/{pid}", headers=http.headers()) as r:
                assert r.status == 201
                self.world.tokens[person.name] = (await r.json())["url"].split("#", 1)[1]
        finally:
            await http.close()
        assert person.client is not None
        person.gone.append(person.client)
        person.client = None
        person.device = None  # a new link: the browser's id for it
        if self.rng.random() < 0.7:
            await self.bring_in(person)

    async def expire(self) -> None:
        present = self.present()
        if not present:
            return
        person = self.rng.choice(present)
        sid = self.hub.seat_of(self.world.session.id, person.key)
        who = None if sid is None else self.hub.connections.get(sid)
        assert sid is not None and who is not None
        self.hub.connections.attach(dataclasses.replace(who, expires_at=utcnow().timestamp()), sid)
        assert person.client is not None
        person.gone.append(person.client)
        person.client = None
        await until(lambda: bool(person.gone[-1].seen("session:kicked")), within=5)
        await self.bring_in(person)  # the link itself still works: back through the lobby

    async def take_a_break(self) -> None:
        placed = self.placed()
        await self.everyone_leaves()
        await self.everyone_comes_back(placed)

    async def restart(self) -> None:
        placed = self.placed()
        await self.everyone_leaves()
        await self.restarts.aclose()
        self.restarts = contextlib.AsyncExitStack()
        self.world = await self.restarts.enter_async_context(restarted(self.world, self.tmp_path))
        self.relay = self.world.relay
        await self.everyone_comes_back(placed)

    # -- the checks ----------------------------------------------------------------------------

    async def check(self, step: int, what: str) -> None:
        self.snapshot()
        live = self.connected()
        for c in live:  # a barrier each: anything sent before now has arrived
            before = len(c.seen("lobby:state"))
            assert (await c.call("lobby:knock", {}))["ok"]
            await until(lambda c=c, n=before: len(c.seen("lobby:state")) > n)
        holders: list[tuple[str, Client]] = [
            (p.key, p.client) for p in self.people.values() if p.client
        ]
        holders += [(p.key, g) for p in self.people.values() for g in p.gone]
        if self.anne is not None:
            holders.append((self.anne.hello["self"]["key"], self.anne))
        for item in self.items:
            allowed = self.ever_in.get(item.room, set())
            for who, c in holders:
                if who not in allowed and any(item.token in repr(d) for _e, d in c.events):
                    raise AssertionError(
                        f"seed {SEED} step {step} ({what}): {who} received {item.token} of "
                        f"{item.room}, where they never were; steps: {self.log}"
                    )
        for person in self.people.values():
            for gone in person.gone:
                await until(lambda g=gone: not g.sio.connected, within=5)
        self.check_relay()

    def check_relay(self) -> None:
        live = self.hub.session(self.world.session.id)
        placed = {} if live is None else live.rooms.placed()
        session_id = self.world.session.id
        for pid, relay_room in self.relay.rooms.items():
            k = pid.split(".", 1)[1]
            assert k in placed, f"seed {SEED}: the relay still forwards {k}, who is in no room"
            assert relay_room in {f"{session_id}.{placed[k]}", f"{session_id}.hold-{k}"}, (
                f"seed {SEED}: {k} forwarded in {relay_room}, but is in {placed[k]}"
            )


async def test_seeded_sessions_leak_nothing_across_rooms(
    tmp_path: Path, sqlite_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setattr(signaling.live, "REVOCATION_POLL_SECONDS", 0.5)
    rng = random.Random(SEED)
    async with world_on(tmp_path, sqlite_url) as world:
        for name in PARTIES:
            await consent(world, name)
        run = Run(world, tmp_path, rng)
        await run.everyone_comes_back()
        steps: list[tuple[Callable[[], Any], int]] = [
            (run.open_private, 6), (run.close_private, 3), (run.move, 4), (run.content, 14),
            (run.content_in_flight, 5), (run.second_device, 2), (run.remove, 1),
            (run.revoke, 2), (run.expire, 1), (run.take_a_break, 2), (run.restart, 1),
        ]  # fmt: skip
        actions = [a for a, weight in steps for _ in range(weight)]
        try:
            for step in range(STEPS):
                action = rng.choice(actions)
                run.log.append(action.__name__)
                run.snapshot()
                await action()
                await run.check(step, action.__name__)
                if all(p.out for p in run.people.values()):
                    break
            assert run.items, "the run posted nothing: the check proved nothing"
        finally:
            for c in run.connected():
                await c.close()
            await run.restarts.aclose()
