"""The Python reference of the end-to-end media encryption spec."""

from __future__ import annotations

import pytest

from tests import e2ee_frames as e2ee

KEY = bytes(range(32))
VP8_KEY = bytes([0x50, 0x42, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01]) + b"picture" * 20
VP8_DELTA = bytes([0x31, 0x05, 0x00]) + b"delta" * 10
OPUS = bytes([0xFC]) + b"voice" * 8


@pytest.mark.parametrize(
    ("frame", "kind", "keyframe", "prefix"),
    [(VP8_KEY, "video", True, 10), (VP8_DELTA, "video", False, 3), (OPUS, "audio", False, 1)],
)
def test_a_frame_roundtrips_with_its_prefix_in_clear(
    frame: bytes, kind: e2ee.Kind, keyframe: bool, prefix: int
) -> None:
    data = e2ee.encrypt_frame(KEY, 7, frame, kind, keyframe)
    assert e2ee.clear_prefix(kind, keyframe, len(frame)) == prefix
    if kind == "video":  # the frame tag's partition size is masked, the rest of the prefix clear
        assert data[0] & 0x1F == frame[0] & 0x1F and data[1:3] == b"\xff\xff"
        assert data[3:prefix] == frame[3:prefix]
        extra = 3  # the tag as it was, encrypted
    else:
        assert data[:prefix] == frame[:prefix]
        extra = 0
    assert frame[prefix:] not in data
    assert len(data) == len(frame) + extra + e2ee.TAG_SIZE + e2ee.IV_SIZE + 1
    assert data[-1] == 7
    assert e2ee.decrypt_frame({7: KEY}, data, kind, keyframe) == frame
    assert e2ee.is_vp8_keyframe(VP8_KEY) and not e2ee.is_vp8_keyframe(VP8_DELTA)


def test_each_frame_gets_a_fresh_iv_and_the_index_is_the_epoch_low_byte() -> None:
    first = e2ee.encrypt_frame(KEY, 0x1_05, OPUS, "audio", False)
    second = e2ee.encrypt_frame(KEY, 0x1_05, OPUS, "audio", False)
    assert first[-13:-1] != second[-13:-1]
    assert first[-1] == second[-1] == 0x05
    assert e2ee.decrypt_frame({5: KEY}, second, "audio", False) == OPUS


@pytest.mark.parametrize("frame", [b"", b"\x10", b"\x10\x02"])
def test_a_frame_shorter_than_its_prefix_is_all_prefix(frame: bytes) -> None:
    data = e2ee.encrypt_frame(KEY, 1, frame, "video", False)
    assert data[: len(frame)] == frame
    assert e2ee.decrypt_frame({1: KEY}, data, "video", False) == frame


@pytest.mark.parametrize("where", [0, 5, 40, -14, -2])
def test_a_tampered_frame_fails(where: int) -> None:
    data = bytearray(e2ee.encrypt_frame(KEY, 1, VP8_KEY, "video", True))
    data[where] ^= 0x01
    with pytest.raises(e2ee.AuthenticationError):
        e2ee.decrypt_frame({1: KEY}, bytes(data), "video", True)


def test_a_wrong_or_missing_key_fails() -> None:
    data = e2ee.encrypt_frame(KEY, 1, VP8_DELTA, "video", False)
    with pytest.raises(e2ee.AuthenticationError):
        e2ee.decrypt_frame({1: bytes(32)}, data, "video", False)
    with pytest.raises(e2ee.MissingKeyError):
        e2ee.decrypt_frame({2: KEY}, data, "video", False)
    with pytest.raises(e2ee.E2eeError):
        e2ee.decrypt_frame({1: KEY}, data[:20], "video", False)


def test_a_clear_frame_does_not_decrypt() -> None:
    """What the relay tap gets today (no encryption in the pages) never opens."""
    with pytest.raises(e2ee.E2eeError):
        e2ee.decrypt_frame({i: KEY for i in range(256)}, VP8_KEY, "video", True)


def test_the_room_key_unwraps_only_in_its_context() -> None:
    alice, bruno, eve = (e2ee.generate_key_pair() for _ in range(3))
    room_key = e2ee.new_room_key()
    context = ("s1", "plenary", 4, "m-claire", "p-bruno")
    wrapped = e2ee.wrap_room_key(alice, e2ee.public_key_b64(bruno), room_key, *context)
    assert set(wrapped) == {"iv", "data"}
    assert len(e2ee.b64url_decode(wrapped["iv"])) == 12
    assert len(e2ee.b64url_decode(wrapped["data"])) == 48
    assert "=" not in wrapped["data"]
    public = e2ee.public_key_b64(alice)
    assert e2ee.unwrap_room_key(bruno, public, wrapped, *context) == room_key
    for i, other in enumerate(["s2", "caucus-1", 5, "m-other", "p-alice"]):
        wrong = list(context)
        wrong[i] = other
        with pytest.raises(e2ee.AuthenticationError):
            e2ee.unwrap_room_key(bruno, public, wrapped, *wrong)  # type: ignore[arg-type]
    with pytest.raises(e2ee.AuthenticationError):
        e2ee.unwrap_room_key(eve, public, wrapped, *context)
    raw = e2ee.b64url_decode(e2ee.public_key_b64(alice))
    assert len(raw) == 65 and raw[0] == 0x04


def test_the_verification_code_ignores_order_and_follows_every_member() -> None:
    keys = {name: e2ee.public_key_b64(e2ee.generate_key_pair()) for name in ["a", "b", "c"]}
    code = e2ee.verification_code_bytes(keys)
    assert len(code) == 6
    assert e2ee.verification_code_bytes(dict(reversed(list(keys.items())))) == code
    assert e2ee.verification_code_bytes({**keys, "d": None}) == code  # no key: not counted
    assert e2ee.verification_code_bytes({**keys, "d": keys["a"]}) != code
    assert e2ee.verification_code_bytes({**keys, "b": keys["a"]}) != code
    del keys["c"]
    assert e2ee.verification_code_bytes(keys) != code
    assert e2ee.verification_code_hex(keys) == e2ee.verification_code_bytes(keys).hex()


def test_the_verification_code_input_is_the_spec_text() -> None:
    import hashlib

    text = "palabre-e2ee-v1 code\na:KA\nb:KB\n"
    expected = hashlib.sha256(text.encode()).digest()[:6]
    assert e2ee.verification_code_bytes({"b": "KB", "a": "KA", "c": None}) == expected
