"""Comments on the room's shared text in real Chromium: a party comments on words she
selected (from the keyboard), the mediator sees the words highlighted with her name and the
comment, the highlight follows the words while text is typed before them, the mediator
replies and resolves it; a comment whose words were deleted says so. (Who receives what is
asserted on the wire, in tests/signaling/test_text_comments.py.)"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, LiveServer, seed_session
from tests.e2e.flows import admit, mediator_opens_room, new_page, party_reaches_lobby
from tests.e2e.test_shared_text import EDITOR, open_text, same_text

pytestmark = pytest.mark.browser

MARK = f"{EDITOR} .text-comment-mark"

SELECT = """(words) => {
  const root = document.querySelector('#text .ProseMirror');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const i = node.data.indexOf(words);
    if (i < 0) continue;
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + words.length);
    const selection = getSelection();
    // resolved once the editor has taken the selection (its own listener runs first)
    return new Promise((resolve) => {
      const taken = () => setTimeout(() => resolve(true), 0);
      document.addEventListener('selectionchange', taken, { once: true });
      selection.removeAllRanges();
      selection.addRange(range);
    });
  }
  return false;
}"""


async def select(page: Page, words: str) -> None:
    await page.locator(EDITOR).focus()
    assert await page.evaluate(SELECT, words), await page.locator(EDITOR).inner_html()
    await expect(page.locator("#text-comment-add")).to_be_visible()


async def test_a_party_comments_on_words_the_mediator_replies_and_resolves(
    live_server: LiveServer, browser: Browser
) -> None:
    session_id, tokens = await seed_session(live_server, ["Alice Martin"])
    _, claire = await new_page(browser)
    await mediator_opens_room(claire, live_server, session_id)
    _, alice = await new_page(browser)
    await party_reaches_lobby(alice, live_server, tokens["Alice Martin"], "Alice Martin")
    await admit(claire, alice, "Alice Martin")
    for page in (claire, alice):
        await open_text(page)
    await claire.locator(EDITOR).click()
    await claire.keyboard.type("Le loyer reste de 800 euros par mois.", delay=5)
    await same_text([claire, alice])

    # Alice selects "800 euros" and comments from the keyboard (Ctrl+Alt+M, Ctrl+Enter)
    await select(alice, "800 euros")
    await alice.keyboard.press("Control+Alt+KeyM")
    body = alice.locator("#comment-new-body")
    await expect(body).to_be_focused()
    await expect(alice.locator("#text-comments blockquote")).to_have_text("800 euros")
    await alice.keyboard.type("<b>Plutôt</b> 750 ?")  # shown as typed, never as markup
    await alice.keyboard.press("Control+Enter")
    await expect(alice.locator(MARK)).to_have_text("800 euros")

    # the mediator sees the words highlighted, and who said what
    await expect(claire.locator(MARK)).to_have_text("800 euros")
    await expect(claire.locator("#text-comments-toggle")).to_have_text("Commentaires (1)")
    await claire.click("#text-comments-toggle")
    item = claire.locator("#text-comments .text-comment").first
    await expect(item.locator(".text-comment-meta strong")).to_have_text("Alice Martin")
    await expect(item.locator(".text-comment-body")).to_have_text("<b>Plutôt</b> 750 ?")
    await expect(item.locator(".text-comment-body b")).to_have_count(0)

    # typing before the words: the highlight follows them
    await select(claire, "Le loyer")  # typed over: text before the commented words
    await claire.keyboard.type("Article 1 : Le loyer", delay=5)
    agreed = await same_text([claire, alice])
    assert agreed.startswith("Article 1 : Le loyer reste de 800 euros"), agreed
    for page in (claire, alice):
        await expect(page.locator(MARK)).to_have_text("800 euros")

    # a second comment, on words that are then deleted: "text removed"
    await select(claire, "par mois")
    await claire.click("#text-comment-add")
    await claire.locator("#comment-new-body").fill("mensuel ?")
    await claire.click("#comment-new-send")
    await expect(claire.locator(MARK)).to_have_count(2)
    await select(claire, "par mois")
    await claire.keyboard.press("Backspace")
    await same_text([claire, alice])
    removed = claire.locator("#text-comments .text-comment", has_text="mensuel ?")
    await expect(removed.locator(".text-comment-removed")).to_have_text("texte supprimé")
    await expect(claire.locator(MARK)).to_have_count(1)

    # the mediator replies, then resolves Alice's comment
    await item.locator("textarea").fill("Je le note.")
    await item.locator(".text-comment-reply-form button").click()
    await expect(item.locator(".text-comment-reply .text-comment-body")).to_have_text("Je le note.")
    await claire.screenshot(path=str(ARTIFACTS / "text-comments.png"))
    await item.locator(".text-comment-resolve").click()
    await expect(claire.locator(MARK)).to_have_count(0)
    await expect(alice.locator(MARK)).to_have_count(0)
    await expect(alice.locator("#text-comments")).to_be_visible()  # open since she wrote
    resolved = alice.locator("#text-comments .text-comments-resolved")
    await resolved.locator("summary").click()
    await expect(resolved.locator(".text-comment-state")).to_contain_text("Résolu par")
    await alice.screenshot(path=str(ARTIFACTS / "text-comments-resolved.png"))
    for page in (claire, alice):
        assert getattr(page, "errors", []) == []
