"""Fan-out without a task per recipient: who gets a packet, in which order, closed connections."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio
from engineio.exceptions import SocketIsClosedError
from socketio.async_pubsub_manager import AsyncPubSubManager

from signaling import codec
from signaling.fanout import LocalManager, RedisManager

NS = "/session"


class Recorder:
    """Stands in for the Engine.IO side: what was queued on which connection."""

    def __init__(self, closed: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.sent: list[tuple[str, str]] = []
        self.closed = closed
        self.tasks_seen: set[asyncio.Task[Any] | None] = set()

    async def __call__(self, eio_sid: str, pkt: Any) -> None:
        self.tasks_seen.add(asyncio.current_task())
        if eio_sid in self.closed:
            raise SocketIsClosedError()
        self.sent.append((eio_sid, pkt.data))


async def server_with(people: list[str], recorder: Recorder) -> tuple[Any, dict[str, str]]:
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=LocalManager(), json=codec)
    sio._send_eio_packet = recorder  # type: ignore[method-assign]
    sids = {}
    for person in people:
        sids[person] = await sio.manager.connect(f"eio-{person}", NS)
    return sio, sids


async def test_one_packet_is_queued_on_each_recipient_in_turn_within_the_emitting_task() -> None:
    recorder = Recorder()
    sio, sids = await server_with(["anne", "jeanne", "marc", "paul"], recorder)
    to = [sids["marc"], sids["anne"], sids["jeanne"]]
    await sio.emit("wb:ops", {"room_id": "plenary", "entries": [{"seq": 1}]}, to=to, namespace=NS)
    assert [eio for eio, _ in recorder.sent] == ["eio-marc", "eio-anne", "eio-jeanne"]
    assert {data for _, data in recorder.sent} == {
        '2/session,["wb:ops",{"room_id":"plenary","entries":[{"seq":1}]}]'
    }
    assert recorder.tasks_seen == {asyncio.current_task()}


async def test_a_connection_closed_meanwhile_is_skipped_and_the_others_still_get_it() -> None:
    recorder = Recorder(closed={"eio-jeanne"})
    sio, sids = await server_with(["anne", "jeanne", "marc"], recorder)
    await sio.emit("chat:message", {"text": "bonjour"}, to=list(sids.values()), namespace=NS)
    assert [eio for eio, _ in recorder.sent] == ["eio-anne", "eio-marc"]


async def test_a_room_and_skip_sid_are_honoured() -> None:
    recorder = Recorder()
    sio, sids = await server_with(["anne", "jeanne", "marc"], recorder)
    for person in ("anne", "marc"):
        await sio.enter_room(sids[person], "caucus", namespace=NS)
    await sio.emit("x", None, room="caucus", skip_sid=sids["anne"], namespace=NS)
    await sio.emit("y", ("a", 1), to=sids["jeanne"], namespace=NS)
    assert recorder.sent == [
        ("eio-marc", '2/session,["x"]'),
        ("eio-jeanne", '2/session,["y","a",1]'),
    ]


async def test_an_unknown_namespace_sends_nothing() -> None:
    recorder = Recorder()
    sio, _ = await server_with(["anne"], recorder)
    await sio.emit("x", {}, namespace="/elsewhere")
    assert recorder.sent == []


def test_with_redis_publishing_stays_python_socketio_s_and_delivery_is_ours() -> None:
    order = RedisManager.__mro__
    assert order.index(AsyncPubSubManager) < order.index(LocalManager)
    assert order.index(LocalManager) < order.index(socketio.AsyncManager)


async def test_messages_with_an_ack_callback_go_through_python_socketio() -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=LocalManager(), json=codec)
    sent: list[tuple[str, str]] = []

    async def send_packet(eio_sid: str, pkt: Any) -> None:
        sent.append((eio_sid, pkt.encode()))

    sio._send_packet = send_packet  # type: ignore[method-assign]
    sid = await sio.manager.connect("eio-anne", NS)
    await sio.emit("ask", {"q": 1}, to=sid, namespace=NS, callback=lambda *a: None)
    assert sent == [("eio-anne", '2/session,1["ask",{"q":1}]')]


async def test_bytes_still_go_out_as_a_binary_packet_with_its_attachment() -> None:
    recorder = Recorder()
    sio, sids = await server_with(["anne"], recorder)
    await sio.emit("doc:chunk", {"n": 1, "data": b"\x00\x01"}, to=sids["anne"], namespace=NS)
    assert recorder.sent == [
        ("eio-anne", '51-/session,["doc:chunk",{"n":1,"data":{"_placeholder":true,"num":0}}]'),
        ("eio-anne", b"\x00\x01"),
    ]


class Publishes(RedisManager):  # type: ignore[misc]
    """A Redis manager whose publications are recorded instead of sent."""

    def __init__(self) -> None:
        super().__init__("redis://127.0.0.1:1/0")  # never connected: nothing is published
        self.published: list[dict[str, Any]] = []

    async def _publish(self, data: Any) -> None:
        self.published.append(data)


async def test_with_redis_a_message_for_connections_of_this_node_skips_redis() -> None:
    """A live session runs on one node: its messages are delivered there, not published."""
    recorder = Recorder()
    manager = Publishes()
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager, json=codec)
    sio._send_eio_packet = recorder  # type: ignore[method-assign]
    anne = await manager.connect("eio-anne", NS)
    jeanne = await manager.connect("eio-jeanne", NS)
    await sio.emit("wb:ops", {"seq": 1}, to=[anne, jeanne], namespace=NS)
    await sio.emit("chat:message", {"n": 2}, to=anne, namespace=NS)
    assert [eio for eio, _ in recorder.sent] == ["eio-anne", "eio-jeanne", "eio-anne"]
    assert manager.published == []
    # someone on another node, a room, or everyone: published for every node
    await sio.emit("x", {}, to=[anne, "sid-on-another-node"], namespace=NS)
    await sio.enter_room(anne, "caucus", namespace=NS)
    await sio.emit("y", {}, room="caucus", namespace=NS)
    await sio.emit("z", {}, namespace=NS)
    assert [m["event"] for m in manager.published] == ["x", "y", "z"]
    assert [eio for eio, _ in recorder.sent][3:] == [
        "eio-anne",
        "eio-anne",
        "eio-anne",
        "eio-jeanne",
    ]
