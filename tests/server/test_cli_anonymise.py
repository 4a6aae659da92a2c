"""``palabre records anonymise-text`` as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

NAMES = {
    "people": [
        {"name": "Jeanne Martin", "label": "Partie A"},
        {"name": "Maître Paul Girard", "label": "Conseil de la partie A"},
    ],
    "organisations": [{"name": "SCI Les Tilleuls", "label": "Société X"}],
}


def run(args: list[str], stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("palabre", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "server.cli"]
    env = {**os.environ, "PALABRE_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run(
        [*command, "records", "anonymise-text", *args], input=stdin, capture_output=True,
        text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


def test_anonymise_text_reads_stdin_writes_stdout(tmp_path: Path) -> None:
    names = tmp_path / "names.json"
    names.write_text(json.dumps(NAMES), encoding="utf-8")
    text = (
        "Mme Jeanne Martin (jeanne.martin@example.org) et Me Girard ont rencontré "
        "la SCI Les Tilleuls, 12 rue des Lilas, 69003 Lyon.\n"
    )
    done = run(["--names-file", str(names), "--lang", "fr"], text, tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Partie A" in out and "Conseil de la partie A" in out and "Société X" in out
    assert "[EMAIL]" in out
    for leaked in ("Jeanne", "Martin", "Girard", "Tilleuls", "Lilas", "69003"):
        assert leaked not in out
    assert not (tmp_path / "var").exists()  # offline: no database, no key


def test_anonymise_text_english_and_errors(tmp_path: Path) -> None:
    names = tmp_path / "names.json"
    names.write_text(json.dumps({"people": [{"name": "Jeanne Martin", "label": "Party A"}]}))
    done = run(
        ["--names-file", str(names), "--lang", "en"], "Call Jeanne on +44 20 7946 0958.", tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Call Party A on [PHONE]."
    bad = run(["--names-file", str(tmp_path / "missing.json"), "--lang", "fr"], "", tmp_path)
    assert bad.returncode == 2 and "cannot read names file" in bad.stderr
    bad = run(["--names-file", str(names), "--lang", "de"], "", tmp_path)
    assert bad.returncode == 2


def _offline_prefix() -> list[str]:
    """Run in a new network namespace: no interface up, not even loopback."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], check=False).returncode:
        return []
    return [unshare, "-n"]


def test_anonymise_text_with_the_model_offline_gives_the_same_output_twice(
    tmp_path: Path,
) -> None:
    prefix = _offline_prefix()
    assert prefix or os.geteuid() != 0, "unshare -n should work as root"
    names = tmp_path / "names.json"
    names.write_text(json.dumps({"people": [{"name": "Nathalie Roussel", "label": "Partie A"}]}))
    text = (
        "Depuis septembre, Ombeline Kerdraon garde les enfants le mercredi ; Nathalie "
        "rappelle qu'Ombeline les accompagne aussi au conservatoire de Plouguerneau.\n"
    )
    exe = shutil.which("palabre", path=str(Path(sys.executable).parent))
    command = [*prefix, *([exe] if exe else [sys.executable, "-m", "server.cli"])]
    env = {**os.environ, "PALABRE_VAR_DIR": str(tmp_path / "var")}
    outputs = [
        subprocess.run(
            [*command, "records", "anonymise-text", "--names-file", str(names), "--lang", "fr"],
            input=text,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        for _ in range(2)
    ]
    for done in outputs:
        assert done.returncode == 0, done.stderr
    assert outputs[0].stdout == outputs[1].stdout
    # the model ran: no rule finds this person, who has no cue and an unlisted first name
    assert "Ombeline" not in outputs[0].stdout and "Kerdraon" not in outputs[0].stdout
    assert "Tiers 1" in outputs[0].stdout and "Partie A" in outputs[0].stdout
