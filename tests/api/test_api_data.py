"""Segments, imports with their reconciliation, the quarantine and spreadsheet-safe exports."""

from __future__ import annotations

import csv
import io

from apitools import clients, demo
from fastapi.testclient import TestClient

import riskseg

__all__ = ["clients", "demo"]


def test_segments_count_every_customer_of_the_latest_run(
    clients: dict[str, TestClient], demo: riskseg.Store
) -> None:
    body = clients["viewer"].get("/api/segments").json()
    run_id = body["run"]["run_id"]
    customers = demo.con.execute(
        "SELECT count(*), sum(clv_12m) FROM run_customers "
        "WHERE run_id = ? AND status IS DISTINCT FROM 'prospect'",
        [run_id],
    ).fetchall()[0]
    for column in ("grid_segment", "payment_segment", "cluster", "loyalty", "abc_class"):
        rows = body["segments"][column]
        assert sum(r["customers"] for r in rows) == customers[0], column
    grid = {r["segment"]: r for r in body["segments"]["grid_segment"]}
    assert any(name.endswith("risk") for name in grid if name)


def test_migration_before_a_second_run_has_no_previous_run(
    clients: dict[str, TestClient],
) -> None:
    body = clients["viewer"].get("/api/segments/migration").json()
    assert body["previous_run"] is None and body["movers"] == []


def test_an_uploaded_file_is_imported_and_reconciles(
    clients: dict[str, TestClient], demo: riskseg.Store
) -> None:
    text = (
        "invoice_id,customer_id,issue_date,due_date,amount,currency\n"
        "UP-1,C000001,2025-12-01,2025-12-31,120.50,EUR\n"
        "UP-2,C000001,31-02-2025,2025-12-31,80,EUR\n"
        "UP-3,NOBODY,2025-12-01,2025-12-31,10,EUR\n"
    )
    r = clients["admin"].post(
        "/api/imports", params={"filename": "invoices.csv"}, content=text.encode()
    )
    assert r.status_code == 200, r.text
    [source] = r.json()["sources"]
    assert source["table"] == "invoices" and source["read"] == 3
    assert source["stored"] == 1 and source["quarantined"] == 2 and source["reconciles"]
    assert source["source"] == "upload:invoices.csv"
    assert (
        demo.con.execute("SELECT count(*) FROM invoices WHERE invoice_id = 'UP-1'").fetchall()[0][0]
        == 1
    )

    q = clients["finance"].get("/api/quarantine", params={"table": "invoices"}).json()
    lines = {(i["source"], i["line"]) for i in q["items"]}
    assert {("upload:invoices.csv", 3), ("upload:invoices.csv", 4)} <= lines
    assert all(i["record"] is None for i in q["items"])  # only admin sees the copied row
    q = clients["admin"].get("/api/quarantine", params={"table": "invoices"}).json()
    assert any(i["record"] and "NOBODY" in i["record"] for i in q["items"])
    log = clients["viewer"].get("/api/imports").json()["items"]
    assert log[0]["source"] == "upload:invoices.csv" and log[0]["quarantined"] == 2


def test_uploads_are_admin_only_and_names_are_checked(clients: dict[str, TestClient]) -> None:
    body = b"customer_id,name\nX1,Y\n"
    r = clients["finance"].post("/api/imports", params={"filename": "customers.csv"}, content=body)
    assert r.status_code == 403
    for bad in ("../customers.csv", "notes.csv", "customers.csv/../../x", ".customers.csv"):
        r = clients["admin"].post("/api/imports", params={"filename": bad}, content=body)
        assert r.status_code == 400, bad
    r = clients["admin"].post("/api/imports", params={"filename": "customers.csv"}, content=b"")
    assert r.status_code == 400 and "empty" in r.json()["error"]["message"]
    r = clients["admin"].get("/api/quarantine", params={"table": "nope"})
    assert r.status_code == 400


def test_exports_neutralise_formulas(clients: dict[str, TestClient], demo: riskseg.Store) -> None:
    [(customer,)] = demo.con.execute(
        "SELECT customer_id FROM run_customers ORDER BY risk_score DESC NULLS LAST LIMIT 1"
    ).fetchall()
    demo.con.execute(
        'UPDATE customers SET name = \'=HYPERLINK("http://evil","x")\' WHERE customer_id = ?',
        [customer],
    )
    try:
        r = clients["viewer"].get("/api/exports/customers.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        named = {row["customer_id"]: row["name"] for row in rows}
        assert named[customer].startswith("'=HYPERLINK")
        assert not any(v.startswith(("=", "+", "@")) for row in rows for v in row.values())
    finally:
        demo.con.execute("UPDATE customers SET name = 'restored' WHERE customer_id = ?", [customer])

    mine = list(csv.DictReader(io.StringIO(clients["sales"].get("/api/exports/actions.csv").text)))
    assert mine and {row["owner"] for row in mine} == {"sales"}
    assert (
        clients["sales"].get("/api/exports/actions.csv", params={"owner": "finance"}).status_code
        == 403
    )


def test_erasing_a_contact_removes_its_quarantined_copies(
    clients: dict[str, TestClient], demo: riskseg.Store
) -> None:
    text = "contact_id,customer_id,name,email\nK-ERASE,NOBODY,Ann Secret,ann@secret.example\n"
    r = clients["admin"].post("/api/imports", params={"filename": "contacts.csv"}, content=text)
    assert r.json()["sources"][0]["quarantined"] == 1
    before = demo.con.execute(
        "SELECT count(*) FROM quarantine WHERE record LIKE '%ann@secret.example%'"
    ).fetchall()[0][0]
    assert before == 1
    done = clients["admin"].delete("/api/contacts/K-ERASE").json()
    assert done["rows"] == 0 and done["quarantined_rows"] == 1
    left = demo.con.execute(
        "SELECT count(*), min(reason), min(line) FROM quarantine "
        "WHERE table_name = 'contacts' AND source = 'upload:contacts.csv'"
    ).fetchall()[0]
    assert left[0] == 1 and "erased on request" in left[1] and left[2] == 2
    leaks = demo.con.execute(
        "SELECT count(*) FROM quarantine WHERE coalesce(record, '') || coalesce(value, '') "
        "LIKE '%secret%'"
    ).fetchall()[0][0]
    assert leaks == 0
    assert clients["admin"].delete("/api/contacts/K-NOBODY").status_code == 404


def test_the_portfolio_review_comes_from_the_server(clients: dict[str, TestClient]) -> None:
    from openpyxl import load_workbook

    r = clients["management"].get("/api/reports/review.xlsx")
    assert r.status_code == 200, r.text
    assert "portfolio-review-2025-12-31.xlsx" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[0] == "Summary" and "finance" in book.sheetnames
    page = clients["viewer"].get("/api/reports/review.html")
    assert page.status_code == 200 and "<html" in page.text.lower()
    # a department sees only its own queue, so not the review that holds all of them
    assert clients["finance"].get("/api/reports/review.html").status_code == 403
    assert clients["viewer"].get("/api/reports/review.pdf").status_code == 422
