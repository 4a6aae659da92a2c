"""The key directory of end-to-end media encryption: groups, epochs, distributors (pure)."""

from __future__ import annotations

import pytest

from sessions.e2ee import KEYING_GRACE, KEYING_PATIENCE, Capability, KeyDirectory, Mode
from sessions.errors import Forbidden, InvalidState

ROLES = {"m-a": "mediator", "m-c": "co_mediator", "p-1": "party", "p-2": "party"}
CONNS = {"m-a": "s-a", "m-c": "s-c", "p-1": "s-1", "p-2": "s-2"}


def directory(*keys: str) -> KeyDirectory:
    d = KeyDirectory(next_epoch=250)
    for k in keys:
        d.announce(k, CONNS[k], f"pub-{k}", True)
    return d


def test_the_mediator_distributes_else_the_smallest_key() -> None:
    d = directory("m-a", "m-c", "p-1", "p-2")
    [plenary] = d.update({"m-a": "plenary", "p-1": "plenary", "p-2": "plenary"}, CONNS, ROLES)
    assert plenary.distributor == "m-a" and plenary.mode is Mode.E2EE
    groups = d.update({"m-c": "plenary", "p-1": "plenary", "p-2": "x"}, CONNS, ROLES)
    assert {g.group: g.distributor for g in groups} == {"plenary": "m-c", "x": "p-2"}
    [parties] = d.update({"p-2": "plenary", "p-1": "plenary"}, CONNS, ROLES)
    assert parties.distributor == "p-1"  # no mediator there: the smallest key


def test_epochs_move_on_with_every_change_and_never_repeat() -> None:
    d = directory("m-a", "p-1", "p-2")
    rooms = {"m-a": "plenary", "p-1": "plenary"}
    [first] = d.update(rooms, CONNS, ROLES)
    assert d.update(rooms, CONNS, ROLES) == []  # nothing changed: the same key goes on
    [joined] = d.update({**rooms, "p-2": "plenary"}, CONNS, ROLES)
    [left] = d.update(rooms, CONNS, ROLES)
    assert first.epoch < joined.epoch < left.epoch
    assert (joined.epoch - first.epoch, left.epoch - joined.epoch) == (1, 1)
    # a new key pair (a reloaded page) is a change too
    d.announce("p-1", "s-1", "pub-other", True)
    [renewed] = d.update(rooms, CONNS, ROLES)
    assert renewed.public_key("p-1") == "pub-other" and renewed.epoch > left.epoch


def test_an_announcement_holds_for_its_connection_only() -> None:
    d = directory("m-a", "p-1")
    rooms = {"m-a": "plenary", "p-1": "plenary"}
    d.update(rooms, CONNS, ROLES)
    [group] = d.update(rooms, {**CONNS, "p-1": "s-new"}, ROLES)  # p-1 came back on a new one
    states = {m.key: (m.state, m.public_key) for m in group.members}
    assert states["p-1"] == (Capability.PENDING, None)
    assert group.ready() == {"m-a"}
    assert d.capability("p-1", "s-1") is Capability.PENDING  # forgotten, not just hidden


def test_one_browser_that_cannot_encrypt_puts_its_room_in_transport_mode() -> None:
    d = directory("m-a", "p-1")
    d.announce("p-2", "s-2", None, False)
    groups = d.update({"m-a": "plenary", "p-2": "plenary", "p-1": "x"}, CONNS, ROLES)
    modes = {g.group: g.mode for g in groups}
    assert modes == {"plenary": Mode.TRANSPORT, "x": Mode.E2EE}
    assert d.states(ROLES, CONNS) == {
        "m-a": "transport", "m-c": "pending", "p-1": "ready", "p-2": "unsupported",
    }  # fmt: skip
    with pytest.raises(InvalidState):
        d.announce("p-1", "s-1", None, True)  # encrypting without a public key


def test_handing_out_a_key_is_checked() -> None:
    d = directory("m-a", "p-1")
    [g] = d.update({"m-a": "plenary", "p-1": "plenary", "p-2": "plenary"}, CONNS, ROLES)
    assert d.check_distribution("m-a", "plenary", g.epoch, ["p-1"]) == g
    with pytest.raises(Forbidden):
        d.check_distribution("p-1", "plenary", g.epoch, ["m-a"])  # not the distributor
    with pytest.raises(Forbidden):
        d.check_distribution("m-a", "plenary", g.epoch, ["p-2"])  # pending: no key for them
    with pytest.raises(InvalidState):
        d.check_distribution("m-a", "plenary", g.epoch - 1, ["p-1"])
    with pytest.raises(Forbidden):
        d.check_distribution("m-a", "elsewhere", g.epoch, ["p-1"])


def test_a_distributor_that_hands_out_no_key_is_passed_over() -> None:
    d = directory("m-a", "p-1", "p-2")
    rooms = {"m-a": "plenary", "p-1": "plenary", "p-2": "plenary"}
    [first] = d.update(rooms, CONNS, ROLES, now=100.0)
    assert first.distributor == "m-a"
    assert d.update(rooms, CONNS, ROLES, now=100.0 + KEYING_PATIENCE - 0.1) == []
    [second] = d.update(rooms, CONNS, ROLES, now=100.0 + KEYING_PATIENCE)
    assert second.distributor == "p-1" and second.epoch > first.epoch  # the mediator's page hung
    d.check_distribution("p-1", "plenary", second.epoch, ["m-a", "p-2"])
    assert d.update(rooms, CONNS, ROLES, now=1000.0) == []  # handed out: nothing stalls
    # once the members change, the mediator distributes again
    [third] = d.update({"m-a": "plenary", "p-1": "plenary"}, CONNS, ROLES, now=1001.0)
    assert third.distributor == "m-a"


def test_alone_or_with_nobody_ready_nothing_stalls() -> None:
    d = directory("p-1")
    d.update({"p-1": "hold-p-1"}, CONNS, ROLES, now=0.0)
    assert d.update({"p-1": "hold-p-1"}, CONNS, ROLES, now=10 * KEYING_PATIENCE) == []
    d.update({"p-1": "plenary", "p-2": "plenary"}, CONNS, ROLES, now=0.0)  # p-2 never announced
    assert d.update({"p-1": "plenary", "p-2": "plenary"}, CONNS, ROLES, now=1e6) == []


def test_the_mediators_see_whose_page_has_not_opened_the_current_key() -> None:
    d = directory("m-a", "p-1", "p-2")
    rooms = {"m-a": "plenary", "p-1": "plenary", "p-2": "plenary"}
    [g] = d.update(rooms, CONNS, ROLES, now=50.0)
    assert d.states(rooms, CONNS, now=50.0 + KEYING_GRACE - 0.1) == dict.fromkeys(rooms, "ready")
    assert d.opened("m-a", "plenary", g.epoch) and d.opened("p-1", "plenary", g.epoch)
    assert not d.opened("p-2", "plenary", g.epoch - 1)  # an old epoch counts for nothing
    late = d.states(rooms, CONNS, now=50.0 + KEYING_GRACE)
    assert late == {"m-a": "ready", "p-1": "ready", "p-2": "keying"}
    assert d.opened("p-2", "plenary", g.epoch)
    assert set(d.states(rooms, CONNS, now=1e6).values()) == {"ready"}
    # a new epoch: nobody holds its key yet
    [g2] = d.update({**rooms, "m-c": "plenary"}, CONNS, {**ROLES}, now=2e6)
    assert d.states(rooms, CONNS, now=2e6 + KEYING_GRACE)["p-1"] == "keying"
    assert not d.opened("p-1", "plenary", g.epoch) and d.opened("p-1", "plenary", g2.epoch)
