"""Benchmark: shared texts' edit fan-out, next to the whiteboard's operation path, same run.

    .venv/bin/python bench/texts.py [--quick] [--rooms N] [--editors E] [--rate R]
                                    [--seconds S] [--database-url URL]

One Palabre server (its own process on 127.0.0.1, SQLite by default) and ``rooms``
sessions of ``editors`` people (the mediator and the parties, admitted to the plenary).
First every editor types ``rate`` characters a second into the plenary's text: each
keystroke is one Yjs update (made with pycrdt, the format the browsers' Yjs makes),
sent as ``text:update``; Palabre checks it against the editor's schema, stores it
encrypted in the text journal, acknowledges it and sends it to the room's other editors.
Then, on fresh sessions of the same server, every one of them sends whiteboard
operations (a stroke, then erasing it) at the same rate through ``wb:op``.

``--opening-only``: how long opening a text of ``--updates`` updates takes, replaying them
all against starting from its latest snapshot (:mod:`bench.text_opening`), written to
``bench/results/texts_opening.json``.

Figures for each path over the measuring window (after a warm-up): acknowledgement
latency p50/p99 (send to ack, at the sender), fan-out latency p50/p99 (send to arrival at
each other editor of the room), updates acknowledged per second, server CPU per update
(``/proc/<pid>/stat``) and its share of a core. Printed, and written to
``bench/results/texts.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import uvloop  # noqa: E402
from pycrdt import Doc, XmlElement, XmlFragment, XmlText  # noqa: E402

from bench.processes import cpu_seconds, stop  # noqa: E402
from bench.text_opening import opening  # noqa: E402
from bench.wb_report import Tally, show, summary  # noqa: E402
from bench.whiteboard import Load, Member, Palabre  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "texts.json"
OPENING = ROOT / "bench" / "results" / "texts_opening.json"
FRAGMENT = "prosemirror"
LETTERS = "abcdefghijklmnopqrstuvwxyz "


class Typist:
    """One editor's copy of the text: it types at the end of its own words (so that each
    update follows only its own and the first paragraph, which every copy holds)."""

    def __init__(self, first: bytes | None) -> None:
        self.doc: Doc[Any] = Doc()
        self.fragment = self.doc.get(FRAGMENT, type=XmlFragment)
        if first is not None:
            self.doc.apply_update(first)
        self.typed = 0

    def paragraph(self) -> bytes:
        before = self.doc.get_state()
        self.fragment.children.append(XmlElement("paragraph", {}, [XmlText("Accord : ")]))
        return self.doc.get_update(before)

    def key(self) -> str:
        block = next(iter(self.fragment.children))
        assert isinstance(block, XmlElement)
        text = next(iter(block.children))
        assert isinstance(text, XmlText)
        before = self.doc.get_state()
        text.insert(len("Accord : ") + self.typed, random.choice(LETTERS))
        self.typed += 1
        return base64.b64encode(self.doc.get_update(before)).decode()


class TextLoad(Load):
    """The load of :mod:`bench.whiteboard`, typing into the text instead of drawing."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        super().__init__(http)
        self.typists: dict[int, Typist] = {}

    def _received(self, event: str, data: Any, now: float) -> None:
        if event != "text:update" or not isinstance(data, dict):
            return
        sent_at = self.sent_at.get(str(data.get("update")))
        if sent_at is not None and self._in_window(sent_at):
            self.tally.delivered += 1
            self.tally.fanout_ms.append((now - sent_at) * 1000)

    async def start_texts(self) -> None:
        """Each room's mediator writes the first paragraph; everyone's copy starts from it."""
        rooms: dict[int, list[Member]] = {}
        for member in self.members:
            rooms.setdefault(member.room, []).append(member)
        for members in rooms.values():
            first = Typist(None).paragraph()
            update = base64.b64encode(first).decode()
            ack = await members[0].client.call(
                "text:update", {"update": update, "room_id": "plenary"}
            )
            assert ack.get("ok"), ack
            for member in members:
                self.typists[id(member)] = Typist(first)

    async def _send_one(self, member: Member, n: int) -> None:
        update = self.typists[id(member)].key()
        sent_at = time.monotonic()
        self.sent_at[update] = sent_at
        counted = self._in_window(sent_at)
        if counted:
            self.tally.sent += 1
        try:
            ack = await asyncio.wait_for(
                member.client.emit("text:update", {"update": update, "room_id": "plenary"}), 60
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


async def measure(
    palabre: Palabre,
    args: argparse.Namespace,
    load: Load,
    batch: int,
    rooms: int | None = None,
    skip: int = 0,
) -> dict[str, Any]:
    """One path's run on the sessions of ``batch`` (``rooms`` of them, after ``skip``)."""
    await palabre.populate(load, rooms or args.rooms, batch, skip)
    try:
        if isinstance(load, TextLoad):
            await load.start_texts()
        assert palabre.proc is not None
        pid = palabre.proc.pid
        cpu0, mine0 = cpu_seconds(pid), time.process_time()
        started = time.monotonic()
        tally: Tally = await load.run("open", args.rate, args.warmup, args.seconds)
        elapsed = time.monotonic() - started
        cpu = (cpu_seconds(pid) - cpu0) * args.seconds / elapsed
        mine = (time.process_time() - mine0) * args.seconds / elapsed
    finally:
        await load.close()
    return summary(tally, args.seconds, cpu, mine)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    offered = args.rooms * args.editors * args.rate
    print(
        f"texts: {args.rooms} rooms x {args.editors} editors, {args.rate:g} updates/s each "
        f"(offered {offered:g}/s), {args.seconds:g} s measured after {args.warmup:g} s"
    )
    palabre = Palabre(args.database_url, clients_per_room=args.editors)
    # the server would otherwise load its named-entity models during the first run
    palabre.env["PALABRE_WARM_UP_ENTITIES"] = "false"
    runs: dict[str, dict[str, Any]] = {}
    try:
        await palabre.seed(args.rooms * 3)
        await palabre.start()
        paths: list[tuple[str, type[Load]]] = [("text", TextLoad), ("whiteboard", Load)]
        # whichever path ran first paid for the fresh server (imports, caches, the database's
        # first pages): both paths once, unmeasured, on sessions of their own
        warm = argparse.Namespace(**{**vars(args), "seconds": 2.0, "warmup": 0.5})
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await measure(palabre, warm, TextLoad(http), 0, rooms=args.rooms // 2)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await measure(palabre, warm, Load(http), 0, rooms=args.rooms // 2, skip=args.rooms // 2)
        for batch, (name, kind) in enumerate(paths[::-1] if args.board_first else paths, 1):
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                runs[name] = await measure(palabre, args, kind(http), batch)
            show(name, runs[name])
        assert palabre.proc is not None
        stop(palabre.proc)
        server_errors = palabre.errors()
    finally:
        palabre.stop()
    text, board = runs["text"], runs["whiteboard"]
    checks = {
        "text_ack_p99_ms": text["ack_ms"]["p99"],
        "board_ack_p99_ms": board["ack_ms"]["p99"],
        "text_cpu_ms_per_update": text["server_cpu_ms_per_op"],
        "board_cpu_ms_per_op": board["server_cpu_ms_per_op"],
        "text_kept_up": text["acked"] >= 0.97 * text["sent"] and not text["refused"],
        "server_errors": len(server_errors),
    }
    print("text / whiteboard:", json.dumps(checks))
    for line in server_errors[:10]:
        print("  server:", line)
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "database": "postgresql" if args.database_url else "sqlite",
        "load": {
            "rooms": args.rooms,
            "editors_per_room": args.editors,
            "rate_per_editor": args.rate,
            "seconds": args.seconds,
            "warmup": args.warmup,
        },
        "runs": runs,
        "checks": checks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rooms, 6 s: a smoke run")
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--editors", type=int, default=4, help="people per room, mediator included")
    parser.add_argument("--rate", type=float, default=5.0, help="keystrokes per second per editor")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--database-url", help="PostgreSQL (postgresql+asyncpg://host/anydb)")
    parser.add_argument("--board-first", action="store_true", help="the whiteboard's run first")
    parser.add_argument(
        "--opening-only", action="store_true",
        help="only the opening of a long text: full replay against snapshot and tail",
    )  # fmt: skip
    parser.add_argument("--updates", type=int, default=20_250, help="of the text opened")
    args = parser.parse_args()
    if args.opening_only:
        figures = uvloop.run(opening(args.updates))
        OPENING.parent.mkdir(parents=True, exist_ok=True)
        OPENING.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"written to {OPENING.relative_to(ROOT)}")
        return
    if args.quick:
        args.rooms, args.seconds, args.warmup = 5, 6.0, 1.0
    results = uvloop.run(bench(args))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
