"""Benchmark: the whiteboard's path through Palabre against a bare Socket.IO broadcast.

    .venv/bin/python bench/whiteboard.py [--quick] [--rooms N] [--rate R] [--seconds S]
                                         [--ladder R1,R2,...] [--database-url URL]
                                         [--skip-closed] [--profile DIR]

Both servers run in their own process on 127.0.0.1 and see the same load:
``rooms`` rooms of 8 clients (in Palabre a session with its mediator and seven
parties admitted to the plenary), each client sending a freehand stroke of 16
points ``rate`` times a second. Palabre validates each operation, orders it,
stores it encrypted in the board journal (SQLite by default, or
``--database-url``), then acknowledges it and sends it to the room; the
baseline (``bench/processes.py``, a python-socketio ``AsyncServer`` of ~30
lines) numbers it and broadcasts it to the room at once, storing nothing.

The clients speak Engine.IO 4 / Socket.IO 5 over a raw aiohttp websocket
(``bench/lean_socketio.py``, no python-socketio client), so that the load
generator costs far less than the servers it measures; its own CPU is
reported next to theirs.

Figures, for each server over the measuring window (after a warm-up):
* ack latency: send to its acknowledgement, at the sender;
* fan-out latency: send to arrival at each of the other 7 clients of the room
  (one clock: ``time.monotonic`` of this process);
* throughput: acknowledgements received per second during the window, next
  to what the clients managed to send (the target is rooms x 8 x rate);
  deliveries per second;
* server CPU per operation (``/proc/<pid>/stat``), and its share of a core.

Runs: ``open`` (every client sends on its clock whatever happens: latency
under a given load), at the target rate and at each lower rate of the
``ladder``, then ``closed`` (every client keeps one operation in flight: the
most each server can do). From the ladder, each server's *sustained* load: the
highest offered load it kept up with (97 % acknowledged within the window)
with fan-out p99 under 50 ms. Ratios Palabre / baseline are printed and
written with the figures to ``bench/results/whiteboard.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import uvloop  # noqa: E402

from bench.lean_socketio import RawClient, until  # noqa: E402
from bench.pg import create_database, drop_database, scalar  # noqa: E402
from bench.processes import cpu_seconds, free_port, spawn, stop, wait_listening  # noqa: E402
from bench.wb_report import Tally, compare, run_name, show, summary  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "whiteboard.json"
CLIENTS_PER_ROOM = 8
POINTS = 16


# -- the load --------------------------------------------------------------------------------


@dataclass
class Member:
    client: RawClient
    room: int
    index: int
    auth: dict[str, Any]
    cookie: str | None = None
    points: list[list[float]] = field(init=False)

    def __post_init__(self) -> None:
        # every stroke of a member has the same shape: drawn once, not once per operation
        y = 20 + 7 * self.index
        self.points = [[round(10 + 3.5 * i, 1), round(y + i % 5 * 2.5, 1)] for i in range(POINTS)]


class Load:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.members: list[Member] = []
        self.window: tuple[float, float] = (0.0, 0.0)
        self.tally = Tally()
        self.sent_at: dict[str, float] = {}

    def client(self) -> RawClient:
        return RawClient(self.http, self._received)

    def _in_window(self, t: float) -> bool:
        return self.window[0] <= t < self.window[1]

    def _received(self, event: str, data: Any, now: float) -> None:
        if not isinstance(data, dict):
            return
        if event == "wb:op":
            entries = [data]
        elif event == "wb:ops":  # several operations stored together, sent together
            entries = data.get("entries", [])
        else:
            return
        for entry in entries:
            sent_at = self.sent_at.get(_op_key(entry.get("op", {})))
            if sent_at is not None and self._in_window(sent_at):
                self.tally.delivered += 1
                self.tally.fanout_ms.append((now - sent_at) * 1000)

    def _op(self, member: Member, n: int) -> dict[str, Any]:
        """Draw a stroke, then erase it: boards stay small however long the run."""
        stroke_id = f"s{member.room}-{member.index}-{(n + 1) // 2}"
        if n % 2 == 0:
            return {"type": "erase", "targets": [stroke_id]}
        return {
            "type": "stroke",
            "id": stroke_id,
            "points": member.points,
            "color": "#1d4ed8",
            "width": 3.0,
        }

    async def _send_one(self, member: Member, n: int) -> None:
        op = self._op(member, n)
        sent_at = time.monotonic()
        self.sent_at[_op_key(op)] = sent_at
        counted = self._in_window(sent_at)
        if counted:
            self.tally.sent += 1
        try:
            ack = await asyncio.wait_for(
                member.client.emit("wb:op", {"room_id": "plenary", "op": op}), 60
            )
        except TimeoutError:
            ack = {"ok": False, "error": {"code": "bench_timeout"}}
        taken = isinstance(ack, dict) and ack.get("ok")
        if taken and self._in_window(time.monotonic()):
            self.tally.completed += 1
        if not counted:
            return
        if taken:
            self.tally.acked += 1
            self.tally.ack_ms.append((time.monotonic() - sent_at) * 1000)
        else:
            self.tally.refused += 1
            code = str((ack or {}).get("error", {}).get("code", "?"))
            self.tally.errors[code] = self.tally.errors.get(code, 0) + 1

    async def open_loop(self, member: Member, rate: float, stop: float) -> None:
        period = 1 / rate
        next_at = time.monotonic() + random.random() * period
        pending: set[asyncio.Task[None]] = set()
        n = 0
        while True:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if time.monotonic() >= stop:
                break
            n += 1
            task = asyncio.create_task(self._send_one(member, n))
            pending.add(task)
            task.add_done_callback(pending.discard)
            next_at += period
        if pending:
            await asyncio.wait(pending, timeout=60)

    async def closed_loop(self, member: Member, stop: float) -> None:
        await asyncio.sleep(random.random() * 0.05)
        n = 0
        while time.monotonic() < stop:
            n += 1
            await self._send_one(member, n)

    async def run(self, mode: str, rate: float, warmup: float, seconds: float) -> Tally:
        start = time.monotonic()
        self.window = (start + warmup, start + warmup + seconds)
        self.tally = Tally()
        stop = self.window[1]
        if mode == "open":
            runs = [self.open_loop(m, rate, stop) for m in self.members]
        else:
            runs = [self.closed_loop(m, stop) for m in self.members]
        await asyncio.gather(*runs)
        await asyncio.sleep(0.5)  # the last deliveries of the window
        return self.tally

    async def close(self) -> None:
        await asyncio.gather(*(m.client.close() for m in self.members), return_exceptions=True)


def _op_key(op: Any) -> str:
    if not isinstance(op, dict):
        return ""
    if op.get("type") == "erase":
        return "e:" + str(op.get("targets", [""])[0])
    return str(op.get("id", ""))


# -- servers -----------------------------------------------------------------------------------


class Baseline:
    name = "baseline"

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        cmd = [
            sys.executable,
            str(ROOT / "bench" / "processes.py"),
            "--serve-baseline",
            str(self.port),
        ]
        self.proc = spawn(cmd)
        await wait_listening(self.port, self.proc)

    async def populate(self, load: Load, rooms: int, batch: int) -> None:
        base = f"http://127.0.0.1:{self.port}"
        for room in range(rooms):
            for index in range(CLIENTS_PER_ROOM):
                member = Member(load.client(), room, index, {"room": f"room-{batch}-{room}"})
                load.members.append(member)
        await _connect_all(base, load.members)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)


class Palabre:
    name = "palabre"

    def __init__(self, database_url: str | None, clients_per_room: int = CLIENTS_PER_ROOM) -> None:
        self.port = free_port()
        self.clients_per_room = clients_per_room  # the mediator and the parties of each session
        self.tmp = tempfile.TemporaryDirectory(prefix="palabre-bench-")
        self.env = {
            **os.environ,
            "PALABRE_VAR_DIR": self.tmp.name,
            "PALABRE_PORT": str(self.port),
            "PALABRE_LOG_LEVEL": "WARNING",
        }
        self.pg_url: str | None = None
        if database_url:
            self.pg_url, _ = create_database(database_url)
            self.env["PALABRE_DATABASE_URL"] = self.pg_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.sessions: list[tuple[str, dict[str, str], str]] = []  # session, tokens, cookie
        self.journal_rows = 0
        self.log = Path(self.tmp.name) / "server.log"

    async def seed(self, rooms: int) -> None:
        """Mediator, cases, sessions, links and consents, written through Palabre's services."""
        from aiohttp import web

        from records.migrate import upgrade
        from records.stores.cases import MediationType, NewCase, NewParticipant, ParticipantRole
        from server.app import create_app
        from server.config import load_config
        from server.context import SERVICES

        config = load_config(self.env)
        await asyncio.to_thread(upgrade, config.database_url)
        app = await create_app(config)
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            svc = app[SERVICES]
            anne = await svc.accounts.create_mediator("bench@example.org", "Anne Bench", "x")
            cookie = await svc.accounts.create_auth_session(anne.id, timedelta(hours=2))
            for room in range(rooms):
                new = NewCase(
                    reference=f"BENCH-{room:03d}",
                    title=f"Banc d'essai {room}",
                    public_title="Banc d'essai",
                    mediation_type=MediationType.NEIGHBOURHOOD,
                    description="",
                    participants=[
                        NewParticipant(f"Partie {room}-{i}", ParticipantRole.PARTY, None)
                        for i in range(1, self.clients_per_room)
                    ],
                    co_mediator_ids=[],
                )
                case = await svc.cases.create_case(anne.id, new)
                session = await svc.schedule.schedule_session(
                    case.id, anne.id, datetime.now(UTC) + timedelta(hours=1), "Europe/Paris", 90
                )
                tokens = {}
                for p in case.participants:
                    link = await svc.links.issue(session.id, p.id, anne.id)
                    tokens[f"p-{p.id}"] = svc.links.url_for(link).split("#", 1)[1]
                    for purpose, kind in (("mediation", "confidentiality"), ("privacy", "privacy")):
                        text = await svc.records.notices.current(kind, "fr")
                        await svc.records.consent.record(
                            session_id=session.id, participant_id=p.id, purpose=purpose,
                            decision="given", text_version=text.version,
                            text_sha256=text.sha256, language="fr",
                            mechanism={"form": "bench"}, typed_name=p.display_name,
                        )  # fmt: skip
                self.sessions.append((session.id, tokens, cookie))
        finally:
            await runner.cleanup()

    async def start(self) -> None:
        cmd = [sys.executable, "-m", "server.cli", "serve", "--no-migrate"]
        self.proc = spawn(cmd, env=self.env, log=self.log)
        await wait_listening(self.port, self.proc)

    def errors(self) -> list[str]:
        """The server's ERROR lines and tracebacks (it logs no contents)."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if " ERROR " in line or line.startswith("Traceback")]

    async def populate(self, load: Load, rooms: int, batch: int, skip: int = 0) -> None:
        """Connects and admits everyone of sessions never used before (fresh boards):
        ``rooms`` of them, after the ``batch`` before and ``skip`` more."""
        base = f"http://127.0.0.1:{self.port}"
        first = batch * rooms + skip
        sessions = self.sessions[first : first + rooms]
        for room, (session_id, tokens, cookie) in enumerate(sessions):
            m = Member(load.client(), room, 0, {"session_id": session_id}, cookie)
            load.members.append(m)
            for index, token in enumerate(tokens.values(), start=1):
                load.members.append(Member(load.client(), room, index, {"token": token}))
        await _connect_all(base, load.members)
        by_room: dict[int, list[Member]] = {}
        for member in load.members:
            by_room.setdefault(member.room, []).append(member)

        async def admit(members: list[Member]) -> None:
            mediator, *parties = members
            assert (await mediator.client.call("lobby:knock", {}))["state"] == "admitted"
            for party, key in zip(parties, sessions[mediator.room][1], strict=True):
                ack = await party.client.call("lobby:knock", {})
                assert ack.get("state") == "waiting", ack
                ack = await mediator.client.call("lobby:admit", {"key": key})
                assert ack.get("ok"), ack
            for party in parties:
                await until(
                    lambda p=party: any(  # type: ignore[misc]
                        isinstance(v, dict) and v.get("room_id") == "plenary"
                        for v in p.client.seen("room:view")
                    )
                )

        await asyncio.gather(*(admit(members) for members in by_room.values()))

    def count_rows(self) -> int:
        url = self.env.get("PALABRE_DATABASE_URL")
        if url is None:
            import sqlite3

            with contextlib.closing(sqlite3.connect(Path(self.tmp.name) / "palabre.db")) as conn:
                return int(conn.execute("SELECT count(*) FROM board_ops").fetchone()[0])
        return scalar(url, "SELECT count(*) FROM board_ops")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
        if self.pg_url is not None:
            drop_database(self.pg_url)
        self.tmp.cleanup()


async def _connect_all(base: str, members: list[Member]) -> None:
    gate = asyncio.Semaphore(20)

    async def one(m: Member) -> None:
        async with gate:
            await m.client.connect(base, m.auth, m.cookie)

    await asyncio.gather(*(one(m) for m in members))


# -- running and reporting ----------------------------------------------------------------------


async def measure(
    server: Any, args: argparse.Namespace, mode: str, rate: float, batch: int
) -> dict[str, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        load = Load(http)
        await server.populate(load, args.rooms, batch)
        try:
            proc = server.proc
            cpu0, mine0 = cpu_seconds(proc.pid), time.process_time()
            started = time.monotonic()
            profiler = None
            if args.profile:
                profiler = start_profiler(args, proc.pid, f"{server.name}-{mode}-{rate:g}")
            tally = await load.run(mode, rate, args.warmup, args.seconds)
            if profiler is not None:
                await asyncio.to_thread(profiler.wait)
            # CPU over the whole run, warm-up included, spread over the ops of the window
            elapsed = time.monotonic() - started
            cpu = (cpu_seconds(proc.pid) - cpu0) * args.seconds / elapsed
            mine = (time.process_time() - mine0) * args.seconds / elapsed
        finally:
            await load.close()
    result = summary(tally, args.seconds, cpu, mine)
    result["mode"] = mode
    if mode == "open":
        result["rate_per_client"] = rate
    return result


def start_profiler(args: argparse.Namespace, pid: int, name: str) -> subprocess.Popen[bytes]:
    """py-spy (``pip install py-spy``, not a dependency) sampling the server during a run."""
    out = Path(args.profile) / f"{name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    cmd = [str(spy), "record", "--pid", str(pid), "--format", "raw", "-r", "200", "-o", str(out)]
    return subprocess.Popen(
        [*cmd, "-d", str(int(args.warmup + args.seconds))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    ladder = sorted({*args.ladder, args.rate})
    plan = [("open", rate) for rate in ladder] + ([] if args.skip_closed else [("closed", 0.0)])
    target = args.rooms * CLIENTS_PER_ROOM * args.rate
    print(
        f"whiteboard: {args.rooms} rooms x {CLIENTS_PER_ROOM} clients, {args.rate:g} ops/s each "
        f"(target {target:g} ops/s), {args.seconds:g} s measured after {args.warmup:g} s"
    )
    palabre = Palabre(args.database_url)
    baseline = Baseline()
    runs: dict[str, dict[str, Any]] = {}
    try:
        started = time.monotonic()
        await palabre.seed(args.rooms * len(plan))
        took = time.monotonic() - started
        print(f"  {args.rooms * len(plan)} Palabre sessions set up in {took:.0f} s")
        await palabre.start()
        await baseline.start()
        for batch, (mode, rate) in enumerate(plan):
            offered = args.rooms * CLIENTS_PER_ROOM * rate
            print(f"open loop, {offered:g} ops/s offered:" if mode == "open" else "closed loop:")
            for server in (baseline, palabre):
                result = await measure(server, args, mode, rate, batch)
                runs[run_name(mode, rate, server.name)] = result
                show(server.name, result)
        palabre.journal_rows = palabre.count_rows()
        stop(palabre.proc)  # type: ignore[arg-type]
        server_errors = palabre.errors()
    finally:
        palabre.stop()
        baseline.stop()
    checks = compare(runs, args.rooms * CLIENTS_PER_ROOM, args.rate, ladder)
    checks["journal_rows"] = palabre.journal_rows
    checks["server_errors"] = len(server_errors)
    print("palabre / baseline:", json.dumps(checks))
    for line in server_errors[:10]:
        print("  server:", line)
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "database": "postgresql" if args.database_url else "sqlite",
        "load": {
            "rooms": args.rooms,
            "clients_per_room": CLIENTS_PER_ROOM,
            "rate_per_client": args.rate,
            "ladder": ladder,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "points_per_stroke": POINTS,
        },
        "runs": runs,
        "checks": checks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 rooms, 8 s: a smoke run")
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="operations per second per client")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--database-url", help="PostgreSQL (postgresql+asyncpg://host/anydb)")
    parser.add_argument(
        "--ladder",
        type=lambda text: [float(r) for r in text.split(",") if r],
        default=[2.5, 5.0, 7.5],
        help="lower rates per client also run open loop (comma-separated; '' for none)",
    )
    parser.add_argument("--skip-closed", action="store_true")
    parser.add_argument("--profile", metavar="DIR", help="py-spy profiles of both servers here")
    args = parser.parse_args()
    if args.quick:
        args.rooms, args.seconds, args.warmup, args.ladder = 10, 8.0, 2.0, [5.0]
    results = uvloop.run(bench(args))  # the load generator costs less
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
