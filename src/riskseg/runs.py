"""The history of runs: which customers moved between segments, and who got worse.

Each run stores its customers' segments (``run_customers``), so migration is a comparison of a
run with the run before it (the latest earlier ``as_of``): a transition table of the value x
risk grid (how many customers went from each cell to each cell) and the list of customers
that moved to a worse cell, with their scores and reasons, for the monthly review.
"""

from __future__ import annotations

import bisect
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from riskseg.store.store import Store

_VALUE = {"high": 0, "mid": 1, "low": 2}
_RISK = {"low": 0, "medium": 1, "high": 2}


def badness(cell: str | None) -> int | None:
    """How bad a grid cell is: risk first, then value (``high_value_low_risk`` = 0).

    >>> badness("high_value_low_risk"), badness("low_value_high_risk"), badness("prospect")
    (0, 8, None)
    """
    if not cell or "_value_" not in cell:
        return None
    value, _, risk = cell.removesuffix("_risk").partition("_value_")
    if value not in _VALUE or risk not in _RISK:
        return None
    return 3 * _RISK[risk] + _VALUE[value]


def _badness_sql(column: str) -> str:
    """:func:`badness` as a SQL expression over ``column`` (NULL outside the grid)."""
    cases = " ".join(
        f"WHEN '{value}_value_{risk}_risk' THEN {3 * r + v}"
        for value, v in _VALUE.items()
        for risk, r in _RISK.items()
    )
    return f"CASE {column} {cases} END"


@dataclass(frozen=True)
class Migration:
    """Segment movement between ``previous_run`` and ``run``."""

    run: int
    previous_run: int | None
    #: from_segment, to_segment, customers
    transitions: pa.Table
    #: customers that moved to a worse grid cell, worst move first
    movers: pa.Table
    #: customers that moved to a better grid cell, biggest move first (same columns)
    improvers: pa.Table


def latest_run(store: Store) -> dict[str, Any] | None:
    """The run the portfolio is read from: the latest ``as_of``, then the latest run of it.

    >>> with Store(":memory:") as store:
    ...     latest_run(store) is None
    True
    """
    rows = store.con.execute(
        "SELECT run_id, as_of FROM runs ORDER BY as_of DESC, run_id DESC LIMIT 1"
    ).fetchall()
    return {"run_id": int(rows[0][0]), "as_of": rows[0][1]} if rows else None


def run_details(store: Store, run_id: int) -> dict[str, Any] | None:
    """What a run's probabilities rested on, as the run stored it (``None`` before 0.1's
    migration 5 or for a dry run): ``basis`` per probability, ``notes`` and ``backtest`` —
    ``{"as_of", "results": [{"target", "model": {"auc", "pr_auc", "top_decile_lift",
    "brier"} | None, "baselines": {name: metrics}, "calibration": [{"mean_predicted",
    "observed_rate", "count"}], "fallback", "n_test", "n_test_events", ...}]}`` or ``None``
    when the run was not backtested.

    >>> with Store(":memory:") as store:
    ...     run_details(store, 1) is None
    True
    """
    rows = store.con.execute(
        "SELECT details FROM run_details WHERE run_id = ?", [run_id]
    ).fetchall()
    return dict(json.loads(rows[0][0])) if rows else None


def customer_signals(store: Store, run_id: int, customer_id: str) -> dict[str, Any] | None:
    """One customer's signals as of a run, from the ``signals.parquet`` the run wrote.

    ``None`` when the run wrote no files or the file has moved since; each signal's meaning,
    unit and family are in :data:`riskseg.signals.registry.REGISTRY`.

    >>> with Store(":memory:") as store:
    ...     customer_signals(store, 1, "C1") is None
    True
    """
    path = _SIGNAL_FILES.path_of(store, run_id)
    if not path or not Path(path).is_file():
        return None
    return _SIGNAL_FILES.row(path, customer_id)


class _SignalFiles:
    """Open signals files, each read once for its layout; one customer's row per call.

    The files are sorted by customer (:func:`riskseg.pipeline.write_signals_file`), so a
    customer's row is in the one batch (Arrow) or row group (Parquet) whose id range holds
    it. The Arrow file beside the Parquet one is mapped into memory and its batch sliced;
    without it (a run of riskseg 0.1 before it was written) the Parquet row group is read,
    an order of magnitude slower (``make bench-api`` measures both).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: path -> (mtime, reader: Arrow file reader or Parquet metadata, lows, highs)
        self._open: dict[str, tuple[float, Any, list[str], list[str]]] = {}
        #: (store file, run) -> its signals file: a recorded run's details do not change
        self._paths: dict[tuple[str, int], str] = {}

    def path_of(self, store: Store, run_id: int) -> str | None:
        """The run's signals file as its details name it (kept once found; ':memory:' stores
        are asked every time, as two of them share the name)."""
        key = (store.path, run_id)
        found = self._paths.get(key)
        if found is None:
            details = run_details(store, run_id) or {}
            found = details.get("signals_file")
            if found is None:
                return None
            found = str(found)
            if store.path != ":memory:":
                with self._lock:
                    if len(self._paths) > 10_000:
                        self._paths.clear()
                    self._paths[key] = found
        return found

    def _get(self, path: str) -> tuple[Any, list[str], list[str]]:
        mtime = Path(path).stat().st_mtime
        with self._lock:
            found = self._open.get(path)
            if found is None or found[0] != mtime:
                reader, lows, highs = (
                    _arrow_layout(path) if path.endswith(".arrow") else _parquet_layout(path)
                )
                found = self._open[path] = (mtime, reader, lows, highs)
        return found[1], found[2], found[3]

    def row(self, path: str, customer_id: str) -> dict[str, Any] | None:
        import pyarrow.parquet as pq

        lookup = str(Path(path).with_suffix(".arrow"))
        if Path(lookup).is_file():
            path = lookup
        reader, lows, highs = self._get(path)
        group = bisect.bisect_right(lows, customer_id) - 1
        if group < 0 or customer_id > highs[group]:
            return None
        if path.endswith(".arrow"):
            rows = reader.get_batch(group)  # zero-copy from the mapped file
        else:
            # a reader of its own per call (the footer is shared): readers are not thread-safe
            parquet = pq.ParquetFile(path, metadata=reader)
            whole = len(lows) != reader.num_row_groups
            rows = parquet.read() if whole else parquet.read_row_group(group)
        at = pc.index(rows.column("customer_id"), customer_id).as_py()
        return None if at < 0 else rows.slice(at, 1).to_pylist()[0]


def _arrow_layout(path: str) -> tuple[Any, list[str], list[str]]:
    """An Arrow signals file mapped into memory, and the first and last id of each batch."""
    reader = pa.ipc.open_file(pa.memory_map(path))
    lows, highs = [], []
    for i in range(reader.num_record_batches):
        ids = reader.get_batch(i).column("customer_id")
        lows.append(str(ids[0]) if len(ids) else "\U0010ffff")
        highs.append(str(ids[len(ids) - 1]) if len(ids) else "")
    return reader, lows, highs


def _parquet_layout(path: str) -> tuple[Any, list[str], list[str]]:
    """A Parquet signals file's footer and each row group's id range (one range when the
    file has no statistics: written elsewhere)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    column = meta.schema.to_arrow_schema().get_field_index("customer_id")
    lows, highs = [], []
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(column).statistics
        if stats is None or not stats.has_min_max:
            return meta, [""], ["\U0010ffff"]
        lows.append(str(stats.min))
        highs.append(str(stats.max))
    return meta, lows, highs


_SIGNAL_FILES = _SignalFiles()


def previous_run(store: Store, run_id: int) -> int | None:
    """The run before ``run_id``: the latest one with an earlier as_of (ties: lower id)."""
    rows = store.con.execute(
        """
        SELECT p.run_id FROM runs AS r JOIN runs AS p
          ON p.as_of < r.as_of OR (p.as_of = r.as_of AND p.run_id < r.run_id)
        WHERE r.run_id = ? ORDER BY p.as_of DESC, p.run_id DESC LIMIT 1
        """,
        [run_id],
    ).fetchall()
    return int(rows[0][0]) if rows else None


def segment_migration(store: Store, run_id: int) -> Migration:
    """How customers moved in the value x risk grid since the previous run."""
    before = previous_run(store, run_id)
    empty_t = pa.table(
        {
            "from_segment": pa.array([], pa.string()),
            "to_segment": pa.array([], pa.string()),
            "customers": pa.array([], pa.int64()),
        }
    )
    if before is None:
        movers = pa.table({"customer_id": pa.array([], pa.string())})
        return Migration(run_id, None, empty_t, movers, movers)
    transitions: pa.Table = store.con.sql(
        """
        SELECT coalesce(p.grid_segment, 'new') AS from_segment,
               coalesce(c.grid_segment, 'gone') AS to_segment, count(*) AS customers
        FROM (SELECT * FROM run_customers WHERE run_id = $now) AS c
        FULL JOIN (SELECT * FROM run_customers WHERE run_id = $before) AS p
          ON p.customer_id = c.customer_id
        GROUP BY ALL ORDER BY customers DESC, from_segment, to_segment
        """,
        params={"now": run_id, "before": before},
    ).to_arrow_table()
    # who moved up or down the grid, the biggest move first, in SQL: at 1M customers a tenth
    # of them changing cells is 100k rows a Python loop would walk
    bad = _badness_sql("{}")
    moved = store.con.sql(
        f"""
        SELECT customer_id, from_segment, to_segment, risk_before, risk_now, value_before,
               value_now, reasons, bad_now > bad_before AS worse
        FROM (
            SELECT c.customer_id, p.grid_segment AS from_segment, c.grid_segment AS to_segment,
                   p.risk_score AS risk_before, c.risk_score AS risk_now,
                   p.value_score AS value_before, c.value_score AS value_now, c.reasons,
                   {bad.format("p.grid_segment")} AS bad_before,
                   {bad.format("c.grid_segment")} AS bad_now
            FROM run_customers AS c JOIN run_customers AS p
              ON p.customer_id = c.customer_id AND p.run_id = $before
            WHERE c.run_id = $now AND c.grid_segment IS DISTINCT FROM p.grid_segment
        )
        WHERE bad_now <> bad_before
        ORDER BY abs(bad_now - bad_before) DESC, customer_id
        """,
        params={"now": run_id, "before": before},
    ).to_arrow_table()
    worse = moved.column("worse")
    moved = moved.drop_columns(["worse"])
    movers, improvers = moved.filter(worse), moved.filter(pc.invert(worse))
    return Migration(run_id, before, transitions, movers, improvers)
