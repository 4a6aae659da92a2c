"""``palabre serve`` as an administrator runs it: JSON logs with the node id, /readyz on the
public port, /metrics on its own address only."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http only)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_serve_writes_json_logs_and_serves_metrics_apart(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "PALABRE_VAR_DIR": str(tmp_path / "var"),
        "PALABRE_PORT": str(port),
        "PALABRE_NODE_ID": "node-42",
        "PALABRE_LOG_FORMAT": "json",
        "PALABRE_METRICS_ADDRESS": f"127.0.0.1:{metrics_port}",
    }
    env.pop("PALABRE_DATABASE_URL", None)
    env.pop("PALABRE_REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    drain = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    drain.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = fetch(f"http://127.0.0.1:{port}/readyz")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
                time.sleep(0.1)
        assert status == 200, body
        assert json.loads(body)["node"] == "node-42"
        assert fetch(f"http://127.0.0.1:{port}/api/cases/abc")[0] == 401
        status, metrics = fetch(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200
        assert 'palabre_live_sessions{node="node-42"} 0.0' in metrics
        assert 'route="/api/cases/{case_id}",status="4xx"' in metrics
        assert fetch(f"http://127.0.0.1:{port}/metrics")[0] == 404
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drain.join(5)
        if proc.stderr:
            proc.stderr.close()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert records, "no log line"
    assert {r["node"] for r in records} == {"node-42"}
    access = [r for r in records if r["logger"] == "aiohttp.access"]
    assert any("/api/cases/{case_id} 401" in r["message"] for r in access), access
    assert any("metrics served" in r["message"] for r in records)
