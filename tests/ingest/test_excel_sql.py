"""Excel workbooks (sheet per table, title rows) and SQL sources (PostgreSQL, SQLite)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import riskseg
from conftest import write


def _workbook(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "customers"
    ws.append(["Customer list per 31-12-2024"])
    ws.merge_cells("A1:C1")
    ws.append([])
    ws.append(["customer_id", "name", "credit_limit"])
    ws.append(["C1", "Acme BV", 10000])
    ws.append(["C2", "Beta GmbH", 2500.5])
    inv = wb.create_sheet("invoices")
    inv.append(["Open items", None, None, None, None])
    inv.merge_cells("A1:E1")
    inv.append(["invoice_id", "customer_id", "issue_date", "due_date", "amount"])
    inv.append(["I1", "C1", dt.date(2024, 1, 1), dt.date(2024, 1, 31), 100.25])
    inv.append(["I2", "C2", dt.datetime(2024, 2, 1), dt.date(2024, 2, 15), "n/a"])
    inv.append([1001, "C1", dt.date(2024, 3, 1), dt.date(2024, 3, 31), 7])
    wb.create_sheet("Notes").append(["not a table"])
    wb.save(path)
    return path


def test_excel_sheet_per_table_with_title_rows(store: riskseg.Store, tmp_path: Path) -> None:
    book = _workbook(tmp_path / "export.xlsx")
    report = riskseg.import_path(store, book)
    counts = report.by_table()
    assert counts["customers"]["stored"] == 2
    assert (counts["invoices"]["read"], counts["invoices"]["stored"]) == (3, 2)
    [bad] = store.quarantine("invoices")
    assert (
        bad["line"] == 4 and bad["column"] == "amount" and "'n/a' is not a number" in bad["reason"]
    )
    assert bad["source"].endswith("export.xlsx [invoices]")
    ids = sorted(store.table("invoices").column("invoice_id").to_pylist())
    assert ids == ["1001", "I1"]  # a numeric id cell is text, not 1001.0
    notes = " ".join(n for s in report.sources for n in s.notes)
    assert "title row" in notes


def test_excel_sheet_named_in_mapping(store: riskseg.Store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Klanten"
    ws.append(["Klantnummer", "Naam"])
    ws.append(["K1", "Bakkerij de Vries"])
    wb.save(tmp_path / "Debiteuren.xlsx")
    mapping = write(
        tmp_path / "m.yaml",
        "tables:\n  customers:\n    source: Debiteuren.xlsx\n"
        "    sheet: Klanten\n    columns: {Klantnummer: customer_id, Naam: name}\n",
    )
    assert riskseg.import_path(store, mapping=mapping).exit_code == 0
    assert store.table("customers").column("name").to_pylist() == ["Bakkerij de Vries"]


def test_sqlite_database_tables_named_after_the_contract(
    store: riskseg.Store, tmp_path: Path
) -> None:
    db = tmp_path / "erp.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE customers (customer_id TEXT, name TEXT, credit_limit REAL)")
    con.executemany(
        "INSERT INTO customers VALUES (?, ?, ?)", [("C1", "Acme", 100.0), ("C2", "Beta", None)]
    )
    con.execute("CREATE TABLE ledger (x INTEGER)")
    con.commit()
    con.close()
    report = riskseg.import_path(store, f"sqlite:///{db}")
    assert report.by_table()["customers"] == {
        "read": 2,
        "stored": 2,
        "quarantined": 0,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "merged": 0,
    }


@pytest.mark.postgres
def test_postgresql_query_and_tables(
    store: riskseg.Store, pg_schema: tuple[str, str], tmp_path: Path
) -> None:
    import psycopg
    from psycopg import sql

    url, schema = pg_schema
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        pg.execute(
            "CREATE TABLE customers (customer_id text, name text, regulated boolean, "
            "customer_since date)"
        )
        pg.execute(
            "INSERT INTO customers VALUES ('C1', 'Acme', true, '2020-05-01'), "
            "('C2', 'Beta', false, NULL)"
        )
        pg.execute(
            "CREATE TABLE ar (nr integer, klant text, datum date, verval date, "
            "bedrag numeric(12,2), betaald timestamptz)"
        )
        pg.execute(
            "INSERT INTO ar VALUES (1, 'C1', '2024-01-01', '2024-01-31', 100.50, "
            "'2024-02-03 10:00+01'), (2, 'C2', '2024-01-01', '2023-12-01', 5, NULL), "
            "(3, 'C7', '2024-01-01', '2024-01-31', 9, NULL)"
        )
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    report = riskseg.import_path(store, scoped)
    assert report.by_table()["customers"]["stored"] == 2
    rows = {r["customer_id"]: r for r in store.table("customers").to_pylist()}
    assert rows["C1"]["regulated"] is True and str(rows["C1"]["customer_since"]) == "2020-05-01"

    mapping = write(
        tmp_path / "m.yaml",
        f"""
tables:
  invoices:
    url: "{scoped}"
    query: "SELECT nr, klant, datum, verval, bedrag, betaald FROM {schema}.ar ORDER BY nr"
    columns: {{nr: invoice_id, klant: customer_id, datum: issue_date, verval: due_date,
              bedrag: amount, betaald: paid_date}}
""",
    )
    report = riskseg.import_path(store, mapping=mapping)
    inv = report.by_table()["invoices"]
    assert (inv["read"], inv["stored"], inv["quarantined"]) == (3, 1, 2)
    q = {r["line"]: r for r in store.quarantine("invoices")}
    assert q[2]["column"] == "due_date (verval)" and q[3]["column"] == "customer_id (klant)"
    password = urlsplit(url).password
    assert password and password not in q[2]["source"]
    assert all(password not in str(entry["source"]) for entry in store.imports())
    [paid] = store.table("invoices").column("paid_date").to_pylist()
    assert str(paid) == "2024-02-03"
