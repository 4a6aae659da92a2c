"""The shared whiteboard in real Chromium: drawing with the mouse, what the others see,
undo, a reload, a private meeting's board, copying it to the plenary, the export button."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import (
    admit,
    barrier,
    in_room,
    mediator_opens_room,
    new_page,
    on_board,
    party_reaches_lobby,
    received,
    until_inked,
)
from tests.e2e.flows import until_true as _until_true

pytestmark = pytest.mark.browser


async def until_true(page: Page, expression: str, within: float = 10.0) -> None:
    """Polls ``expression`` over ``board``, the board's mirror; a failure shows it."""
    await _until_true(page, on_board(expression), within, on_board("JSON.stringify(board)"))


async def board(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = await page.evaluate(on_board("board"))
    return state


def shapes(state: dict[str, Any]) -> list[str]:
    return [o["shape"]["type"] for o in state["objects"].values()]


async def drag(page: Page, points: list[tuple[float, float]]) -> None:
    """Presses the mouse at the first point (relative to the canvas) and moves through the rest."""
    box = await page.locator("#board-canvas").bounding_box()
    assert box is not None
    x0, y0 = box["x"], box["y"]
    await page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    await page.mouse.down()
    for x, y in points[1:]:
        await page.mouse.move(x0 + x, y0 + y, steps=4)
    await page.mouse.up()


async def open_board(page: Page) -> None:
    await page.click("#open-board")
    await expect(page.locator("#board-canvas")).to_be_visible()
    await until_true(page, "board && board.room_id !== null")


async def test_drawing_is_shared_undone_reloaded_and_private_meetings_stay_private(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin", "Bruno Petit"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser, phone=True)
    _, bruno = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    await party_reaches_lobby(bruno, live_server, tokens["Bruno Petit"], "Bruno Petit")
    await admit(claire, bruno, "Bruno Petit")
    for page in (claire, alice, bruno):
        await open_board(page)

    # The mediator draws a freehand stroke (pen, the default tool) and a rectangle.
    wave = [(120 + 8 * i, 150 + (25 if i % 2 else -25)) for i in range(40)]
    await drag(claire, wave)
    await claire.click("#board-tool-rect")
    await expect(claire.locator("#board-tool-rect")).to_have_attribute("aria-pressed", "true")
    await claire.click("#board-color-red")
    await drag(claire, [(500, 250), (560, 280), (700, 360)])
    for page in (claire, alice, bruno):
        await until_true(page, "Object.keys(board.objects).length === 2")
    state = await board(alice)
    assert shapes(state) == ["stroke", "rect"]
    stroke, rect = state["objects"].values()
    assert 3 <= len(stroke["shape"]["points"]) < 80  # smoothed input, decimated
    assert rect["shape"]["color"] == "#c62828" and rect["shape"]["w"] > 100
    assert state["pending"] == 0
    await until_inked(bruno, "#board-canvas", 150, more_than=300)  # drawn on the other screen

    # Alice (on a phone) draws, then undoes her own stroke: gone everywhere, the rest stays.
    await drag(alice, [(60, 120), (120, 160), (200, 140)])
    for page in (claire, bruno):
        await until_true(page, "Object.keys(board.objects).length === 3")
    await alice.screenshot(path=str(ARTIFACTS / "board-1-party-phone.png"))
    await claire.screenshot(path=str(ARTIFACTS / "board-1-mediator-desktop.png"))
    await alice.click("#board-undo")
    for page in (claire, alice, bruno):
        await until_true(page, "Object.keys(board.objects).length === 2")
    same = {**await board(claire), "tool": "pen", "scale": 1, "history": {"undo": 0, "redo": 0}}
    assert await board(bruno) == same  # Bruno has drawn nothing: nothing for him to undo

    # The mediator moves the rectangle (one move on release) and erases a stroke of her own.
    await claire.click("#board-tool-select")
    await drag(claire, [(602, 252), (640, 300), (702, 352)])
    rect_id = rect["id"]
    moved = f"((o) => o.dx > 50 && o.dx === o.dy)(board.objects['{rect_id}'])"
    for page in (claire, bruno):
        await until_true(page, moved)
    await claire.keyboard.press("l")  # shortcut: the line tool
    await expect(claire.locator("#board-tool-line")).to_have_attribute("aria-pressed", "true")
    await drag(claire, [(150, 300), (400, 300)])
    await until_true(bruno, "Object.keys(board.objects).length === 3")
    await claire.click("#board-tool-eraser")
    await drag(claire, [(300, 280), (300, 320)])
    await until_true(bruno, "Object.keys(board.objects).length === 2")
    assert shapes(await board(bruno)) == ["stroke", "rect"]

    # Alice's connection drops while the mediator draws: she catches up when it comes back.
    await alice.evaluate(in_room("room.socket.disconnect()"))
    await drag(claire, [(700, 100), (700, 140)])  # the eraser on nothing: nothing sent
    await claire.keyboard.press("Control+z")  # the line comes back
    await until_true(bruno, "Object.keys(board.objects).length === 3")
    assert len((await board(alice))["objects"]) == 2  # missed while away
    await alice.evaluate(in_room("room.socket.connect()"))
    await until_true(alice, "Object.keys(board.objects).length === 3", 20)
    await claire.keyboard.press("Control+z")  # the rectangle goes back where it was
    await claire.keyboard.press("Control+z")  # and the line goes again
    await until_true(alice, f"board.objects['{rect_id}'].dx === 0")
    await until_true(alice, "Object.keys(board.objects).length === 2")

    # Bruno's page after a reload gets the whole board.
    await bruno.reload()
    await expect(bruno.locator("#stage")).to_be_visible(timeout=15000)
    await open_board(bruno)
    await until_true(bruno, "Object.keys(board.objects).length === 2")
    assert (await board(bruno))["objects"] == (await board(claire))["objects"]

    # A private meeting with Alice: its board is a new, empty one, and Bruno sees none of it.
    seen_before = len(await received(bruno))
    await claire.locator("#panel .person", has_text="Alice Martin").locator("input").check()
    await claire.click("#open-caucus")
    await expect(alice.locator("#banner")).to_have_attribute("data-kind", "private")
    await until_true(alice, "board.room_id !== 'plenary'")
    await until_true(alice, "Object.keys(board.objects).length === 0")
    await alice.click("#board-tool-sticky")
    box = await alice.locator("#board-canvas").bounding_box()
    assert box is not None
    await alice.mouse.click(box["x"] + 40, box["y"] + 60)
    await alice.locator("#board-textbox").fill("Je pourrais céder sur le préavis")
    await alice.keyboard.press("Enter")
    has_sticky = "Object.values(board.objects).some((o) => o.shape.type === 'sticky')"
    await until_true(claire, has_sticky)
    # Words to change: the sticky tool on the note (stored: no longer pending) opens its words.
    await until_true(alice, f"board.pending === 0 && {has_sticky}")
    await alice.mouse.click(box["x"] + 60, box["y"] + 80)
    editing = alice.locator("#board-textbox")
    await expect(editing).to_have_value("Je pourrais céder sur le préavis")
    await editing.fill("Je pourrais céder sur le préavis, pas sur le loyer")
    await alice.screenshot(path=str(ARTIFACTS / "board-2a-editing-note-phone.png"))
    await alice.keyboard.press("Enter")
    edited = "o.shape.text === 'Je pourrais céder sur le préavis, pas sur le loyer'"
    await until_true(claire, f"Object.values(board.objects).some((o) => {edited})")
    assert len((await board(claire))["objects"]) == 1
    await alice.screenshot(path=str(ARTIFACTS / "board-2-private-party-phone.png"))
    await claire.screenshot(path=str(ARTIFACTS / "board-2-private-mediator-desktop.png"))
    await barrier(bruno)
    assert shapes(await board(bruno)) == ["stroke", "rect"]
    during = (await received(bruno))[seen_before:]
    assert not [p for event, p in during if event.startswith("wb:") or "préavis" in p]

    # The mediator copies the private board to the plenary: Bruno sees the note there.
    await claire.click("#board-copy")
    await until_true(bruno, "Object.keys(board.objects).length === 3")
    copied = [o for o in (await board(bruno))["objects"].values() if o["shape"]["type"] == "sticky"]
    assert copied[0]["author"] == await claire.evaluate(in_room("room.self.key"))

    # Export: the mediator's menu answers with a toast (exported, or why not).
    await claire.click("#board-export")
    await claire.click("#board-export-now")
    await expect(claire.locator("#toast")).to_be_visible()
    await bruno.screenshot(path=str(ARTIFACTS / "board-3-plenary-desktop.png"))
    for page in (claire, alice, bruno):
        assert getattr(page, "errors", []) == []


async def test_zoom_text_language_and_the_export_menu(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, _ = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    await open_board(claire)
    assert not await claire.locator("#board-copy").count()  # only in a private meeting

    # Text with the keyboard shortcut, then the view: buttons, wheel, fit.
    await claire.keyboard.press("t")
    await expect(claire.locator("#board-tool-text")).to_have_attribute("aria-pressed", "true")
    box = await claire.locator("#board-canvas").bounding_box()
    assert box is not None
    await claire.mouse.click(box["x"] + 300, box["y"] + 200)
    await claire.locator("#board-textbox").fill("Points d’accord")
    await claire.keyboard.press("Enter")
    await until_true(claire, "Object.keys(board.objects).length === 1")
    text = next(iter((await board(claire))["objects"].values()))["shape"]
    assert text["text"] == "Points d’accord" and text["size"] == 24
    # Selected, it takes the colour picked, settled by the stored entry.
    await claire.keyboard.press("v")
    await claire.mouse.click(box["x"] + 310, box["y"] + 210)
    await claire.click("#board-color-green")
    await until_true(
        claire,
        "Object.values(board.objects)[0].shape.color === '#2e7d32' && board.pending === 0",
    )
    await claire.keyboard.press("t")
    await claire.click("#board-zoom-in")
    assert (await board(claire))["scale"] > 1
    await claire.mouse.move(box["x"] + 100, box["y"] + 100)
    await claire.mouse.wheel(0, 400)
    assert (await board(claire))["scale"] < 1
    await claire.click("#board-fit")
    assert (await board(claire))["scale"] == 2  # a small board is shown at most twice as large
    await expect(claire.locator("#board-zoom")).to_have_text("200 %")

    # The labels follow the language.
    assert await claire.locator("#board-tool-pen").get_attribute("aria-label") == "Crayon (P)"
    await claire.click("button[data-lang=en]")
    assert await claire.locator("#board-tool-pen").get_attribute("aria-label") == "Pen (P)"
    await claire.click("button[data-lang=fr]")

    # The export contract: POST {room_id} with the CSRF header, 201 with the files, then
    # each file downloads from its own address.
    posted: list[dict[str, Any]] = []

    async def exported(route: Any) -> None:
        posted.append({"body": route.request.post_data_json, "headers": route.request.headers})
        files = [
            {"format": "svg", "file_id": "f-svg", "name": "tableau.svg", "size": 2048},
            {"format": "png", "file_id": "f-png", "name": "tableau.png", "size": 40960},
        ]
        await route.fulfill(status=201, json={"seq": 1, "files": files})

    async def file(route: Any) -> None:
        await route.fulfill(body="<svg xmlns='http://www.w3.org/2000/svg'/>",
                            content_type="image/svg+xml")  # fmt: skip

    await claire.route("**/board/export", exported)
    await claire.route("**/board/exports/f-svg", file)
    await claire.click("#board-export")
    await expect(claire.locator("#board-export-menu")).to_be_visible()
    await claire.click("#board-export-now")
    await expect(claire.locator("#toast")).to_have_text("Exporté dans le dossier")
    assert posted[0]["body"] == {"room_id": "plenary"}
    assert posted[0]["headers"].get("x-csrf-token")
    downloads = claire.locator(".board-download")
    await expect(downloads).to_have_text(["Télécharger SVG (2 Ko)", "Télécharger PNG (40 Ko)"])
    await claire.screenshot(path=str(ARTIFACTS / "board-4-export-menu.png"))
    async with claire.expect_download() as download:
        await downloads.first.click()
    assert (await download.value).suggested_filename == "tableau.svg"

    # Clearing the board (confirmed), undone, redone with the keyboard.
    await claire.click("#board-clear")
    await until_true(claire, "Object.keys(board.objects).length === 0")
    await claire.locator("#board-canvas").focus()
    await claire.keyboard.press("Control+z")
    await until_true(claire, "Object.keys(board.objects).length === 1")
    await claire.keyboard.press("Control+Shift+z")
    await until_true(claire, "Object.keys(board.objects).length === 0")
    await claire.keyboard.press("Control+z")  # the text is back for the end of the session
    await until_true(claire, "Object.keys(board.objects).length === 1")

    # Ending the session keeps the plenary board in the case file; the case page lists it.
    await claire.click("#end-session")
    await claire.goto(f"{live_server.url}/cases")
    await claire.click("a[href^='/cases/']:text('E2E')")
    files = claire.locator("#case-files .file")
    await expect(files).to_have_count(2)
    await expect(files.first).to_contain_text("Tableau exporté")
    async with claire.expect_download() as download:
        await files.locator("a.file-download").first.click()
    assert (await download.value).suggested_filename.startswith("tableau-pleniere-")
    await claire.locator("#case-files-section").screenshot(path=str(ARTIFACTS / "case-files.png"))
    assert getattr(claire, "errors", []) == []
