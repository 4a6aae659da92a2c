"""The layout holds: server → signaling → sessions → records → errors, nothing imports
upward, and only records opens a database transaction."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["server", "signaling", "sessions", "records", "errors"]  # top to bottom


def _modules(package: str) -> list[Path]:
    return [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


def test_no_package_imports_a_higher_one() -> None:
    upward = []
    for rank, package in enumerate(LAYERS):
        above = set(LAYERS[:rank])
        for path in _modules(package):
            upward += [
                f"{path.relative_to(ROOT)} imports {name}" for name in _imported(path) & above
            ]
    assert upward == []


def test_only_records_opens_a_transaction() -> None:
    opened = [
        str(path.relative_to(ROOT))
        for package in LAYERS
        if package != "records"
        for path in _modules(package)
        if ".transaction()" in path.read_text()
    ]
    assert opened == []
