"""``order_days`` stays in step with ``orders`` on every write, and signals agree without it.

The store's purchase days are derived data: after any import (first, repeated, with changed
lines, lines moved to another customer, returns only) the table must equal a rebuild from
``orders``, and the signals read from it must equal the signals derived from ``orders``
directly (the path PostgreSQL and Spark take).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

import riskseg
from conftest import write
from riskseg.signals import compute_signals
from riskseg.store import order_days
from riskseg.store.migrations import MIGRATIONS, migrate

AS_OF = date(2025, 6, 30)
CUSTOMERS = "customer_id,customer_since\nC1,2020-01-01\nC2,2021-05-01\nC3,\nC4,\n"
ORDERS = (
    "order_id,customer_id,order_date,revenue,cost\n"
    "O1,C1,2024-02-01,100,60\n"
    "O1,C1,2024-02-01,50,\n"
    "O2,C1,2024-09-15,80,50\n"
    "O3,C1,2025-03-01,-20,\n"
    "O4,C1,2025-06-01,120,70\n"
    "O5,C2,2024-12-24,300,\n"
    "O6,C2,2025-06-29,45.5,40\n"
    "O7,C3,2025-01-10,-15,\n"
    "O8,C1,2025-07-04,999,1\n"
)
# the same export a week later: a revenue corrected, an order moved from C2 to C4, new lines
ORDERS_AGAIN = (
    "order_id,customer_id,order_date,revenue,cost\n"
    "O1,C1,2024-02-01,100,60\n"
    "O1,C1,2024-02-01,55,\n"
    "O2,C1,2024-09-15,80,50\n"
    "O3,C1,2025-03-01,-20,\n"
    "O4,C1,2025-06-01,120,70\n"
    "O5,C4,2024-12-24,300,\n"
    "O6,C2,2025-06-29,45.5,40\n"
    "O7,C3,2025-01-10,-15,\n"
    "O8,C1,2025-07-04,999,1\n"
    "O9,C3,2025-02-02,10,\n"
    "O10,C2,2025-06-29,5,\n"
)


def _days(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return sorted(con.execute("SELECT * FROM order_days").fetchall(), key=str)


def _rebuilt(store: riskseg.Store) -> list[tuple[Any, ...]]:
    """What a rebuild from ``orders`` gives, without touching the store's table."""
    con = duckdb.connect()
    try:
        arrow = store.con.sql("SELECT * FROM orders").to_arrow_table()
        con.register("src", arrow)
        con.execute("CREATE TABLE orders AS SELECT * FROM src")
        ddl = next(m for m in MIGRATIONS if m.version == 8).sql
        con.execute(ddl)
        order_days.refresh(con)
        return _days(con)
    finally:
        con.close()


def _signals(source: Any) -> dict[str, dict[str, Any]]:
    table = compute_signals(source, as_of=AS_OF, families=["value", "peer"])
    return {r["customer_id"]: r for r in table.to_pylist()}


def _assert_in_step(store: riskseg.Store) -> None:
    assert store.order_days_current()
    assert _days(store.con) == _rebuilt(store)
    # the same rows in a store without purchase days: the signals derive them from orders,
    # as on PostgreSQL and Spark
    with riskseg.Store(":memory:") as bare:
        for name in ("customers", "orders"):
            bare.con.register("rows", store.con.sql(f"SELECT * FROM {name}").to_arrow_table())
            bare.con.execute(f"INSERT INTO {name} SELECT * FROM rows")
            bare.con.unregister("rows")
        assert not bare.order_days_current()
        derived = _signals(bare)
    stored = _signals(store)
    assert stored.keys() == derived.keys()
    for cid, row in stored.items():
        for name, value in row.items():
            other = derived[cid][name]
            if isinstance(value, float) and isinstance(other, float):
                assert value == pytest.approx(other, rel=1e-12), (cid, name)
            else:
                assert value == other, (cid, name)


def test_imports_keep_order_days_in_step(store: riskseg.Store, tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", CUSTOMERS)
    write(tmp_path / "orders.csv", ORDERS)
    riskseg.import_path(store, tmp_path)
    _assert_in_step(store)
    first = _signals(store)
    assert first["C1"]["rfm_frequency"] == 2  # 2024-02-01, 2024-09-15, 2025-06-01
    assert first["C3"]["rfm_frequency"] is None  # a return only: never bought

    riskseg.import_path(store, tmp_path)  # the same files again: nothing changes
    _assert_in_step(store)
    assert _signals(store) == first

    write(tmp_path / "orders.csv", ORDERS_AGAIN)
    report = riskseg.import_path(store, tmp_path / "orders.csv")
    assert report.by_table()["orders"]["updated"] == 2
    _assert_in_step(store)
    again = _signals(store)
    assert again["C2"]["rfm_frequency"] == 0  # O5 moved to C4
    assert again["C4"]["rfm_frequency"] == 0
    assert again["C3"]["rfm_frequency"] == 0
    assert again["C1"]["revenue_24m"] == pytest.approx(155 + 80 - 20 + 120)


def test_rows_written_with_sql_are_noticed(store: riskseg.Store) -> None:
    store.con.execute("INSERT INTO customers (customer_id, _import_id) VALUES ('C1', 0)")
    store.con.execute(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue, line_no, _import_id) "
        "VALUES ('O1', 'C1', DATE '2025-01-02', 10, 1, 0), ('O2', 'C1', DATE '2025-03-04', 4, 1, 0)"
    )
    assert not store.order_days_current()
    # out of step: the signals derive the days from orders and are still right
    assert _signals(store)["C1"]["rfm_monetary_value"] == 4.0
    store.refresh_order_days()
    _assert_in_step(store)


def test_an_older_store_gets_its_purchase_days(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    # a store as riskseg wrote it before migration 8, with orders in it
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description VARCHAR, "
        "applied_at TIMESTAMP)"
    )
    for m in MIGRATIONS:
        if m.version < 8:
            con.execute(m.sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [m.version, "x"])
    con.execute("INSERT INTO customers (customer_id, _import_id) VALUES ('C1', 0)")
    con.execute(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue, line_no, _import_id) "
        "VALUES ('O1', 'C1', DATE '2025-01-02', 10, 1, 0), ('O2', 'C1', DATE '2025-03-04', 4, 1, 0)"
    )
    con.close()
    with riskseg.Store(db) as store:
        assert store.schema_version == MIGRATIONS[-1].version
        _assert_in_step(store)
        assert migrate(store.con) == []
