"""The frontend's modules import each other without cycles, and nothing imports a router.

The graph is read from the files (static ``import``/``export ... from`` and ``import()`` of
relative paths); a missing target fails too, so a move that forgets an import is caught here.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.frontend.test_catalogue import JS

IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}/[^'"]+)['"]""")
ROUTERS = {"router.js"}


def import_graph(root: Path = JS) -> dict[Path, set[Path]]:
    graph: dict[Path, set[Path]] = {}
    for path in sorted(root.rglob("*.js")):
        targets = {(path.parent / spec).resolve() for spec in IMPORT.findall(path.read_text())}
        graph[path.resolve()] = targets
    return graph


def cycles(graph: dict[Path, set[Path]]) -> list[list[Path]]:
    """One cycle per back edge met in a depth-first walk (empty: the graph is acyclic)."""
    found: list[list[Path]] = []
    state: dict[Path, str] = {}
    stack: list[Path] = []

    def visit(node: Path) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                found.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def name(path: Path) -> str:
    return str(path.relative_to(JS.resolve()))


def test_the_scan_reads_imports() -> None:
    graph = import_graph()
    router = (JS / "dashboard" / "router.js").resolve()
    assert (JS / "dashboard" / "auth.js").resolve() in graph[router]
    assert sum(len(targets) for targets in graph.values()) > 50


def test_every_import_resolves_to_a_file() -> None:
    missing = [
        f"{name(source)} -> {target}"
        for source, targets in import_graph().items()
        for target in targets
        if not target.is_file()
    ]
    assert missing == []


def test_the_modules_import_each_other_without_a_cycle() -> None:
    assert [" -> ".join(map(name, cycle)) for cycle in cycles(import_graph())] == []


def test_nothing_imports_a_router() -> None:
    importers = [
        f"{name(source)} -> {name(target)}"
        for source, targets in import_graph().items()
        for target in targets
        if target.name in ROUTERS
    ]
    assert importers == []


def test_a_cycle_is_found(tmp_path: Path) -> None:
    (tmp_path / "views").mkdir()
    (tmp_path / "router.js").write_text("import { show } from './views/a.js';\n")
    (tmp_path / "views" / "a.js").write_text("import { go } from '../router.js';\n")
    (tmp_path / "views" / "b.js").write_text("const x = await import('./a.js');\n")
    graph = import_graph(tmp_path)
    assert len(cycles(graph)) == 1
    assert (tmp_path / "views" / "a.js").resolve() in graph[(tmp_path / "views" / "b.js").resolve()]


WINDOW_PROPERTY = re.compile(r"\b(?:window|globalThis|self)\.(\w+)\s*=[^=]")


def window_properties(root: Path = JS) -> list[str]:
    return [
        f"{path.relative_to(root)}: {prop}"
        for path in sorted(root.rglob("*.js"))
        for prop in WINDOW_PROPERTY.findall(path.read_text())
    ]


def test_the_served_modules_put_nothing_on_window() -> None:
    """Tests read the page (DOM, or a module they import), never a global set for them."""
    assert window_properties() == []


def test_a_window_property_is_found(tmp_path: Path) -> None:
    (tmp_path / "room.js").write_text("window.palabreRoom = state;\nif (window.x === 1) f();\n")
    assert window_properties(tmp_path) == ["room.js: palabreRoom"]
