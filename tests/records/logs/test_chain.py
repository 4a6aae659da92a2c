from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785

from records.logs.chain import (
    GENESIS,
    ChainHead,
    Entry,
    Problem,
    canonical,
    entry_mac,
    next_entry,
    utc_iso,
    verify_chain,
)

KEY = os.urandom(32)
T0 = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def fields(i: int) -> dict[str, Any]:
    return {
        "kind": "consent.given" if i % 2 else "consent.withdrawn",
        "actor": f"participant:{i}",
        "subject": "case:42",
        "purpose": "mediation-session",
        "text_version": "confidentiality/fr/3",
        "text_sha256": "ab" * 32,
        "language": "fr",
        "mechanism": "checkbox",
        "at": utc_iso(T0 + timedelta(seconds=i)),
    }


def build(n: int, *, key: bytes = KEY, with_prev: bool = True) -> list[Entry]:
    out: list[Entry] = []
    for i in range(n):
        entry = next_entry(key, out[-1] if out else None, fields(i))
        out.append(entry if with_prev else replace(entry, prev_mac=None))
    return out


def test_entry_mac_definition() -> None:
    f: dict[str, Any] = {"seq": 1, "b": "é", "a": [1, True, None]}
    assert entry_mac(KEY, GENESIS, f) == entry_mac(KEY, GENESIS, dict(reversed(f.items())))
    assert entry_mac(KEY, GENESIS, f) != entry_mac(KEY, "1" * 64, f)
    assert entry_mac(KEY, GENESIS, f) != entry_mac(os.urandom(32), GENESIS, f)
    assert canonical(f) == rfc8785.dumps(f)
    assert len(entry_mac(KEY, GENESIS, f)) == 64


def test_utc_iso() -> None:
    paris = timezone(timedelta(hours=1))
    assert utc_iso(datetime(2026, 1, 1, 13, 0, tzinfo=paris)) == "2026-01-01T12:00:00.000000+00:00"
    with pytest.raises(ValueError):
        utc_iso(datetime(2026, 1, 1))


@pytest.mark.parametrize("with_prev", [True, False])
def test_valid_chain(with_prev: bool) -> None:
    chain = build(50, with_prev=with_prev)
    report = verify_chain(KEY, iter(chain))
    assert report.ok and report.count == 50 and report.problem is None
    assert report.head == ChainHead(50, chain[-1].mac)
    assert verify_chain(KEY, []).ok
    assert verify_chain(KEY, []).count == 0


def test_wrong_key_is_edited_at_first_entry() -> None:
    report = verify_chain(os.urandom(32), build(5))
    assert (report.ok, report.problem, report.seq, report.position) == (
        False,
        Problem.EDITED,
        1,
        0,
    )


@pytest.mark.parametrize("with_prev", [True, False])
@pytest.mark.parametrize("at", [0, 17, 49])
def test_edited(with_prev: bool, at: int) -> None:
    chain = build(50, with_prev=with_prev)
    chain[at] = replace(chain[at], fields={**chain[at].fields, "mechanism": "forged"})
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq, report.position, report.count) == (
        Problem.EDITED,
        at + 1,
        at,
        at,
    )


def test_edited_mac_only() -> None:
    chain = build(10)
    chain[4] = replace(chain[4], mac="f" * 64)
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq) == (Problem.EDITED, 5)


def test_edited_seq_field() -> None:
    chain = build(10)
    chain[4] = replace(chain[4], fields={**chain[4].fields, "seq": 7})
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq) == (Problem.EDITED, 7)


@pytest.mark.parametrize("with_prev", [True, False])
@pytest.mark.parametrize(("start", "stop"), [(0, 1), (20, 21), (20, 25)])
def test_deleted(with_prev: bool, start: int, stop: int) -> None:
    chain = build(50, with_prev=with_prev)
    del chain[start:stop]
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq, report.position) == (Problem.DELETED, start + 1, start)
    assert f"missing seq {start + 1}" in report.detail


@pytest.mark.parametrize("with_prev", [True, False])
def test_reordered(with_prev: bool) -> None:
    chain = build(50, with_prev=with_prev)
    chain[10], chain[11] = chain[11], chain[10]
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq, report.position) == (Problem.REORDERED, 11, 10)
    moved = build(50, with_prev=with_prev)
    moved.insert(40, moved.pop(10))  # seq 11 moved far later
    report = verify_chain(KEY, moved)
    assert (report.problem, report.seq, report.position) == (Problem.REORDERED, 11, 10)


@pytest.mark.parametrize("with_prev", [True, False])
def test_inserted_duplicate_seq_after(with_prev: bool) -> None:
    chain = build(20, with_prev=with_prev)
    forged = Entry({**chain[5].fields, "actor": "intruder"}, "0" * 64, chain[5].prev_mac)
    chain.insert(6, forged)  # after the real seq 6
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq, report.position) == (Problem.INSERTED, 6, 6)


@pytest.mark.parametrize("with_prev", [True, False])
def test_inserted_duplicate_seq_before(with_prev: bool) -> None:
    chain = build(20, with_prev=with_prev)
    forged = Entry({**chain[5].fields, "actor": "intruder"}, "0" * 64, chain[5].prev_mac)
    chain.insert(5, forged)  # before the real seq 6
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq, report.position) == (Problem.INSERTED, 6, 5)


def test_inserted_replayed_entry() -> None:
    chain = build(20)
    chain.insert(12, chain[3])  # an authentic entry copied again
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq, report.position) == (Problem.INSERTED, 4, 12)


def test_inserted_authentic_entry_from_another_chain() -> None:
    # same key, another case's log: each entry is authentic, but linked elsewhere
    chain = build(10)
    other = [next_entry(KEY, None, {"kind": "other-case"})]
    other.append(next_entry(KEY, other[0], {"kind": "other-case"}))
    chain[1] = other[1]  # seq 2 of another chain
    report = verify_chain(KEY, chain)
    assert (report.problem, report.seq, report.position) == (Problem.INSERTED, 2, 1)


def test_truncated_tail_caught_by_anchor() -> None:
    chain = build(30)
    anchor = ChainHead(30, chain[-1].mac)
    assert verify_chain(KEY, chain, expected_head=anchor).ok
    report = verify_chain(KEY, chain[:27], expected_head=anchor)
    assert (report.problem, report.seq, report.count) == (Problem.TRUNCATED, 28, 27)
    assert verify_chain(KEY, chain[:27]).ok  # without an anchor: undetectable
    # entries appended after the anchor was taken are fine
    assert verify_chain(KEY, chain, expected_head=ChainHead(20, chain[19].mac)).ok


def test_verify_from_checkpoint_after_purge() -> None:
    chain = build(30)
    rest = chain[10:]
    assert not verify_chain(KEY, rest).ok
    report = verify_chain(KEY, rest, start_seq=11, start_prev=chain[9].mac)
    assert report.ok and report.count == 20


def test_malformed_entries() -> None:
    chain = build(5)
    chain[2] = Entry({"kind": "no seq"}, "0" * 64)
    report = verify_chain(KEY, chain)
    assert (report.problem, report.position) == (Problem.MALFORMED, 2)
    bad = build(3)
    bad[1] = replace(bad[1], fields={**bad[1].fields, "weird": {1, 2}})
    assert verify_chain(KEY, bad).problem is Problem.MALFORMED


def test_next_entry_rejects_seq() -> None:
    with pytest.raises(ValueError):
        next_entry(KEY, None, {"seq": 3})
    head = ChainHead(41, "a" * 64)
    entry = next_entry(KEY, head, {"kind": "x"})
    assert entry.seq == 42 and entry.prev_mac == "a" * 64
