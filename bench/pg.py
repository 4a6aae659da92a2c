"""Throw-away PostgreSQL databases for the benchmarks, usable with or without a running loop.

asyncpg only (psycopg is not a dependency); each call runs its coroutine on a
short-lived thread of its own, so the benchmarks may call these from inside
their event loop (``asyncio.run`` refuses to nest).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def _blocking(make: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        return await make()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _plain(url: str) -> str:
    """asyncpg's spelling of a SQLAlchemy URL."""
    return url.replace("+asyncpg", "", 1)


def create_database(url: str) -> tuple[str, str]:
    """A fresh database on ``url``'s server: (its SQLAlchemy URL, its name)."""
    import asyncpg

    server, _, _ = url.rpartition("/")
    name = f"palabre_bench_{secrets.token_hex(4)}"

    async def create() -> None:
        conn = await asyncpg.connect(_plain(server) + "/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    _blocking(create)
    return f"{server}/{name}", name


def drop_database(url: str) -> None:
    """Drops the database ``url`` names (connections to it closed by force)."""
    import asyncpg

    server, _, name = url.rpartition("/")

    async def drop() -> None:
        conn = await asyncpg.connect(_plain(server) + "/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    _blocking(drop)


def scalar(url: str, sql: str) -> int:
    """One integer from ``sql`` on the database ``url``."""
    import asyncpg

    async def query() -> int:
        conn = await asyncpg.connect(_plain(url))
        try:
            return int(await conn.fetchval(sql))
        finally:
            await conn.close()

    return _blocking(query)
