"""Hand-made cases for the coverage family, on every engine.

A family is covered when the customer has rows in its table(s) dated on or before as_of;
``families_covered`` counts the covered families (8 at most).
"""

from datetime import date

from sigtools import Compute

AS_OF = date(2025, 6, 30)
FAMILIES = (
    "payment",
    "value",
    "cost_to_serve",
    "sales",
    "engagement",
    "external",
    "flags",
    "loyalty",
)
COVERAGE_SIGNALS = (
    "coverage_payment",
    "coverage_value",
    "coverage_cost_to_serve",
    "coverage_sales",
    "coverage_engagement",
    "coverage_external",
    "coverage_flags",
    "coverage_loyalty",
)


def _rows(cid: str, day: date, n: str) -> dict[str, dict]:
    """One row of every family's table for ``cid`` dated ``day``."""
    return {
        "invoices": {
            "invoice_id": f"i{n}",
            "customer_id": cid,
            "issue_date": day,
            "due_date": day,
            "amount": 100.0,
        },
        "orders": {"order_id": f"o{n}", "customer_id": cid, "order_date": day, "revenue": 50.0},
        "quotes": {
            "quote_id": f"q{n}",
            "customer_id": cid,
            "quote_date": day,
            "amount": 80.0,
            "status": "open",
        },
        "interactions": {
            "interaction_id": f"x{n}",
            "customer_id": cid,
            "date": day,
            "type": "support_ticket",
        },
        "credit_reports": {"customer_id": cid, "report_date": day, "score": 60.0},
        "flags": {
            "flag_id": f"f{n}",
            "customer_id": cid,
            "date": day,
            "category": "other",
            "severity": 1,
        },
        "surveys": {
            "response_id": f"s{n}",
            "customer_id": cid,
            "date": day,
            "behavior": 8.0,
            "attitude": 8.0,
        },
    }


_ALL = _rows("C_ALL", date(2025, 3, 1), "1")  # everything, before as_of
_LATE = _rows("C_LATE", date(2025, 7, 1), "2")  # everything, the day after as_of
_EDGE = _rows("C_EDGE", AS_OF, "3")  # everything, on as_of
_SOME = _rows("C_SOME", date(2024, 5, 1), "4")

TABLES = {
    "customers": [
        {"customer_id": "C_ALL", "status": "active"},
        {"customer_id": "C_LATE", "status": "active"},
        {"customer_id": "C_EDGE", "status": "active"},
        {"customer_id": "C_SOME", "status": "active"},
        {"customer_id": "C_OLD", "status": "active"},
        {"customer_id": "C_PROSPECT", "status": "prospect"},
    ],
    "invoices": [_ALL["invoices"], _LATE["invoices"], _EDGE["invoices"], _SOME["invoices"]],
    "orders": [_ALL["orders"], _LATE["orders"], _EDGE["orders"]],
    "quotes": [_ALL["quotes"], _LATE["quotes"], _EDGE["quotes"]],
    "interactions": [
        _ALL["interactions"],
        _LATE["interactions"],
        _EDGE["interactions"],
        _SOME["interactions"],
    ],
    "credit_reports": [
        _ALL["credit_reports"],
        _LATE["credit_reports"],
        _EDGE["credit_reports"],
        # C_OLD: a report without a score is still a report
        {"customer_id": "C_OLD", "report_date": date(2025, 1, 1)},
    ],
    "flags": [
        _ALL["flags"],
        _LATE["flags"],
        _EDGE["flags"],
        # C_OLD: an expired flag is still data (flags_active = 0, not empty)
        {
            "flag_id": "f9",
            "customer_id": "C_OLD",
            "date": date(2024, 1, 1),
            "category": "fraud",
            "severity": 3,
            "expires": date(2024, 12, 31),
        },
    ],
    "surveys": [
        _ALL["surveys"],
        _LATE["surveys"],
        _EDGE["surveys"],
        # C_OLD: a survey from years ago
        {
            "response_id": "s9",
            "customer_id": "C_OLD",
            "date": date(2022, 6, 1),
            "behavior": 3.0,
            "attitude": 3.0,
        },
    ],
}


def _coverage(row: dict) -> dict:
    return {f: row[s] for f, s in zip(FAMILIES, COVERAGE_SIGNALS, strict=True)}


def test_all_families_covered(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    for customer in ("C_ALL", "C_EDGE"):  # rows before as_of, and rows dated on as_of
        row = out[customer]
        assert _coverage(row) == dict.fromkeys(FAMILIES, True), customer
        assert row["families_covered"] == 8, customer


def test_rows_after_as_of_do_not_cover(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["C_LATE"]
    # every row is dated 2025-07-01: none exists at as_of
    assert _coverage(row) == dict.fromkeys(FAMILIES, False)
    assert row["families_covered"] == 0


def test_interactions_cover_two_families(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["C_SOME"]
    # an invoice and an interaction (over a year old still counts): payment, cost to serve
    # and engagement -> 3
    expected = dict.fromkeys(FAMILIES, False) | {
        "payment": True,
        "cost_to_serve": True,
        "engagement": True,
    }
    assert _coverage(row) == expected
    assert row["families_covered"] == 3


def test_expired_flag_and_old_survey_cover(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["C_OLD"]
    expected = dict.fromkeys(FAMILIES, False) | {"external": True, "flags": True, "loyalty": True}
    assert _coverage(row) == expected
    assert row["families_covered"] == 3
    # covered means the signals are numbers, not empty
    assert row["flags_active"] == 0
    assert row["contacts_surveyed"] == 1


def test_prospect_without_data_has_a_row(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    assert "C_PROSPECT" in out
    row = out["C_PROSPECT"]
    assert _coverage(row) == dict.fromkeys(FAMILIES, False)
    assert row["families_covered"] == 0


def test_absent_tables_are_not_covered(signals: Compute) -> None:
    # only customers and orders: every other family's table is missing
    tables = {"customers": TABLES["customers"], "orders": TABLES["orders"]}
    out = signals(tables, AS_OF)
    row = out["C_ALL"]
    assert _coverage(row) == dict.fromkeys(FAMILIES, False) | {"value": True}
    assert row["families_covered"] == 1
    # signals of a missing table are empty, not zero
    assert row["flags_active"] is None
    assert row["contacts_surveyed"] is None
    for customer in ("C_SOME", "C_OLD", "C_PROSPECT", "C_LATE"):
        assert _coverage(out[customer]) == dict.fromkeys(FAMILIES, False), customer
        assert out[customer]["families_covered"] == 0, customer
