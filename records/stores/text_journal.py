"""The text journal: every accepted update of a session's shared texts, encrypted, in order.

The same store as the board journal (:mod:`records.stores.journal`: group-committed,
AES-256-GCM under the case key, associated data binding organisation, case, session,
room and sequence number, refusing writes after a failure until the room is read back),
in its own table and under its own kind: a board row cannot pass for a text row. Each
entry holds one Yjs update and who made it (records' encoding of
``{"by": ..., "update": <base64>}``, made by the layer above); the text of a room is
every one of its updates applied in order.
"""

from __future__ import annotations

from typing import Any

from records.models import TextUpdateRow
from records.stores.journal import BoardJournal

KIND = "shared_text_update"


class TextJournal(BoardJournal):
    _row: Any = TextUpdateRow
    _kind = KIND
    _scope = "text"
