"""The Redis server the tests use for real (127.0.0.1:6379, or PALABRE_TEST_REDIS)."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

REDIS_URL = os.environ.get("PALABRE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def redis_reachable(url: str = REDIS_URL) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False


def redis_url_or_skip() -> str:
    """The URL; under ``CI=true`` an unreachable Redis fails the test instead of skipping it."""
    if not redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI=true")
        pytest.skip("Redis unreachable")
    return REDIS_URL
