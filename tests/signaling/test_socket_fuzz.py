"""Hypothesis against the running /session namespace: generated payloads and raw frames.

Every event of the namespace gets payloads built from the schemas
(:func:`signaling.namespace.payload_models`: their field names with any JSON
values) and any JSON at all; raw Engine.IO / Socket.IO frames are generated
around the real prefixes. Each one is answered (an ack ``{"ok": ...}``, never
``internal_error``) or dropped, nothing logs a traceback, and after each
example the hostile client and a second client in the same room still work
(a barrier: a sentinel from each, waited for).

A bounded number of examples in the suite; ``PALABRE_FUZZ_EXAMPLES=500``
(``make fuzz-socket``) for a longer run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from errors import ErrorCode
from signaling import frames
from signaling.budget import EventBudgets, Rate
from signaling.namespace import SessionNamespace, payload_models
from tests.signaling.raw import NAMESPACE, RawSocket
from tests.signaling.test_edge import echo, namespace_of, raw_party, tracebacks
from tests.signaling.world import Client, World, admitted, consent, mediator

EXAMPLES = int(os.environ.get("PALABRE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

EVENTS = sorted(
    name[3:].replace("_", ":", 1)
    for name in dir(SessionNamespace)
    if name.startswith("on_") and name not in {"on_connect", "on_disconnect"}
)
CODES = {code.value for code in ErrorCode} - {ErrorCode.INTERNAL.value}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
shaped = st.sampled_from(payload_models()).flatmap(
    lambda model: st.fixed_dictionaries({name: json_values for name in model.model_fields})
)
payloads = shaped | json_values


class Cast:
    """Anne (mediator), Jeanne (admitted, python-socketio) and Marc (admitted, raw socket)."""

    def __init__(self, anne: Client, jeanne: Client, marc: RawSocket) -> None:
        self.anne, self.jeanne, self.marc = anne, jeanne, marc


_casts: dict[int, Cast] = {}


async def cast(world: World, clients: Callable[[], Client], http: aiohttp.ClientSession) -> Cast:
    found = _casts.get(id(world))
    # payloads, not rates, are fuzzed here: the per-connection buckets would slow the
    # sentinels down (tests/signaling/test_budgets.py covers them)
    namespace_of(world).budgets = EventBudgets({}, Rate(1_000_000, 1_000_000.0))
    if found is None or found.marc.closed.is_set():
        anne = found.anne if found else await mediator(world, clients)
        jeanne = found.jeanne if found else await admitted(world, clients, anne, "Jeanne Dupont")
        await consent(world, "Marc Durand")
        marc = await raw_party(world, http, "Marc Durand")
        await marc.call("lobby:knock", {})
        found = _casts[id(world)] = Cast(anne, jeanne, marc)
    return found


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session
    _casts.clear()


def assert_answer(ack: Any) -> None:
    assert isinstance(ack, list) and len(ack) == 1 and isinstance(ack[0], dict), ack
    if ack[0]["ok"] is not True:
        assert ack[0]["ok"] is False and ack[0]["error"]["code"] in CODES, ack


@FUZZ
@given(event=st.sampled_from(EVENTS), payload=payloads)
async def test_generated_payloads_for_every_event_are_answered(
    world: World,
    clients: Callable[[], Client],
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    event: str,
    payload: Any,
) -> None:
    people = await cast(world, clients, http)
    assert_answer(await people.marc.call(event, payload))
    assert_answer(await people.marc.call("lobby:knock", {}))  # the sender still works
    await echo(people.jeanne, people.anne)  # and the room around it
    assert tracebacks(caplog) == []


PREFIXES = [
    "", "0", "1x", "2", "3", "4", "5", "6", "7", "40", "42", f"40{NAMESPACE},", f"41{NAMESPACE},x",
    f"42{NAMESPACE},", f"42{NAMESPACE},7", f"43{NAMESPACE},1", f"44{NAMESPACE},",
    f"451-{NAMESPACE},8", f"46{NAMESPACE},", f'42{NAMESPACE},9["', "42/other,",
]  # fmt: skip


def closes_the_connection(frame: str | bytes) -> bool:
    """A real Engine.IO CLOSE or Socket.IO DISCONNECT: legitimate, not hostile."""
    if isinstance(frame, bytes) or not frame:
        return False
    if frame.startswith("1"):
        return True
    try:
        return frame.startswith("4") and frames.parse(frame[1:]).kind == frames.DISCONNECT
    except frames.BadFrame:
        return False


raw_frames = (
    st.builds(lambda p, t: p + t, st.sampled_from(PREFIXES), st.text(max_size=60))
    | st.builds(lambda p, v: p + frames.codec.dumps(v), st.sampled_from(PREFIXES), json_values)
    | st.binary(max_size=60)
).filter(lambda f: not closes_the_connection(f))


@FUZZ
@given(frame=raw_frames)
async def test_generated_raw_frames_are_answered_or_dropped(
    world: World,
    clients: Callable[[], Client],
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    frame: str | bytes,
) -> None:
    people = await cast(world, clients, http)
    await people.marc.send(frame)
    assert_answer(await people.marc.call("lobby:knock", {}))  # barrier on the same socket
    await echo(people.jeanne, people.anne)
    assert tracebacks(caplog) == []
