from __future__ import annotations

import secrets

import pytest

from server.throttle import LoginThrottle, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _refused(throttle: LoginThrottle, account: str, address: str) -> int:
    with pytest.raises(TooManyAttempts) as info:
        throttle.begin(account, address)
    return info.value.retry_after


def test_delays_grow_per_pair_up_to_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, 900, first_delay=15, clock=clock)
    for _ in range(3):
        throttle.begin("anne@example.org", "203.0.113.1")
    waits = []
    for _ in range(8):
        wait = _refused(throttle, "anne@example.org", "203.0.113.1")
        waits.append(wait)
        clock.now += wait
        throttle.begin("anne@example.org", "203.0.113.1")
    assert waits == [15, 30, 60, 120, 240, 480, 900, 900]


def test_a_reservation_counts_before_the_password_is_checked() -> None:
    """Nothing needs to come back from a verification for the next attempt to be refused."""
    throttle = LoginThrottle(5, 900, clock=Clock())
    for _ in range(5):
        throttle.begin("anne@example.org", "203.0.113.1")
    assert _refused(throttle, "anne@example.org", "203.0.113.1") > 0


def test_a_released_reservation_is_given_back() -> None:
    throttle = LoginThrottle(1, 900, clock=Clock())
    throttle.release(throttle.begin("anne@example.org", "203.0.113.1"))
    throttle.begin("anne@example.org", "203.0.113.1")
    assert _refused(throttle, "anne@example.org", "203.0.113.1") > 0


def test_another_address_is_not_slowed_down_by_one_attacker() -> None:
    throttle = LoginThrottle(5, 900, clock=Clock())
    for _ in range(5):
        throttle.begin("anne@example.org", "203.0.113.66")
    _refused(throttle, "anne@example.org", "203.0.113.66")
    throttle.succeeded(throttle.begin("anne@example.org", "198.51.100.10"))


def test_a_known_address_signs_in_during_a_distributed_attack() -> None:
    clock = Clock()
    throttle = LoginThrottle(5, 900, clock=clock)
    throttle.succeeded(throttle.begin("anne@example.org", "198.51.100.10"))  # Anne's office
    for i in range(40):  # one guess from each of many addresses
        try:
            throttle.begin("anne@example.org", f"203.0.113.{i}")
        except TooManyAttempts:
            pass
    # the account is slowed down for addresses it never signed in from...
    assert _refused(throttle, "anne@example.org", "192.0.2.77") > 0
    # ...but not for Anne at her office
    throttle.succeeded(throttle.begin("anne@example.org", "198.51.100.10"))


def test_an_address_spraying_random_emails_is_slowed_down_but_not_its_known_pairs() -> None:
    throttle = LoginThrottle(5, 900, clock=Clock())
    throttle.succeeded(throttle.begin("anne@example.org", "192.0.2.1"))
    for _ in range(20):
        throttle.begin(f"{secrets.token_hex(4)}@example.org", "192.0.2.1")
    assert _refused(throttle, f"{secrets.token_hex(4)}@example.org", "192.0.2.1") > 0
    throttle.succeeded(throttle.begin("anne@example.org", "192.0.2.1"))


def test_counts_are_forgotten_after_a_quiet_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(2, 100, first_delay=10, clock=clock)
    for _ in range(2):
        throttle.begin("anne@example.org", "203.0.113.1")
    assert _refused(throttle, "anne@example.org", "203.0.113.1") == 10
    clock.now += 111
    for _ in range(2):
        throttle.begin("anne@example.org", "203.0.113.1")
    assert throttle.size() == 3


def test_the_setup_code_has_no_account_wide_counter() -> None:
    """Strangers guessing the setup code from many addresses cannot block the operator."""
    throttle = LoginThrottle(1, 900, clock=Clock())
    for i in range(50):
        throttle.begin("setup code", f"203.0.113.{i}", account_wide=False)
    throttle.begin("setup code", "198.51.100.10", account_wide=False)


def test_memory_is_bounded_under_random_emails_and_addresses() -> None:
    throttle = LoginThrottle(5, 900, max_entries=100, clock=Clock())
    for _ in range(10_000):
        account = f"{secrets.token_hex(6)}@example.org"
        address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
        attempt = throttle.begin(account, address)
        if secrets.randbelow(10) == 0:
            throttle.succeeded(attempt)
    assert throttle.size() <= 400


def test_emails_are_not_kept_in_clear() -> None:
    throttle = LoginThrottle(5, 900, clock=Clock())
    attempt = throttle.begin("anne@example.org", "203.0.113.1")
    assert "anne" not in repr(attempt) and "anne" not in repr(vars(throttle))
