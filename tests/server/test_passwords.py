from __future__ import annotations

import asyncio
import threading
import time

import pytest

from server.passwords import HashingBusy, PasswordHashing


class SlowHash:
    """A stand-in for argon2 that records how many computations run at once."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.running = 0
        self.peak = 0
        self.release = threading.Event()

    def verify(self, password_hash: str | None, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.lock.notify_all()
        self.release.wait(5)
        time.sleep(0.01)
        with self.lock:
            self.running -= 1
        return password == "right"

    def wait_running(self, count: int) -> None:
        with self.lock:
            assert self.lock.wait_for(lambda: self.running >= count, timeout=5)


async def test_parallel_verifications_are_capped() -> None:
    slow = SlowHash()
    hashing = PasswordHashing(2, max_waiting=10, verify=slow.verify)
    tasks = [asyncio.ensure_future(hashing.verify("h", "right")) for _ in range(12)]
    await asyncio.to_thread(slow.wait_running, 2)
    # the barrier: the ten others are all waiting for a slot (none of them took a third),
    # so the queue is full and one more is refused
    with pytest.raises(HashingBusy):
        await hashing.verify("h", "right")
    slow.release.set()
    assert all(await asyncio.gather(*tasks))
    assert slow.peak == 2


async def test_too_many_waiting_are_refused_not_queued() -> None:
    slow = SlowHash()
    hashing = PasswordHashing(1, max_waiting=3, verify=slow.verify)
    tasks = [asyncio.ensure_future(hashing.verify("h", "x")) for _ in range(4)]
    await asyncio.sleep(0)  # one runs, three wait
    with pytest.raises(HashingBusy):
        await hashing.verify("h", "x")
    slow.release.set()
    await asyncio.gather(*tasks)


async def test_a_cancelled_caller_keeps_its_slot_until_the_thread_ends() -> None:
    slow = SlowHash()
    hashing = PasswordHashing(1, max_waiting=1, verify=slow.verify)
    first = asyncio.ensure_future(hashing.verify("h", "x"))
    await asyncio.to_thread(slow.wait_running, 1)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    second = asyncio.ensure_future(hashing.verify("h", "x"))
    await asyncio.sleep(0)  # the second caller asks for the slot
    # the thread still runs, so its slot is still taken: the second waits, and with it
    # waiting the queue (of one) is full
    with pytest.raises(HashingBusy):
        await hashing.verify("h", "x")
    slow.release.set()
    await second
    assert slow.peak == 1
