"""The benchmarks' server processes: start, wait, measure CPU, stop; and the bare baseline.

    python bench/processes.py --serve-baseline PORT

runs the whiteboard benchmark's baseline: a python-socketio ``AsyncServer``
that numbers each ``wb:op``, broadcasts it to the sender's room and acks it,
storing nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NAMESPACE = "/session"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def wait_listening(port: int, proc: subprocess.Popen[bytes], within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise TimeoutError("server did not start")


async def wait_idle(
    pid: int, within: float = 120, busy: float = 0.05, quiet_for: float = 2.0
) -> float:
    """Waits until process ``pid`` uses under ``busy`` of a core for ``quiet_for`` seconds.

    Returns its CPU time so far. On a busy machine a process may get no CPU for
    a second while it still has work: the longer ``quiet_for``, the surer.

    A server listens before it has finished starting: ``palabre serve`` loads
    its entity pipelines in a background thread (seconds of CPU), which must
    not fall into a measuring window.
    """
    deadline = time.monotonic() + within
    last, quiet = cpu_seconds(pid), 0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - last < busy * 0.5 else 0
        last = now
        if quiet >= 2 * quiet_for:
            return now
    raise TimeoutError(f"process {pid} still busy after {within:g} s")


def spawn(
    cmd: list[str], env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.Popen[bytes]:
    if log is None:
        return subprocess.Popen(cmd, cwd=ROOT, env=env)
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve_baseline(port: int) -> None:
    """The baseline: number each operation, broadcast it to the room, acknowledge it."""
    import socketio
    from aiohttp import web

    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)
    rooms: dict[str, str] = {}
    seqs: dict[str, int] = {}

    @sio.on("connect", namespace=NAMESPACE)  # type: ignore[misc]
    async def connect(sid: str, environ: Any, auth: Any) -> None:
        room = str(auth["room"])
        rooms[sid] = room
        await sio.enter_room(sid, room, namespace=NAMESPACE)

    @sio.on("wb:op", namespace=NAMESPACE)  # type: ignore[misc]
    async def wb_op(sid: str, data: Any) -> dict[str, Any]:
        room = rooms[sid]
        seqs[room] = seqs.get(room, 0) + 1
        entry = {"seq": seqs[room], "author": sid, "op": data["op"], "room_id": room}
        await sio.emit("wb:op", entry, room=room, namespace=NAMESPACE)
        return {"ok": True, "seq": seqs[room]}

    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve-baseline", type=int, required=True, metavar="PORT")
    serve_baseline(parser.parse_args().serve_baseline)


if __name__ == "__main__":
    main()
