"""Benchmark: how long a live session is gone when the node running it is killed.

    .venv/bin/python bench/takeover.py [--runs 10] [--clients 3] [--lease 5]

Three ``palabre serve`` nodes with nginx in front, Redis for the leases and a fresh
PostgreSQL database (tests/cluster/harness.py; loopback only). Parties
(parties: python-socketio clients that route themselves as the room page does: through nginx
with ``?session=&node=`` hints, following ``session_elsewhere`` at once and retrying
``session_moving`` after 0.5 s) are connected to one session; the node holding its
lease gets ``kill -9``. The takeover time is from the kill to the last client back in
the session (``session:hello`` from another node). Then the killed node is started
again and the next run kills the new holder. Media is not part of it: a browser's peer
connection adds its ICE and DTLS set-up (about a second on loopback) to these figures.

Figures: median and worst of the runs, and the lease length they depend on (a takeover
waits for the dead node's lease to expire: at most a lease, at least a lease minus a
renewal interval). Writes bench/results/takeover.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.figures import percentile  # noqa: E402
from tests.cluster.harness import (  # noqa: E402
    Cluster,
    Participant,
    available,
    running_cluster,
    seed_session,
)

RESULTS = ROOT / "bench" / "results" / "takeover.json"


async def one_run(cluster: Cluster, clients: int) -> float:
    names = [f"Partie {n}" for n in range(clients)]
    session_id, tokens = await seed_session(cluster, names)
    people = [Participant(cluster, {"token": t}, None) for t in tokens.values()]
    for person in people:
        person.start()
    try:
        try:
            await asyncio.wait_for(asyncio.gather(*(p.hello.wait() for p in people)), 60)
        except TimeoutError:
            for node in cluster.nodes.values():
                print(node.node_id, "".join(x for x in node.lines if "access" not in x)[-3000:])
            raise
        holder = await cluster.holder(session_id)
        assert holder is not None and {p.node for p in people} == {holder}
        for person in people:
            person.hello.clear()
        killed_at = time.monotonic()
        await asyncio.to_thread(cluster.kill, holder)
        await asyncio.wait_for(asyncio.gather(*(p.hello.wait() for p in people)), 60)
        took = time.monotonic() - killed_at
        assert all(p.node not in {None, holder} for p in people)
    finally:
        for person in people:
            await person.stop()
    await asyncio.to_thread(cluster.start, holder)
    return took


async def bench(cluster: Cluster, runs: int, clients: int) -> list[float]:
    times = []
    for n in range(runs):
        took = await one_run(cluster, clients)
        print(f"  run {n + 1}: back in {took:.2f} s", flush=True)
        times.append(took)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--lease", type=int, default=5)
    args = parser.parse_args()
    missing = available()
    if missing is not None:
        print(f"takeover benchmark not run: {missing}", file=sys.stderr)
        return 1
    print(f"takeover after kill -9 ({args.runs} runs, {args.clients} clients, "
          f"lease {args.lease} s)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="palabre-takeover-") as tmp:
        with running_cluster(Path(tmp), lease_seconds=args.lease, balance="hash") as cluster:
            times = asyncio.run(bench(cluster, args.runs, args.clients))
    figures = {
        "runs": len(times),
        "clients": args.clients,
        "lease_seconds": args.lease,
        "median_s": round(statistics.median(times), 3),
        "worst_s": round(max(times), 3),
        "best_s": round(min(times), 3),
        "p90_s": round(percentile(times, 0.9) or 0.0, 3),
        "times_s": [round(t, 3) for t in times],
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
    }
    print(f"median {figures['median_s']:.2f} s, worst {figures['worst_s']:.2f} s "
          f"(lease {args.lease} s)")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    raise SystemExit(main())
