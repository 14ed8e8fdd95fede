"""Hand-computed cases for the peer family, on every engine.

Each rate pools the peers' counts (same industry, region or size band) with the customer's
own counts left out. As of 2025-06-30 the last 12 months are 2024-07-01 .. 2025-06-30 and the
12 months before them 2023-07-02 .. 2024-06-30 (365 days each). Late = paid more than 30 days
after the due date.
"""

from datetime import date

from sigtools import Compute, approx

from riskseg.signals import SignalConfig

AS_OF = date(2025, 6, 30)
RATES = ("late_rate", "dispute_rate", "churn_rate")
DIMS = ("industry", "region", "size")
#: rate -> its signals by industry, region and size band
SIGNALS = {
    "late_rate": ("peer_late_rate_industry", "peer_late_rate_region", "peer_late_rate_size"),
    "dispute_rate": (
        "peer_dispute_rate_industry",
        "peer_dispute_rate_region",
        "peer_dispute_rate_size",
    ),
    "churn_rate": ("peer_churn_rate_industry", "peer_churn_rate_region", "peer_churn_rate_size"),
}


def _inv(iid: str, cid: str, issued: date, due: date, paid=None, disputed=None) -> dict:
    return {
        "invoice_id": iid,
        "customer_id": cid,
        "issue_date": issued,
        "due_date": due,
        "amount": 100.0,
        "paid_date": paid,
        "disputed": disputed,
    }


def _order(oid: str, cid: str, day: date, revenue: float = 100.0) -> dict:
    return {"order_id": oid, "customer_id": cid, "order_date": day, "revenue": revenue}


def _cust(cid: str, industry, region, size) -> dict:
    return {"customer_id": cid, "industry": industry, "region": region, "size_band": size}


TABLES = {
    "customers": [
        _cust("P1", "retail", "north", "small"),
        _cust("P2", "retail", "north", "large"),
        _cust("P3", "retail", "south", "small"),
        _cust("P4", "mining", "south", "large"),  # alone in mining
        _cust("P5", None, "north", "small"),  # industry unknown
        _cust("P6", "retail", None, None),  # no invoices, no orders
    ],
    "invoices": [
        # P1: paid 2 (i1 43 days late, i2 exactly 30: not late), issued 3, disputed 1
        _inv("i1", "P1", date(2025, 1, 1), date(2025, 1, 31), date(2025, 3, 15), True),
        _inv("i2", "P1", date(2025, 1, 29), date(2025, 2, 28), date(2025, 3, 30), False),
        _inv("i3", "P1", date(2025, 5, 1), date(2025, 5, 31)),
        # P2: paid 2 (i4 38 days late, i5 5 days), issued 3 (i7 paid after as_of: open),
        # disputed 1
        _inv("i4", "P2", date(2025, 2, 1), date(2025, 3, 3), date(2025, 4, 10)),
        _inv("i5", "P2", date(2025, 3, 1), date(2025, 3, 31), date(2025, 4, 5), True),
        _inv("i7", "P2", date(2025, 4, 1), date(2025, 5, 1), date(2025, 7, 10)),
        # P3: i8 issued and paid (76 days late) before the last 12 months: not counted;
        # i9 paid 45 days late, disputed -> paid 1, late 1, issued 1, disputed 1
        _inv("i8", "P3", date(2024, 3, 1), date(2024, 3, 31), date(2024, 6, 15), True),
        _inv("i9", "P3", date(2024, 12, 1), date(2024, 12, 31), date(2025, 2, 14), True),
        # P4: paid 1 (11 days late), issued 1, disputed 0; i12 issued after as_of
        _inv("i10", "P4", date(2025, 1, 10), date(2025, 2, 9), date(2025, 2, 20)),
        _inv("i12", "P4", date(2025, 7, 2), date(2025, 8, 1), None, True),
        # P5: paid on as_of, 91 days late -> paid 1, late 1, issued 1, disputed 0
        _inv("i11", "P5", date(2025, 3, 1), date(2025, 3, 31), date(2025, 6, 30), False),
    ],
    "orders": [
        # P1 bought in both years: in the base, not lost
        _order("o1", "P1", date(2024, 1, 15)),
        _order("o2", "P1", date(2025, 3, 1)),
        # P2 bought only the year before: lost
        _order("o3", "P2", date(2023, 10, 1)),
        # P3 bought the year before; its only later row is a return: lost
        _order("o4", "P3", date(2024, 2, 1)),
        _order("o5", "P3", date(2025, 2, 1), -40.0),
        # P4 bought only in the last year: new, not in the base
        _order("o6", "P4", date(2025, 1, 1)),
        # P5 bought the year before; its next order is after as_of: lost
        _order("o7", "P5", date(2024, 3, 1)),
        _order("o8", "P5", date(2025, 7, 15)),
    ],
}

# Per customer (late, paid, disputed, issued, churned, churn base):
#   P1 (1, 2, 1, 3, 0, 1)   P2 (1, 2, 1, 3, 1, 1)   P3 (1, 1, 1, 1, 1, 1)
#   P4 (0, 1, 0, 1, 0, 0)   P5 (1, 1, 0, 1, 1, 1)   P6 (0, 0, 0, 0, 0, 0)
# retail = P1, P2, P3, P6: late 3 / paid 5, disputed 3 / issued 7, churned 2 / base 3
# north = P1, P2, P5: late 3 / 5, disputed 2 / 7, churned 2 / 3
# south = P3, P4: late 1 / 2, disputed 1 / 2, churned 1 / 1
# small = P1, P3, P5: late 3 / 4, disputed 2 / 5, churned 2 / 3
# large = P2, P4: late 1 / 3, disputed 1 / 4, churned 1 / 1
EXPECTED = {
    "P1": {
        "late_rate": {"industry": 2 / 3, "region": 2 / 3, "size": 1.0},
        # retail (3-1)/(5-2); north (3-1)/(5-2); small (3-1)/(4-2)
        "dispute_rate": {"industry": 0.5, "region": 0.25, "size": 0.5},
        # retail (3-1)/(7-3); north (2-1)/(7-3); small (2-1)/(5-3)
        "churn_rate": {"industry": 1.0, "region": 1.0, "size": 1.0},
        # retail (2-0)/(3-1); north (2-0)/(3-1); small (2-0)/(3-1)
    },
    "P2": {
        "late_rate": {"industry": 2 / 3, "region": 2 / 3, "size": 0.0},
        # retail (3-1)/(5-2); north (3-1)/(5-2); large (1-1)/(3-2)
        "dispute_rate": {"industry": 0.5, "region": 0.25, "size": 0.0},
        # retail (3-1)/(7-3); north (2-1)/(7-3); large (1-1)/(4-3)
        "churn_rate": {"industry": 0.5, "region": 0.5, "size": None},
        # retail (2-1)/(3-1); north (2-1)/(3-1); large (1-1)/(1-1): no peer in the base
    },
    "P3": {
        "late_rate": {"industry": 0.5, "region": 0.0, "size": 2 / 3},
        # retail (3-1)/(5-1); south (1-1)/(2-1); small (3-1)/(4-1)
        "dispute_rate": {"industry": 1 / 3, "region": 0.0, "size": 0.25},
        # retail (3-1)/(7-1); south (1-1)/(2-1); small (2-1)/(5-1)
        "churn_rate": {"industry": 0.5, "region": None, "size": 0.5},
        # retail (2-1)/(3-1); south (1-1)/(1-1): no peer in the base; small (2-1)/(3-1)
    },
    "P4": {
        "late_rate": {"industry": None, "region": 1.0, "size": 0.5},
        # mining: alone; south (1-0)/(2-1); large (1-0)/(3-1)
        "dispute_rate": {"industry": None, "region": 1.0, "size": 1 / 3},
        # south (1-0)/(2-1); large (1-0)/(4-1)
        "churn_rate": {"industry": None, "region": 1.0, "size": 1.0},
        # south (1-0)/(1-0); large (1-0)/(1-0)
    },
    "P5": {
        "late_rate": {"industry": None, "region": 0.5, "size": 2 / 3},
        # industry unknown; north (3-1)/(5-1); small (3-1)/(4-1)
        "dispute_rate": {"industry": None, "region": 1 / 3, "size": 0.5},
        # north (2-0)/(7-1); small (2-0)/(5-1)
        "churn_rate": {"industry": None, "region": 0.5, "size": 0.5},
        # north (2-1)/(3-1); small (2-1)/(3-1)
    },
    "P6": {
        # no data of its own: all of retail are its peers; region and size unknown
        "late_rate": {"industry": 0.6, "region": None, "size": None},  # 3/5
        "dispute_rate": {"industry": 3 / 7, "region": None, "size": None},  # 3/7
        "churn_rate": {"industry": 2 / 3, "region": None, "size": None},  # 2/3
    },
}


def _peer(row: dict, rate: str) -> dict:
    return {d: row[s] for d, s in zip(DIMS, SIGNALS[rate], strict=True)}


def _expect(values: dict) -> dict:
    return {d: None if v is None else approx(float(v)) for d, v in values.items()}


def test_late_rates(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    for customer, expected in EXPECTED.items():
        assert _peer(out[customer], "late_rate") == _expect(expected["late_rate"]), customer


def test_dispute_rates(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    for customer, expected in EXPECTED.items():
        assert _peer(out[customer], "dispute_rate") == _expect(expected["dispute_rate"]), customer


def test_churn_rates(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    for customer, expected in EXPECTED.items():
        assert _peer(out[customer], "churn_rate") == _expect(expected["churn_rate"]), customer


def test_late_days_setting(signals: Compute) -> None:
    out = signals(TABLES, AS_OF, SignalConfig(late_days=40))
    # over 40 days late: i1 (43), i9 (45), i11 (91); i4 (38) no longer late
    # late per customer: P1 1, P2 0, P3 1, P4 0, P5 1; paid as before
    # retail (P1, P2, P3, P6): late 2 / paid 5
    assert _peer(out["P1"], "late_rate")["industry"] == approx(1 / 3)  # (2-1)/(5-2)
    assert _peer(out["P2"], "late_rate")["industry"] == approx(2 / 3)  # (2-0)/(5-2)
    assert _peer(out["P3"], "late_rate")["industry"] == approx(0.25)  # (2-1)/(5-1)
    # large (P2, P4): late 0 / paid 3 -> P4 (0-0)/(3-1)
    assert _peer(out["P4"], "late_rate")["size"] == approx(0.0)
    # disputes and churn do not depend on late_days: P1 retail dispute still 0.5
    assert _peer(out["P1"], "dispute_rate")["industry"] == approx(0.5)


def test_without_invoices_only_churn(signals: Compute) -> None:
    tables = {k: TABLES[k] for k in ("customers", "orders")}
    out = signals(tables, AS_OF)
    for customer, expected in EXPECTED.items():
        row = out[customer]
        # no invoices table: late and dispute rates are empty for everyone
        assert _peer(row, "late_rate") == dict.fromkeys(DIMS, None), customer
        assert _peer(row, "dispute_rate") == dict.fromkeys(DIMS, None), customer
        # churn comes from orders alone and is unchanged
        assert _peer(row, "churn_rate") == _expect(expected["churn_rate"]), customer
