"""Browser tests: a real ``palabre serve`` process driven by Playwright on Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

MEDIATOR_EMAIL = "claire@example.org"
MEDIATOR_PASSWORD = "un mot de passe solide"
CHROMIUM = os.environ.get("PALABRE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


@dataclass
class LiveServer:
    url: str
    var_dir: Path
    setup_code: str | None
    process: subprocess.Popen[str]
    env: dict[str, str] = field(default_factory=dict)  # its PALABRE_* settings beyond the usual
    output: list[str] = field(default_factory=list)  # what it printed so far (for failures)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(var: Path, port: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a test server: its data under ``var`` (SQLite), media on
    loopback, ``extra`` PALABRE_* settings on top (the subprocess and the in-process
    server alike)."""
    env = {
        **os.environ,
        "PALABRE_VAR_DIR": str(var),
        "PALABRE_PORT": str(port),
        "PALABRE_PUBLIC_URL": f"http://localhost:{port}",
        "PALABRE_RELAY_HOST_ADDRESSES": "127.0.0.1",
        "PALABRE_WARM_UP_ENTITIES": "false",
        **(extra or {}),
    }
    env.pop("PALABRE_DATABASE_URL", None)
    return env


def _start(
    var: Path, port: int, extra: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[str], list[str]]:
    """``palabre serve`` on ``port``, its output drained while it lives; waits until it answers.

    ``extra``: more PALABRE_* settings. The entity pipelines are not loaded in advance
    (seconds of CPU per server) unless ``extra`` asks for it: only summary reviews use
    them, and they load them anyway.
    """
    env = server_env(var, port, extra)
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    # Drain the server's output for the whole test so that its pipe never fills up.
    drain = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    drain.start()
    deadline = time.monotonic() + 60  # migrations and imports, on a busy machine
    while True:
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/healthz", timeout=1):
                return proc, lines
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("server did not start:\n" + "".join(lines))
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout:
        proc.stdout.close()


def kill_server(server: LiveServer) -> None:
    """The server is gone at once (a crash, a machine lost): no goodbye to anyone."""
    server.process.kill()
    server.process.wait()


def restart_server(server: LiveServer) -> None:
    """The same server back on the same port and data (a live session resumes from what
    was stored of it as it changed)."""
    server.process, _ = _start(server.var_dir, int(server.url.rsplit(":", 1)[1]), server.env)


@contextlib.contextmanager
def serving(tmp_path: Path, **env: str) -> Iterator[LiveServer]:
    """A live server with more PALABRE_* settings (``env``), stopped when the block ends."""
    port = free_port()
    proc, lines = _start(tmp_path / "var", port, env)
    codes = [m.group(1) for line in lines if (m := re.search(r"one-time code (\w+)", line))]
    code = codes[0] if codes else None
    server = LiveServer(f"http://localhost:{port}", tmp_path / "var", code, proc, env, lines)
    try:
        yield server
    finally:
        _stop(server.process)
        if server.process is not proc and proc.stdout:
            proc.stdout.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    with serving(tmp_path) as server:
        yield server


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        await b.close()


async def seed_session(
    server: LiveServer, names: list[str], emails: Mapping[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    """A mediator, a case with these parties (their ``emails`` sealed under the server's
    keys) and a session; returns (session id, tokens)."""
    from datetime import UTC, datetime, timedelta

    from records.db import Database, sqlite_url
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

    addresses = emails or {}
    db = Database(sqlite_url(server.var_dir))
    records = await open_records(db, server.var_dir / "keys.json", seed=False)
    try:
        mediator = await AccountStore(db).create_mediator(
            MEDIATOR_EMAIL, "Claire Médiatrice", hash_password(MEDIATOR_PASSWORD)
        )
        case = await records.cases.create_case(
            mediator.id,
            NewCase(
                reference="E2E", title="E2E", public_title="Séance de test",
                mediation_type=MediationType.OTHER, description="",
                participants=[
                    NewParticipant(n, ParticipantRole.PARTY, addresses.get(n)) for n in names
                ],
                co_mediator_ids=[],
            ),
        )  # fmt: skip
        schedule = ScheduleStore(db)
        session = await schedule.schedule_session(
            case.id, mediator.id, datetime.now(UTC), "Europe/Paris", 120
        )
        links = LinkService(
            LinkSigner(load_or_create_signing_key(server.var_dir / "signing.key")),
            schedule, server.url, timedelta(hours=1),
        )  # fmt: skip
        tokens = {}
        for p in case.participants:
            link = await links.issue(session.id, p.id, mediator.id)
            tokens[p.display_name] = links.url_for(link).split("#", 1)[1]
        return session.id, tokens
    finally:
        await records.close()
        await db.close()
