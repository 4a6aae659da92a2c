from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from tests.server.test_cli import run


def _prepare(var: Path) -> str:
    done = run(["admin", "create-mediator", "--email", "a@example.org", "--name", "A"], var,
               "a long enough password\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_verify_rotate_retire_register(tmp_path: Path) -> None:
    var = tmp_path / "var"
    _prepare(var)
    ok = run(["records", "verify"], var)
    assert ok.returncode == 0, ok.stderr
    assert "consent log: ok" in ok.stdout and "audit log: ok" in ok.stdout
    keys = json.loads((var / "keys.json").read_text())
    old = keys["current"]
    assert (var / "keys.json").stat().st_mode & 0o777 == 0o600
    rotated = run(["keys", "rotate"], var)
    assert rotated.returncode == 0 and "re-wrapped 0" in rotated.stdout
    retired = run(["keys", "retire", old], var)
    assert retired.returncode == 0, retired.stderr
    current = json.loads((var / "keys.json").read_text())["current"]
    refused = run(["keys", "retire", current], var)
    assert refused.returncode == 1 and "current" in refused.stderr
    md = run(["records", "register"], var)
    assert md.returncode == 0 and "| consent_log |" in md.stdout
    js = run(["records", "register", "--format", "json"], var)
    assert json.loads(js.stdout)["format"] == "palabre-art30-register"
    purge = run(["records", "purge"], var)
    assert purge.returncode == 0 and "purged:" in purge.stdout


def test_verify_reports_a_broken_chain(tmp_path: Path) -> None:
    var = tmp_path / "var"
    _prepare(var)
    assert run(["records", "purge"], var).returncode == 0  # writes an audit entry
    assert run(["records", "purge"], var).returncode == 0
    with sqlite3.connect(var / "palabre.db") as conn:
        conn.execute("UPDATE audit_log SET actor = 'eve' WHERE seq = 1")
    broken = run(["records", "verify"], var)
    assert broken.returncode == 1
    assert "audit log: BROKEN: edited at seq 1 (position 0)" in broken.stdout


def test_a_missing_key_file_stops_the_cli(tmp_path: Path) -> None:
    var = tmp_path / "var"
    _prepare(var)
    # a key exists once a case has a description; make one directly through the keys db
    assert run(["records", "verify"], var).returncode == 0
    with sqlite3.connect(var / "keys.db") as conn:
        conn.execute(
            "INSERT INTO data_keys (id, case_id, scope, kek_id, wrapped_key, created_at) "
            "VALUES ('k1', 'c1', 'case', 'kek', x'00', '2030-01-01 00:00:00')"
        )
    (var / "keys.json").unlink()
    done = run(["records", "verify"], var)
    assert done.returncode == 1 and "missing" in done.stderr
    assert not (var / "keys.json").exists()
    assert isinstance(done, subprocess.CompletedProcess)
