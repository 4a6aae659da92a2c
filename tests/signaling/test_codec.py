"""The Socket.IO wire's JSON: what python-socketio reads and writes through signaling.codec."""

from __future__ import annotations

import json

import pytest
from socketio import packet

from signaling import codec


def test_it_writes_what_the_standard_library_writes_compactly() -> None:
    data = {
        "op": {"type": "stroke", "points": [[0.1, 2.5], [1e16, -3.0]]},
        "texte": "Clé à molette",
    }
    expected = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    assert codec.dumps(data, separators=(",", ":")) == expected
    assert codec.loads(expected) == data


@pytest.mark.parametrize(
    "text", ["[1,2", "NaN", "[Infinity]", '"\\ud800"', "1e400", "", "{'a': 1}"]
)
def test_invalid_json_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        codec.loads(text)


def test_huge_integers_are_read_as_floats_or_refused_never_parsed_as_integers() -> None:
    assert codec.loads("1" * 40) == pytest.approx(float("1" * 40))
    with pytest.raises(ValueError):
        codec.loads("1" * 100_000)  # beyond any float: refused at once


def test_socketio_packets_go_through_it() -> None:
    original = packet.Packet.json
    packet.Packet.json = codec
    try:
        encoded = packet.Packet(packet.EVENT, data=["wb:op", {"seq": 3, "x": 0.5}]).encode()
        assert encoded == '2["wb:op",{"seq":3,"x":0.5}]'
        assert packet.Packet(encoded_packet=encoded).data == ["wb:op", {"seq": 3, "x": 0.5}]
    finally:
        packet.Packet.json = original
