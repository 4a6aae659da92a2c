"""k-anonymity of the practice statistics, on generated closed cases."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter

import pytest

from records.anonymise.stats import (
    DIMENSIONS,
    OTHER,
    CaseRecord,
    CrossTable,
    count_table,
    cross_table,
    duration_band,
    merge_rare,
    practice_report,
    sessions_band,
    values_table,
)

TYPES = ["familiale", "voisinage", "travail", "consommation", "commerciale", "judiciaire"]
OUTCOMES = ["accord", "accord partiel", "pas d'accord", "abandon"]
REFERRALS = ["spontanée", "judiciaire", "avocat", "association"]
REGIONS = ["Île-de-France", "Bretagne", "Corse", "Occitanie", "Grand Est", "Normandie"]


def generate(n: int, seed: int) -> list[CaseRecord]:
    rnd = random.Random(seed)
    # skewed choices so that some cells are rare
    return [
        CaseRecord(
            rnd.choices(TYPES, weights=[40, 25, 15, 10, 6, 4])[0],
            rnd.choices(OUTCOMES, weights=[50, 20, 25, 5])[0],
            rnd.choices(REFERRALS, weights=[60, 25, 12, 3])[0],
            rnd.randint(1, 8),
            rnd.randint(1, 500),
            rnd.choices(REGIONS, weights=[50, 20, 2, 15, 10, 3])[0],
        )
        for _ in range(n)
    ]


def check_cross(table: CrossTable, k: int, records: list[CaseRecord]) -> None:
    for count in table.cells.values():
        assert count is None or count == 0 or count >= k
    for total in (*table.row_totals.values(), *table.column_totals.values(), table.total):
        assert total is None or total == 0 or total >= k
    # recompute true counts to check that hidden cells can't be recovered from margins
    true = Counter(
        (cell_row, cell_col)
        for cell_row, cell_col in zip(
            _recoded(records, table.rows_dimension, table),
            _recoded(records, table.columns_dimension, table),
            strict=True,
        )
    )
    lines = [[(r, c) for c in table.columns] for r in table.rows]
    lines += [[(r, c) for r in table.rows] for c in table.columns]
    for line in lines:
        hidden = sum(true[cell] for cell in line if table.cells[cell] is None)
        assert hidden == 0 or hidden >= k, line
    reasons = {(s.row, s.column) for s in table.suppressed}
    assert reasons == {cell for cell, n in table.cells.items() if n is None}


def _recoded(records: list[CaseRecord], dimension: str, table: CrossTable) -> list[str]:
    from records.anonymise.stats import value_of

    merged = set(table.merged_into_other[dimension])
    return [OTHER if value_of(r, dimension) in merged else value_of(r, dimension) for r in records]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [3, 5, 10])
def test_no_published_cell_below_k(seed: int, k: int) -> None:
    records = generate(random.Random(seed).randint(20, 400), seed)
    report = practice_report(
        records,
        k=k,
        crosses=[("mediation_type", "outcome"), ("region", "referral"), ("sessions", "duration")],
    )
    for table in report.tables:
        for count in table.counts.values():
            assert count >= k
        if table.merged_into_other:
            assert table.counts[OTHER] >= k
        assert sum(table.counts.values()) == len(records)
    for cross in report.cross_tables:
        check_cross(cross, k, records)
    json.dumps(report.to_dict())
    rows = list(csv.reader(io.StringIO(report.to_csv())))
    assert rows[0] == ["table", "row", "column", "count", "note"]
    for row in rows[1:]:
        assert row[3] == "" or int(row[3]) == 0 or int(row[3]) >= k


def test_merge_rare_adds_the_smallest_until_other_reaches_k() -> None:
    published, merged = merge_rare(Counter({"a": 50, "b": 7, "c": 6, "d": 2}), 5)
    assert merged == ("c", "d")
    assert published == {"a": 50, "b": 7, OTHER: 8}
    published, merged = merge_rare(Counter({"a": 50, "b": 7}), 5)
    assert merged == () and OTHER not in published


def test_small_populations_are_suppressed() -> None:
    records = generate(4, 1)
    table = count_table(records, "region", k=5)
    assert table.suppressed and table.total is None and table.counts == {}
    cross = cross_table(records, "region", "outcome", k=5)
    assert cross.total is None
    assert all(v is None for v in cross.cells.values())


def test_suppression_is_reported() -> None:
    records = [CaseRecord("familiale", "accord", "spontanée", 2, 40, "Bretagne")] * 20
    records += [CaseRecord("familiale", "abandon", "spontanée", 2, 40, "Bretagne")] * 2
    records += [CaseRecord("travail", "accord", "avocat", 3, 100, "Corse")] * 8
    records += [CaseRecord("travail", "abandon", "avocat", 3, 100, "Corse")] * 6
    cross = cross_table(records, "mediation_type", "outcome", k=5)
    primary = [s for s in cross.suppressed if s.reason == "primary"]
    assert [(s.row, s.column) for s in primary] == [("familiale", "abandon")]
    secondary = {(s.row, s.column) for s in cross.suppressed if s.reason == "secondary"}
    assert secondary  # the lone primary cell would be recoverable from its margins otherwise
    check_cross(cross, 5, records)


def test_bands_and_validation() -> None:
    assert [sessions_band(n) for n in (0, 1, 2, 3, 4, 5, 12)] == [
        "0", "1", "2", "3-4", "3-4", "5+", "5+",
    ]  # fmt: skip
    assert [duration_band(d) for d in (0, 29, 30, 90, 91, 181, 182, 364, 365)] == [
        "<1m", "<1m", "1-3m", "1-3m", "3-6m", "3-6m", "6-12m", "6-12m", "12m+",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        CaseRecord("x", "y", "z", -1, 3, "r")
    with pytest.raises(ValueError):
        count_table([], "colour")
    with pytest.raises(ValueError):
        count_table([], "region", k=0)
    with pytest.raises(ValueError):
        cross_table([], "region", "region")
    assert set(DIMENSIONS) == {
        "mediation_type",
        "outcome",
        "referral",
        "sessions",
        "duration",
        "region",
    }


def test_values_table_is_the_one_rule_for_any_count() -> None:
    """Survey answers are counted by the same rule as cases: merged under k, all
    suppressed when there are fewer than k values."""
    table = values_table("heard", ["5", "5", "4", "2"], k=2)
    assert table.counts == {"5": 2, OTHER: 2} and table.merged_into_other == ("2", "4")
    assert table.total == 4 and not table.suppressed
    few = values_table("heard", ["5"], k=2)
    assert few.suppressed and few.counts == {} and few.total is None
    with pytest.raises(ValueError):
        values_table("heard", ["5"], k=0)
