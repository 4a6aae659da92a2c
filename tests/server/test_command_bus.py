"""The command bus on a real Redis: answers, coded refusals, silence, and what is dropped."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import redis.asyncio as aioredis

from errors import ErrorCode
from server.command_bus import RedisCommandBus, bus_key
from sessions.errors import Forbidden
from signaling import commands
from signaling.commands import Command, LinkRevoked, SessionClosed
from signaling.errors import SignalingError
from signaling.gateway import HolderUnavailable, SessionGateway
from tests.redis import REDIS_URL, redis_url_or_skip
from tests.signaling.world import until

KEY = bus_key(b"k" * 32)
SECRET = "Jeanne Dupont 06 12 34 56 78"


class FakeGateway:
    """What a node does with a command it receives: recorded; answers set by the test."""

    def __init__(self) -> None:
        self.received: list[Command] = []
        self.answer: Any = {"ok": 1}
        self.raises: BaseException | None = None
        self.delay = 0.0

    async def receive(self, command: Command) -> Any:
        self.received.append(command)
        await asyncio.sleep(self.delay)
        if self.raises is not None:
            raise self.raises
        return self.answer


@pytest.fixture
async def buses() -> AsyncIterator[tuple[RedisCommandBus, RedisCommandBus, FakeGateway, str]]:
    redis_url_or_skip()
    prefix = f"test-bus-{uuid.uuid4().hex}"
    x = RedisCommandBus(REDIS_URL, "node-x", KEY, prefix=prefix, timeout=1.0)
    y = RedisCommandBus(REDIS_URL, "node-y", KEY, prefix=prefix, timeout=1.0)
    gateway_y = FakeGateway()
    await x.start(cast(SessionGateway, FakeGateway()))
    await y.start(cast(SessionGateway, gateway_y))
    try:
        yield x, y, gateway_y, prefix
    finally:
        await x.close()
        await y.close()


REVOKED = LinkRevoked(session_id="s-1", key="p-jeanne", link_id="jti-1")


async def test_a_request_is_answered_by_the_node_it_was_sent_to(buses: Any) -> None:
    x, _y, gateway_y, _ = buses
    assert await x.request("node-y", REVOKED) == {"ok": 1}
    assert gateway_y.received == [REVOKED]


async def test_a_notification_arrives_without_an_answer(buses: Any) -> None:
    x, _y, gateway_y, _ = buses
    await x.notify("node-y", SessionClosed(session_id="s-1"))
    await until(lambda: gateway_y.received == [SessionClosed(session_id="s-1")])


async def test_a_coded_refusal_on_the_holder_is_the_same_code_for_the_asker(buses: Any) -> None:
    x, _y, gateway_y, _ = buses
    gateway_y.raises = Forbidden("only the session's mediators may do this")
    with pytest.raises(SignalingError) as refused:
        await x.request("node-y", REVOKED)
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert "mediators" in refused.value.message


async def test_a_failure_on_the_holder_is_an_internal_error_that_quotes_nothing(
    buses: Any, caplog: pytest.LogCaptureFixture
) -> None:
    x, _y, gateway_y, _ = buses
    gateway_y.raises = RuntimeError(SECRET)
    with pytest.raises(SignalingError) as refused:
        await x.request("node-y", REVOKED)
    assert refused.value.code is ErrorCode.INTERNAL
    assert SECRET not in refused.value.message and SECRET not in caplog.text


async def test_silence_is_session_unavailable_once_the_timeout_passed(buses: Any) -> None:
    x, _y, gateway_y, _ = buses
    gateway_y.delay = 3.0
    started = time.monotonic()
    with pytest.raises(HolderUnavailable) as refused:
        await x.request("node-y", REVOKED)
    assert refused.value.code is ErrorCode.SESSION_UNAVAILABLE
    assert 1.0 <= time.monotonic() - started < 2.5


async def test_a_node_nobody_listens_for_is_session_unavailable_at_once(buses: Any) -> None:
    x, *_ = buses
    started = time.monotonic()
    with pytest.raises(HolderUnavailable):
        await x.request("node-gone", REVOKED)
    assert time.monotonic() - started < 0.5


def _signed(body: dict[str, Any], key: bytes = KEY) -> bytes:
    raw = json.dumps(body).encode()
    return hmac.new(key, raw, hashlib.sha256).hexdigest().encode() + b"." + raw


async def test_what_is_not_a_signed_valid_command_is_dropped_and_the_node_goes_on(
    buses: Any, caplog: pytest.LogCaptureFixture
) -> None:
    x, _y, gateway_y, prefix = buses
    good = {"type": "command", "id": "r1", "from": "node-z", "at": time.time(),
            "command": commands.encode(REVOKED)}  # fmt: skip
    bad_command = {**good, "command": {"kind": "link_revoked", "session_id": "s-1", "key": SECRET}}
    garbage = [
        b"",
        b"not even json",
        SECRET.encode(),
        json.dumps(good).encode(),  # unsigned
        _signed(good, key=bus_key(b"another deployment" * 2)),  # signed with another key
        _signed({**good, "at": time.time() - 3600}),  # replayed an hour later
        _signed(bad_command),
        _signed({**good, "command": [SECRET]}),
        _signed({**good, "type": "shutdown"}),
        _signed({**good, "reply_to": {"node": SECRET}}),
        _signed([SECRET]),  # type: ignore[arg-type]
        b"\xff" * 100,
    ]
    writer = aioredis.from_url(REDIS_URL)
    try:
        with caplog.at_level(logging.INFO):
            for data in garbage:
                await writer.publish(f"{prefix}:node-y", data)
            # a barrier: a valid request after them is answered, so they were all read first
            assert await x.request("node-y", REVOKED) == {"ok": 1}
    finally:
        await writer.aclose()
    assert gateway_y.received == [REVOKED]
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == len(garbage)
    assert SECRET not in caplog.text and "Jeanne" not in caplog.text
