"""``anonymise-text``: anonymise the text on standard input with the names of a case.

    python -m records.anonymise.cli anonymise-text --names-file NAMES.json --lang fr < in.txt

NAMES.json: ``{"people": [{"name": "Jeanne Martin", "label": "Partie A"}],
"organisations": [{"name": "SCI Les Tilleuls", "label": "Société X"}]}``.
Writes the anonymised text (or, with ``--json``, the text and every
replacement) on standard output. Exit codes: 0 done, 2 bad usage or a bad
names file (with a message on standard error). The leading command word is
optional, so ``palabre records anonymise-text ...`` can hand over the rest.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from records.anonymise.engine import anonymise
from records.anonymise.known import KnownNames

COMMAND = "anonymise-text"
EXIT_OK = 0
EXIT_USAGE = 2
MAX_NAMES_FILE = 1_000_000


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=COMMAND,
        description="Replace the names known to a case and personal identifiers in a text.",
        add_help=False,
    )
    parser.add_argument("--names-file", required=True, help="JSON file of people and organisations")
    parser.add_argument("--lang", required=True, choices=("fr", "en"), help="language of the text")
    parser.add_argument("--json", action="store_true", help="print the replacements as JSON")
    return parser


def load_names(path: str) -> KnownNames:
    """Read and validate a names file; ``ValueError`` with a readable message otherwise."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = handle.read(MAX_NAMES_FILE + 1)
    except OSError as exc:
        raise ValueError(f"cannot read names file {path!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"names file {path!r} is not UTF-8 text") from None
    if len(raw) > MAX_NAMES_FILE:
        raise ValueError(f"names file {path!r} is larger than {MAX_NAMES_FILE} characters")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"names file {path!r} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})"
        ) from None
    try:
        return KnownNames.from_dict(data)
    except ValueError as exc:
        raise ValueError(f"names file {path!r}: {exc}") from None


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    source = sys.stdin if stdin is None else stdin
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    if args_in[:1] == [COMMAND]:
        args_in = args_in[1:]
    if args_in[:1] in (["-h"], ["--help"]):
        out.write(build_parser().format_help())
        return EXIT_OK
    try:
        args = build_parser().parse_args(args_in)
        names = load_names(args.names_file)
    except (_UsageError, ValueError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    text = source.read()
    result = anonymise(text, args.lang, names)
    if args.json:
        json.dump(result.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(result.text)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
