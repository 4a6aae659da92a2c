"""The REST areas stand side by side: each imports only what they share, never another area."""

from __future__ import annotations

import ast
from pathlib import Path

from server.rest import AREAS

REST = Path(__file__).resolve().parents[2] / "server" / "rest"
SHARED = {"server.rest.api", "server.rest.fields", "server.rest.shared"}


def _rest_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "server.rest":
                names |= {f"server.rest.{alias.name}" for alias in node.names}
            elif node.module.startswith("server.rest."):
                names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("server.rest.")}
    return names


def test_no_area_imports_another_area() -> None:
    crossing = {
        f"{area.__name__} imports {name}"
        for area in AREAS
        for name in _rest_imports(Path(str(area.__file__))) - SHARED
    }
    assert crossing == set()


def test_every_module_in_rest_is_an_area_or_shared() -> None:
    modules = {f"server.rest.{p.stem}" for p in REST.glob("*.py") if p.stem != "__init__"}
    assert modules == {area.__name__ for area in AREAS} | SHARED
