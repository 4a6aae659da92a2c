"""End-to-end media encryption over the ``/session`` namespace: key groups and room keys.

The browsers encrypt every frame with their media room's key; the server only carries
public keys and keys wrapped for one member each (:mod:`sessions.e2ee` says who gets what).

Client-to-server, each with an ack ``{"ok": ...}``:

* ``e2ee:hello`` {public_key, supported}: this page's ECDH P-256 public key (raw point,
  base64url), or ``supported: false`` for a browser without a frame-transform API, which
  the case may refuse (``e2ee_unsupported``). Sent after every ``session:hello``; the ack
  carries the case's ``policy`` (``required`` / ``allowed``).
* ``e2ee:key`` {group, epoch, keys: {<key>: {iv, data}}}: the group's distributor hands out
  that epoch's key, wrapped for each ready member; refused from anyone else, for another
  epoch, or for someone outside the group.
* ``e2ee:opened`` {group, epoch}: this page holds that epoch's key (the mediators see who
  does not, a few seconds after a change).

Server-to-client: ``e2ee:room`` (a group's members, their public keys, its epoch, mode
and distributor) to each member whenever it changes; ``e2ee:key`` {group, epoch, from,
iv, data} to each recipient of a wrapped key; ``e2ee:status`` {participants: {key:
state}} to the mediators, so they can tell a worried party who can and cannot encrypt.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import Field

from errors import ErrorCode
from signaling.errors import SignalingError
from signaling.identity import Identity
from signaling.live import LiveHub
from signaling.live_state import LiveState
from signaling.ports import HubPorts
from signaling.protocol import Ack, Key, Payload, RoomId, ok, parse

B64URL = r"^[A-Za-z0-9_-]+$"
PUBLIC_KEY_CHARS = 87  # 65 bytes (an uncompressed P-256 point), base64url without padding


class E2eeHello(Payload):
    public_key: (
        Annotated[
            str, Field(min_length=PUBLIC_KEY_CHARS, max_length=PUBLIC_KEY_CHARS, pattern=B64URL)
        ]
        | None
    ) = None
    supported: bool


class WrappedKey(Payload):
    iv: Annotated[str, Field(min_length=16, max_length=16, pattern=B64URL)]  # 12 bytes
    data: Annotated[str, Field(min_length=64, max_length=64, pattern=B64URL)]  # 32 + 16 tag


class E2eeOpened(Payload):
    group: RoomId
    epoch: Annotated[int, Field(ge=0, le=2**53)]


class E2eeKey(Payload):
    group: RoomId
    epoch: Annotated[int, Field(ge=0, le=2**53)]
    keys: Annotated[dict[Key, WrappedKey], Field(min_length=1, max_length=32)]


def checked_public_key(encoded: str) -> str:
    """``encoded`` if it is a point of P-256 (a page's ECDH public key), else a
    validation error: a malformed key would only make every wrap for it fail."""
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (ValueError, binascii.Error):
        raise SignalingError(ErrorCode.VALIDATION, "public_key: not a P-256 point") from None
    return encoded


class E2eeEvents:
    """Mixed into :class:`signaling.namespace.SessionNamespace`."""

    hub: LiveHub
    _ports: HubPorts

    def _identity(self, sid: str) -> Identity:
        raise NotImplementedError

    async def on_e2ee_hello(self, sid: str, data: Any) -> Ack:
        said = parse(E2eeHello, data)
        identity = self._identity(sid)
        public_key = None
        if said.supported:
            if said.public_key is None:
                raise SignalingError(ErrorCode.VALIDATION, "public_key: required when supported")
            public_key = checked_public_key(said.public_key)
        policy = await self._ports.roster.media_encryption(identity.session_id)
        if not said.supported and policy != "allowed":
            raise SignalingError(
                ErrorCode.E2EE_UNSUPPORTED,
                "this case requires end-to-end encryption, which this browser cannot do",
            )
        keys = self.hub.key_rooms

        async def announce(live: LiveState) -> None:
            await keys.announce(live, identity.key, sid, public_key, said.supported)

        await self.hub.with_live(identity, sid, announce)
        return ok(policy=policy)

    async def on_e2ee_key(self, sid: str, data: Any) -> Ack:
        message = parse(E2eeKey, data)
        identity = self._identity(sid)
        keys = self.hub.key_rooms
        wrapped = {k: (w.iv, w.data) for k, w in message.keys.items()}

        async def hand_out(live: LiveState) -> None:
            await keys.hand_out(live, identity.key, message.group, message.epoch, wrapped)

        await self.hub.with_live(identity, sid, hand_out)
        return ok()

    async def on_e2ee_opened(self, sid: str, data: Any) -> Ack:
        message = parse(E2eeOpened, data)
        identity = self._identity(sid)
        keys = self.hub.key_rooms

        async def opened(live: LiveState) -> None:
            await keys.opened(live, identity.key, message.group, message.epoch)

        await self.hub.with_live(identity, sid, opened)
        return ok()


MODELS: list[type[Payload]] = [E2eeHello, E2eeKey, E2eeOpened]
