"""Sanitising user-provided plain text (chat messages, whiteboard text, labels).

The result is plain text: it is never inserted as HTML anywhere. Sanitising
removes what can hide or disguise content rather than escaping markup:
control characters (except newlines where allowed), bidirectional overrides
and isolates (used to spoof the reading order), byte-order marks. Too long a
text is refused, never silently truncated.
"""

from __future__ import annotations

import re
import unicodedata

_BIDI_AND_INVISIBLE = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
_MANY_NEWLINES = re.compile(r"\n{3,}")


def _keep(char: str, multiline: bool) -> bool:
    if char == "\n":
        return multiline
    if char in _BIDI_AND_INVISIBLE:
        return False
    category = unicodedata.category(char)
    return category not in ("Cc", "Cs")


def clean_text(value: str, *, max_length: int, multiline: bool = True) -> str:
    """Normalise (NFC), strip controls and bidi overrides, trim; refuse if too long.

    Tabs become spaces; line/paragraph separators become newlines (or spaces
    when ``multiline`` is false); more than two newlines in a row collapse to
    two. Raises ``ValueError`` if the cleaned text exceeds ``max_length``.
    """
    text = unicodedata.normalize("NFC", value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    text = "".join(c for c in text if _keep(c, multiline))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = _MANY_NEWLINES.sub("\n\n", text).strip()
    if len(text) > max_length:
        raise ValueError(f"text longer than {max_length} characters")
    return text
