"""Hand-computed cases for the cost_to_serve family, on every engine.

as_of is 2025-06-30 throughout: the 12-month window is (2024-06-30, 2025-06-30], so a row on
2024-06-30 (as_of-365) is out, 2024-07-01 and 2025-06-30 are in, 2025-07-01 does not exist yet.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sigtools import Compute, approx

from riskseg.signals import SignalConfig

AS_OF = date(2025, 6, 30)
STEMS = (
    "tickets",
    "complaints",
    "warranty_claims",
    "inbound_calls",
    "visits",
    "engineering_changes",
)


def _ix(customer: str, rows: list[tuple[str, date, float | None]]) -> list[dict[str, Any]]:
    """Interaction rows of one customer from (type, date, effort_minutes)."""
    return [
        {
            "interaction_id": f"{customer}-{i}",
            "customer_id": customer,
            "type": kind,
            "date": day,
            "effort_minutes": minutes,
        }
        for i, (kind, day, minutes) in enumerate(rows)
    ]


def _order(oid: str, customer: str, day: date, revenue: float, cost: float | None = None) -> Any:
    return {
        "order_id": oid,
        "customer_id": customer,
        "order_date": day,
        "revenue": revenue,
        "cost": cost,
    }


TABLES = {
    "customers": [{"customer_id": c} for c in ("A", "B", "C", "CN", "D", "E", "F", "G", "H", "I")],
    "interactions": (
        # A: every event type with a different count, commercial and service effort
        _ix(
            "A",
            [
                ("support_ticket", date(2025, 6, 30), 30),  # as_of: in
                ("support_ticket", date(2024, 7, 1), 30),  # as_of-364: in
                ("support_ticket", date(2024, 6, 30), 600),  # as_of-365: out
                ("support_ticket", date(2025, 7, 1), 600),  # after as_of: ignored
                ("complaint", date(2025, 3, 10), 60),
                ("warranty_claim", date(2025, 1, 5), 20),
                ("warranty_claim", date(2025, 2, 5), 20),
                ("warranty_claim", date(2025, 3, 5), 20),
                ("call_inbound", date(2025, 4, 1), 15),
                ("call_inbound", date(2025, 4, 2), 15),
                ("call_inbound", date(2025, 4, 3), 15),
                ("call_inbound", date(2025, 4, 4), 15),
                ("engineering_change", date(2024, 8, 1), 10),
                ("engineering_change", date(2024, 9, 1), 10),
                ("engineering_change", date(2024, 10, 1), 10),
                ("engineering_change", date(2024, 11, 1), 10),
                ("engineering_change", date(2024, 12, 1), 10),
                ("engineering_change", date(2025, 1, 1), 10),
                ("return_request", date(2025, 5, 1), 30),  # service, not a counted event
                ("other", date(2025, 5, 2), 30),  # service, not a counted event
                ("visit", date(2025, 1, 10), 30),  # visits: commercial
                ("visit", date(2025, 2, 10), 30),
                ("visit", date(2025, 3, 10), 30),
                ("visit", date(2025, 4, 10), 30),
                ("visit", date(2025, 5, 10), 30),
                ("meeting_held", date(2025, 5, 20), 60),  # commercial
                ("call_outbound", date(2025, 5, 21), 15),  # commercial
                ("campaign_sent", date(2025, 5, 22), 15),  # commercial
            ],
        )
        # B: interactions, no orders at all
        + _ix("B", [("complaint", date(2025, 1, 1), 45), ("visit", date(2025, 2, 1), 15)])
        # C: 12-month revenue exactly 0, orders without cost
        + _ix("C", [("support_ticket", date(2025, 3, 1), 60)])
        # CN: 12-month revenue negative (a return only)
        + _ix("CN", [("support_ticket", date(2025, 3, 1), 60)])
        # D: events with 0 minutes of effort
        + _ix("D", [("support_ticket", date(2025, 1, 2), 0), ("visit", date(2025, 1, 3), 0)])
        # E: no interactions (orders only)
        # F: interactions only before the window
        + _ix(
            "F", [("support_ticket", date(2024, 6, 30), 120), ("complaint", date(2023, 1, 1), 60)]
        )
        # G: interactions only after as_of
        + _ix("G", [("support_ticket", date(2025, 7, 1), 60)])
        # H: one ticket, effort not recorded
        + _ix("H", [("support_ticket", date(2025, 3, 1), None)])
        # I: effort recorded on some rows only
        + _ix(
            "I",
            [
                ("support_ticket", date(2025, 3, 1), None),
                ("visit", date(2025, 3, 2), None),
                ("call_inbound", date(2025, 3, 3), 30),
                ("complaint", date(2023, 1, 1), 60),  # old: out
            ],
        )
    ),
    "orders": [
        _order("A1", "A", date(2025, 2, 1), 3000.0, 2000.0),
        _order("A2", "A", date(2024, 7, 1), 1000.0, 400.0),  # as_of-364: in
        _order("A3", "A", date(2024, 6, 30), 5000.0, 0.0),  # as_of-365: out
        _order("A4", "A", date(2025, 7, 1), 9000.0, 0.0),  # after as_of: ignored
        _order("C1", "C", date(2025, 1, 10), 500.0),
        _order("C2", "C", date(2025, 2, 10), -500.0),
        _order("CN1", "CN", date(2025, 2, 10), -200.0),
        _order("D1", "D", date(2025, 1, 1), 2000.0, 1500.0),
        _order("E1", "E", date(2025, 1, 1), 1000.0, 100.0),
        _order("F1", "F", date(2025, 1, 1), 1000.0, 600.0),
        _order("I1", "I", date(2025, 1, 1), 1000.0, 200.0),
    ],
}

# customers + orders only: no interactions table (same fixture in the engagement and external
# tests, so the computation is shared)
NO_TABLE = {
    "customers": [{"customer_id": "Z"}],
    "orders": [
        {
            "order_id": "Z1",
            "customer_id": "Z",
            "order_date": date(2025, 1, 1),
            "revenue": 100.0,
            "cost": 50.0,
        }
    ],
}

ALL = (
    [f"{s}_12m" for s in STEMS]
    + [f"{s}_per_1000_revenue" for s in STEMS]
    + [
        "effort_hours_12m",
        "cost_to_serve_12m",
        "commercial_cost_12m",
        "net_contribution_12m",
        "roi_12m",
    ]
)


def check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {k: row[k] for k in expected} == {k: approx(v) for k, v in expected.items()}


def test_event_counts_in_window(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    check(
        out["A"],
        {
            "tickets_12m": 2,  # as_of and as_of-364 in; as_of-365 and as_of+1 not
            "complaints_12m": 1,
            "warranty_claims_12m": 3,
            "inbound_calls_12m": 4,
            "visits_12m": 5,
            "engineering_changes_12m": 6,  # return_request, other, meetings... not counted
        },
    )
    check(out["B"], {"complaints_12m": 1, "visits_12m": 1, "tickets_12m": 0})
    # F: interactions exist, none in the window -> 0, not empty
    check(out["F"], {f"{s}_12m": 0 for s in STEMS})
    assert out["F"]["coverage_cost_to_serve"] is True


def test_per_1000_revenue(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A: revenue_12m = 3000 + 1000 = 4000 (5000 on as_of-365 and 9000 after as_of left out)
    check(
        out["A"],
        {
            "tickets_per_1000_revenue": 2 / 4000 * 1000,  # 0.5
            "complaints_per_1000_revenue": 1 / 4000 * 1000,  # 0.25
            "warranty_claims_per_1000_revenue": 3 / 4000 * 1000,  # 0.75
            "inbound_calls_per_1000_revenue": 4 / 4000 * 1000,  # 1.0
            "visits_per_1000_revenue": 5 / 4000 * 1000,  # 1.25
            "engineering_changes_per_1000_revenue": 6 / 4000 * 1000,  # 1.5
        },
    )
    # D: 1 ticket, 1 visit, revenue 2000 -> 0.5 each
    check(out["D"], {"tickets_per_1000_revenue": 0.5, "visits_per_1000_revenue": 0.5})
    # F: no events in the window, revenue 1000 -> 0.0
    check(out["F"], {f"{s}_per_1000_revenue": 0.0 for s in STEMS})
    # B: no orders; C: revenue 500 - 500 = 0; CN: revenue -200 -> empty
    for c in ("B", "C", "CN"):
        check(out[c], {f"{s}_per_1000_revenue": None for s in STEMS})


def test_effort_and_costs(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A service: tickets 2x30 + complaint 60 + warranty 3x20 + inbound 4x15 + eng 6x10
    #   + return_request 30 + other 30 = 360 min = 6 h (600-min tickets out of the window)
    # A commercial: visits 5x30 + meeting 60 + outbound call 15 + campaign 15 = 240 min = 4 h
    check(
        out["A"],
        {
            "effort_hours_12m": 10.0,  # 600 min
            "cost_to_serve_12m": 6 * 60.0,  # 360 at the default 60 per hour
            "commercial_cost_12m": 4 * 60.0,  # 240
        },
    )
    # B: complaint 45 min service, visit 15 min commercial
    check(
        out["B"],
        {"effort_hours_12m": 1.0, "cost_to_serve_12m": 45.0, "commercial_cost_12m": 15.0},
    )
    # D: 0 minutes; F: effort only outside the window
    for c in ("D", "F"):
        check(
            out[c],
            {"effort_hours_12m": 0.0, "cost_to_serve_12m": 0.0, "commercial_cost_12m": 0.0},
        )


def test_effort_not_recorded_counts_as_none_spent(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # H: the only interaction has no effort_minutes: no effort recorded = 0 hours
    check(
        out["H"],
        {
            "tickets_12m": 1,
            "effort_hours_12m": 0.0,
            "cost_to_serve_12m": 0.0,
            "commercial_cost_12m": 0.0,
            "net_contribution_12m": None,  # no orders, so no gross margin
            "roi_12m": None,
        },
    )
    # I: only the inbound call has effort (30 min, service); the old complaint is out
    check(
        out["I"],
        {
            "effort_hours_12m": 0.5,
            "cost_to_serve_12m": 30.0,  # 0.5 h x 60
            "commercial_cost_12m": 0.0,  # the visit has no effort recorded
            "net_contribution_12m": 770.0,  # margin 1000 - 200 = 800, minus 30
            "roi_12m": 770.0 / 30.0,
        },
    )


def test_net_contribution_and_roi(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A: margin (3000 - 2000) + (1000 - 400) = 1600; effort 360 + 240 = 600
    check(out["A"], {"net_contribution_12m": 1000.0, "roi_12m": 1000.0 / 600.0})
    # D: margin 2000 - 1500 = 500, no effort -> roi empty
    check(out["D"], {"net_contribution_12m": 500.0, "roi_12m": None})
    # F: margin 1000 - 600 = 400, effort only outside the window -> roi empty
    check(out["F"], {"net_contribution_12m": 400.0, "roi_12m": None})
    # B: no orders; C: orders without cost -> margin unknown -> both empty
    for c in ("B", "C"):
        check(out[c], {"net_contribution_12m": None, "roi_12m": None})


def test_hourly_cost_setting(signals: Compute) -> None:
    out = signals(TABLES, AS_OF, SignalConfig(hourly_cost=90.0))
    # A: 6 service hours and 4 commercial hours at 90 per hour
    check(
        out["A"],
        {
            "effort_hours_12m": 10.0,  # hours do not depend on the rate
            "cost_to_serve_12m": 540.0,  # 6 x 90
            "commercial_cost_12m": 360.0,  # 4 x 90
            "net_contribution_12m": 700.0,  # 1600 - 540 - 360
            "roi_12m": 700.0 / 900.0,
        },
    )
    check(out["B"], {"cost_to_serve_12m": 67.5, "commercial_cost_12m": 22.5})  # 0.75 h, 0.25 h


def test_no_interactions_up_to_as_of(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # E: orders but no interactions; G: interactions only after as_of
    for c in ("E", "G"):
        check(out[c], dict.fromkeys(ALL))
        assert out[c]["coverage_cost_to_serve"] is False
    assert out["A"]["coverage_cost_to_serve"] is True


def test_missing_interactions_table(signals: Compute) -> None:
    out = signals(NO_TABLE, AS_OF)
    check(out["Z"], dict.fromkeys(ALL))
    assert out["Z"]["coverage_cost_to_serve"] is False
