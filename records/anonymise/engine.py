"""The anonymisation pipeline: run every recogniser, resolve overlaps, render.

Overlaps are resolved greedily: the longest span wins, then the higher
priority (an e-mail address beats the name inside it, an IBAN the digits
inside it). The result keeps every replacement with its offsets in the
original and in the rendered text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from records.anonymise.addresses import find_addresses, find_postcodes
from records.anonymise.ages import find_ages
from records.anonymise.contact import find_emails, find_ips, find_phones, find_urls
from records.anonymise.dates import find_dates
from records.anonymise.entities import model_people, model_places_and_organisations
from records.anonymise.folding import fold
from records.anonymise.grammar import adjust
from records.anonymise.handles import find_handles
from records.anonymise.identifiers import (
    find_ibans,
    find_nirs,
    find_plates,
    find_sirens,
    find_sirets,
)
from records.anonymise.known import KnownNames
from records.anonymise.model import (
    AnonymisedText,
    Candidate,
    Kind,
    Language,
    Replacement,
    check_language,
)
from records.anonymise.names import find_people
from records.anonymise.official import (
    find_benefits_and_tax,
    find_cards,
    find_dockets,
    find_foreign_numbers,
    find_identity_documents,
)
from records.anonymise.organisations import find_organisations
from records.anonymise.pipelines import entities
from records.anonymise.places import find_places
from records.anonymise.unlisted import find_unlisted, institution_spans

Recogniser = Callable[[str, Language], list[Candidate]]

RECOGNISERS: tuple[Recogniser, ...] = (
    find_emails,
    find_urls,
    find_ibans,
    find_cards,
    find_nirs,
    find_benefits_and_tax,
    find_identity_documents,
    find_foreign_numbers,
    find_dockets,
    find_sirets,
    find_sirens,
    find_phones,
    find_ips,
    find_addresses,
    find_dates,
    find_plates,
    find_postcodes,
    find_ages,
)

MAX_TEXT_LENGTH = 1_000_000
# what the rules found that a model's person inside cannot be
_NOT_PEOPLE = frozenset({Kind.ORGANISATION, Kind.ADDRESS, Kind.EMAIL, Kind.URL})


def detect(
    text: str, language: Language, names: KnownNames, *, model: bool = True
) -> list[Candidate]:
    """Every candidate span of every recogniser, overlapping ones included.

    With ``model`` (the default) the named-entity pipeline of ``language`` runs
    too (loaded on first use, see :mod:`records.anonymise.pipelines`) and what
    it finds, once filtered by the rules (:mod:`records.anonymise.entities`),
    is added; without it only the rules run.
    """
    found: list[Candidate] = []
    for recogniser in RECOGNISERS:
        found.extend(recogniser(text, language))
    folded = fold(text)
    found.extend(find_organisations(text, language, names, folded))
    found.extend(find_people(text, language, names, folded))
    found.extend(find_handles(text, language, names))
    places = find_places(text, language, names)
    found.extend(places)  # before the model's: on a tie, the rule's reason is shown
    people: list[tuple[int, int]] = []
    if model and text.strip():
        spotted = entities(text, language)
        named = [(c.start, c.end) for c in found if c.kind in _NOT_PEOPLE]
        named += institution_spans(text)
        people = model_people(text, spotted, names, [(c.start, c.end) for c in places], named)
        found.extend(model_places_and_organisations(text, language, spotted, names))
    found.extend(find_unlisted(text, language, names, folded, people))
    return found


def resolve(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Non-overlapping candidates, longest first then by priority, in text order."""
    ordered = sorted(candidates, key=lambda c: (-(c.end - c.start), -c.priority, c.start))
    if not ordered:
        return []
    occupied = bytearray(max(c.end for c in ordered))
    taken: list[Candidate] = []
    for candidate in ordered:
        if any(occupied[candidate.start : candidate.end]):
            continue
        taken.append(candidate)
        occupied[candidate.start : candidate.end] = b"\x01" * (candidate.end - candidate.start)
    return sorted(taken, key=lambda c: c.start)


def _fit(text: str, candidates: Sequence[Candidate], language: Language) -> list[Candidate]:
    """Apply the grammatical repairs to names, without running into the previous span."""
    fitted: list[Candidate] = []
    previous_end = 0
    for c in candidates:
        if c.kind in (Kind.PERSON, Kind.ORGANISATION):
            start, replacement = adjust(text, c.start, c.replacement, language)
            if start >= previous_end:
                c = Candidate(start, c.end, c.kind, replacement, c.priority, c.reason)
        fitted.append(c)
        previous_end = c.end
    return fitted


def render(
    original: str, replacements: Sequence[Replacement]
) -> tuple[str, tuple[Replacement, ...]]:
    """The text with ``replacements`` applied, and them with their output offsets."""
    pieces: list[str] = []
    placed: list[Replacement] = []
    cursor = 0
    length = 0
    for item in sorted(replacements, key=lambda r: r.start):
        if item.start < cursor:
            raise ValueError(f"replacement {item.id} overlaps the one before it")
        if original[item.start : item.end] != item.original:
            raise ValueError(f"replacement {item.id} does not match the original text")
        gap = original[cursor : item.start]
        pieces.append(gap)
        length += len(gap)
        pieces.append(item.replacement)
        placed.append(
            Replacement(
                item.id,
                item.start,
                item.end,
                item.kind,
                item.original,
                item.replacement,
                item.source,
                length,
                length + len(item.replacement),
                item.reason,
            )
        )
        length += len(item.replacement)
        cursor = item.end
    pieces.append(original[cursor:])
    return "".join(pieces), tuple(placed)


def anonymise(
    text: str, language: str, names: KnownNames | None = None, *, model: bool = True
) -> AnonymisedText:
    """Replace every known name and every identifier in ``text``.

    ``language`` is ``"fr"`` or ``"en"``: it chooses the placeholders and the
    grammatical repairs; both languages' identifiers are always looked for.
    ``model=False`` runs the rules alone (no named-entity pipeline).
    Raises ``ValueError`` on an unknown language or an over-long text.
    """
    lang = check_language(language)
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"text longer than {MAX_TEXT_LENGTH} characters")
    chosen = _fit(text, resolve(detect(text, lang, names or KnownNames(), model=model)), lang)
    replacements = [
        Replacement(
            f"r{i}", c.start, c.end, c.kind, text[c.start : c.end], c.replacement, reason=c.reason
        )
        for i, c in enumerate(chosen, start=1)
    ]
    rendered, placed = render(text, replacements)
    return AnonymisedText(text, lang, rendered, placed)
