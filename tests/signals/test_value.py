"""Hand-made tests for the value family: revenue, margin, trends, RFM, rhythm, returns, ABC.

Every expected value is worked out by hand in the comments. Dates are written as days before
``AS_OF`` (``ago(365)`` is exactly as_of-365, which is *outside* a 365-day window; ``ago(0)`` is
as_of itself, which is inside). Each customer of a fixture exercises one case, and all tests of
a fixture share one computation per engine.
"""

from __future__ import annotations

from datetime import date, timedelta
from statistics import stdev
from typing import Any

from sigtools import Compute, approx

from riskseg.signals import SignalConfig

AS_OF = date(2025, 6, 30)


def ago(days: int) -> date:
    """The day ``days`` days before AS_OF (negative: after it)."""
    return AS_OF - timedelta(days=days)


def line(
    customer: str, order_id: str, days_ago: int, revenue: float, cost: float | None = None
) -> dict[str, Any]:
    """One order line; ``cost`` left out means the line has no cost."""
    row: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": customer,
        "order_date": ago(days_ago),
        "revenue": revenue,
    }
    if cost is not None:
        row["cost"] = cost
    return row


def check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, want in expected.items():
        assert row[name] == approx(want), f"{name}: got {row[name]!r}, expected {want!r}"


VALUE = {
    "customers": [
        {"customer_id": "WIN"},
        {"customer_id": "TREND"},
        {"customer_id": "MARGIN"},
        {"customer_id": "NOCOST"},
        {"customer_id": "ORD"},
        {"customer_id": "RHYTHM", "customer_since": ago(400)},
        {"customer_id": "LATESINCE", "customer_since": ago(5)},
        {"customer_id": "RETONLY"},
        {"customer_id": "NOORD", "customer_since": ago(100)},
        {"customer_id": "FUTURE"},
        {"customer_id": "K"},
    ],
    "orders": [
        # WIN: window boundaries, lines with and without cost, one line after as_of
        line("WIN", "WIN-1", 0, 100.0, 60.0),  # as_of itself: in every window
        line("WIN", "WIN-2", 364, 200.0, 150.0),  # last day of the 12 months
        line("WIN", "WIN-3", 365, 400.0, 100.0),  # as_of-365: out of 12m, in 24m
        line("WIN", "WIN-4", 729, 800.0),  # in 24m, no cost
        line("WIN", "WIN-5", 730, 1600.0, 0.0),  # as_of-730: out of 24m
        line("WIN", "WIN-6", -1, 5000.0, 0.0),  # after as_of: does not exist yet
        # TREND: the 6-month halves are (as_of-182, as_of] and (as_of-365, as_of-182]
        line("TREND", "TREND-1", 181, 300.0),  # recent half
        line("TREND", "TREND-2", 182, 100.0),  # exactly as_of-182: earlier half
        line("TREND", "TREND-3", 364, 100.0),  # earlier half
        # MARGIN: one line with a cost, one without
        line("MARGIN", "MARGIN-1", 10, 100.0, 70.0),
        line("MARGIN", "MARGIN-2", 20, 50.0),
        # NOCOST: no line has a cost
        line("NOCOST", "NOCOST-1", 10, 100.0),
        # ORD: two lines of one order, two orders on one day, a return on an order and a
        # cancellation of its own
        line("ORD", "ORD-1", 100, 60.0),
        line("ORD", "ORD-1", 100, 40.0),
        line("ORD", "ORD-2", 100, 50.0),
        line("ORD", "ORD-3", 40, 250.0),
        line("ORD", "ORD-3", 20, -20.0),
        line("ORD", "ORD-R", 30, -30.0),
        # RHYTHM: purchase days 60, 50, 30 and 0 days ago
        line("RHYTHM", "RHYTHM-1", 60, 10.0),
        line("RHYTHM", "RHYTHM-2", 50, 20.0),
        line("RHYTHM", "RHYTHM-3", 30, 30.0),
        line("RHYTHM", "RHYTHM-4", 0, 40.0),
        # LATESINCE: one purchase, before the recorded customer_since
        line("LATESINCE", "LATESINCE-1", 50, 70.0),
        # RETONLY: an old purchase, only a return in the last 12 months
        line("RETONLY", "RETONLY-1", 400, 100.0),
        line("RETONLY", "RETONLY-R", 10, -40.0),
        # FUTURE: only an order after as_of
        line("FUTURE", "FUTURE-1", -10, 100.0),
        # K: one order at each side of the 90/180/182/360/365-day boundaries
        line("K", "K-1", 0, 10.0),
        line("K", "K-2", 89, 20.0),
        line("K", "K-3", 90, 40.0),
        line("K", "K-4", 179, 80.0),
        line("K", "K-5", 180, 160.0),
        line("K", "K-6", 359, 320.0),
        line("K", "K-7", 360, 640.0),
    ],
}


def test_revenue_and_margin_windows(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    check(
        out["WIN"],
        {
            # 12m = (as_of-365, as_of]: lines 0 and 364 days ago
            "revenue_12m": 100.0 + 200.0,
            # 24m = (as_of-730, as_of]: lines 0, 364, 365, 729 days ago; 730 and -1 are out
            "revenue_24m": 100.0 + 200.0 + 400.0 + 800.0,
            "gross_margin_12m": (100.0 - 60.0) + (200.0 - 150.0),  # 90
            # the 729-day line has no cost and is left out; the 730-day line is out of 24m
            "gross_margin_24m": (100.0 - 60.0) + (200.0 - 150.0) + (400.0 - 100.0),  # 390
            "margin_pct_12m": 90.0 / 300.0,  # 0.3
            "coverage_value": True,
        },
    )


def test_margin_counts_only_lines_with_a_cost(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    check(
        out["MARGIN"],
        {
            "revenue_12m": 150.0,
            "gross_margin_12m": 100.0 - 70.0,  # the 50 line has no cost
            "gross_margin_24m": 30.0,
            "margin_pct_12m": 30.0 / 100.0,  # over costed revenue only, not 30 / 150
        },
    )
    # no cost anywhere: margin is unknown, not 0
    check(
        out["NOCOST"],
        {
            "revenue_12m": 100.0,
            "gross_margin_12m": None,
            "gross_margin_24m": None,
            "margin_pct_12m": None,
        },
    )


def test_revenue_trends(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    # WIN: recent half = 100 (as_of), earlier half = 200 (364 days ago) -> 100/200 - 1
    # prior year (as_of-730, as_of-365] = 400 + 800 = 1200 -> 300/1200 - 1
    check(out["WIN"], {"revenue_trend_6m": -0.5, "revenue_trend_yoy": -0.75})
    # TREND: recent half = 300 (181 days ago); earlier half = 100 (exactly 182) + 100 (364)
    # -> 300/200 - 1 = 0.5; nothing in the prior year -> no base, empty
    check(
        out["TREND"],
        {"revenue_12m": 500.0, "revenue_trend_6m": 0.5, "revenue_trend_yoy": None},
    )
    # RETONLY: 12m = -40, prior year = 100 -> -40/100 - 1 = -1.4; earlier half has no
    # revenue -> 6-month trend empty
    check(out["RETONLY"], {"revenue_trend_6m": None, "revenue_trend_yoy": -1.4})


def test_orders_rfm_and_rhythm_on_window_boundaries(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    # purchase days (whole history up to as_of): 730, 729, 365, 364, 0 days ago;
    # the line after as_of does not count
    gaps = [1, 364, 1, 364]
    check(
        out["WIN"],
        {
            "orders_12m": 2,  # 0 and 364 days ago
            "days_since_last_order": 0,
            "rfm_frequency": 5 - 1,
            "rfm_recency_days": 730 - 0,
            "rfm_t_days": 730,
            "rfm_monetary_value": (800.0 + 400.0 + 200.0 + 100.0) / 4,  # 375
            "tenure_days": 730,  # no customer_since: the first order
            "order_interval_mean_days": 730 / 4,  # 182.5
            "order_interval_cv": stdev(gaps) / 182.5,  # 209.578... / 182.5 = 1.1484
            "order_value_cv_12m": stdev([100.0, 200.0]) / 150.0,  # 70.711 / 150 = 0.4714
            "return_share_12m": 0.0,
        },
    )


def test_order_lines_returns_and_same_day_orders(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    check(
        out["ORD"],
        {
            # returns are deducted: 60 + 40 + 50 + 250 - 20 - 30
            "revenue_12m": 350.0,
            # ORD-1 (two lines), ORD-2, ORD-3; ORD-R has only a negative line
            "orders_12m": 3,
            # order values 100 (60 + 40), 50, 250; the return on ORD-3 is not a purchase
            # stdev = 104.083, mean = 133.333 -> 0.7806
            "order_value_cv_12m": stdev([100.0, 50.0, 250.0]) / (400.0 / 3),
            # returns 20 + 30 over gross sales 400
            "return_share_12m": 50.0 / 400.0,
            # last purchase 40 days ago; the returns 30 and 20 days ago are not purchases
            "days_since_last_order": 40,
            # purchase days: 100 days ago (ORD-1 and ORD-2: one transaction of 150), 40 days ago
            "rfm_frequency": 1,
            "rfm_recency_days": 60,
            "rfm_t_days": 100,
            "rfm_monetary_value": 250.0,  # the one repeat day
            "order_interval_mean_days": 60.0,
            "order_interval_cv": None,  # only 2 purchase days
            "tenure_days": 100,
        },
    )


def test_order_rhythm_and_tenure_from_customer_since(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    # purchase days 60, 50, 30, 0 days ago: gaps 10, 20, 30 -> mean 20, stdev 10
    check(
        out["RHYTHM"],
        {
            "revenue_12m": 100.0,
            "orders_12m": 4,
            "days_since_last_order": 0,
            "rfm_frequency": 3,
            "rfm_recency_days": 60,
            "rfm_t_days": 60,
            "rfm_monetary_value": (20.0 + 30.0 + 40.0) / 3,  # 30
            "order_interval_mean_days": 20.0,
            "order_interval_cv": 10.0 / 20.0,
            # order values 10, 20, 30, 40: stdev 12.910, mean 25 -> 0.5164
            "order_value_cv_12m": stdev([10.0, 20.0, 30.0, 40.0]) / 25.0,
            "tenure_days": 400,  # customer_since 400 days ago, before the first order
        },
    )


def test_single_purchase_and_customer_since_after_first_order(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    check(
        out["LATESINCE"],
        {
            "orders_12m": 1,
            "days_since_last_order": 50,
            "rfm_frequency": 0,
            "rfm_recency_days": 0,
            "rfm_t_days": 50,
            "rfm_monetary_value": 0.0,  # no repeat purchase: 0, not empty
            "order_interval_mean_days": None,
            "order_interval_cv": None,
            "order_value_cv_12m": None,  # one order
            "return_share_12m": 0.0,
            # customer_since is 5 days ago but the first order 50: the earlier one counts
            "tenure_days": 50,
        },
    )


def test_returns_only_in_window(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    check(
        out["RETONLY"],
        {
            "revenue_12m": -40.0,
            "revenue_24m": 100.0 - 40.0,
            "orders_12m": 0,
            "return_share_12m": None,  # no purchase in the window to compare with
            "order_value_cv_12m": None,
            # RFM sees only the purchase 400 days ago
            "days_since_last_order": 400,
            "rfm_frequency": 0,
            "rfm_recency_days": 0,
            "rfm_t_days": 400,
            "rfm_monetary_value": 0.0,
            "tenure_days": 400,
            "coverage_value": True,
        },
    )


VALUE_SIGNALS = (
    "revenue_12m",
    "revenue_24m",
    "gross_margin_12m",
    "gross_margin_24m",
    "margin_pct_12m",
    "revenue_trend_6m",
    "revenue_trend_yoy",
    "orders_12m",
    "days_since_last_order",
    "rfm_frequency",
    "rfm_recency_days",
    "rfm_t_days",
    "rfm_monetary_value",
    "tenure_days",
    "order_interval_mean_days",
    "order_interval_cv",
    "order_value_cv_12m",
    "return_share_12m",
    "abc_class",
    "revenue_share_12m",
)


def test_no_orders_is_missing_not_zero(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    # NOORD has a customer_since but no order; FUTURE's only order is after as_of
    for customer in ("NOORD", "FUTURE"):
        row = out[customer]
        assert {s: row[s] for s in VALUE_SIGNALS} == dict.fromkeys(VALUE_SIGNALS), customer
        assert row["coverage_value"] is False


ABC = {
    # listed in reverse order so that the tie-break cannot come from row order
    "customers": [{"customer_id": c} for c in ("ZERO", "T3", "T2", "T1", "S", "P", "NONE", "NEG")],
    "orders": [
        line("ZERO", "ZERO-1", 400, 30.0),  # only before the 12 months: revenue_12m 0
        line("T3", "T3-1", 3, 15.0),
        line("T2", "T2-1", 2, 15.0),
        line("T1", "T1-1", 1, 15.0),
        line("S", "S-1", 10, 5.0),
        line("P", "P-1", 5, 30.0),
        line("P", "P-2", 6, 20.0),
        line("NEG", "NEG-1", 20, 10.0),
        line("NEG", "NEG-R", 10, -20.0),  # net -10
    ],
}


def test_abc_class_boundaries_and_ties(signals: Compute) -> None:
    out = signals(ABC, AS_OF)
    # positive 12-month revenue: P 50, T1 15, T2 15, T3 15, S 5 -> total 100.
    # ranked by revenue desc then customer_id: P, T1, T2, T3, S.
    # share of the customers ranked before: P 0 -> A, T1 0.50 -> A, T2 0.65 -> A,
    # T3 0.80 (not < 0.80) -> B, S 0.95 (not < 0.95) -> C
    got = {c: out[c]["abc_class"] for c in out}
    assert got == {
        "P": "A",
        "T1": "A",
        "T2": "A",
        "T3": "B",  # tied with T1 and T2, last by customer_id
        "S": "C",
        "NEG": "C",  # revenue_12m -10
        "ZERO": "C",  # revenue_12m 0
        "NONE": None,  # no orders
    }


def test_revenue_share(signals: Compute) -> None:
    out = signals(ABC, AS_OF)
    check(out["P"], {"revenue_12m": 50.0, "revenue_share_12m": 50.0 / 100.0})
    check(out["T3"], {"revenue_share_12m": 15.0 / 100.0})
    check(out["S"], {"revenue_share_12m": 5.0 / 100.0})
    # not positive: no share of the portfolio (0), and not part of the total
    check(out["NEG"], {"revenue_12m": -10.0, "revenue_share_12m": 0.0})
    check(out["ZERO"], {"revenue_12m": 0.0, "revenue_share_12m": 0.0})
    check(out["NONE"], {"revenue_12m": None, "revenue_share_12m": None})


def test_long_window_from_config(signals: Compute) -> None:
    out = signals(VALUE, AS_OF, SignalConfig(long_window_days=180))
    # long window 180 days, so "12m" = (as_of-180, as_of], "24m" = (as_of-360, as_of],
    # halves of 180 // 2 = 90 days
    check(
        out["K"],
        {
            "revenue_12m": 10.0 + 20.0 + 40.0 + 80.0,  # 150
            "revenue_24m": 150.0 + 160.0 + 320.0,  # 630; 360 days ago is out
            "orders_12m": 4,
            # recent half (as_of-90, as_of] = 10 + 20, earlier (as_of-180, as_of-90] = 40 + 80
            "revenue_trend_6m": 30.0 / 120.0 - 1,  # -0.75
            # prior window (as_of-360, as_of-180] = 160 + 320
            "revenue_trend_yoy": 150.0 / 480.0 - 1,  # -0.6875
            "order_value_cv_12m": stdev([10.0, 20.0, 40.0, 80.0]) / 37.5,
        },
    )
    # WIN: only the as_of line is within 180 (and 360) days; RFM reads the whole history
    check(
        out["WIN"],
        {
            "revenue_12m": 100.0,
            "revenue_24m": 100.0,
            "gross_margin_12m": 100.0 - 60.0,
            "orders_12m": 1,
            "rfm_frequency": 4,
            "rfm_t_days": 730,
        },
    )


def test_long_window_default(signals: Compute) -> None:
    out = signals(VALUE, AS_OF)
    # default 365 days: every line (the oldest is 360 days ago) is in the 12 months
    check(
        out["K"],
        {
            "revenue_12m": 1270.0,
            "revenue_24m": 1270.0,
            "orders_12m": 7,
            # recent half (as_of-182, as_of] = 10 + 20 + 40 + 80 + 160 = 310 (180 < 182),
            # earlier half (as_of-365, as_of-182] = 320 + 640 = 960
            "revenue_trend_6m": 310.0 / 960.0 - 1,  # -0.6771
            "revenue_trend_yoy": None,  # nothing before as_of-365
        },
    )
