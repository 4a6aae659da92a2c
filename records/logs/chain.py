"""Tamper-evident append-only logs (consent, audit): an HMAC chain.

Each entry's MAC is HMAC-SHA256, under a key kept outside the database, over
the previous entry's MAC and the RFC 8785 canonical JSON of the entry's
fields. Whoever can write the table but lacks the key cannot edit, insert,
delete or reorder entries without ``verify_chain`` noticing; deleting the
*newest* entries is only caught against an anchor kept elsewhere
(``expected_head``).

The fields are a JSON object that must include ``"seq"`` (consecutive ints
from ``start_seq``), e.g. ``seq, kind, actor, subject, purpose, text_version,
text_sha256, language, mechanism, at`` (``utc_iso``). Append under a lock on
the chain head (``SELECT ... FOR UPDATE`` on PostgreSQL) with ``next_entry``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import sha256
from typing import Any

import rfc8785

GENESIS = "0" * 64
_DOMAIN = b"palabre/records/chain/v1\x00"


class Problem(StrEnum):
    """The kind of the first problem ``verify_chain`` found."""

    EDITED = "edited"  # an entry's MAC does not match its content
    DELETED = "deleted"  # seq gap: entries missing, not found later
    INSERTED = "inserted"  # duplicate seq, or a valid entry linked to another predecessor
    REORDERED = "reordered"  # seq gap whose missing entries appear later
    TRUNCATED = "truncated"  # the chain ends before the expected head
    MALFORMED = "malformed"  # missing/non-int seq, fields not canonicalisable


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry as stored: its fields, its MAC and (optionally) the previous MAC."""

    fields: Mapping[str, Any]
    mac: str
    prev_mac: str | None = None

    @property
    def seq(self) -> int:
        seq = self.fields.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise ValueError("entry fields need an int 'seq'")
        return seq


@dataclass(frozen=True, slots=True)
class ChainHead:
    """An anchor kept outside the table: the last seq and MAC seen."""

    seq: int
    mac: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """``ok`` with ``count`` entries checked, or the first problem found.

    ``seq`` is the sequence number where the problem shows (for ``deleted``
    the first missing one), ``position`` the 0-based index in the iteration.
    """

    ok: bool
    count: int
    problem: Problem | None = None
    seq: int | None = None
    position: int | None = None
    detail: str = ""
    head: ChainHead | None = None


def utc_iso(moment: datetime) -> str:
    """An aware datetime as UTC ISO 8601 with microseconds, e.g. for ``at``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone-aware time")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of ``fields``."""
    out: bytes = rfc8785.dumps(fields)
    return out


def entry_mac(hmac_key: bytes, prev_mac: str, fields: Mapping[str, Any]) -> str:
    """Hex HMAC-SHA256 over the previous MAC and the canonical fields."""
    mac = hmac.new(hmac_key, _DOMAIN, sha256)
    mac.update(prev_mac.encode("ascii"))
    mac.update(b"\x00")
    mac.update(canonical(fields))
    return mac.hexdigest()


def next_entry(
    hmac_key: bytes,
    head: Entry | ChainHead | None,
    fields: Mapping[str, Any],
    *,
    start_seq: int = 1,
) -> Entry:
    """The entry that follows ``head`` (``None`` for the first): sets ``seq`` and MACs."""
    if "seq" in fields:
        raise ValueError("'seq' is assigned by next_entry")
    if head is None:
        seq, prev = start_seq, GENESIS
    else:
        seq, prev = head.seq + 1, head.mac
    full = {**fields, "seq": seq}
    return Entry(full, entry_mac(hmac_key, prev, full), prev)


def verify_chain(
    hmac_key: bytes,
    entries: Iterable[Entry],
    *,
    start_seq: int = 1,
    start_prev: str = GENESIS,
    expected_head: ChainHead | None = None,
) -> VerifyReport:
    """Check a chain in one pass (entries in seq order) and report the first problem.

    ``start_seq``/``start_prev`` let a chain whose oldest entries were purged
    be verified from a checkpoint. Memory use is constant.
    """
    it = _Peek(iter(entries))
    expect_seq, prev_mac = start_seq, start_prev
    position = 0

    def fail(problem: Problem, seq: int | None, detail: str) -> VerifyReport:
        return VerifyReport(False, position, problem, seq, position, detail)

    for entry in it:
        try:
            seq = entry.seq
        except ValueError as exc:
            return fail(Problem.MALFORMED, None, str(exc))
        if seq < expect_seq:
            return fail(Problem.INSERTED, seq, f"seq {seq} again after seq {expect_seq - 1}")
        if seq > expect_seq:
            if entry.prev_mac is not None and not _authentic(hmac_key, entry):
                return fail(Problem.EDITED, seq, f"entry {seq} does not match its MAC")
            missing = range(expect_seq, seq)
            if _any_seq_in(it, missing):
                return fail(
                    Problem.REORDERED,
                    expect_seq,
                    f"seq {seq} where {expect_seq} was expected; it comes later",
                )
            last = f"-{seq - 1}" if seq - 1 > expect_seq else ""
            return fail(Problem.DELETED, expect_seq, f"missing seq {expect_seq}{last}")
        linked = entry.prev_mac if entry.prev_mac is not None else prev_mac
        try:
            good = hmac.compare_digest(entry_mac(hmac_key, linked, entry.fields), entry.mac)
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            return fail(Problem.MALFORMED, seq, f"cannot canonicalise: {exc}")
        if not good:
            following = it.peek()
            if following is not None and _seq_or_none(following) == seq:
                return fail(Problem.INSERTED, seq, f"two entries with seq {seq}; this one forged")
            return fail(Problem.EDITED, seq, f"entry {seq} does not match its MAC")
        if not hmac.compare_digest(linked, prev_mac):
            return fail(
                Problem.INSERTED, seq, f"entry {seq} is authentic but follows another entry"
            )
        prev_mac = entry.mac
        expect_seq += 1
        position += 1
    head = ChainHead(expect_seq - 1, prev_mac) if position else None
    if expected_head is not None:
        if expect_seq - 1 < expected_head.seq:
            return VerifyReport(
                False,
                position,
                Problem.TRUNCATED,
                expect_seq,
                position,
                f"chain ends at seq {expect_seq - 1}, anchor at {expected_head.seq}",
                head,
            )
        # entries past the anchor are fine; the anchored one must be the same entry
        # (checked cheaply only when the chain ends exactly there)
        if expect_seq - 1 == expected_head.seq and not hmac.compare_digest(
            prev_mac, expected_head.mac
        ):
            return VerifyReport(
                False,
                position,
                Problem.EDITED,
                expected_head.seq,
                position - 1,
                "last entry differs from the anchor",
                head,
            )
    return VerifyReport(True, position, head=head)


def _authentic(hmac_key: bytes, entry: Entry) -> bool:
    try:
        mac = entry_mac(hmac_key, entry.prev_mac or GENESIS, entry.fields)
        return hmac.compare_digest(mac, entry.mac)
    except (TypeError, ValueError, UnicodeEncodeError):
        return False


def _seq_or_none(entry: Entry) -> int | None:
    try:
        return entry.seq
    except ValueError:
        return None


def _any_seq_in(entries: Iterator[Entry], wanted: range) -> bool:
    return any(_seq_or_none(e) in wanted for e in entries)


class _Peek(Iterator[Entry]):
    """An iterator with one entry of look-ahead."""

    def __init__(self, it: Iterator[Entry]) -> None:
        self._it = it
        self._next: Entry | None = None
        self._has = False

    def __iter__(self) -> _Peek:
        return self

    def __next__(self) -> Entry:
        if self._has:
            self._has = False
            item = self._next
            self._next = None
            assert item is not None
            return item
        return next(self._it)

    def peek(self) -> Entry | None:
        if not self._has:
            try:
                self._next = next(self._it)
            except StopIteration:
                return None
            self._has = True
        return self._next
