"""Proof on data nobody here made (../shared/data): UCI Online Retail and IBM receivables."""

from __future__ import annotations

from pathlib import Path

import pytest

import riskseg
from conftest import TEST_DATA

pytestmark = pytest.mark.slow


def test_online_retail_imports_as_orders_without_losing_a_line(shared_data: Path) -> None:
    with riskseg.Store(":memory:") as store:
        report = riskseg.import_path(store, mapping=TEST_DATA / "mappings" / "online_retail.yaml")
        assert report.exit_code == 0
        orders = report.by_table()["orders"]
        # 541,909 invoice lines, of which 135,080 carry no customer (SOURCE.md)
        assert orders["read"] == 541_909
        assert orders["read"] == orders["stored"] + orders["quarantined"]
        assert (orders["stored"], orders["quarantined"]) == (406_829, 135_080)
        reasons = store.con.execute(
            "SELECT DISTINCT \"column\", reason FROM quarantine WHERE table_name = 'orders'"
        ).fetchall()
        assert reasons == [("customer_id (CustomerID)", "required value is missing")]
        assert store.count("customers") == 4_372
        # cancellations (InvoiceNo C...) are stored as returns: never positive revenue
        row = store.con.execute(
            "SELECT count(*), max(revenue), count(DISTINCT order_id) FROM orders "
            "WHERE order_id LIKE 'C%'"
        ).fetchone()
        assert row is not None and row[0] == 8_905 and row[1] <= 0
        first = store.con.execute(
            "SELECT order_date, revenue, product FROM orders WHERE order_id = '536365' "
            "AND line_no = 1"
        ).fetchone()
        assert first is not None and str(first[0]) == "2010-12-01"
        assert first[1] == pytest.approx(6 * 2.55) and first[2] == "85123A"


def test_ibm_receivables_days_late_survive_the_import(shared_data: Path) -> None:
    csv = shared_data / "ibm_accounts_receivable" / "WA_Fn-UseC_-Accounts-Receivable.csv"
    with riskseg.Store(":memory:") as store:
        report = riskseg.import_path(
            store, mapping=TEST_DATA / "mappings" / "ibm_accounts_receivable.yaml"
        )
        counts = report.by_table()
        assert counts["invoices"]["stored"] == 2_466 and counts["invoices"]["quarantined"] == 0
        assert store.count("customers") == 100 and counts["customers"]["quarantined"] == 0
        # recompute days late from the stored dates; compare with the file's own DaysLate
        mismatches = store.con.execute(
            "SELECT count(*), count(f.invoiceNumber) FROM invoices i JOIN read_csv(?, "
            "all_varchar = true) f ON i.invoice_id = f.invoiceNumber "
            "WHERE greatest(0, i.paid_date - i.due_date) <> CAST(f.DaysLate AS INTEGER)",
            [str(csv)],
        ).fetchone()
        assert mismatches == (0, 0)
        matched = store.con.execute(
            "SELECT count(*) FROM invoices i JOIN read_csv(?, all_varchar = true) f "
            "ON i.invoice_id = f.invoiceNumber",
            [str(csv)],
        ).fetchone()
        assert matched == (2_466,)
        disputed = store.con.execute(
            "SELECT count(*) FILTER (WHERE disputed) FROM invoices"
        ).fetchone()
        file_disputed = store.con.execute(
            "SELECT count(*) FILTER (WHERE Disputed = 'Yes') FROM read_csv(?)", [str(csv)]
        ).fetchone()
        assert disputed == file_disputed
