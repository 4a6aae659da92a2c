"""Pure parts of the relay: RTP rewriting, VP8 key frames, labels, config."""

from __future__ import annotations

import pytest

from signaling.ice import IceServer
from signaling.relay import BadLabelError, RelayConfig
from signaling.relay.rewrite import RESTART_GAP, StreamRewriter, seq_newer, vp8_keyframe_start
from signaling.relay.sdp_inspect import MediaSection, assign_labels, parse_candidate


def test_seq_newer_wraps() -> None:
    assert seq_newer(1, 0)
    assert seq_newer(0, 65535)
    assert not seq_newer(65535, 0)
    assert not seq_newer(5, 5)


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        (bytes([0x10, 0x00]), True),  # S=1, PID=0, P=0
        (bytes([0x10, 0x01]), False),  # P=1: delta frame
        (bytes([0x00, 0x00]), False),  # not the start of a partition
        (bytes([0x11, 0x00]), False),  # partition 1
        (bytes([0x90, 0x80, 0x81, 0x23, 0x00]), True),  # X, I with 15-bit picture id
        (bytes([0x90, 0x80, 0x05, 0x01]), False),  # X, I 7-bit, delta
        (bytes([0x90, 0xE0, 0x05, 0x07, 0x40, 0x00]), True),  # I, L, T
        (bytes([0x90, 0x80]), False),  # truncated
        (b"", False),
    ],
)
def test_vp8_keyframe_start(payload: bytes, key: bool) -> None:
    assert vp8_keyframe_start(payload) is key


def test_rewriter_continues_numbering_across_sources() -> None:
    rewriter = StreamRewriter(clock_rate=90_000, last_seq=100, last_ts=1_000)
    assert rewriter.rewrite(5_000, 777_000, now=10.0) == (101, 1_001)
    assert rewriter.rewrite(5_001, 780_000, now=10.033) == (102, 4_001)
    # a new source (or a pause) half a second later
    rewriter.rebase()
    seq, ts = rewriter.rewrite(40_000, 12, now=10.533) or (0, 0)
    assert seq == 103
    assert ts == 4_001 + 45_000
    # a late packet from before the new segment is dropped
    assert rewriter.rewrite(39_999, 0, now=10.54) is None
    # sequence wrap of the source
    rewriter.rebase()
    assert rewriter.rewrite(65_535, 0, now=11.0) is not None
    assert rewriter.rewrite(0, 3_000, now=11.033) is not None
    assert rewriter.last_seq == 105


def test_rewriter_restart_jumps_past_what_the_receiver_dropped() -> None:
    rewriter = StreamRewriter(clock_rate=90_000, last_seq=100, last_ts=1_000)
    assert rewriter.rewrite(5_000, 0, now=10.0) == (101, 1_001)
    rewriter.rebase(restart=True)  # the m-line went inactive
    rewriter.rebase()  # e.g. the key frame that starts the new segment
    assert rewriter.rewrite(9_000, 0, now=11.0) == (102 + RESTART_GAP, 91_001)
    assert rewriter.rewrite(9_001, 0, now=11.0) == (103 + RESTART_GAP, 91_001)
    rewriter.rebase()  # the jump is made once
    assert rewriter.rewrite(20, 0, now=11.0) == (104 + RESTART_GAP, 91_002)


def test_rewriter_skips_padding_without_a_hole() -> None:
    rewriter = StreamRewriter(clock_rate=90_000, last_seq=10, last_ts=0)
    assert rewriter.rewrite(100, 0, now=1.0) == (11, 1)
    rewriter.skip(101)  # padding probe dropped
    rewriter.skip(102)
    assert rewriter.rewrite(103, 3000, now=1.03) == (12, 3001)
    rewriter.skip(90)  # an old sequence number changes nothing
    assert rewriter.rewrite(104, 3000, now=1.03) == (13, 3001)


def section(mid: str, kind: str, track: str | None = None, sends: bool = True) -> MediaSection:
    return MediaSection(
        index=int(mid),
        mid=mid,
        kind=kind,
        direction="sendrecv" if sends else "recvonly",
        rejected=False,
        msid_stream="s",
        msid_track=track,
    )


def test_label_precedence() -> None:
    sections = [section("0", "video"), section("1", "audio"), section("2", "video", "screen")]
    assert assign_labels(sections, None, {}) == {"0": "camera", "1": "microphone", "2": "screen"}
    assert assign_labels(sections[:2], {"0": "screen"}, {}) == {"0": "screen", "1": "microphone"}
    assert assign_labels(sections[:1], None, {"0": "screen"}) == {"0": "screen"}
    with pytest.raises(BadLabelError):
        assign_labels(sections, {"1": "camera"}, {})
    with pytest.raises(BadLabelError):
        assign_labels(sections, {"9": "camera"}, {})
    with pytest.raises(BadLabelError):
        assign_labels(sections, {"0": "selfie"}, {})
    assert assign_labels([section("0", "video", sends=False)], None, {}) == {}


def test_parse_candidate() -> None:
    line = "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"
    assert parse_candidate({"candidate": line, "sdpMid": "0"})[0].startswith("1 1 udp")
    assert parse_candidate({"candidate": "", "sdpMLineIndex": 0}) == ("", None, 0)
    for bad in (
        {"candidate": line},
        {"candidate": 3, "sdpMid": "0"},
        {"candidate": "candidate:1 2", "sdpMid": "0"},
        {"candidate": line, "sdpMLineIndex": True},
    ):
        with pytest.raises(ValueError):
            parse_candidate(bad)


def test_config_validation() -> None:
    assert RelayConfig().host_addresses is None
    with pytest.raises(ValueError):
        RelayConfig(host_addresses=("not-an-ip",))
    with pytest.raises(ValueError):
        IceServer(urls=("http://example.org",))
    turn = IceServer(urls=("turn:turn.example.org:3478",), username="u", credential="p")
    config = RelayConfig(ice_servers=(turn,), host_addresses=("127.0.0.1", "::1"))
    assert config.ice_servers[0].username == "u"
    assert config.host_addresses == ("127.0.0.1", "::1")
    with pytest.raises(ValueError):
        RelayConfig(max_video_bitrate=1000)
    assert RelayConfig(udp_ports=(40000, 40999)).udp_ports == (40000, 40999)
    for ports in ((40999, 40000), (80, 90), (60000, 70000)):
        with pytest.raises(ValueError):
            RelayConfig(udp_ports=ports)
