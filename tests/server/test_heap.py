"""The serving process's garbage collection: frozen after start-up and each full collection."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from server.heap import HeapKeeper


class Node:
    """Something that can sit in a reference cycle and be watched through a weak reference."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a, weakref.ref(a)


@pytest.fixture
def keeper() -> Iterator[HeapKeeper]:
    keeper = HeapKeeper()
    try:
        yield keeper
    finally:
        keeper.stop()
    assert gc.get_freeze_count() == 0


def test_what_exists_at_start_up_is_frozen(keeper: HeapKeeper) -> None:
    kept = [Node() for _ in range(1000)]
    keeper.start()
    assert keeper.installed
    assert gc.get_freeze_count() >= len(kept)


def test_the_survivors_of_each_full_collection_are_frozen_and_no_longer_walked(
    keeper: HeapKeeper,
) -> None:
    keeper.start()
    before = gc.get_freeze_count()
    made_after_start = [Node() for _ in range(5000)]
    gc.collect()
    assert keeper.freezes == 1
    assert gc.get_freeze_count() >= before + len(made_after_start)
    assert gc.get_count() == (0, 0, 0)  # nothing left to walk


def test_frozen_objects_are_still_freed_when_nothing_refers_to_them(keeper: HeapKeeper) -> None:
    lone = Node()
    watched = weakref.ref(lone)
    keeper.start()
    del lone
    assert watched() is None  # reference counting does not care about freezing


def test_a_cycle_that_dies_once_frozen_waits_for_the_sweep(keeper: HeapKeeper) -> None:
    node, watched = cycle()
    keeper.start()
    del node
    gc.collect()
    assert watched() is not None  # frozen: full collections no longer see it
    assert keeper.sweep() >= 2
    assert watched() is None


def test_stopping_puts_the_defaults_back(keeper: HeapKeeper) -> None:
    keeper.start()
    keeper.start()  # twice is once
    assert gc.callbacks.count(keeper._after_collection) == 1
    keeper.stop()
    assert not keeper.installed
    assert keeper._after_collection not in gc.callbacks
    assert gc.get_freeze_count() == 0
    node, watched = cycle()
    del node
    gc.collect()
    assert watched() is None
