"""The one registry of who is on which connection."""

from __future__ import annotations

from signaling.identity import Identity
from signaling.presence import Connections

JEANNE = Identity("s1", "p-1", "party", "Jeanne", link_id="l1")
MARC = Identity("s1", "p-2", "party", "Marc", link_id="l2")
OTHER = Identity("s2", "p-1", "party", "Jeanne", link_id="l3")


def test_connections_by_sid_and_by_session() -> None:
    conns = Connections()
    conns.attach(JEANNE, "a")
    conns.attach(JEANNE, "a2")  # a reload: a second connection, same person, for a moment
    conns.attach(MARC, "b")
    conns.attach(OTHER, "c")  # the same key in another session is someone else
    assert conns.get("a") == JEANNE and conns.get("nope") is None
    assert conns.in_session("s1") == {"a": JEANNE, "a2": JEANNE, "b": MARC}
    assert sorted(conns.of("s1", "p-1")) == ["a", "a2"] and conns.of("s2", "p-1") == ["c"]
    assert len(conns) == 4
    assert conns.detach("a") == JEANNE and conns.detach("a") is None
    assert conns.of("s1", "p-1") == ["a2"]
    conns.detach("c")
    assert conns.in_session("s2") == {} and len(conns) == 2


def test_attaching_again_replaces_who_is_on_a_connection() -> None:
    conns = Connections()
    conns.attach(JEANNE, "a")
    conns.attach(OTHER, "a")
    assert conns.in_session("s1") == {} and conns.in_session("s2") == {"a": OTHER}
    assert len(conns) == 1
