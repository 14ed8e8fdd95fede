"""The store: migrations produce exactly the contract, reopen safely, and refuse the future."""

from __future__ import annotations

from pathlib import Path

import pytest

import riskseg
from riskseg.contract import SQL_TYPES, TABLES
from riskseg.store.migrations import MIGRATIONS, current_version


def test_migrated_schema_is_the_contract(tmp_path: Path) -> None:
    with riskseg.Store(tmp_path / "s.duckdb") as store:
        for name, table in TABLES.items():
            cols = store.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [name],
            ).fetchall()
            expected = [(c.name, SQL_TYPES[c.type]) for c in table.stored_columns]
            assert cols[: len(expected)] == expected, name
            assert [c for c, _ in cols[len(expected) :]] == ["_import_id", "_line"]
        assert store.schema_version == MIGRATIONS[-1].version


def test_reopening_applies_nothing_and_keeps_data(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    with riskseg.Store(db) as store:
        riskseg.import_path(store, tmp_path / "customers.csv")
    with riskseg.Store(db) as store:
        assert store.count("customers") == 1
        rows = store.con.execute("SELECT count(*) FROM schema_migrations").fetchone()
        assert rows == (len(MIGRATIONS),)


def test_a_store_from_a_newer_riskseg_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with riskseg.Store(db) as store:
        store.con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
        assert current_version(store.con) == 999
    with pytest.raises(riskseg.StoreError, match="newer riskseg"):
        riskseg.Store(db)


def test_status_reports_periods_and_uncovered_families(
    store: riskseg.Store, tmp_path: Path
) -> None:
    (tmp_path / "customers.csv").write_text(
        "customer_id,customer_since\nC1,2020-01-01\nC2,2022-06-30\n"
    )
    (tmp_path / "invoices.csv").write_text(
        "invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,5\n"
    )
    riskseg.import_path(store, tmp_path)
    st = store.status()
    customers = next(t for t in st.tables if t.table == "customers")
    assert (customers.rows, str(customers.first), str(customers.last)) == (
        2,
        "2020-01-01",
        "2022-06-30",
    )
    assert st.families["payment"] is True and st.families["value"] is False
    assert st.as_dict()["tables"]["invoices"]["imports"] == 1


def test_unknown_table_names_are_input_errors(store: riskseg.Store) -> None:
    with pytest.raises(riskseg.InputError, match="unknown table 'facturen'"):
        store.count("facturen")
