"""Nothing dated after ``as_of`` may change a signal (property test on the demo company)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest
from engines import Engines, Rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskseg.contract import INTERACTION_TYPES
from riskseg.demo import generate

AS_OF = date(2024, 9, 30)
COMPANY = generate(customers=40, seed=3)
BASE: Rows = {name: t.to_pylist() for name, t in COMPANY.tables.items()}
IDS = [r["customer_id"] for r in BASE["customers"]]
INVOICE_IDS = [r["invoice_id"] for r in BASE["invoices"]]
CONTACT_IDS = [r["contact_id"] for r in BASE["contacts"]]

later = st.integers(1, 900).map(lambda d: AS_OF + timedelta(days=d))
customer = st.sampled_from(IDS)
money = st.floats(-5_000, 50_000, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def future_rows(draw: st.DrawFn) -> Rows:
    """A few rows for every dated table, all dated after AS_OF, for existing and new customers."""
    n = st.integers(0, 3)
    rows: Rows = {}
    new_ids = [f"NEW{i}" for i in range(draw(n))]
    rows["customers"] = [
        {"customer_id": c, "customer_since": draw(later), "industry": "Retail", "status": "active"}
        for c in new_ids
    ]
    who = st.sampled_from(IDS + new_ids)
    rows["invoices"] = []
    for i in range(draw(n)):
        issued = draw(later)
        rows["invoices"].append(
            {
                "invoice_id": f"LATE-INV-{i}",
                "customer_id": draw(who),
                "issue_date": issued,
                "due_date": issued + timedelta(days=draw(st.integers(0, 60))),
                "amount": draw(money),
                "paid_date": draw(st.none() | later),
                "disputed": draw(st.booleans()),
                "written_off": draw(st.booleans()),
            }
        )
    rows["payments"] = [
        {
            "payment_id": f"LATE-PAY-{i}",
            "invoice_id": draw(st.sampled_from(INVOICE_IDS)),
            "customer_id": draw(customer),
            "payment_date": draw(later),
            "amount": draw(money),
        }
        for i in range(draw(n))
    ]
    rows["orders"] = [
        {
            "order_id": f"LATE-ORD-{i}",
            "customer_id": draw(who),
            "order_date": draw(later),
            "revenue": draw(money),
            "cost": draw(st.none() | money),
        }
        for i in range(draw(n))
    ]
    rows["quotes"] = [
        {
            "quote_id": f"LATE-Q-{i}",
            "customer_id": draw(who),
            "quote_date": draw(later),
            "amount": abs(draw(money)),
            "status": draw(st.sampled_from(["won", "lost", "open", "expired"])),
            "discount_pct": draw(st.none() | st.floats(0, 50)),
        }
        for i in range(draw(n))
    ]
    rows["interactions"] = [
        {
            "interaction_id": f"LATE-I-{i}",
            "customer_id": draw(who),
            "contact_id": draw(st.none() | st.sampled_from(CONTACT_IDS)),
            "date": draw(later),
            "type": draw(st.sampled_from(INTERACTION_TYPES)),
            "effort_minutes": draw(st.none() | st.floats(0, 600)),
        }
        for i in range(draw(n))
    ]
    rows["credit_reports"] = [
        {
            "customer_id": draw(who),
            "report_date": draw(later),
            "score": draw(st.none() | st.floats(0, 100)),
            "probability_of_default": draw(st.none() | st.floats(0, 1)),
            "insolvency": draw(st.booleans()),
        }
        for _ in range(draw(n))
    ]
    rows["flags"] = [
        {
            "flag_id": f"LATE-F-{i}",
            "customer_id": draw(who),
            "date": draw(later),
            "category": draw(st.sampled_from(["conduct", "fraud", "ethics", "other"])),
            "severity": draw(st.integers(1, 3)),
            "expires": draw(st.none() | later),
        }
        for i in range(draw(n))
    ]
    rows["surveys"] = [
        {
            "response_id": f"LATE-S-{i}",
            "contact_id": draw(st.none() | st.sampled_from(CONTACT_IDS)),
            "customer_id": draw(customer),
            "date": draw(later),
            "behavior": draw(st.floats(0, 10)),
            "attitude": draw(st.floats(0, 10)),
        }
        for i in range(draw(n))
    ]
    return rows


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


@pytest.fixture(scope="module")
def duck() -> Engines:
    return Engines()


@pytest.fixture(scope="module")
def baseline(duck: Engines) -> dict[str, dict[str, Any]]:
    return duck.compute("duckdb", BASE, AS_OF)


@pytest.mark.slow
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(extra=future_rows())
def test_rows_dated_after_as_of_change_no_signal(
    duck: Engines, baseline: dict[str, dict[str, Any]], extra: Rows
) -> None:
    tables = {name: BASE[name] + extra.get(name, []) for name in BASE}
    after = duck.compute("duckdb", tables, AS_OF)
    assert after.keys() == baseline.keys(), "customers that start after as_of must not appear"
    changed = [
        (cid, name, baseline[cid][name], value)
        for cid, row in after.items()
        for name, value in row.items()
        if not _same(baseline[cid][name], value)
    ]
    assert not changed, f"signals changed by rows dated after {AS_OF}: {changed[:5]}"


def test_an_invoice_paid_after_as_of_is_open_at_as_of(duck: Engines) -> None:
    """The same invoice, paid the day after as_of: open and overdue at as_of, paid later."""
    tables: Rows = {
        "customers": [{"customer_id": "A"}],
        "invoices": [
            {
                "invoice_id": "1",
                "customer_id": "A",
                "issue_date": date(2024, 8, 1),
                "due_date": date(2024, 8, 31),
                "amount": 500.0,
                "paid_date": AS_OF + timedelta(days=1),
            }
        ],
    }
    at = duck.compute("duckdb", tables, AS_OF)["A"]
    assert at["open_invoices"] == 1
    assert at["overdue_balance"] == 500.0
    assert at["max_days_past_due"] == 30  # 2024-09-30 - 2024-08-31
    assert at["days_late_mean_12m"] is None  # nothing paid yet
    next_day = duck.compute("duckdb", tables, AS_OF + timedelta(days=1))["A"]
    assert next_day["open_invoices"] == 0
    assert next_day["days_late_mean_12m"] == 31.0
