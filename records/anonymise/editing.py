"""Editing a result: manual redactions, reverting and restoring replacements.

Every function takes an :class:`AnonymisedText` and returns a new one,
rendered again from the original; nothing is modified in place. A manual
redaction that overlaps automatic replacements absorbs them (its span grows
to cover them); a reverted replacement moves to ``reverted`` and its
original text shows again until it is restored.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from records.anonymise.engine import render
from records.anonymise.model import AnonymisedText, Candidate, Kind, Replacement, placeholder


def _next_id(result: AnonymisedText) -> str:
    used = {r.id for r in (*result.replacements, *result.reverted)}
    for n in itertools.count(1):
        candidate = f"m{n}"
        if candidate not in used:
            return candidate
    raise AssertionError("unreachable")


def _rebuild(
    result: AnonymisedText, active: list[Replacement], reverted: list[Replacement]
) -> AnonymisedText:
    text, placed = render(result.original, active)
    return AnonymisedText(result.original, result.language, text, placed, tuple(reverted))


def add_redaction(
    result: AnonymisedText,
    start: int,
    end: int,
    kind: Kind = Kind.MANUAL,
    replacement: str | None = None,
) -> AnonymisedText:
    """Redact ``original[start:end]`` by hand; overlapping replacements are absorbed.

    ``replacement`` defaults to the placeholder of ``kind``. Raises
    ``ValueError`` on an empty or out-of-range span or a blank span.
    """
    if not 0 <= start < end <= len(result.original):
        raise ValueError(f"span {start}..{end} is outside the text")
    if not result.original[start:end].strip():
        raise ValueError("cannot redact only white space")
    absorbed = [r for r in result.replacements if r.start < end and start < r.end]
    if absorbed:
        start = min(start, *(r.start for r in absorbed))
        end = max(end, *(r.end for r in absorbed))
    manual = Replacement(
        _next_id(result),
        start,
        end,
        kind,
        result.original[start:end],
        replacement if replacement is not None else placeholder(kind, result.language),
        "manual",
    )
    active = [r for r in result.replacements if r not in absorbed] + [manual]
    return _rebuild(result, active, list(result.reverted))


def add_found(result: AnonymisedText, candidates: Iterable[Candidate]) -> AnonymisedText:
    """Apply recognisers' ``candidates`` that overlap no active replacement.

    Each one's id is ``k`` and its start (``k42``): the same whatever else was
    decided, so that an edit naming it keeps naming it.

    Used where a replacement was undone and what it covered must still be
    looked at on its own (a listed surname inside a rejected suggestion).
    """
    for c in sorted(candidates, key=lambda c: c.start):
        if any(r.start < c.end and c.start < r.end for r in result.replacements):
            continue
        item = Replacement(
            f"k{c.start}", c.start, c.end, c.kind, result.original[c.start : c.end],
            c.replacement, reason=c.reason,
        )  # fmt: skip
        result = _rebuild(result, [*result.replacements, item], list(result.reverted))
    return result


def revert(result: AnonymisedText, replacement_id: str) -> AnonymisedText:
    """Undo one replacement (a false positive): its original text shows again."""
    item = result.by_id(replacement_id)
    if item not in result.replacements:
        raise ValueError(f"replacement {replacement_id!r} is already reverted")
    active = [r for r in result.replacements if r.id != replacement_id]
    reverted = [*result.reverted, item]
    if item.source == "manual":
        reverted.pop()
    return _rebuild(result, active, reverted)


def restore(result: AnonymisedText, replacement_id: str) -> AnonymisedText:
    """Apply again a replacement that was reverted; fails if another now overlaps it."""
    item = result.by_id(replacement_id)
    if item not in result.reverted:
        raise ValueError(f"replacement {replacement_id!r} is not reverted")
    if any(r.start < item.end and item.start < r.end for r in result.replacements):
        raise ValueError(f"replacement {replacement_id!r} overlaps an active one")
    active = [*result.replacements, item]
    reverted = [r for r in result.reverted if r.id != replacement_id]
    return _rebuild(result, active, reverted)


def rerender(result: AnonymisedText) -> AnonymisedText:
    """Render again from the original and the active replacements (a consistency check)."""
    return _rebuild(result, list(result.replacements), list(result.reverted))
