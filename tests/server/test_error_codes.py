"""One error vocabulary: every code has an HTTP status, and the pages that show a code
have words for it in French and in English."""

from __future__ import annotations

import re

import pytest

from errors import ErrorCode
from records.stores.invites import REFUSAL_CODES
from server.errors import HTTP_STATUS
from tests.frontend.test_catalogue import JS, catalogue

# What a party's upload can be refused with, besides a link's refusal.
UPLOAD_CODES = {
    ErrorCode.UNSUPPORTED_TYPE,
    ErrorCode.EMPTY_FILE,
    ErrorCode.BROKEN_FILE,
    ErrorCode.FILE_TOO_COMPLEX,
    ErrorCode.IMAGE_TOO_LARGE,
    ErrorCode.PAYLOAD_TOO_LARGE,
    ErrorCode.UPLOAD_IN_PROGRESS,
    ErrorCode.SERVER_BUSY,
    ErrorCode.DOCUMENTS_FULL,
    ErrorCode.NOT_IN_ROOM,
}

# Catalogue keys beside the codes, under the prefixes that name codes.
NOT_CODES = {
    "title", "generic", "network", "timeout", "view", "replaced", "removed", "declined",
    "outTitle", "forbidden_observer", "contactKnown", "contactUnknown", "contactAfter",
    "contactAfterUnknown", "e2eeTitle", "e2ee_unsupported_mediator",
}  # fmt: skip
CODE_PREFIXES = ("error.", "room.error.", "docs.error.", "board.error.", "joinError.")


@pytest.fixture(scope="module")
def catalogues() -> dict[str, dict[str, str]]:
    return {lang: catalogue(lang) for lang in ("fr", "en")}


def test_every_code_has_one_http_status() -> None:
    assert sorted(set(ErrorCode) - set(HTTP_STATUS)) == []
    assert all(400 <= status < 600 for status in HTTP_STATUS.values())


def test_a_link_refusal_is_gone_or_unauthenticated() -> None:
    assert HTTP_STATUS[ErrorCode.LINK_EXPIRED] == 410
    assert {HTTP_STATUS[code] for code in REFUSAL_CODES} <= {401, 410}


def test_every_code_the_catalogues_name_is_a_code(catalogues: dict[str, dict[str, str]]) -> None:
    codes = {c.value for c in ErrorCode}
    for key in catalogues["fr"]:
        prefix = next((p for p in CODE_PREFIXES if key.startswith(p)), None)
        if prefix is None:
            continue
        name = key.removeprefix(prefix).split(".")[0]
        assert name in codes | NOT_CODES, key


def test_the_join_page_explains_every_link_refusal(catalogues: dict[str, dict[str, str]]) -> None:
    known = re.search(r"const LINK_REFUSALS = \[([^\]]*)\]", (JS / "join" / "join.js").read_text())
    assert known is not None
    assert set(re.findall(r"'([a-z_]+)'", known.group(1))) >= set(REFUSAL_CODES)
    for lang, texts in catalogues.items():
        for code in REFUSAL_CODES:
            assert f"joinError.{code}.title" in texts, (lang, code)
            assert f"joinError.{code}.body" in texts, (lang, code)


def test_the_room_explains_every_refused_connection(
    catalogues: dict[str, dict[str, str]],
) -> None:
    refused = set(REFUSAL_CODES) | {ErrorCode.NOT_AUTHENTICATED, ErrorCode.FORBIDDEN}
    for lang, texts in catalogues.items():
        assert sorted(c.value for c in refused if f"room.error.{c}" not in texts) == [], lang


def test_the_documents_panel_explains_every_refused_upload(
    catalogues: dict[str, dict[str, str]],
) -> None:
    refused = set(REFUSAL_CODES) | UPLOAD_CODES
    for lang, texts in catalogues.items():
        assert sorted(c.value for c in refused if f"docs.error.{c}" not in texts) == [], lang
