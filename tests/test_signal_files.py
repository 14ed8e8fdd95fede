"""A run's signals files: the profile finds one customer's row in the Arrow lookup and, for
a run written before it existed, in the Parquet file, with the same answer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa

from riskseg.pipeline import write_signals_file
from riskseg.runs import _SIGNAL_FILES


def _signals(n: int) -> pa.Table:
    ids = [f"C{i:05d}" for i in range(1, n + 1)]
    return pa.table(
        {
            "customer_id": ids,
            "as_of": [date(2025, 6, 30)] * n,
            "orders_12m": [i % 7 for i in range(n)],
            "margin_pct": [None if i % 5 == 0 else i / 3 for i in range(n)],
            "abc_class": ["A" if i % 3 else None for i in range(n)],
        }
    )


def test_one_customers_row_comes_from_either_file(tmp_path: Path) -> None:
    table = _signals(5_000)  # three batches of 2,048 rows
    path = tmp_path / "signals.parquet"
    write_signals_file(table, path)
    lookup = path.with_suffix(".arrow")
    assert lookup.is_file()
    rows = table.to_pylist()
    picks = [0, 1, 2047, 2048, 2049, 4095, 4096, 4999]
    from_arrow = [_SIGNAL_FILES.row(str(path), rows[i]["customer_id"]) for i in picks]
    assert from_arrow == [rows[i] for i in picks]
    for missing in ("C00000", "C05001", "B1", "C02048x", ""):
        assert _SIGNAL_FILES.row(str(path), missing) is None, missing
    lookup.unlink()  # a run of before the lookup file: the Parquet row groups answer
    from_parquet = [_SIGNAL_FILES.row(str(path), rows[i]["customer_id"]) for i in picks]
    assert from_parquet == from_arrow
    assert _SIGNAL_FILES.row(str(path), "C05001") is None
