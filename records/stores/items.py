"""The kinds of item a case file holds, and which key each kind is stored under."""

from __future__ import annotations

from enum import StrEnum


class ItemKind(StrEnum):
    DESCRIPTION = "description"
    PRIVATE_NOTE = "private_note"
    DOCUMENT = "document"
    WHITEBOARD_EXPORT = "whiteboard_export"
    CHAT = "chat"
    AGREEMENT = "agreement"
    CLOSING_SUMMARY = "closing_summary"


# what the mediators write is under the case key, whoever is named as provider
MEDIATOR_KINDS = frozenset(
    {ItemKind.DESCRIPTION, ItemKind.PRIVATE_NOTE, ItemKind.AGREEMENT, ItemKind.CLOSING_SUMMARY}
)
# each item of these kinds has a key of its own, destroyed when the item is deleted
OWN_KEY_KINDS = frozenset({ItemKind.DOCUMENT})
