from __future__ import annotations

from server.throttle import LoginThrottle


def test_window_slides_with_the_clock() -> None:
    now = [1000.0]
    throttle = LoginThrottle(3, 60, clock=lambda: now[0])
    keys = ["email:a", "ip:1"]
    for _ in range(3):
        assert throttle.retry_after(keys) == 0
        throttle.fail(keys)
    assert throttle.retry_after(keys) == 61
    now[0] += 30
    assert 0 < throttle.retry_after(["ip:1"]) <= 31
    now[0] += 31
    assert throttle.retry_after(keys) == 0


def test_success_clears_only_the_given_key() -> None:
    throttle = LoginThrottle(1, 60, clock=lambda: 0.0)
    throttle.fail(["email:a", "ip:1"])
    throttle.succeed(["email:a"])
    assert throttle.retry_after(["email:a"]) == 0
    assert throttle.retry_after(["ip:1"]) > 0
