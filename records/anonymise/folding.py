"""Case and accent folding that keeps offsets.

:func:`fold` maps every character to exactly one character (lower case, no
diacritic), so an index into the folded text is an index into the original.
Matching runs on the folded text; case-sensitive checks look at the original.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_SPECIAL = {
    "’": "'",
    "ʼ": "'",
    "‘": "'",
    "–": "-",
    "‑": "-",
    "‐": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "ß": "s",
}


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """One character, lower-cased, without diacritics, apostrophes and dashes unified."""
    special = _SPECIAL.get(char)
    if special is not None:
        return special
    decomposed = unicodedata.normalize("NFD", char)
    base = decomposed[0] if decomposed else char
    lowered = base.lower()
    return lowered[0] if lowered else base


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table filled on first sight of each character."""

    def __missing__(self, codepoint: int) -> str:
        folded = fold_char(chr(codepoint))
        self[codepoint] = folded
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Fold ``text`` character by character; ``len(fold(t)) == len(t)``."""
    return text.translate(_TABLE)


def fold_words(text: str) -> str:
    """Fold and squeeze: hyphens, apostrophes and runs of spaces become one space."""
    out = fold(text)
    for sep in ("-", "'", "."):
        out = out.replace(sep, " ")
    return " ".join(out.split())


def is_capitalised(word: str) -> bool:
    """True when the first letter of ``word`` is upper case."""
    for char in word:
        if char.isalpha():
            return char.isupper()
    return False


def is_upper_word(word: str) -> bool:
    """True when every letter of ``word`` is upper case (and there are at least two)."""
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)
