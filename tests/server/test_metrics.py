"""Prometheus metrics on their own address: what a session, the board, HTTP and the purge
move, with route patterns and no ids in any label."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from server import purge as purge_module
from server.app import create_app
from server.config import ConfigError
from server.metrics import METRICS
from tests.dbfaults import inserts_refused
from tests.server.conftest import Api, api_clients, create_case, make_config
from tests.signaling.world import (
    Client,
    World,
    admitted,
    clients,  # noqa: F401  (the fixture)
    enter,
    mediator,
    world_on,
)

METRICS_ENV = {"PALABRE_METRICS_ADDRESS": "127.0.0.1:0", "PALABRE_NODE_ID": "node-3"}


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, frozenset({"node": "node-3", **labels}.items()))]


async def scrape(url: str) -> str:
    async with ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return await response.text()


@contextlib.asynccontextmanager
async def metrics_world(tmp_path: Path, sqlite_url: str) -> AsyncIterator[tuple[World, str]]:
    async with world_on(tmp_path, sqlite_url, **METRICS_ENV) as world:
        address = world.server.app[METRICS].address
        assert address is not None
        yield world, f"http://{address[0]}:{address[1]}/metrics"


async def test_served_on_its_own_address_only(tmp_path: Path, sqlite_url: str) -> None:
    async with metrics_world(tmp_path, sqlite_url) as (world, metrics_url):
        text = await scrape(metrics_url)
        assert value(text, "palabre_build_info", version="0.1.0") == 1
        assert value(text, "palabre_live_sessions") == 0
        async with ClientSession() as http, http.get(f"{world.url}/metrics") as response:
            assert response.status == 404  # never on the public port
        port = int(metrics_url.rsplit(":", 1)[1].split("/")[0])
        assert port != world.server.port


async def test_no_metrics_server_without_an_address(tmp_path: Path, sqlite_url: str) -> None:
    app = await create_app(make_config(tmp_path, sqlite_url))
    async with TestServer(app):
        assert app[METRICS].address is None


def test_the_address_is_checked(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path}/x.db"
    for bad in ("localhost:9108", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:8080"):
        with pytest.raises(ConfigError, match="PALABRE_METRICS_ADDRESS"):
            make_config(tmp_path, db, PALABRE_METRICS_ADDRESS=bad, PALABRE_PORT="8080")
    config = make_config(tmp_path, db, PALABRE_METRICS_ADDRESS="[::1]:9108")
    assert (config.ops.metrics_host, config.ops.metrics_port) == ("::1", 9108)
    with pytest.raises(ConfigError, match="PALABRE_LOG_FORMAT"):
        make_config(tmp_path, db, PALABRE_LOG_FORMAT="xml")


async def test_a_session_moves_the_gauges_and_counters(
    tmp_path: Path,
    sqlite_url: str,
    clients: Callable[[], Client],  # noqa: F811 (the fixture)
) -> None:
    async with metrics_world(tmp_path, sqlite_url) as (world, metrics_url):
        anne = await mediator(world, clients)
        jeanne = await admitted(world, clients, anne, "Jeanne Dupont")
        marc = await enter(world, clients, "Marc Durand")  # waits in the lobby
        stroke = {"type": "stroke", "id": "s1", "points": [[1.0, 2.0], [3.0, 4.0]],
                  "color": "#1f2937", "width": 2.0}  # fmt: skip
        assert (await anne.call("wb:op", {"op": stroke}))["ok"]
        text = await scrape(metrics_url)
        assert value(text, "palabre_live_sessions") == 1
        assert value(text, "palabre_participants", state="admitted") == 2
        assert value(text, "palabre_participants", state="waiting") == 1
        assert value(text, "palabre_socketio_connections") == 3
        assert value(text, "palabre_board_operations_total", result="stored") == 1
        assert value(text, "palabre_board_operations_total", result="refused") == 0
        assert value(text, "palabre_board_operation_seconds_count") == 1
        # no session, case, participant or link id anywhere in the metrics
        ids = [world.session.id, world.case.id, *(p.id for p in world.case.participants)]
        assert not [i for i in ids if i in text]
        await anne.close()
        for _ in range(100):
            text = await scrape(metrics_url)
            if value(text, "palabre_socketio_connections") == 2:
                break
            await asyncio.sleep(0.02)
        assert value(text, "palabre_socketio_connections") == 2
        await jeanne.close()  # before the server stops: it would wait for them
        await marc.close()


async def test_a_board_operation_the_database_refuses_is_counted_refused(
    tmp_path: Path,
    sqlite_url: str,
    clients: Callable[[], Client],  # noqa: F811 (the fixture)
) -> None:
    async with metrics_world(tmp_path, sqlite_url) as (world, metrics_url):
        anne = await mediator(world, clients)
        stroke = {"type": "stroke", "id": "s1", "points": [[1.0, 2.0], [3.0, 4.0]],
                  "color": "#1f2937", "width": 2.0}  # fmt: skip
        async with inserts_refused(world.svc.db, "board_ops"):
            ack = await anne.call("wb:op", {"op": stroke})
        assert ack["error"]["code"] == "not_stored"
        text = await scrape(metrics_url)
        assert value(text, "palabre_board_operations_total", result="refused") == 1
        assert value(text, "palabre_board_operations_total", result="stored") == 0
        await anne.close()


async def test_http_requests_are_counted_by_route_pattern(tmp_path: Path, sqlite_url: str) -> None:
    from tests.server.conftest import add_mediator

    app = await create_app(make_config(tmp_path, sqlite_url, **METRICS_ENV))
    async with TestServer(app) as server, api_clients(server) as make:
        await add_mediator(server, "anne@example.org")
        api: Api = await make()
        assert (await api.login("anne@example.org")).status == 200
        case = await create_case(api)
        assert (await api.get(f"/api/cases/{case['id']}")).status == 200
        assert (await api.get("/api/cases/no-such-case-0123456789")).status == 404
        address = app[METRICS].address
        assert address is not None
        text = await scrape(f"http://{address[0]}:{address[1]}/metrics")
        route = "/api/cases/{case_id}"
        assert value(text, "palabre_http_requests_total", method="GET", route=route,
                     status="2xx") == 1  # fmt: skip
        assert value(text, "palabre_http_requests_total", method="GET", route=route,
                     status="4xx") == 1  # fmt: skip
        assert value(text, "palabre_http_request_duration_seconds_count", route=route) == 2
        assert case["id"] not in text and "no-such-case" not in text


async def test_purge_runs_are_reported(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(purge_module, "FIRST_RUN_DELAY", 0.0)
    app = await create_app(make_config(tmp_path, sqlite_url, **METRICS_ENV))
    async with TestServer(app):
        metrics = app[METRICS]
        for _ in range(200):
            text = metrics.render().decode()
            if value(text, "palabre_purge_runs_total", result="ok") == 1:
                break
            await asyncio.sleep(0.05)
        assert value(text, "palabre_purge_runs_total", result="ok") == 1
        assert value(text, "palabre_purge_runs_total", result="failed") == 0
        assert value(text, "palabre_purge_last_success_timestamp_seconds") > 0
        assert value(text, "palabre_purge_interval_seconds") == 24 * 3600
        assert value(text, "palabre_purge_items_total", category="orphan_keys") == 0
