"""The whiteboard's pointer tools in headless Chromium, against a fake socket context.

Touch, pen and mouse come as Pointer Events: a long touch scribble is one stroke far below
the point limit, two fingers zoom without drawing, the eraser and a drag each send one
operation, coordinates stay inside the board, an error ack takes the drawing back, entries
of another room are ignored and a gap in the sequence asks for a resync.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route

from sessions.whiteboard.ops import parse_op
from tests.e2e.conftest import browser  # noqa: F401 - the shared Chromium fixture

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "frontend" / "static"
ORIGIN = "http://board.test"
PAGE = """<!doctype html><html lang="fr"><head>
<link rel="stylesheet" href="/static/css/palabre.css">
<link rel="stylesheet" href="/static/css/board.css"></head>
<body><div id="host" class="tool"></div></body></html>"""

# A Whiteboard on a fake context: acks as the server gives them, every request recorded.
SETUP = """
async (role) => {
  const whiteboard = await import('/static/js/room/board/whiteboard.js');
  const { Whiteboard } = whiteboard;
  window.mirror = () => whiteboard.mirrored; // the state the board mirrors (a live export)
  const handlers = {};
  const sent = [];
  const notes = [];
  let seq = 0;
  window.failNext = null;
  const ctx = {
    socket: { on: (event, fn) => { handlers[event] = fn; }, off: () => {} },
    self: { key: 'p-me', role: role || 'party' }, sessionId: 's1', credentials: { token: 'tok' },
    nameOf: () => 'X', isMediator: () => false, notify: (text) => notes.push(text),
    async request(event, payload) {
      sent.push([event, JSON.parse(JSON.stringify(payload))]);
      if (event === 'wb:sync') {
        const fresh = payload.since === undefined;
        const snapshot = fresh ? { room_id: 'plenary', seq, objects: [] } : null;
        return { ok: true, room_id: 'plenary', snapshot, ops: [] };
      }
      if (window.failNext) {
        const code = window.failNext;
        window.failNext = null;
        return { ok: false, error: { code, message: code } };
      }
      seq += 1;
      // as the server does: the room's copy of the entry reaches its author before the ack
      handlers['wb:op']({ seq, author: 'p-me', op: payload.op, room_id: payload.room_id });
      return { ok: true, seq };
    },
  };
  const host = document.getElementById('host');
  host.style.display = 'flex';
  host.style.flexDirection = 'column';
  host.style.width = '800px';
  host.style.height = '600px';
  const wb = new Whiteboard(host, ctx);
  wb.shown(true);
  await wb.roomChanged({ room_id: 'plenary', kind: 'plenary' });
  window.harness = { wb, sent, notes, handlers, serverSeq: (n) => { seq = n; } };
  window.ops = () => sent.filter(([event]) => event === 'wb:op').map(([, p]) => p.op);
  window.pointer = (type, id, x, y) => {
    const canvas = document.getElementById('board-canvas');
    const r = canvas.getBoundingClientRect();
    canvas.dispatchEvent(new PointerEvent(type, {
      pointerId: id, pointerType: 'touch', isPrimary: id === 1, bubbles: true, cancelable: true,
      clientX: r.left + x, clientY: r.top + y, button: type === 'pointermove' ? -1 : 0,
      buttons: type === 'pointerup' ? 0 : 1,
    }));
  };
  window.gesture = (id, points) => {
    pointer('pointerdown', id, ...points[0]);
    for (const p of points.slice(1)) pointer('pointermove', id, ...p);
    pointer('pointerup', id, ...points[points.length - 1]);
  };
}
"""


async def _serve(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path.startswith("/static/"):
        file = STATIC / path.removeprefix("/static/")
        kind = "text/css" if file.suffix == ".css" else "text/javascript"
        await route.fulfill(body=file.read_text(), content_type=kind)
    else:
        await route.fulfill(body=PAGE, content_type="text/html")


@asynccontextmanager
async def board_page(chromium: Browser, role: str = "party") -> AsyncIterator[Page]:
    context = await chromium.new_context(locale="fr-FR", viewport={"width": 900, "height": 700})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.route(f"{ORIGIN}/**", _serve)
    await page.goto(f"{ORIGIN}/")
    await page.evaluate(SETUP, role)
    yield page
    assert errors == []
    await context.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:  # noqa: F811
    async with board_page(browser) as page:
        yield page


async def ops(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await page.evaluate("ops()")
    return result


async def objects(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate("mirror().objects")
    return result


async def gesture(page: Page, points: list[tuple[float, float]], pointer_id: int = 1) -> None:
    await page.evaluate("([id, points]) => gesture(id, points)", [pointer_id, points])


async def tool(page: Page, name: str) -> None:
    await page.click(f"#board-tool-{name}")


async def test_a_long_touch_scribble_is_one_stroke_far_below_the_point_limit(page: Page) -> None:
    scribble = [(20 + i * 0.15, 300 + 120 * math.sin(i / 7)) for i in range(5000)]
    await gesture(page, scribble)
    [stroke] = await ops(page)
    assert stroke["type"] == "stroke" and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", stroke["id"])
    assert 20 < len(stroke["points"]) <= 1000
    parse_op(stroke)  # what the server accepts
    assert list(await objects(page)) == [stroke["id"]]
    assert await page.evaluate("mirror().pending") == 0


async def test_two_fingers_zoom_and_pan_without_drawing(page: Page) -> None:
    before = await page.evaluate("mirror().scale")
    await page.evaluate("""() => {
        pointer('pointerdown', 1, 300, 300);
        pointer('pointerdown', 2, 400, 300);
        for (let i = 1; i <= 10; i++) {
            pointer('pointermove', 1, 300 - 10 * i, 300);
            pointer('pointermove', 2, 400 + 10 * i, 300);
        }
        pointer('pointerup', 1, 200, 300);
        pointer('pointerup', 2, 500, 300);
    }""")
    assert await page.evaluate("mirror().scale") == pytest.approx(before * 3)
    assert await ops(page) == []


async def test_the_eraser_sends_one_erase_and_a_drag_one_move(page: Page) -> None:
    await gesture(page, [(100, 100), (300, 100)])
    await gesture(page, [(100, 200), (300, 200)])
    first, second = [op["id"] for op in await ops(page)]
    await tool(page, "select")
    # shown moving while dragged, sent once released
    shown = await page.evaluate(
        """(id) => {
        pointer('pointerdown', 1, 200, 100);
        pointer('pointermove', 1, 250, 130);
        const dragged = window.harness.wb.canvas.objects().find((o) => o.id === id);
        pointer('pointermove', 1, 260, 150);
        pointer('pointerup', 1, 260, 150);
        return [dragged.dx, dragged.dy];
    }""",
        first,
    )
    assert shown[0] > 0 and shown[1] > 0
    move = (await ops(page))[-1]
    scale = await page.evaluate("mirror().scale")
    assert move["type"] == "move" and move["target"] == first
    assert move["dx"] == pytest.approx(60 / scale, abs=0.1)
    assert move["dy"] == pytest.approx(50 / scale, abs=0.1)
    await tool(page, "eraser")
    await gesture(page, [(280, 60), (280, 160), (280, 260)])
    erase = (await ops(page))[-1]
    assert erase == {"type": "erase", "targets": [first, second]}
    assert len(await ops(page)) == 4 and await objects(page) == {}
    # inside an outlined rectangle: the select tool takes the rectangle
    await tool(page, "rect")
    await gesture(page, [(100, 100), (400, 300)])
    await tool(page, "select")
    await gesture(page, [(250, 200), (270, 210)])
    rect, move = (await ops(page))[-2:]
    assert move["type"] == "move" and move["target"] == rect["id"]


async def test_coordinates_stay_inside_the_board(page: Page) -> None:
    await page.evaluate("window.harness.wb.canvas.setView(0.05, { x: -450, y: -450 })")
    await tool(page, "rect")
    await gesture(page, [(10, 10), (400, 400)])
    await tool(page, "line")
    await gesture(page, [(10, 10), (700, 500)])
    rect, line = await ops(page)
    assert (rect["x"], rect["y"]) == (9200, 9200)
    assert rect["x"] + rect["w"] == 10000 and rect["y"] + rect["h"] == 10000
    assert line["start"] == [9200, 9200] and line["end"] == [10000, 10000]
    for op in (rect, line):
        parse_op(op)  # whole numbers from JSON are accepted as coordinates


async def test_a_refused_operation_is_taken_back_and_explained(page: Page) -> None:
    await page.evaluate("window.failNext = 'forbidden'")
    await gesture(page, [(100, 100), (200, 150)])
    assert await objects(page) == {}
    assert await page.evaluate("mirror().pending") == 0
    notes = await page.evaluate("window.harness.notes")
    assert notes == ["Vous ne pouvez pas faire cela sur ce tableau."]
    assert await page.locator("#board-undo").is_disabled()  # the refused stroke is no step
    await gesture(page, [(100, 100), (200, 150)])
    await page.evaluate("window.failNext = 'nothing_to_undo'")  # the server knows better
    await page.click("#board-undo")
    assert (await page.evaluate("window.harness.notes"))[-1] == "Rien à annuler."


ENTRY = {"author": "p-other", "op": {"type": "stroke", "id": "x", "points": [[1.0, 1.0]],
                                       "color": "#000000", "width": 2.0}}  # fmt: skip


async def test_other_rooms_are_ignored_and_a_gap_asks_for_what_was_missed(page: Page) -> None:
    await page.evaluate(
        "(e) => window.harness.handlers['wb:op']({ ...e, seq: 1, room_id: 'caucus-1' })", ENTRY
    )
    assert await objects(page) == {}
    await page.evaluate(
        "(e) => window.harness.handlers['wb:op']({ ...e, seq: 1, room_id: 'plenary' })", ENTRY
    )
    assert list(await objects(page)) == ["x"]
    gap = {**ENTRY, "op": {**ENTRY["op"], "id": "y"}}
    await page.evaluate(
        "(e) => window.harness.handlers['wb:op']({ ...e, seq: 3, room_id: 'plenary' })", gap
    )
    syncs = await page.evaluate("window.harness.sent.filter(([e]) => e === 'wb:sync')")
    assert syncs[-1] == ["wb:sync", {"since": 1}]
    # a dropped connection: the next view of the same room resyncs from the last entry
    await page.evaluate("window.harness.handlers.disconnect()")
    await page.evaluate("window.harness.handlers['room:view']({ room_id: 'plenary' })")
    syncs = await page.evaluate("window.harness.sent.filter(([e]) => e === 'wb:sync')")
    assert syncs[-1] == ["wb:sync", {"since": 1}] and len(syncs) == 3


async def test_operations_stored_together_arrive_together_and_mine_name_their_room(
    page: Page,
) -> None:
    second = {**ENTRY, "op": {**ENTRY["op"], "id": "y"}, "seq": 2, "room_id": "plenary"}
    batch = {"room_id": "plenary", "entries": [{**ENTRY, "seq": 1, "room_id": "plenary"}, second]}
    await page.evaluate("(b) => window.harness.handlers['wb:ops'](b)", batch)
    await page.evaluate("window.harness.serverSeq(2)")
    assert sorted(await objects(page)) == ["x", "y"]
    syncs = await page.evaluate("window.harness.sent.filter(([e]) => e === 'wb:sync')")
    assert len(syncs) == 1  # the first one only: nothing was missed
    await tool(page, "pen")
    await gesture(page, [(50, 50), (120, 80)])
    sent = await page.evaluate("window.harness.sent.filter(([e]) => e === 'wb:op')")
    assert sent[-1][1]["room_id"] == "plenary"
    assert len(await objects(page)) == 3  # my stroke, settled by its entry


async def test_every_drawing_tool_makes_an_operation_the_server_accepts(page: Page) -> None:
    for n, name in enumerate(["pen", "line", "arrow", "rect", "ellipse"]):
        await tool(page, name)
        await page.click(f"#board-color-{['ink', 'red', 'blue', 'green', 'orange'][n]}")
        await gesture(page, [(50, 50 + 40 * n), (120, 80 + 40 * n), (200, 70 + 40 * n)])
    for name, words in (("text", "Calendrier\nde paiement"), ("sticky", "À revoir")):
        await tool(page, name)
        await gesture(page, [(500, 300), (500, 300)])
        await page.locator("#board-textbox").fill(words)
        await page.locator("#board-textbox").press("Enter")
    sent = await ops(page)
    assert [op["type"] for op in sent] == [
        "stroke", "line", "arrow", "rect", "ellipse", "text", "sticky",
    ]  # fmt: skip
    for op in sent:
        parse_op(op)
    assert (
        sent[5]["text"] == "Calendrier\nde paiement" and sent[6]["color"] == "#ffe0b2"
    )  # orange, as a note
    assert len(await objects(page)) == 7


AT = """([x, y]) => {
  const r = document.getElementById('board-canvas').getBoundingClientRect();
  return window.harness.wb.canvas.toBoard(r.left + x, r.top + y);
}"""

OTHERS_TEXT = """([x, y]) => {
  const { seq } = mirror();
  const op = { type: 'text', id: 'theirs', x, y, text: 'Leur texte', color: '#1565c0', size: 24 };
  window.harness.handlers['wb:op']({ seq: seq + 1, author: 'p-other', op, room_id: 'plenary' });
  window.harness.serverSeq(seq + 1);
}"""

DOUBLE_CLICK = """([x, y]) => {
  const canvas = document.getElementById('board-canvas');
  const r = canvas.getBoundingClientRect();
  canvas.dispatchEvent(new MouseEvent('dblclick', {
    clientX: r.left + x, clientY: r.top + y, bubbles: true, cancelable: true }));
}"""


async def test_a_note_or_a_text_gets_new_words_from_its_tool_or_a_double_click(
    page: Page,
) -> None:
    box = page.locator("#board-textbox")
    await tool(page, "sticky")
    await gesture(page, [(300, 300), (300, 300)])
    await box.fill("8 000 €")
    await box.press("Enter")
    note = (await ops(page))[-1]["id"]
    # the sticky tool on the note: its words, ready to be changed, the note itself hidden
    await gesture(page, [(310, 310), (310, 310)])
    assert await box.input_value() == "8 000 €"
    shown = await page.evaluate("window.harness.wb.canvas.objects().map((o) => o.id)")
    assert note not in shown
    await box.fill("9 500 €\nà confirmer")
    await box.press("Enter")
    edit = (await ops(page))[-1]
    assert edit == {"type": "edit_text", "target": note, "text": "9 500 €\nà confirmer"}
    parse_op(edit)
    assert (await objects(page))[note]["shape"]["text"] == "9 500 €\nà confirmer"
    # the select tool: a double click; unchanged words or Escape send nothing
    await tool(page, "select")
    await page.evaluate(DOUBLE_CLICK, [310, 310])
    assert await box.input_value() == "9 500 €\nà confirmer"
    await box.press("Enter")
    await page.evaluate(DOUBLE_CLICK, [310, 310])
    await box.fill("abandonné")
    await box.press("Escape")
    assert len(await ops(page)) == 2
    # someone else's text: a party's text tool makes a new text beside it instead
    where = await page.evaluate(AT, [150, 450])
    await page.evaluate(OTHERS_TEXT, where)
    await page.evaluate(DOUBLE_CLICK, [155, 455])  # still the select tool: nothing to edit
    assert await box.count() == 0
    await tool(page, "text")
    await gesture(page, [(160, 460), (160, 460)])
    assert await box.input_value() == ""
    await box.fill("Le mien")
    await box.press("Enter")
    made = (await ops(page))[-1]
    assert made["type"] == "text" and made["text"] == "Le mien"
    assert (await objects(page))["theirs"]["shape"]["text"] == "Leur texte"


async def test_undo_and_redo_are_greyed_out_when_there_is_nothing_to_take_back(
    page: Page,
) -> None:
    async def enabled() -> list[bool]:
        return [await page.locator(f"#board-{k}").is_enabled() for k in ("undo", "redo")]

    assert await enabled() == [False, False]
    await page.keyboard.press("Control+z")  # nothing to undo: nothing sent
    assert await ops(page) == []
    await gesture(page, [(100, 100), (200, 150)])
    assert await enabled() == [True, False]
    await page.click("#board-undo")
    assert (await ops(page))[-1] == {"type": "undo"}
    assert await enabled() == [False, True]
    await page.click("#board-redo")
    assert await enabled() == [True, False]
    # a mediator's clear forgets everyone's history
    await page.evaluate("""() => {
      const { seq } = mirror();
      window.harness.handlers['wb:op']({ seq: seq + 1, author: 'm-claire', op: { type: 'clear' },
                                         room_id: 'plenary' });
      window.harness.serverSeq(seq + 1);
    }""")
    assert await enabled() == [False, False]


async def test_a_colour_picked_with_a_drawing_selected_repaints_it(page: Page) -> None:
    await tool(page, "sticky")
    await gesture(page, [(300, 300), (300, 300)])
    await page.locator("#board-textbox").fill("8 000 €")
    await page.locator("#board-textbox").press("Enter")
    await tool(page, "rect")
    await gesture(page, [(100, 100), (200, 180)])
    note, rect = [op["id"] for op in await ops(page)]
    await tool(page, "select")
    await gesture(page, [(100, 140), (100, 140)])  # on the rectangle's edge: selected
    await page.click("#board-color-blue")
    assert (await ops(page))[-1] == {"type": "recolor", "target": rect, "color": "#1565c0"}
    assert (await objects(page))[rect]["shape"]["color"] == "#1565c0"
    await page.click("#board-color-blue")  # the colour it has: nothing sent
    await gesture(page, [(310, 310), (310, 310)])
    await page.click("#board-color-green")  # a note takes the matching pastel
    recolor = (await ops(page))[-1]
    assert recolor == {"type": "recolor", "target": note, "color": "#c8e6c9"}
    parse_op(recolor)
    # someone else's drawing: a party's colour click repaints nothing
    where = await page.evaluate(AT, [550, 450])
    await page.evaluate(OTHERS_TEXT, where)
    await gesture(page, [(560, 455), (560, 455)])
    await page.click("#board-color-red")
    assert len(await ops(page)) == 4
    assert (await objects(page))["theirs"]["shape"]["color"] == "#1565c0"
    # selecting a drawing shows its colour; a note's pastel as its pen colour
    await gesture(page, [(100, 140), (100, 140)])
    assert await page.locator("#board-color-blue").get_attribute("aria-pressed") == "true"
    await gesture(page, [(310, 310), (310, 310)])
    assert await page.locator("#board-color-green").get_attribute("aria-pressed") == "true"
    assert len(await ops(page)) == 4  # showing a colour repaints nothing
    # with a drawing tool, a colour is only the next drawing's colour
    await tool(page, "pen")
    await page.click("#board-color-purple")
    assert len(await ops(page)) == 4


async def test_an_observer_looks_pans_and_zooms_but_changes_nothing(
    browser: Browser,  # noqa: F811
) -> None:
    async with board_page(browser, "observer") as page:
        tools = await page.locator("#board-toolbar button[id^=board-tool-]").evaluate_all(
            "(buttons) => buttons.map((b) => b.id)"
        )
        assert tools == ["board-tool-select", "board-tool-hand"]
        for hidden in ("#board-color-red", "#board-width-4", "#board-undo", "#board-clear"):
            assert await page.locator(hidden).count() == 0
        assert await page.locator("#board-zoom-in").is_visible()
        assert await page.evaluate("mirror().tool") == "hand"
        # someone's text arrives; the observer sees it, drags the view, zooms, keys
        where = await page.evaluate(AT, [300, 300])
        await page.evaluate(OTHERS_TEXT, where)
        before = await page.evaluate("({ ...window.harness.wb.canvas.offset })")
        await gesture(page, [(300, 300), (400, 350), (450, 380)])
        after = await page.evaluate("({ ...window.harness.wb.canvas.offset })")
        assert (after["x"] - before["x"], after["y"] - before["y"]) == (150, 80)
        scale = await page.evaluate("mirror().scale")
        await page.click("#board-zoom-in")
        assert await page.evaluate("mirror().scale") == pytest.approx(scale * 1.25)
        await page.locator("#board-canvas").focus()
        for key in ("p", "e", "t", "Control+z", "Delete"):
            await page.keyboard.press(key)
        assert await page.evaluate("mirror().tool") == "hand"
        await tool(page, "select")
        await page.evaluate(DOUBLE_CLICK, [305, 305])  # no text box for its words
        assert await page.locator("#board-textbox").count() == 0
        await page.keyboard.press("Delete")
        await gesture(page, [(305, 305), (400, 400)])  # selecting does not move it
        assert await ops(page) == []
        assert list(await objects(page)) == ["theirs"]
