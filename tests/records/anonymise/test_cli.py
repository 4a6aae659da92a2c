"""The ``anonymise-text`` command, through main() and once as a real subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from records.anonymise.cli import main

ROOT = Path(__file__).resolve().parents[3]
NAMES = {
    "people": [
        {"name": "Jeanne Martin", "label": "Partie A"},
        {"name": "Maître Paul Girard", "label": "Conseil de la partie A"},
    ],
    "organisations": [{"name": "SCI Les Tilleuls", "label": "Société X"}],
}
TEXT = "Mme Martin, assistée de Me Girard, conteste la SCI Les Tilleuls (tél. 06 12 34 56 78).\n"
EXPECTED = (
    "Partie A, assistée de Conseil de la partie A, conteste la Société X (tél. [TÉLÉPHONE]).\n"
)


@pytest.fixture
def names_file(tmp_path: Path) -> Path:
    path = tmp_path / "names.json"
    path.write_text(json.dumps(NAMES), encoding="utf-8")
    return path


def run(argv: list[str], text: str = TEXT) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, io.StringIO(text), out, err)
    return code, out.getvalue(), err.getvalue()


def test_anonymises_stdin(names_file: Path) -> None:
    code, out, err = run(["anonymise-text", "--names-file", str(names_file), "--lang", "fr"])
    assert (code, out, err) == (0, EXPECTED, "")


def test_command_word_is_optional_and_json_output(names_file: Path) -> None:
    code, out, _ = run(["--names-file", str(names_file), "--lang", "fr", "--json"])
    assert code == 0
    data = json.loads(out)
    assert data["text"] == EXPECTED
    assert {r["kind"] for r in data["replacements"]} == {"PERSON", "ORGANISATION", "PHONE"}
    assert "original" not in data


def test_help() -> None:
    code, out, _ = run(["anonymise-text", "--help"])
    assert code == 0 and "--names-file" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"people": [{"name": "A"}]}', "people[0]"),
        ('{"people": "x"}', "must be a list"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_bad_names_file(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = tmp_path / "names.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    code, out, err = run(["--names-file", str(path), "--lang", "fr"])
    assert code == 2
    assert out == ""
    assert message in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--names-file", "/nonexistent/names.json", "--lang", "fr"],
        ["--lang", "fr"],
        ["--names-file", "x.json", "--lang", "de"],
        ["--names-file", "x.json", "--lang", "fr", "--bogus"],
    ],
)
def test_bad_usage(argv: list[str]) -> None:
    code, out, err = run(argv)
    assert code == 2
    assert out == ""
    assert err.startswith("error:")


def test_as_a_subprocess(names_file: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "records.anonymise.cli",
            "anonymise-text",
            "--names-file",
            str(names_file),
            "--lang",
            "fr",
        ],
        input=TEXT.encode("utf-8"),
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.decode("utf-8") == EXPECTED
    bad = subprocess.run(
        [sys.executable, "-m", "records.anonymise.cli", "--names-file", "/nope", "--lang", "fr"],
        input=b"",
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"},
    )
    assert bad.returncode == 2
    assert b"cannot read names file" in bad.stderr
