from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from records.models import AuditLogRow
from server import purge as purge_module
from server.app import create_app
from server.config import Config
from server.context import SERVICES


async def test_the_server_runs_the_purge_and_stops_it_at_cleanup(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(purge_module, "FIRST_RUN_DELAY", 0.0)
    app = await create_app(config)
    async with TestServer(app):
        records = app[SERVICES].records
        for _ in range(100):
            async with records.db.transaction() as s:
                actions = list(await s.scalars(select(AuditLogRow.action)))
            if "retention.purge" in actions:
                break
            await asyncio.sleep(0.05)
        assert "retention.purge" in actions
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "retention-purge"]
