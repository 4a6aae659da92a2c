"""Frame encryption in the browser (frontend/static/js/room/e2ee, docs/e2ee.md): two local
peer connections in one page, fake camera and microphone, VP8, for both frame-transform APIs;
and the key side (wrap, unwrap, verification code), checked against the spec in Python."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from playwright.async_api import Page, async_playwright

from tests import e2ee_frames as e2ee
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.e2ee_loopback import call, serving

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

APIS = ["script", "streams"]
KEYS = "/static/js/room/e2ee/keys.js"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def page() -> AsyncIterator[Page]:
    """One browser and one page for the whole file (each case makes its own connections)."""
    async with serving() as url, async_playwright() as p:
        args = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(url)
        yield page
        await browser.close()
        assert errors == []


async def stats(page: Page, loop: int, side: str) -> Any:
    return await page.evaluate(
        "async ([id, side]) => (await import('/loopback.js')).crypto(id, side).stats()",
        [loop, side],
    )


async def wait_for(
    page: Page, loop: int, condition: Callable[[dict[str, Any]], bool], within: float = 15
) -> dict[str, Any]:
    """Polls the receiver's inbound-rtp figures and both workers' counters until
    ``condition`` holds; returns them."""
    deadline = time.monotonic() + within
    while True:
        seen = {
            "in": await call(page, "inbound", loop),
            "send": await stats(page, loop, "send"),
            "recv": await stats(page, loop, "recv"),
        }
        if condition(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met: {seen}")
        await asyncio.sleep(0.1)


def key() -> list[int]:
    return list(os.urandom(32))


@pytest_asyncio.fixture(loop_scope="module", params=APIS)
async def loop(request: pytest.FixtureRequest, page: Page) -> AsyncIterator[int]:
    loop_id: int = await call(page, "start", request.param)
    yield loop_id
    await call(page, "stop", loop_id)


async def test_same_key_decodes(page: Page, loop: int) -> None:
    k = key()
    await call(page, "setKey", loop, "recv", 1, k)
    await call(page, "setKey", loop, "send", 1, k)
    seen = await wait_for(
        page, loop, lambda s: s["in"]["framesDecoded"] >= 20 and s["in"]["audioEnergy"] > 0
    )
    assert seen["in"]["codec"] == "video/VP8"
    assert seen["recv"]["recv"]["video"]["decrypted"] >= 20
    assert seen["recv"]["recv"]["video"]["dropped_failed"] == 0
    assert seen["send"]["send"]["video"]["passthrough"] == 0
    timing = seen["send"]["video_ms"]
    assert timing["encrypt"]["count"] > 0 and timing["frame_bytes_median"] > 100


async def test_wrong_key_decodes_nothing(page: Page, loop: int) -> None:
    right = key()
    await call(page, "setKey", loop, "recv", 1, key())
    await call(page, "setKey", loop, "send", 1, right)
    seen = await wait_for(
        page,
        loop,
        lambda s: (
            s["recv"]["recv"]["video"]["dropped_failed"] >= 20
            and s["recv"]["recv"]["audio"]["dropped_failed"] >= 20
            and s["in"]["videoPackets"] >= 50
        ),
    )
    assert seen["in"]["framesDecoded"] == 0
    assert seen["in"]["audioEnergy"] == 0
    assert seen["recv"]["recv"]["video"]["decrypted"] == 0
    # The barrier: with the right key the same stream decodes.
    await call(page, "setKey", loop, "recv", 1, right)
    await wait_for(page, loop, lambda s: s["in"]["framesDecoded"] >= 5)


async def test_key_rotation_keeps_decoding(page: Page, loop: int) -> None:
    first, second = key(), key()
    await call(page, "setKey", loop, "recv", 1, first)
    await call(page, "setKey", loop, "send", 1, first)
    await wait_for(page, loop, lambda s: s["in"]["framesDecoded"] >= 10)
    await call(page, "setKey", loop, "recv", 2, second)
    await call(page, "setKey", loop, "send", 2, second)
    await wait_for(page, loop, lambda s: s["send"]["send_index"] == 2)
    for side in ("send", "recv"):
        await page.evaluate(
            "async ([id, side]) => (await import('/loopback.js')).crypto(id, side).forget(1)",
            [loop, side],
        )
    before = await wait_for(page, loop, lambda s: s["recv"]["keys"] == [2])
    decoded = before["in"]["framesDecoded"]
    decrypted = before["recv"]["recv"]["video"]["decrypted"]
    after = await wait_for(
        page,
        loop,
        lambda s: (
            s["in"]["framesDecoded"] >= decoded + 30
            and s["recv"]["recv"]["video"]["decrypted"] >= decrypted + 30
        ),
    )
    assert after["send"]["keys"] == [2]


async def test_no_key_on_sender_sends_nothing(page: Page, loop: int) -> None:
    k = key()
    await call(page, "setKey", loop, "recv", 1, k)
    seen = await wait_for(
        page,
        loop,
        lambda s: (
            s["send"]["send"]["video"]["dropped_no_key"] >= 20
            and s["send"]["send"]["audio"]["dropped_no_key"] >= 20
        ),
    )
    assert seen["in"]["framesDecoded"] == 0
    received = seen["recv"]["recv"]
    assert all(v == 0 for kind in ("audio", "video") for v in received[kind].values())
    assert seen["send"]["send"]["video"]["encrypted"] == 0
    assert seen["send"]["send"]["video"]["passthrough"] == 0
    # The barrier: once the sender has the key, frames flow and decode.
    await call(page, "setKey", loop, "send", 1, k)
    await wait_for(page, loop, lambda s: s["in"]["framesDecoded"] >= 5)


async def test_transport_mode_passes_frames_through(page: Page, loop: int) -> None:
    for side in ("send", "recv"):
        await page.evaluate(
            "async ([id, side]) => (await import('/loopback.js')).crypto(id, side).setMode(false)",
            [loop, side],
        )
    seen = await wait_for(page, loop, lambda s: s["in"]["framesDecoded"] >= 10)
    assert seen["send"]["send"]["video"]["encrypted"] == 0
    assert seen["recv"]["recv"]["video"]["passthrough"] >= 10


# --- key side -------------------------------------------------------------------------------

WRAP = """
async ({ peerPublic, roomKey, ctx }) => {
  const k = await import('/static/js/room/e2ee/keys.js');
  const me = await k.makeKeyPair();
  const wrapped = await k.wrapRoomKey({
    privateKey: me.privateKey, peerPublic, roomKey: new Uint8Array(roomKey), ...ctx });
  return { publicKey: me.publicKey, wrapped };
}
"""

ROUNDTRIP = """
async () => {
  const k = await import('/static/js/room/e2ee/keys.js');
  const a = await k.makeKeyPair();
  const b = await k.makeKeyPair();
  const roomKey = k.newRoomKey();
  const ctx = { sessionId: 's1', group: 'plenary', epoch: 7, sender: 'pa', recipient: 'pb' };
  const wrapped = await k.wrapRoomKey(
    { privateKey: a.privateKey, peerPublic: b.publicKey, roomKey, ...ctx });
  const opening = { privateKey: b.privateKey, senderPublic: a.publicKey, wrapped, ...ctx };
  const back = await k.unwrapRoomKey(opening);
  const fails = async (change) => {
    try {
      await k.unwrapRoomKey({ ...opening, ...change });
      return false;
    } catch { return true; }
  };
  const c = await k.makeKeyPair();
  return {
    extractable: a.privateKey.extractable,
    publicLength: k.fromB64url(a.publicKey).length,
    publicFirst: k.fromB64url(a.publicKey)[0],
    roomKeyLength: roomKey.length,
    same: k.b64url(back) === k.b64url(roomKey),
    wrongRecipient: await fails({ recipient: 'pc' }),
    wrongEpoch: await fails({ epoch: 8 }),
    wrongGroup: await fails({ group: 'hold-pb' }),
    wrongSenderKey: await fails({ senderPublic: c.publicKey }),
    ivLength: k.fromB64url(wrapped.iv).length,
    dataLength: k.fromB64url(wrapped.data).length,
  };
}
"""

CODE = """
async (members) => {
  const k = await import('/static/js/room/e2ee/keys.js');
  const { WORDS } = await import('/static/js/room/e2ee/words.js');
  const strip = (w) => w.normalize('NFD').replace(/[\\u0300-\\u036f]/g, '');
  const code = async (list) => (await k.verificationCode(list)).hex;
  const first = await k.verificationCode(members);
  return {
    hex: first.hex,
    reversed: await code([...members].reverse()),
    added: await code([...members, { key: 'p9', public_key: 'BBBB' }]),
    nullAdded: await code([...members, { key: 'p0', public_key: null }]),
    fr: k.codeWords(first.bytes, 'fr'),
    en: k.codeWords(first.bytes, 'en'),
    digits: k.codeDigits(first.bytes),
    sizes: ['fr', 'en'].map((l) => [WORDS[l].length, new Set(WORDS[l]).size,
      new Set(WORDS[l].map(strip)).size,
      WORDS[l].every((w) => w === w.toLowerCase() && /^[a-zà-ÿ]+$/.test(w))]),
  };
}
"""


async def test_wrap_unwrap_roundtrip(page: Page) -> None:
    out = await page.evaluate(ROUNDTRIP)
    assert out == {
        "extractable": False,
        "publicLength": 65,
        "publicFirst": 4,
        "roomKeyLength": 32,
        "same": True,
        "wrongRecipient": True,
        "wrongEpoch": True,
        "wrongGroup": True,
        "wrongSenderKey": True,
        "ivLength": 12,
        "dataLength": 48,
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_wrap_matches_the_spec_in_python(page: Page) -> None:
    """A wrap made in the page opens in Python from the spec alone (§2)."""
    mine = ec.generate_private_key(ec.SECP256R1())
    public = mine.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    room_key = os.urandom(32)
    ctx = {"sessionId": "abc", "group": "hold-p2", "epoch": 300, "sender": "p1", "recipient": "p2"}
    out = await page.evaluate(
        WRAP, {"peerPublic": _b64url(public), "roomKey": list(room_key), "ctx": ctx}
    )
    sender = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), _unb64url(out["publicKey"])
    )
    shared = mine.exchange(ec.ECDH(), sender)
    info = b"palabre-e2ee-v1 wrap|abc|hold-p2|300|p1|p2"
    kek = HKDF(hashes.SHA256(), 32, salt=b"palabre-e2ee-v1", info=info).derive(shared)
    iv, data = _unb64url(out["wrapped"]["iv"]), _unb64url(out["wrapped"]["data"])
    assert AESGCM(kek).decrypt(iv, data, info) == room_key


async def test_verification_code(page: Page) -> None:
    members = [
        {"key": "p2", "public_key": "BQ2"},
        {"key": "p10", "public_key": "BQ10"},
        {"key": "p1", "public_key": "BQ1"},
        {"key": "p3", "public_key": None},
    ]
    out = await page.evaluate(CODE, members)
    text = "palabre-e2ee-v1 code\np1:BQ1\np10:BQ10\np2:BQ2\n"
    expected = hashlib.sha256(text.encode()).digest()[:6]
    assert out["hex"] == expected.hex()
    assert out["reversed"] == out["hex"] == out["nullAdded"]
    assert out["added"] != out["hex"]
    assert len(out["fr"]) == len(out["en"]) == 6
    value = int.from_bytes(expected, "big")
    assert (
        out["digits"]
        == f"{value:015d}"[:5] + " " + f"{value:015d}"[5:10] + " " + (f"{value:015d}"[10:])
    )
    assert out["sizes"] == [[256, 256, 256, True], [256, 256, 256, True]]


async def test_api_choice(page: Page) -> None:
    choose = """async (force) => {
      const t = await import('/static/js/room/e2ee/transforms.js');
      if (force) localStorage.setItem('palabre.frameApi', force);
      else localStorage.removeItem('palabre.frameApi');
      return [t.frameTransformSupport(), t.peerConnectionConfig(t.frameTransformSupport())];
    }"""
    assert await page.evaluate(choose, None) == ["script", {}]
    assert await page.evaluate(choose, "streams") == [
        "streams",
        {"encodedInsertableStreams": True},
    ]
    await page.evaluate(choose, None)


# --- frame format, byte for byte (§1), against Python ---------------------------------------

TRAILER = 12 + 1


def _clear_prefix(kind: str, frame_type: str | None, frame: bytes) -> int:
    if kind == "audio":
        return 1
    if frame_type is None:
        frame_type = "key" if frame and frame[0] & 1 == 0 else "delta"
    return 10 if frame_type == "key" else 3


async def test_sent_frames_open_in_python(page: Page) -> None:
    k, index = os.urandom(32), 5
    video = [
        ("key", bytes([0x10]) + os.urandom(199)),
        ("delta", bytes([0x11]) + os.urandom(49)),
        ("key", b"\x10\x02"),  # shorter than its prefix: all prefix
        (None, bytes([0x30]) + os.urandom(30)),  # no type: a VP8 key frame by its first bit
        (None, bytes([0x31]) + os.urandom(30)),
    ]
    audio = [(None, os.urandom(40)), (None, b"\x7f"), (None, b"")]
    for kind, frames in (("video", video), ("audio", audio)):
        out = await call(
            page,
            "through",
            "send",
            kind,
            [{"type": t, "data": list(d)} for t, d in frames],
            [[1, list(os.urandom(32))], [index, list(k)]],
        )
        assert len(out["frames"]) == len(frames)
        for (frame_type, plain), sealed_list in zip(frames, out["frames"], strict=True):
            sealed = bytes(sealed_list)
            prefix = min(_clear_prefix(kind, frame_type, plain), len(plain))
            masked = kind == "video" and len(plain) >= 3  # the frame tag's size field
            assert len(sealed) == len(plain) + (3 if masked else 0) + 16 + TRAILER
            assert sealed[-1] == index
            if masked:
                assert sealed[0] & 0x1F == plain[0] & 0x1F and sealed[1:3] == b"\xff\xff"
                assert sealed[3:prefix] == plain[3:prefix]
            else:
                assert sealed[:prefix] == plain[:prefix]
            keyframe = prefix == 10 or (kind == "video" and frame_type == "key")
            assert e2ee.decrypt_frame({index: k}, sealed, kind, keyframe) == plain
        assert out["stats"]["send"][kind]["encrypted"] == len(frames)


async def test_python_frames_open_in_the_worker(page: Page) -> None:
    k, index = os.urandom(32), 200

    def seal(
        kind: str, frame_type: str | None, plain: bytes, key: bytes = k, i: int = index
    ) -> bytes:
        keyframe = _clear_prefix(kind, frame_type, plain) == 10
        return e2ee.encrypt_frame(key, i, plain, "video" if kind == "video" else "audio", keyframe)

    plains = [
        ("key", bytes([0x10]) + os.urandom(99)),
        ("delta", b"\x11\x00"),
        ("delta", b"\x11abc"),
    ]
    frames = [seal("video", t, p) for t, p in plains]
    tampered = bytearray(seal("video", "delta", b"\x11" + os.urandom(20)))
    tampered[1] ^= 1  # the clear prefix is authenticated too
    wrong_key = seal("video", "delta", b"\x11" + os.urandom(20), key=os.urandom(32))
    unknown = seal("video", "delta", b"\x11" + os.urandom(20), i=7)
    sent = [frames[0], bytes(tampered), frames[1], wrong_key, unknown, b"\x00" * 20, frames[2]]
    types = ["key", "delta", "delta", "delta", "delta", "delta", "delta"]
    out = await call(
        page,
        "through",
        "recv",
        "video",
        [{"type": t, "data": list(d)} for t, d in zip(types, sent, strict=True)],
        [[index, list(k)]],
    )
    assert [bytes(f) for f in out["frames"]] == [p for _, p in plains]
    counted = out["stats"]["recv"]["video"]
    assert (counted["decrypted"], counted["dropped_failed"], counted["dropped_no_key"]) == (3, 3, 1)
