"""Several nodes on this machine: three ``palabre serve`` processes sharing a fresh
PostgreSQL database, a Redis database number and their keys, with nginx in front
(unprivileged, on free loopback ports). Used by tests/cluster and bench/takeover.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

from server.cluster.nginx import standalone
from tests.conftest import PG_SERVER, pg_admin, pg_url
from tests.e2e.conftest import MEDIATOR_EMAIL, MEDIATOR_PASSWORD, LiveServer

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RETRY_SECONDS = 0.5  # a socket refused with session_moving, or a node down, tries again
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# a database number of the tests' own (leases are keyed by session ids, unique anyway)
REDIS_DB = int(os.environ.get("PALABRE_TEST_REDIS_DB", "11"))
NODE_IDS = ("n1", "n2", "n3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Node:
    node_id: str
    port: int
    var_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    url: str  # nginx
    nodes: dict[str, Node]
    database_url: str
    redis_url: str
    env: dict[str, str]  # what every node shares (for `palabre records verify`, say)
    nginx_dir: Path

    def server(self) -> LiveServer:
        """The service as the browser flows know it (its address is nginx's)."""
        any_node = next(iter(self.nodes.values()))
        assert any_node.process is not None
        return LiveServer(self.url, any_node.var_dir, None, any_node.process)

    def node_of_port(self, address: str) -> str | None:
        port = int(address.rsplit(":", 1)[1])
        return next((n.node_id for n in self.nodes.values() if n.port == port), None)

    def socket_log(self) -> list[dict[str, str]]:
        """nginx's lines for /socket.io/ requests: {node (the hint), upstream, status}."""
        out = []
        for line in (self.nginx_dir / "access.log").read_text().splitlines():
            if " /socket.io/ " not in line:
                continue
            fields = dict(p.split("=", 1) for p in line.split()[2:] if "=" in p)
            out.append(fields)
        return out

    async def holder(self, session_id: str) -> str | None:
        from redis.asyncio import Redis

        redis = Redis.from_url(self.redis_url)
        try:
            value = await redis.get(f"palabre:lease:{session_id}")
        finally:
            await redis.aclose()
        return None if value is None else value.decode().rsplit(":", 1)[0]

    def kill(self, node_id: str) -> None:
        """kill -9: the node is gone at once, its leases left to expire."""
        node = self.nodes[node_id]
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()

    def terminate(self, node_id: str, timeout: float = 30) -> int:
        node = self.nodes[node_id]
        assert node.process is not None
        node.process.terminate()
        return node.process.wait(timeout=timeout)

    def start(self, node_id: str) -> None:
        node = self.nodes[node_id]
        if node.process is not None and node.process.stdout:
            node.process.stdout.close()
        _start_node(node)

    def verify_records(self) -> str:
        """``palabre records verify`` on the shared database: its output (raises if broken)."""
        node = next(iter(self.nodes.values()))
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", "records", "verify"],
            env=node.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout


def _start_node(node: Node, wait: bool = True) -> None:
    node.lines = []
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--no-migrate"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=node.env,
    )  # fmt: skip
    node.process = proc
    threading.Thread(target=lambda: node.lines.extend(proc.stdout or []), daemon=True).start()
    if wait:
        _wait_up(node)


def _wait_up(node: Node) -> None:
    assert node.process is not None
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{node.url}/healthz", timeout=1):  # noqa: S310
                return
        except OSError:
            if node.process.poll() is not None or time.monotonic() > deadline:
                node.process.kill()
                raise RuntimeError(
                    f"node {node.node_id} did not start:\n" + "".join(node.lines)
                ) from None
            time.sleep(0.1)


def _stop_node(node: Node) -> None:
    proc = node.process
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


def _prepare_shared(shared: Path) -> None:
    """The keys every node shares: the master key file and the link-signing key."""
    from records.crypto.keys import FileKeyProvider
    from server.invites.signing import load_or_create_signing_key

    FileKeyProvider(shared / "keys.json")
    load_or_create_signing_key(shared / "signing.key")


def available() -> str | None:
    """Why a cluster cannot run here (None: it can)."""
    if not (_reachable(REDIS_HOST, REDIS_PORT) and _reachable("127.0.0.1", 5432)):
        return "Redis and PostgreSQL on 127.0.0.1 are needed"
    if not Path(NGINX).exists():
        return "nginx is missing: `make nginx` installs it"
    return None


@contextlib.contextmanager
def running_cluster(
    root: Path, *, lease_seconds: int = 5, balance: str = "round_robin"
) -> Iterator[Cluster]:
    """Three nodes and nginx under ``root`` until the block ends (everything stopped and the
    database dropped, whatever happens). ``balance="round_robin"``: nginx spreads arrivals
    without a node hint over the nodes."""
    from records.migrate import upgrade

    name = f"palabre_cluster_{secrets.token_hex(5)}"
    pg_admin(f'CREATE DATABASE "{name}"')
    nodes: dict[str, Node] = {}
    nginx: subprocess.Popen[bytes] | None = None
    try:
        upgrade(pg_url(name))
        shared = root / "shared"
        _prepare_shared(shared)
        nginx_port = free_port()
        public = f"http://localhost:{nginx_port}"
        redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
        common = {
            "PALABRE_DATABASE_URL": f"{PG_SERVER}/{name}",
            "PALABRE_KEYS_IN_MAIN_DATABASE": "true",
            "PALABRE_KEY_FILE": str(shared / "keys.json"),
            "PALABRE_SIGNING_KEY_FILE": str(shared / "signing.key"),
            "PALABRE_WARM_UP_ENTITIES": "false",  # no summary review here: spare the CPU
            "PALABRE_REDIS_URL": redis_url,
            "PALABRE_PUBLIC_URL": public,
            "PALABRE_TRUST_FORWARDED": "true",
            "PALABRE_RELAY_HOST_ADDRESSES": "127.0.0.1",
            "PALABRE_LEASE_SECONDS": str(lease_seconds),
        }
        for node_id in NODE_IDS:
            var = root / node_id
            var.mkdir()
            port = free_port()
            env = {
                **os.environ, **common, "PALABRE_VAR_DIR": str(var),
                "PALABRE_PORT": str(port), "PALABRE_NODE_ID": node_id,
            }  # fmt: skip
            nodes[node_id] = Node(node_id, port, var, env)
        for node in nodes.values():  # started together: their start-up overlaps
            _start_node(node, wait=False)
        for node in nodes.values():
            _wait_up(node)
        ngx = root / "nginx"
        ngx.mkdir()
        conf = standalone(
            {n.node_id: f"127.0.0.1:{n.port}" for n in nodes.values()}, nginx_port, str(ngx),
            balance=balance,
        )  # fmt: skip
        (ngx / "nginx.conf").write_text(conf)
        directives = f"daemon off; pid {ngx}/nginx.pid; error_log {ngx}/error.log;"
        nginx = subprocess.Popen(
            [NGINX, "-p", str(ngx), "-c", str(ngx / "nginx.conf"), "-g", directives],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _reachable("127.0.0.1", nginx_port):
            if nginx.poll() is not None or time.monotonic() > deadline:
                error = (ngx / "error.log").read_text() if (ngx / "error.log").exists() else ""
                raise RuntimeError(f"nginx did not start:\n{error}")
            time.sleep(0.05)
        yield Cluster(public, nodes, pg_url(name), redis_url, common, ngx)
    finally:
        if nginx is not None:
            nginx.terminate()
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
        for node in nodes.values():
            _stop_node(node)
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def seed_session(cluster: Cluster, names: list[str]) -> tuple[str, dict[str, str]]:
    """A mediator (the first time), a case with these parties and a session in the shared
    database; returns (session id, tokens)."""
    from datetime import UTC, datetime, timedelta

    from records.db import Database
    from records.errors import Conflict
    from records.service import open_records
    from records.stores.accounts import AccountStore
    from records.stores.cases import (
        MediationType,
        NewCase,
        NewParticipant,
        ParticipantRole,
    )
    from records.stores.scheduling import ScheduleStore
    from server.invites.links import LinkService, LinkSigner
    from server.invites.signing import load_or_create_signing_key
    from server.passwords import hash_password

    db = Database(cluster.database_url)
    # the nodes' keys, kept in the main database (PALABRE_KEYS_IN_MAIN_DATABASE)
    key_file = Path(cluster.env["PALABRE_KEY_FILE"])
    records = await open_records(db, key_file, keys_url=db.url, seed=False)
    try:
        accounts = AccountStore(db)
        try:
            mediator = await accounts.create_mediator(
                MEDIATOR_EMAIL, "Claire Médiatrice", hash_password(MEDIATOR_PASSWORD)
            )
        except Conflict:
            mediator = (await accounts.get_mediators_by_email([MEDIATOR_EMAIL]))[MEDIATOR_EMAIL]
        case = await records.cases.create_case(
            mediator.id,
            NewCase(
                reference=f"CL-{secrets.token_hex(3)}", title="Cluster", public_title="Séance",
                mediation_type=MediationType.OTHER, description="",
                participants=[NewParticipant(n, ParticipantRole.PARTY) for n in names],
                co_mediator_ids=[],
            ),
        )  # fmt: skip
        schedule = ScheduleStore(db)
        session = await schedule.schedule_session(
            case.id, mediator.id, datetime.now(UTC), "Europe/Paris", 120
        )
        signing_key = Path(cluster.env["PALABRE_SIGNING_KEY_FILE"])
        links = LinkService(
            LinkSigner(load_or_create_signing_key(signing_key)), schedule, cluster.url,
            timedelta(hours=1),
        )  # fmt: skip
        tokens = {}
        for p in case.participants:
            link = await links.issue(session.id, p.id, mediator.id)
            tokens[p.display_name] = links.url_for(link).split("#", 1)[1]
        return session.id, tokens
    finally:
        await records.close()
        await db.close()


async def until(predicate: object, within: float, what: str) -> None:
    """Polls an async predicate (a callable returning an awaitable of bool)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"not in {within} s: {what}")
        await asyncio.sleep(0.1)


class Participant:
    """A client that finds the session's node as the room page does."""

    def __init__(self, cluster: Cluster, auth: dict[str, str], cookie: str | None) -> None:
        self.cluster = cluster
        self.auth = auth
        self.headers = {"Origin": cluster.url}
        if cookie:
            self.headers["Cookie"] = f"palabre_session={cookie}"
        self.route: dict[str, str] = {}
        self.node: str | None = None  # the node of the last hello
        self.hello = asyncio.Event()
        self.sio: socketio.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._attempt()

    async def _on_hello(self, data: dict[str, Any]) -> None:
        self.node = data["node"]
        self.route = {"session": data["session_id"], "node": data["node"]}
        self.hello.set()

    async def _attempt(self) -> None:
        """One connection, until it ends (or is refused: the hint is followed)."""
        sio = socketio.AsyncClient(reconnection=False)
        self.sio = sio
        refused: list[dict[str, Any]] = []
        gone = asyncio.Event()
        sio.on("session:hello", self._on_hello, namespace="/session")
        sio.on("connect_error", lambda d: refused.append(d or {}), namespace="/session")
        sio.on("disconnect", lambda *_: gone.set(), namespace="/session")
        query = "&".join(f"{k}={v}" for k, v in self.route.items())
        try:
            await sio.connect(
                f"{self.cluster.url}/?{query}", namespaces=["/session"], auth=self.auth,
                headers=self.headers, transports=["websocket"], wait_timeout=5,
            )  # fmt: skip
        except socketio.exceptions.ConnectionError:
            data = (refused[0].get("data") or {}) if refused else {}
            if isinstance(data, dict) and data.get("code") == "session_elsewhere":
                self.route["node"] = data["node"]
                return
            await asyncio.sleep(RETRY_SECONDS)  # moving, or the node is down
            return
        await gone.wait()
        await sio.disconnect()  # the node went: back through nginx, the hint kept
        await asyncio.sleep(RETRY_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.sio is not None:
            await self.sio.disconnect()
