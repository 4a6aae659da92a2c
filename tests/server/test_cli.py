from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import main


def run(args: list[str], var: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``palabre <args>`` on the data in ``var``, run in this process (a new Python for each
    command costs seconds of imports; one test below runs the real module entry point)."""
    saved = {name: os.environ.get(name) for name in ("PALABRE_VAR_DIR", "PALABRE_DATABASE_URL")}
    os.environ["PALABRE_VAR_DIR"] = str(var)
    os.environ.pop("PALABRE_DATABASE_URL", None)
    out, err = io.StringIO(), io.StringIO()
    stdin_before = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args)
            except SystemExit as exc:  # argparse refusing the arguments
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin = stdin_before
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(["palabre", *args], code, out.getvalue(), err.getvalue())


def test_create_mediator_reads_the_password_from_stdin(tmp_path: Path) -> None:
    args = ["admin", "create-mediator", "--email", "a@example.org", "--name", "Anne"]
    done = run(args, tmp_path, "a long enough password\n")
    assert done.returncode == 0, done.stderr
    assert "mediator account created" in done.stdout
    again = run(args, tmp_path, "a long enough password\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "a long enough password" not in again.stderr + again.stdout


def test_the_first_account_and_those_made_with_admin_are_administrators(tmp_path: Path) -> None:
    def create(email: str, *extra: str) -> str:
        args = ["admin", "create-mediator", "--email", email, "--name", "A", *extra]
        done = run(args, tmp_path, "a long enough password\n")
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "organisation administrator" in create("first@example.org")
    assert "organisation administrator" not in create("second@example.org")
    assert "organisation administrator" in create("third@example.org", "--admin")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--email", "nope", "--name", "A"], "a long enough password\n", "--email"),
        (["--email", "a@example.org", "--name", "A"], "short\n", "at least 10"),
    ],
)
def test_create_mediator_refuses_bad_input(
    tmp_path: Path, args: list[str], stdin: str, message: str
) -> None:
    done = run(["admin", "create-mediator", *args], tmp_path, stdin)
    assert done.returncode == 2
    assert message in done.stderr


def test_db_upgrade_and_bad_config(tmp_path: Path) -> None:
    done = run(["db", "upgrade"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "palabre.db").exists()
    env = {**os.environ, "PALABRE_VAR_DIR": str(tmp_path), "PALABRE_PORT": "x"}
    bad = subprocess.run(
        [sys.executable, "-m", "server.cli", "db", "upgrade"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "PALABRE_PORT" in bad.stderr
