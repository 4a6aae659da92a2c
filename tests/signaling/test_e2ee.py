"""End-to-end media encryption over the /session namespace: key groups, epochs, who may hand
out a room key, and to whom it goes. The server carries public keys and wrapped keys only."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from records.stores.cases import MediaEncryption
from tests.signaling.world import (
    Client,
    World,
    admitted,
    barrier,
    enter,
    key,
    mediator,
    three,
    until,
)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key() -> str:
    """A fresh page's ECDH P-256 public key, as the browser sends it."""
    pub = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = pub.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


def wrapped() -> dict[str, str]:
    """Stand-in bytes of a wrapped room key (the server cannot tell, nor needs to)."""
    return {"iv": b64url(os.urandom(12)), "data": b64url(os.urandom(48))}


async def hello(client: Client, supported: bool = True) -> dict[str, Any]:
    payload = {"public_key": public_key(), "supported": True} if supported else {"supported": False}
    return await client.call("e2ee:hello", payload)


def group_of(client: Client) -> dict[str, Any]:
    rooms = client.seen("e2ee:room")
    assert rooms, "no e2ee:room"
    latest: dict[str, Any] = rooms[-1]
    return latest


async def ready_in(client: Client, *keys: str) -> dict[str, Any]:
    """The client's latest key group once all of ``keys`` are ready members of it."""

    def ready() -> bool:
        rooms = client.seen("e2ee:room")
        states = {m["key"]: m["state"] for m in rooms[-1]["members"]} if rooms else {}
        return all(states.get(k) == "ready" for k in keys)

    await until(ready)
    return group_of(client)


async def keyed_three(
    world: World, clients: Callable[[], Client]
) -> tuple[tuple[Client, Client, Client], tuple[str, str, str], dict[str, Any]]:
    """Anne (mediator), Jeanne and Marc in the plenary, each page announced; the plenary's
    key group once everyone in it sees the three of them ready."""
    anne, jeanne, marc = await three(world, clients)
    a, j, m = anne.hello["self"]["key"], key(world, "Jeanne Dupont"), key(world, "Marc Durand")
    for c in (anne, jeanne, marc):
        assert (await hello(c)) == {"ok": True, "policy": "required"}
    group = await ready_in(anne, a, j, m)
    for c in (jeanne, marc):
        assert (await ready_in(c, a, j, m)) == group  # everyone sees the same group
    return (anne, jeanne, marc), (a, j, m), group


async def test_a_group_per_media_room_with_a_new_epoch_on_every_change(
    world: World, clients: Callable[[], Client]
) -> None:
    (anne, jeanne, marc), (a, j, m), group = await keyed_three(world, clients)
    assert group["group"] == "plenary" and group["mode"] == "e2ee"
    assert group["distributor"] == a  # the mediator makes the plenary's keys
    keys = {x["key"]: x["public_key"] for x in group["members"]}
    assert len(set(keys.values())) == 3

    # Marc goes into a private meeting with the mediator: the plenary gets a new epoch
    # without him (Jeanne alone, on hold: her own key), the meeting its own.
    ack = await anne.call("caucus:open", {"members": [m], "label": ""})
    assert ack["ok"]
    await until(lambda: group_of(marc)["group"] == ack["room_id"])
    meeting = await ready_in(marc, a, m)
    assert {x["key"] for x in meeting["members"]} == {a, m}
    assert meeting["distributor"] == a and meeting["epoch"] != group["epoch"]
    await until(lambda: group_of(jeanne)["group"] != "plenary")
    alone = group_of(jeanne)
    assert [x["key"] for x in alone["members"]] == [j] and alone["distributor"] == j
    epochs = {group["epoch"], meeting["epoch"], alone["epoch"]}
    assert len(epochs) == 3  # never the same epoch twice in a session

    # Back in the plenary: a new epoch again, never an earlier one.
    assert (await anne.call("caucus:return_all", {}))["ok"]
    back = await ready_in(marc, a, j, m)
    assert back["group"] == "plenary" and back["epoch"] > max(epochs)


async def test_only_the_distributor_hands_out_a_key_and_only_to_its_members(
    world: World, clients: Callable[[], Client]
) -> None:
    (anne, jeanne, marc), (a, j, m), group = await keyed_three(world, clients)
    epoch = group["epoch"]
    keys = {j: wrapped(), m: wrapped()}
    assert (await anne.call("e2ee:key", {"group": "plenary", "epoch": epoch, "keys": keys}))["ok"]
    await until(lambda: bool(jeanne.seen("e2ee:key")) and bool(marc.seen("e2ee:key")))
    assert jeanne.seen("e2ee:key") == [{"group": "plenary", "epoch": epoch, "from": a, **keys[j]}]
    assert marc.seen("e2ee:key") == [{"group": "plenary", "epoch": epoch, "from": a, **keys[m]}]

    # a party may not hand out the plenary's key, nor anyone an old epoch's or a stranger's
    party = await jeanne.call(
        "e2ee:key", {"group": "plenary", "epoch": epoch, "keys": {m: wrapped()}}
    )
    assert party["error"]["code"] == "forbidden"
    stale = await anne.call("e2ee:key", {"group": "plenary", "epoch": epoch - 1, "keys": keys})
    assert stale["error"]["code"] == "invalid_state"
    other = await anne.call(
        "e2ee:key", {"group": "plenary", "epoch": epoch, "keys": {"p-" + "0" * 32: wrapped()}}
    )
    assert other["error"]["code"] == "forbidden"
    elsewhere = await anne.call("e2ee:key", {"group": "caucus-x", "epoch": epoch, "keys": keys})
    assert elsewhere["error"]["code"] == "forbidden"
    await barrier(jeanne, marc)
    assert len(marc.seen("e2ee:key")) == 1 and len(jeanne.seen("e2ee:key")) == 1


async def test_a_leaver_is_out_of_the_next_epoch_and_a_reloaded_page_announces_again(
    world: World, clients: Callable[[], Client]
) -> None:
    (anne, jeanne, marc), (a, j, m), before = await keyed_three(world, clients)
    assert (await marc.call("room:leave", {}))["ok"]
    await until(lambda: {x["key"] for x in group_of(anne)["members"]} == {a, j})
    after = group_of(anne)
    assert after["epoch"] > before["epoch"]
    # a key for the leaver is refused: he is no longer a member
    refused = await anne.call(
        "e2ee:key", {"group": "plenary", "epoch": after["epoch"], "keys": {m: wrapped()}}
    )
    assert refused["error"]["code"] == "forbidden"

    # Jeanne's page reloads: her new connection is pending until it announces its new key
    await jeanne.close()
    jeanne2 = clients()
    await jeanne2.connect(world, {"token": world.tokens["Jeanne Dupont"]})
    await until(lambda: bool(jeanne2.seen("e2ee:room")))
    states = {x["key"]: x["state"] for x in group_of(jeanne2)["members"]}
    assert states[j] == "pending"
    old_key = next(x["public_key"] for x in after["members"] if x["key"] == j)
    await hello(jeanne2)
    renewed = await ready_in(anne, a, j)
    assert next(x["public_key"] for x in renewed["members"] if x["key"] == j) != old_key


async def test_hello_is_checked_and_the_case_decides_about_browsers_that_cannot_encrypt(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    a = anne.hello["self"]["key"]
    not_a_point = b64url(b"\x04" + bytes(64))
    bad = await anne.call("e2ee:hello", {"public_key": not_a_point, "supported": True})
    assert bad["error"]["code"] == "validation_error"
    missing = await anne.call("e2ee:hello", {"supported": True})
    assert missing["error"]["code"] == "validation_error"
    assert (await hello(anne))["ok"]

    jeanne = await enter(world, clients, "Jeanne Dupont")
    refused = await hello(jeanne, supported=False)
    assert refused["error"]["code"] == "e2ee_unsupported"

    # the mediator allows such browsers: Jeanne may come in, and the plenary is then
    # encrypted only as far as the server, which everyone in it is told
    await world.svc.cases.set_media_encryption(
        world.case.id, world.case.mediators[0].id, MediaEncryption.ALLOWED
    )
    assert (await hello(jeanne, supported=False)) == {"ok": True, "policy": "allowed"}
    j = key(world, "Jeanne Dupont")
    assert (await anne.call("lobby:admit", {"key": j}))["ok"]
    await until(lambda: len(group_of(anne)["members"]) == 2)
    group = group_of(anne)
    assert group["mode"] == "transport"
    assert {x["key"]: x["state"] for x in group["members"]} == {a: "ready", j: "unsupported"}
    await until(lambda: anne.seen("e2ee:status")[-1]["participants"].get(j) == "unsupported")
    assert anne.seen("e2ee:status")[-1]["participants"][a] == "transport"
    await until(lambda: bool(jeanne.seen("e2ee:room")))
    assert group_of(jeanne)["mode"] == "transport"
    assert not jeanne.seen("e2ee:status")  # who can encrypt is told to the mediators only


async def test_a_member_who_never_announces_gets_no_key(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    a = anne.hello["self"]["key"]
    await hello(anne)
    jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
    j = key(world, "Jeanne Dupont")
    group = await ready_in(anne, a)
    await until(lambda: {x["key"] for x in group_of(anne)["members"]} == {a, j})
    group = group_of(anne)
    assert group["mode"] == "e2ee"  # nobody said they cannot encrypt: still end to end
    refused = await anne.call(
        "e2ee:key", {"group": "plenary", "epoch": group["epoch"], "keys": {j: wrapped()}}
    )
    assert refused["error"]["code"] == "forbidden"
    await barrier(jeanne)
    assert not jeanne.seen("e2ee:key")


async def test_a_page_announcing_new_keys_over_and_over_is_slowed_down(
    world: World, clients: Callable[[], Client]
) -> None:
    anne = await mediator(world, clients)
    answers = [(await hello(anne)).get("error", {}).get("code") for _ in range(8)]
    assert answers[:4] == [None] * 4  # each one a new epoch for the whole room
    assert "rate_limited" in answers[4:]


async def test_a_page_says_when_it_holds_the_key_and_only_for_its_group(
    world: World, clients: Callable[[], Client]
) -> None:
    (anne, jeanne, marc), (a, j, m), group = await keyed_three(world, clients)
    epoch = group["epoch"]
    assert (await anne.call("e2ee:opened", {"group": "plenary", "epoch": epoch}))["ok"]
    assert (await jeanne.call("e2ee:opened", {"group": "plenary", "epoch": epoch}))["ok"]
    # another group's or another epoch's key: nothing recorded, no error to learn from
    assert (await marc.call("e2ee:opened", {"group": "private-x", "epoch": epoch}))["ok"]
    assert (await marc.call("e2ee:opened", {"group": "plenary", "epoch": -1}))["error"]["code"] == (
        "validation_error"
    )
    # Marc's page never opened it: a few seconds on, the mediator's panel says so
    await until(lambda: anne.seen("e2ee:status")[-1]["participants"][m] == "keying", within=10)
    assert anne.seen("e2ee:status")[-1]["participants"][j] == "ready"
    assert anne.seen("e2ee:status")[-1]["participants"][a] == "ready"
    assert (await marc.call("e2ee:opened", {"group": "plenary", "epoch": epoch}))["ok"]
    await until(lambda: anne.seen("e2ee:status")[-1]["participants"][m] == "ready")
