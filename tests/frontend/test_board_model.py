"""The browser's mirror of the board log (board/model.js) against the server's own fold.

Logs are made by the real :class:`sessions.whiteboard.board.Board` (undo/redo changes, moves,
erasures, clear, paste), sent over the wire format, and applied by the JavaScript model in
headless Chromium: it must reach exactly the objects ``wb_log.fold`` and ``replay`` reach.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route

from sessions.errors import SessionError
from sessions.whiteboard.log import LoggedOp, fold, ordered, replay
from sessions.whiteboard.ops import parse_op
from sessions.whiteboard.board import Board
from tests.e2e.conftest import browser  # noqa: F401 - the shared Chromium fixture

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "frontend" / "static"
ORIGIN = "http://board.test"

FOLD = """
async ({ start, entries, self }) => {
  const { BoardModel } = await import('/static/js/room/board/model.js');
  const model = new BoardModel(self || 'nobody');
  model.loadSync({ snapshot: start, ops: [] });
  const results = entries.map((e) => model.receive(e));
  return { results, state: model.state() };
}
"""


async def _serve(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path.startswith("/static/"):
        file = STATIC / path.removeprefix("/static/")
        await route.fulfill(body=file.read_text(), content_type="text/javascript")
    else:
        await route.fulfill(body="<!doctype html><title>board</title>", content_type="text/html")


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:  # noqa: F811
    context = await browser.new_context()
    page = await context.new_page()
    await page.route(f"{ORIGIN}/**", _serve)
    await page.goto(f"{ORIGIN}/")
    yield page
    await context.close()


def op(data: dict[str, Any]) -> Any:
    return parse_op(data)


def stroke(obj_id: str, x: float = 1.5) -> dict[str, Any]:
    return {"type": "stroke", "id": obj_id, "points": [[x, 2.0], [x + 3.25, 4.0]],
            "color": "#1f2937", "width": 2.0}  # fmt: skip


def box(kind: str, obj_id: str, color: str, fill: str | None = None) -> dict[str, Any]:
    return {"type": kind, "id": obj_id, "x": 10.0, "y": 10.0, "w": 80.0, "h": 40.5,
            "color": color, "fill": fill, "width": 4.0}  # fmt: skip


def move(target: str, dx: float, dy: float) -> dict[str, Any]:
    return {"type": "move", "target": target, "dx": dx, "dy": dy}


def busy_board() -> Board:
    """A plenary board with every kind of operation, a private one pasted into it."""
    board, aside = Board("plenary"), Board("caucus-1")
    note = {"type": "sticky", "id": "n1", "x": 5.0, "y": 5.0, "text": "8 000 €", "color": "#fff59d"}
    text = {"type": "text", "id": "t1", "x": -20.0, "y": 30.0, "text": "Calendrier\nde paiement",
            "color": "#1565c0", "size": 24.0}  # fmt: skip
    arrow = {"type": "arrow", "id": "ar", "start": [0.0, 0.0], "end": [100.0, 50.0],
             "color": "#2e7d32", "width": 8.0}  # fmt: skip
    aside.submit("p-a", op(stroke("secret", 40.0)))
    aside.submit("p-a", op(note))
    board.submit("p-a", op(stroke("a1")))
    board.submit("p-b", op(box("rect", "r1", "#c62828")))
    board.submit("p-a", op(move("a1", 0.1, 0.2)))
    board.submit("p-a", op(move("a1", 0.2, -7.0)))
    board.submit("p-b", op(text))
    board.submit("p-b", op({"type": "edit_text", "target": "t1", "text": "Calendrier\nrévisé"}))
    board.submit("p-a", op({"type": "undo"}))  # the second move
    board.submit("p-a", op({"type": "undo"}))  # the first move
    board.submit("p-a", op({"type": "redo"}))
    board.submit("p-b", op({"type": "erase", "targets": ["r1"]}))
    board.submit("p-b", op({"type": "undo"}))  # the rectangle comes back
    board.paste_from(aside, "m-claire")
    board.submit("m-claire", op(arrow))
    board.submit("m-claire", op({"type": "clear"}), may_clear=True)
    board.submit("m-claire", op({"type": "undo"}))  # the clear undone
    board.submit("p-b", op(box("ellipse", "e1", "#6a1b9a", "#ffe0b2")))
    pasted = sorted(k for k in board.objects() if k.startswith("c"))
    assert len(pasted) == 2
    erase = {"type": "erase", "targets": ["a1", pasted[1]]}
    board.submit("m-claire", op(erase), may_edit_others=True)
    board.submit("m-claire", op({"type": "undo"}))
    note = next(k for k in pasted if board.objects()[k].shape.type == "sticky")
    board.submit("m-claire", op({"type": "edit_text", "target": note, "text": "9 500 €"}))
    board.submit("p-b", op({"type": "edit_text", "target": "t1", "text": "Échéancier"}))
    board.submit("p-b", op({"type": "undo"}))  # back to "Calendrier / révisé"
    board.submit("p-b", op({"type": "recolor", "target": "e1", "color": "#1565c0"}))
    board.submit("p-b", op({"type": "recolor", "target": "t1", "color": "#c62828"}))
    board.submit("p-b", op({"type": "undo"}))  # the text keeps its blue
    board.submit("m-claire", op({"type": "recolor", "target": note, "color": "#bbdefb"}),
                 may_edit_others=True)  # fmt: skip
    return board


def wire(objects: dict[str, Any]) -> dict[str, Any]:
    # through JSON, as the browser gets it
    return json.loads(json.dumps({o.id: o.to_wire() for o in ordered(objects)}))


async def js_fold(
    page: Page, entries: list[LoggedOp], start: Any = None, self: str = "nobody"
) -> dict[str, Any]:
    snapshot = start or {"seq": 0, "objects": []}
    payload = {"start": snapshot, "entries": [e.to_wire() for e in entries], "self": self}
    result: dict[str, Any] = await page.evaluate(FOLD, json.loads(json.dumps(payload)))
    return result


async def test_the_model_folds_a_log_like_the_server(page: Page) -> None:
    board = busy_board()
    log = list(board.log)
    expected = wire(fold(log))
    assert expected == wire(replay(log)) == wire(dict(board.objects()))
    assert {"a1", "r1", "t1", "ar", "e1"} <= set(expected)
    assert any(k.startswith("c") for k in expected)  # the pasted note
    result = await js_fold(page, log)
    assert result["results"] == ["applied"] * len(log)
    assert result["state"]["seq"] == board.seq
    assert result["state"]["objects"] == expected
    assert list(result["state"]["objects"]) == list(expected)  # same drawing order


async def test_snapshot_then_the_operations_since(page: Page) -> None:
    board = busy_board()
    log = list(board.log)
    for cut in (3, 9, 12, len(log) - 2):
        start = {"seq": cut, "objects": [o.to_wire() for o in ordered(fold(log[:cut]))]}
        result = await js_fold(page, log[cut:], start)
        assert result["state"]["objects"] == wire(board.objects()), cut
        # already known entries are recognised, a missing one is a gap to resync
        again = await js_fold(page, [log[cut - 1], log[cut + 1]], start)
        assert again["results"] == ["old", "gap"] and again["state"]["seq"] == cut


async def test_random_logs_agree(page: Page) -> None:
    rng = random.Random(11)
    for round_ in range(4):
        board, refused = Board("plenary"), 0
        mine: dict[str, list[str]] = {"p-a": [], "p-b": []}
        for i in range(60):
            who = rng.choice(["p-a", "p-b"])
            roll = rng.random()
            try:
                if mine[who] and roll < 0.2:
                    dx, dy = rng.uniform(-9, 9), rng.uniform(-9, 9)
                    board.submit(who, op(move(rng.choice(mine[who]), dx, dy)))
                elif roll < 0.35:
                    board.submit(who, op({"type": rng.choice(["undo", "redo"])}))
                elif mine[who] and roll < 0.45:
                    board.submit(who, op({"type": "erase", "targets": [mine[who].pop()]}))
                elif mine[who] and roll < 0.52:
                    color = rng.choice(["#c62828", "#1565c0", "#2E7D32"])
                    target = rng.choice(mine[who])
                    board.submit(who, op({"type": "recolor", "target": target, "color": color}))
                elif roll < 0.55:
                    board.submit(who, op({"type": "clear"}), may_clear=True)
                else:
                    mine[who].append(f"{who}-{round_}-{i}")
                    board.submit(who, op(stroke(mine[who][-1], rng.uniform(-50, 50))))
            except SessionError:
                refused += 1  # nothing to undo, an undone object moved...: refused, fine
        result = await js_fold(page, list(board.log))
        assert result["state"]["objects"] == wire(board.objects()), round_
        for who in ("p-a", "p-b"):  # the undo and redo buttons follow the server's history
            mine = (await js_fold(page, list(board.log), self=who))["state"]["history"]
            assert (mine["undo"], mine["redo"]) == board.history(who), (round_, who)
        assert board.seq + refused == 60


PENDING = """
async ({ shape, entry }) => {
  const { BoardModel } = await import('/static/js/room/board/model.js');
  const model = new BoardModel('p-a');
  model.loadSync({ snapshot: { seq: 0, objects: [] }, ops: [] });
  const token = model.addPending(shape);
  const before = model.visible().map((o) => [o.id, Boolean(o.pending)]);
  model.receive(entry);
  const after = model.visible().map((o) => [o.id, Boolean(o.pending)]);
  return { before, after, pending: model.pending.length, dropped: model.dropPending(token) };
}
"""


async def test_a_pending_operation_shows_at_once_and_settles_on_its_entry(page: Page) -> None:
    board = Board("plenary")
    entry = board.submit("p-a", op(stroke("mine")))
    result = await page.evaluate(PENDING, {"shape": stroke("mine"), "entry": entry.to_wire()})
    assert result == {
        "before": [["mine", True]], "after": [["mine", False]], "pending": 0, "dropped": False,
    }  # fmt: skip


EDITING = """
async ({ snapshot, edit, entry, field }) => {
  const { BoardModel } = await import('/static/js/room/board/model.js');
  const model = new BoardModel('p-a');
  model.loadSync({ snapshot, ops: [] });
  const shown = () => model.visible().map((o) => o.shape[field]);
  model.addPending(edit);
  const before = shown();
  model.receive(entry);
  return { before, after: shown(), pending: model.pending.length };
}
"""


async def test_new_words_show_at_once_and_settle_on_the_entry_even_when_cleaned(
    page: Page,
) -> None:
    board = Board("plenary")
    board.submit("p-a", op({"type": "text", "id": "t1", "x": 0.0, "y": 0.0, "text": "Avant",
                            "color": "#1565c0", "size": 24.0}))  # fmt: skip
    snapshot = json.loads(json.dumps(board.snapshot().to_wire()))
    typed = {"type": "edit_text", "target": "t1", "text": "Apr\u0007ès"}  # a control character
    entry = board.submit("p-a", op(typed))
    assert entry.to_wire()["op"]["text"] == "Après"  # cleaned by the server
    result = await page.evaluate(
        EDITING, {"snapshot": snapshot, "edit": typed, "entry": entry.to_wire(), "field": "text"}
    )
    assert result == {"before": ["Apr\u0007ès"], "after": ["Après"], "pending": 0}


async def test_a_new_colour_shows_at_once_and_settles_on_its_entry(page: Page) -> None:
    board = Board("plenary")
    board.submit("p-a", op(box("rect", "r1", "#c62828")))
    snapshot = json.loads(json.dumps(board.snapshot().to_wire()))
    recolor = {"type": "recolor", "target": "r1", "color": "#1565C0"}
    entry = board.submit("p-a", op(recolor))
    result = await page.evaluate(
        EDITING, {"snapshot": snapshot, "edit": recolor, "entry": entry.to_wire(), "field": "color"}
    )
    assert result == {"before": ["#1565C0"], "after": ["#1565C0"], "pending": 0}
