"""Practice statistics over closed cases, with k-anonymity.

Counts per dimension and cross-tabulations of two dimensions. No published
cell describes fewer than ``k`` cases (default 5):

* one dimension: values seen fewer than ``k`` times are merged into
  ``"other"``; if ``"other"`` would still be under ``k``, the smallest
  remaining values join it until it is not. Nothing can be recovered by
  subtracting from the total, since every published figure is 0 or >= k.
  With fewer than ``k`` cases in all, every figure is suppressed.
* two dimensions: each dimension is first recoded as above; then cells
  under ``k`` are suppressed (primary), and more cells are suppressed
  (secondary) until, in every row and every column whose total is
  published, the suppressed cells add up to 0 or to at least ``k`` - so no
  suppressed figure can be recovered from a margin.

Every table says which cells were merged or suppressed, and serialises to
JSON-ready dicts and CSV.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

OTHER = "other"
DEFAULT_K = 5

DIMENSIONS = ("mediation_type", "outcome", "referral", "sessions", "duration", "region")


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What the statistics keep of a closed case (already free of identities)."""

    mediation_type: str
    outcome: str
    referral: str
    sessions: int
    duration_days: int
    region: str

    def __post_init__(self) -> None:
        if self.sessions < 0 or self.duration_days < 0:
            raise ValueError("sessions and duration must not be negative")


def sessions_band(sessions: int) -> str:
    if sessions < 0:
        raise ValueError("negative number of sessions")
    if sessions <= 2:
        return str(sessions)
    return "3-4" if sessions <= 4 else "5+"


def duration_band(days: int) -> str:
    """Duration from opening to closing: "<1m", "1-3m", "3-6m", "6-12m", "12m+"."""
    if days < 0:
        raise ValueError("negative duration")
    for limit, label in ((30, "<1m"), (91, "1-3m"), (182, "3-6m"), (365, "6-12m")):
        if days < limit:
            return label
    return "12m+"


def value_of(record: CaseRecord, dimension: str) -> str:
    if dimension == "sessions":
        return sessions_band(record.sessions)
    if dimension == "duration":
        return duration_band(record.duration_days)
    if dimension in ("mediation_type", "outcome", "referral", "region"):
        value: str = getattr(record, dimension)
        return value
    raise ValueError(f"unknown dimension {dimension!r}; expected one of {DIMENSIONS}")


def _check_dimension(dimension: str) -> None:
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {DIMENSIONS}")


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")


def merge_rare(counts: Counter[str], k: int) -> tuple[dict[str, int], tuple[str, ...]]:
    """Published counts (rare values merged into OTHER) and the merged values."""
    _check_k(k)
    ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
    merged = [value for value, count in ordered if count < k]
    kept = [(value, count) for value, count in ordered if count >= k]
    other = sum(counts[v] for v in merged)
    while 0 < other < k and kept:
        value, count = kept.pop(0)
        merged.append(value)
        other += count
    published = {value: count for value, count in sorted(kept, key=lambda kv: kv[0])}
    if other:
        published[OTHER] = other
    return published, tuple(sorted(merged))


@dataclass(frozen=True, slots=True)
class CountTable:
    dimension: str
    k: int
    total: int | None
    counts: dict[str, int]
    merged_into_other: tuple[str, ...]
    suppressed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "k": self.k,
            "total": self.total,
            "counts": dict(self.counts),
            "merged_into_other": list(self.merged_into_other),
            "suppressed": self.suppressed,
        }

    def csv_rows(self) -> list[list[str]]:
        rows = [[self.dimension, value, "", str(n), ""] for value, n in self.counts.items()]
        rows += [[self.dimension, v, "", "", "merged_into_other"] for v in self.merged_into_other]
        if self.suppressed:
            rows.append([self.dimension, "*", "", "", "suppressed_total_below_k"])
        return rows


def count_table(records: Sequence[CaseRecord], dimension: str, k: int = DEFAULT_K) -> CountTable:
    _check_dimension(dimension)
    return values_table(dimension, [value_of(r, dimension) for r in records], k)


def values_table(dimension: str, values: Sequence[str], k: int = DEFAULT_K) -> CountTable:
    """The k-anonymous counts of ``values`` (one per record) under the name ``dimension``:
    the one rule for every count table, of cases or of survey answers."""
    _check_k(k)
    counts = Counter(values)
    if len(values) < k:
        return CountTable(dimension, k, None, {}, tuple(sorted(counts)), True)
    published, merged = merge_rare(counts, k)
    return CountTable(dimension, k, len(values), published, merged, False)


@dataclass(frozen=True, slots=True)
class SuppressedCell:
    row: str
    column: str
    reason: str  # "primary" (under k) or "secondary" (protects a margin)


@dataclass(frozen=True, slots=True)
class CrossTable:
    rows_dimension: str
    columns_dimension: str
    k: int
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[tuple[str, str], int | None]
    row_totals: dict[str, int | None]
    column_totals: dict[str, int | None]
    total: int | None
    merged_into_other: dict[str, tuple[str, ...]]
    suppressed: tuple[SuppressedCell, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_dimension": self.rows_dimension,
            "columns_dimension": self.columns_dimension,
            "k": self.k,
            "rows": list(self.rows),
            "columns": list(self.columns),
            "cells": [
                {"row": r, "column": c, "count": self.cells[(r, c)]}
                for r in self.rows
                for c in self.columns
            ],
            "row_totals": dict(self.row_totals),
            "column_totals": dict(self.column_totals),
            "total": self.total,
            "merged_into_other": {d: list(v) for d, v in self.merged_into_other.items()},
            "suppressed": [
                {"row": s.row, "column": s.column, "reason": s.reason} for s in self.suppressed
            ],
        }

    def csv_rows(self) -> list[list[str]]:
        name = f"{self.rows_dimension} x {self.columns_dimension}"
        reasons = {(s.row, s.column): s.reason for s in self.suppressed}
        out = []
        for (r, c), n in self.cells.items():
            out.append([name, r, c, "" if n is None else str(n), reasons.get((r, c), "")])
        for r, n in self.row_totals.items():
            out.append([name, r, "*", "" if n is None else str(n), ""])
        for c, n in self.column_totals.items():
            out.append([name, "*", c, "" if n is None else str(n), ""])
        out.append([name, "*", "*", "" if self.total is None else str(self.total), ""])
        return out


def _recode(
    records: Sequence[CaseRecord], dimension: str, k: int
) -> tuple[list[str], tuple[str, ...]]:
    values = [value_of(r, dimension) for r in records]
    _, merged = merge_rare(Counter(values), k)
    merged_set = set(merged)
    return [OTHER if v in merged_set else v for v in values], merged


def cross_table(
    records: Sequence[CaseRecord], rows_dimension: str, columns_dimension: str, k: int = DEFAULT_K
) -> CrossTable:
    _check_k(k)
    _check_dimension(rows_dimension)
    _check_dimension(columns_dimension)
    if rows_dimension == columns_dimension:
        raise ValueError("a cross-table needs two different dimensions")
    row_values, row_merged = _recode(records, rows_dimension, k)
    col_values, col_merged = _recode(records, columns_dimension, k)
    rows = tuple(sorted(set(row_values)))
    columns = tuple(sorted(set(col_values)))
    counts = Counter(zip(row_values, col_values, strict=True))
    merged = {rows_dimension: row_merged, columns_dimension: col_merged}
    if len(records) < k:
        empty: dict[tuple[str, str], int | None] = {(r, c): None for r in rows for c in columns}
        return CrossTable(
            rows_dimension, columns_dimension, k, rows, columns, empty,
            dict.fromkeys(rows), dict.fromkeys(columns), None, merged,
            tuple(SuppressedCell(r, c, "primary") for r, c in empty),
        )  # fmt: skip
    reasons: dict[tuple[str, str], str] = {
        cell: "primary" for cell, n in counts.items() if 0 < n < k
    }
    lines = [[(r, c) for c in columns] for r in rows] + [[(r, c) for r in rows] for c in columns]
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = sum(counts[cell] for cell in line if cell in reasons)
            if 0 < hidden < k:
                open_cells = [cell for cell in line if cell not in reasons and counts[cell] > 0]
                smallest = min(open_cells, key=lambda cell: (counts[cell], cell))
                reasons[smallest] = "secondary"
                changed = True
    cells: dict[tuple[str, str], int | None] = {
        (r, c): None if (r, c) in reasons else counts[(r, c)] for r in rows for c in columns
    }
    row_totals: dict[str, int | None] = {r: sum(counts[(r, c)] for c in columns) for r in rows}
    column_totals: dict[str, int | None] = {c: sum(counts[(r, c)] for r in rows) for c in columns}
    suppressed = tuple(SuppressedCell(r, c, reasons[(r, c)]) for r, c in sorted(reasons))
    return CrossTable(
        rows_dimension, columns_dimension, k, rows, columns, cells, row_totals,
        column_totals, len(records), merged, suppressed,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Report:
    k: int
    tables: tuple[CountTable, ...]
    cross_tables: tuple[CrossTable, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "tables": [t.to_dict() for t in self.tables],
            "cross_tables": [t.to_dict() for t in self.cross_tables],
        }

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["table", "row", "column", "count", "note"])
        for table in self.tables:
            writer.writerows(table.csv_rows())
        for cross in self.cross_tables:
            writer.writerows(cross.csv_rows())
        return buffer.getvalue()


def practice_report(
    records: Iterable[CaseRecord],
    k: int = DEFAULT_K,
    dimensions: Sequence[str] = DIMENSIONS,
    crosses: Sequence[tuple[str, str]] = (("mediation_type", "outcome"), ("region", "outcome")),
) -> Report:
    """Counts for each dimension and the chosen cross-tables, all k-anonymous."""
    _check_k(k)
    items = list(records)
    return Report(
        k,
        tuple(count_table(items, d, k) for d in dimensions),
        tuple(cross_table(items, a, b, k) for a, b in crosses),
    )
