"""Import behaviour a user relies on: nothing lost, idempotent, updates logged, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

import riskseg
from conftest import CUSTOMERS_CSV, write
from riskseg.ingest.importer import import_path

INVOICES = (
    "invoice_id,customer_id,issue_date,due_date,amount,paid_date,disputed\n"
    "I1,C1,2024-01-01,2024-01-31,100.50,2024-02-10,no\n"
    'I2,C2,2024-01-05,2024-01-19,"1,250.00",,yes\n'
    "I3,C9,2024-01-05,2024-02-04,10,,\n"
    "I4,C1,2024-03-01,2024-02-01,5,,\n"
    "I5,C1,2024-03-01,2024-03-31,abc,,\n"
)


def _counts(store: riskseg.Store) -> dict[str, int]:
    return {t: store.count(t) for t in ("customers", "invoices", "quarantine", "import_log")}


def test_rows_are_stored_or_quarantined_with_reasons(store: riskseg.Store, tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", CUSTOMERS_CSV)
    write(tmp_path / "invoices.csv", INVOICES)
    report = import_path(store, tmp_path)
    assert report.exit_code == 0
    counts = report.by_table()
    assert counts["customers"] == {
        "read": 3,
        "stored": 3,
        "quarantined": 0,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "merged": 0,
    }
    assert (
        counts["invoices"]["read"],
        counts["invoices"]["stored"],
        counts["invoices"]["quarantined"],
    ) == (5, 2, 3)
    q = {r["line"]: r for r in store.quarantine("invoices")}
    assert q[4]["column"] == "customer_id" and "'C9' is not in customers" in q[4]["reason"]
    assert q[5]["column"] == "due_date" and "before issue_date" in q[5]["reason"]
    assert q[6]["column"] == "amount" and "'abc' is not a number" in q[6]["reason"]
    assert all(r["source"].endswith("invoices.csv") for r in q.values())
    inv = store.table("invoices").to_pylist()
    i2 = next(r for r in inv if r["invoice_id"] == "I2")
    assert i2["amount"] == 1250.0 and i2["disputed"] is True and i2["paid_date"] is None


def test_reimport_changes_nothing_and_newer_rows_update(
    store: riskseg.Store, tmp_path: Path
) -> None:
    write(tmp_path / "customers.csv", CUSTOMERS_CSV)
    write(tmp_path / "invoices.csv", INVOICES)
    import_path(store, tmp_path)
    before = (store.table("customers"), store.table("invoices"), store.quarantine())
    again = import_path(store, tmp_path).by_table()
    assert again["invoices"]["inserted"] == 0 and again["invoices"]["updated"] == 0
    assert again["invoices"]["unchanged"] == 2
    after = (store.table("customers"), store.table("invoices"), store.quarantine())
    assert before[0].equals(after[0]) and before[1].equals(after[1])
    assert [(r["line"], r["reason"]) for r in before[2]] == [
        (r["line"], r["reason"]) for r in after[2]
    ]

    # I1 gets paid later than first exported; I6 is new
    write(
        tmp_path / "invoices.csv",
        INVOICES.replace("2024-02-10", "2024-02-20") + "I6,C2,2024-04-01,2024-04-15,75,,no\n",
    )
    newer = import_path(store, tmp_path / "invoices.csv").by_table()["invoices"]
    assert (newer["inserted"], newer["updated"], newer["unchanged"]) == (1, 1, 1)
    paid = {r["invoice_id"]: r["paid_date"] for r in store.table("invoices").to_pylist()}
    assert str(paid["I1"]) == "2024-02-20"
    log = store.imports()[0]
    assert (log["inserted"], log["updated"], log["unchanged"]) == (1, 1, 1)


def test_a_rejected_file_leaves_the_store_unchanged(store: riskseg.Store, tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", CUSTOMERS_CSV)
    import_path(store, tmp_path / "customers.csv")
    before = _counts(store)
    bad = write(tmp_path / "bad" / "invoices.csv", "invoice_id,customer_id,amount\nI1,C1,10\n")
    report = import_path(store, bad)
    assert report.exit_code == 2
    assert "issue_date" in (report.failed[0].error or "") and "missing" in (
        report.failed[0].error or ""
    )
    assert _counts(store) == before


def test_european_export_semicolons_decimal_comma_day_first_cp1252(
    store: riskseg.Store, tmp_path: Path
) -> None:
    write(
        tmp_path / "customers.csv",
        "customer_id;name;credit_limit;customer_since;regulated\n"
        "K1;Café Müller;1.234,50;31-12-2020;ja\n"
        "K2;Société Générale € Services;€ 12.000;01-02-2019;nee\n",
        encoding="cp1252",
    )
    report = import_path(store, tmp_path)
    assert report.by_table()["customers"]["quarantined"] == 0
    rows = {r["customer_id"]: r for r in store.table("customers").to_pylist()}
    assert rows["K1"]["name"] == "Café Müller" and rows["K1"]["credit_limit"] == 1234.5
    assert rows["K2"]["name"] == "Société Générale € Services"
    assert rows["K2"]["credit_limit"] == 12000.0
    assert str(rows["K2"]["customer_since"]) == "2019-02-01"
    assert rows["K1"]["regulated"] is True and rows["K2"]["regulated"] is False


def test_ambiguous_dates_must_be_declared(store: riskseg.Store, tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", "customer_id,customer_since\nC1,03/04/2024\nC2,05/06/2023\n")
    report = import_path(store, tmp_path)
    assert report.exit_code == 2
    assert "--date-format" in (report.failed[0].error or "")
    assert store.count("customers") == 0
    declared = import_path(store, tmp_path, date_format="%d/%m/%Y")
    assert declared.exit_code == 0
    since = {
        r["customer_id"]: str(r["customer_since"]) for r in store.table("customers").to_pylist()
    }
    assert since == {"C1": "2024-04-03", "C2": "2023-06-05"}


def test_mapping_renames_constants_and_value_maps(store: riskseg.Store, tmp_path: Path) -> None:
    write(
        tmp_path / "Klanten.csv", "Klantnummer;Naam;Gereguleerd\nK1;Bakkerij;ja\nK2;Slagerij;nee\n"
    )
    write(
        tmp_path / "Facturen.csv",
        "Factuurnummer;Klantnummer;Factuurdatum;Vervaldatum;Bedrag;Status\n"
        "F1;K1;02-01-2024;01-02-2024;121,00;betwist\n"
        "F2;K2;03-01-2024;17-01-2024;50,50;\n",
    )
    mapping = write(
        tmp_path / "mapping.yaml",
        """
version: 1
tables:
  customers:
    source: Klanten.csv
    columns: {Klantnummer: customer_id, Naam: name, Gereguleerd: regulated}
    constants: {country: NL}
  invoices:
    source: Facturen.csv
    columns: {Factuurnummer: invoice_id, Klantnummer: customer_id, Factuurdatum: issue_date,
              Vervaldatum: due_date, Bedrag: amount, Status: disputed}
    values:
      disputed: {betwist: true}
    date_format: "%d-%m-%Y"
    decimal: ","
""",
    )
    report = import_path(store, mapping=mapping)
    assert report.exit_code == 0, report.failed
    assert report.by_table()["invoices"]["stored"] == 2
    inv = {r["invoice_id"]: r for r in store.table("invoices").to_pylist()}
    assert inv["F1"]["amount"] == 121.0 and inv["F1"]["disputed"] is True
    assert inv["F2"]["disputed"] is None and str(inv["F2"]["due_date"]) == "2024-01-17"
    assert {r["country"] for r in store.table("customers").to_pylist()} == {"NL"}


def test_unknown_interaction_types_are_kept_as_other(store: riskseg.Store, tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", CUSTOMERS_CSV)
    write(
        tmp_path / "interactions.csv",
        "interaction_id,customer_id,date,type\nX1,C1,2024-01-01,Support Ticket\n"
        "X2,C1,2024-01-02,webinar\nX3,C2,2024-01-03,complaint\n",
    )
    report = import_path(store, tmp_path)
    assert report.by_table()["interactions"]["stored"] == 3
    types = {r["interaction_id"]: r["type"] for r in store.table("interactions").to_pylist()}
    assert types == {"X1": "support_ticket", "X2": "other", "X3": "complaint"}
    notes = " ".join(n for s in report.sources for n in s.notes)
    assert "'webinar'" in notes and "'other'" in notes


def test_order_lines_share_an_order_id(store: riskseg.Store, tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", CUSTOMERS_CSV)
    write(
        tmp_path / "orders.csv",
        "order_id,customer_id,order_date,revenue,cost\nO1,C1,2024-01-01,100,60\n"
        "O1,C1,2024-01-01,50,30\nO2,C2,2024-01-02,-20,-12\n",
    )
    report = import_path(store, tmp_path)
    assert report.by_table()["orders"]["stored"] == 3
    lines = sorted(
        (r["order_id"], r["line_no"], r["revenue"]) for r in store.table("orders").to_pylist()
    )
    assert lines == [("O1", 1, 100.0), ("O1", 2, 50.0), ("O2", 1, -20.0)]
    assert import_path(store, tmp_path / "orders.csv").by_table()["orders"]["unchanged"] == 3


def test_embedded_newlines_keep_line_numbers_right(store: riskseg.Store, tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", CUSTOMERS_CSV)
    write(
        tmp_path / "flags.csv",
        "flag_id,customer_id,date,category,severity,note\n"
        'F1,C1,2024-01-01,conduct,2,"shouted at\nthe driver"\n'
        'F2,C1,2024-01-02,conduct,7,"again"\n'
        'F3,C1,2024-01-03,fraud,3,"x"\n',
    )
    import_path(store, tmp_path)
    [bad] = store.quarantine("flags")
    assert bad["line"] == 4 and bad["column"] == "severity"
    assert "'7' is outside the allowed range 1-3" in bad["reason"]


def test_mapping_errors_name_the_key(tmp_path: Path) -> None:
    bad = write(tmp_path / "m.yaml", "version: 1\ntables:\n  invoices:\n    colums: {}\n")
    with pytest.raises(riskseg.MappingError, match=r"tables\.invoices\.colums: unknown key"):
        riskseg.load_mapping(bad)
    bad.write_text("tables:\n  facturen: {}\n")
    with pytest.raises(riskseg.MappingError, match="unknown table 'facturen'"):
        riskseg.load_mapping(bad)


def test_mapping_expressions_refuse_anything_but_scalar_expressions(
    store: riskseg.Store, tmp_path: Path
) -> None:
    write(tmp_path / "customers.csv", CUSTOMERS_CSV)
    write(tmp_path / "o.csv", "nr,klant,datum,aantal,prijs\nO1,C1,2024-01-01,3,2.5\n")
    mapping = write(
        tmp_path / "m.yaml",
        """
tables:
  orders:
    source: o.csv
    columns: {nr: order_id, klant: customer_id, datum: order_date}
    expressions: {revenue: "aantal * prijs"}
""",
    )
    import_path(store, tmp_path / "customers.csv")
    assert import_path(store, mapping=mapping).exit_code == 0
    assert store.table("orders").column("revenue").to_pylist() == [7.5]
    mapping.write_text(mapping.read_text().replace("aantal * prijs", "(SELECT 1) + aantal"))
    with pytest.raises(riskseg.MappingError, match="not allowed"):
        import_path(store, mapping=mapping)
