"""Stores the review tests share: a hand-made one with answers worked out by hand, and a small
demo company with two recorded runs.

Imported by the test modules (a conftest.py here would shadow tests/conftest.py).

The hand-made store (``hand_store``), run 1 as of 2025-06-30 and run 2 as of 2025-12-31:

=========  ======================  ==============  ======================  ==============
customer   run 1 segment           clv / net       run 2 segment           clv / net
=========  ======================  ==============  ======================  ==============
C1         high_value_low_risk     1000 / 800      high_value_high_risk    900 / 600
C2         mid_value_medium_risk   500 / 300       mid_value_low_risk      650 / 450
C3         low_value_high_risk     100 / -50       low_value_high_risk     50 / -100
C4         mid_value_low_risk      - / -           (gone)
C5         (new)                                   mid_value_low_risk      300 / 200
C6         (new)                                   unscored                - / -
P1         prospect                - / -           prospect                - / -
=========  ======================  ==============  ======================  ==============

Customers (prospects not counted): 4, then 5. Equity: run 1 1600 (net 1050), run 2 1900 (net
1150): +300, +18.75 %. C1 got worse (risk low -> high), C2 better (risk medium -> low). Run 2's
open queues: finance C3 900, C1 500; sales C2 200, C2 100 (accepted), C5 50, C6 20; its
control action and its dismissed service action are left out. Names and reasons are what a
hostile export could hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

import riskseg
from riskseg.demo import generate
from riskseg.pipeline import run
from riskseg.playbook.actions import list_actions, record_run, set_status

FIRST, SECOND = date(2025, 6, 30), date(2025, 12, 31)

NAMES = {
    "C1": '=HYPERLINK("http://x","y")',
    "C2": "+1",
    "C3": "-2",
    "C4": "Gone GmbH",
    "C5": "@SUM(A1)",
    "C6": "<script>alert('x')</script>",
    "P1": "Prospect & Söhne",
}
#: the text cells a spreadsheet would run, as the workbook must show them
NEUTRALISED = {'\'=HYPERLINK("http://x","y")', "'+1", "'-2", "'@SUM(A1)"}


def _customers(rows: list[tuple[str, str, str, float | None, float | None]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "status": [r[1] for r in rows],
            "grid_segment": [r[2] for r in rows],
            "clv_12m": pa.array([r[3] for r in rows], pa.float64()),
            "net_clv_12m": pa.array([r[4] for r in rows], pa.float64()),
            "risk_score": [10.0] * len(rows),
            "value_score": [50.0] * len(rows),
            "reasons": [f"reason of {r[0]}" for r in rows],
        }
    )


def _actions(day: date, rows: list[tuple[str, str, str, float, bool]]) -> pa.Table:
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "as_of": pa.array([day] * len(rows), pa.date32()),
            "action": [r[1] for r in rows],
            "owner": [r[2] for r in rows],
            "priority": pa.array([2] * len(rows), pa.int32()),
            "reason": [f"=because {r[0]}" for r in rows],
            "due_date": pa.array([day] * len(rows), pa.date32()),
            "status": ["proposed"] * len(rows),
            "rule": ["r"] * len(rows),
            "expected_impact": pa.array([r[3] for r in rows], pa.float64()),
            "parameters": ["{}"] * len(rows),
            "control": [r[4] for r in rows],
        }
    )


def _record(store: riskseg.Store, day: date, customers: pa.Table, actions: pa.Table) -> int:
    return record_run(
        store,
        as_of=day,
        started_at=datetime.now(UTC).replace(tzinfo=None),
        fingerprint="f",
        config="c",
        customers=customers,
        actions=actions,
    )


def fill_hand_store(store: riskseg.Store, *, second_run: bool = True) -> None:
    """The store of the module docstring (only run 1 with ``second_run=False``)."""
    for cid, name in NAMES.items():
        store.con.execute(
            "INSERT INTO customers (customer_id, name, status, _import_id) VALUES (?, ?, ?, 1)",
            [cid, name, "prospect" if cid.startswith("P") else "active"],
        )
    _record(
        store,
        FIRST,
        _customers(
            [
                ("C1", "active", "high_value_low_risk", 1000.0, 800.0),
                ("C2", "active", "mid_value_medium_risk", 500.0, 300.0),
                ("C3", "active", "low_value_high_risk", 100.0, -50.0),
                ("C4", "active", "mid_value_low_risk", None, None),
                ("P1", "prospect", "prospect", None, None),
            ]
        ),
        _actions(FIRST, [("C1", "retention_outreach", "sales", 10.0, False)]),
    )
    if not second_run:
        return
    _record(
        store,
        SECOND,
        _customers(
            [
                ("C1", "active", "high_value_high_risk", 900.0, 600.0),
                ("C2", "active", "mid_value_low_risk", 650.0, 450.0),
                ("C3", "active", "low_value_high_risk", 50.0, -100.0),
                ("C5", "active", "mid_value_low_risk", 300.0, 200.0),
                ("C6", "active", "unscored", None, None),
                ("P1", "prospect", "prospect", None, None),
            ]
        ),
        _actions(
            SECOND,
            [
                ("C1", "dunning_strict", "finance", 500.0, False),
                ("C3", "require_prepayment", "finance", 900.0, False),
                ("C2", "retention_outreach", "sales", 200.0, False),
                ("C5", "price_increase", "sales", 50.0, False),
                ("C3", "dunning_strict", "finance", 300.0, True),
                ("C5", "reduce_service_level", "service", 10.0, False),
                ("C2", "protect_and_grow", "sales", 100.0, False),
                ("C6", "educate", "sales", 20.0, False),
            ],
        ),
    )
    ids = {
        a: i
        for i, a in store.con.execute(
            "SELECT action_id, action FROM actions WHERE run_id = 2 AND customer_id IN ('C2', 'C5')"
        ).fetchall()
    }
    set_status(store, ids["reduce_service_level"], "dismiss", by="ann", note="not worth it")
    set_status(store, ids["protect_and_grow"], "accept", by="bob")


@pytest.fixture
def hand_store() -> Iterator[riskseg.Store]:
    with riskseg.Store(":memory:") as store:
        fill_hand_store(store)
        yield store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[riskseg.Store]:
    """300 demo customers scored as of 2025-06-30 and 2025-12-31 (scorecard only, no CLV);
    between the two, every first-run retention outreach not held out was carried out, so the
    impact of that action has a treated group."""
    folder = tmp_path_factory.mktemp("review-demo")
    generate(customers=300, seed=3).write(folder, format="parquet")
    with riskseg.Store(str(folder / "demo.duckdb")) as store:
        riskseg.import_path(store, folder)
        run(store, as_of=FIRST, models=False, backtest=False)
        for a in list_actions(store, run_id=1).to_pylist():
            if a["action"] == "retention_outreach":
                set_status(store, a["action_id"], "done", by="sales")
        run(store, as_of=SECOND, models=False, backtest=False)
        yield store


def open_counts(store: riskseg.Store, run_id: int) -> dict[str, int]:
    """Open, non-control actions proposed up to a run per department (the backlog), straight
    from the actions table."""
    rows = store.con.execute(
        "SELECT owner, count(*) FROM actions WHERE run_id <= ? AND NOT control "
        "AND status IN ('proposed', 'accepted') GROUP BY owner",
        [run_id],
    ).fetchall()
    return {str(o): int(n) for o, n in rows}


def all_xlsx_cells(path: Path) -> list[tuple[str, object, str]]:
    """(sheet, value, openpyxl data type) of every cell of a workbook."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    return [
        (sheet.title, cell.value, cell.data_type)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]
