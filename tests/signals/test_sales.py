"""Hand-made tests for the sales family: quotes, win rate, discount, quotes per order, lost value.

Every expected value is worked out by hand in the comments. Dates are written as days before
``AS_OF`` (``ago(365)`` is exactly as_of-365, which is *outside* a 365-day window; ``ago(0)`` is
as_of itself, which is inside). Each customer of a fixture exercises one case.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sigtools import Compute, approx

from riskseg.signals import SignalConfig

AS_OF = date(2025, 6, 30)

SALES_SIGNALS = (
    "quotes_12m",
    "quote_win_rate_12m",
    "discount_mean_12m",
    "quotes_per_order_12m",
    "lost_quote_value_12m",
)


def ago(days: int) -> date:
    """The day ``days`` days before AS_OF (negative: after it)."""
    return AS_OF - timedelta(days=days)


def quote(
    customer: str,
    quote_id: str,
    days_ago: int,
    amount: float,
    status: str,
    discount: float | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "quote_id": quote_id,
        "customer_id": customer,
        "quote_date": ago(days_ago),
        "amount": amount,
        "status": status,
    }
    if discount is not None:
        row["discount_pct"] = discount
    return row


def line(customer: str, order_id: str, days_ago: int, revenue: float) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "order_date": ago(days_ago),
        "revenue": revenue,
    }


def check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, want in expected.items():
        assert row[name] == approx(want), f"{name}: got {row[name]!r}, expected {want!r}"


SALES = {
    "customers": [{"customer_id": c} for c in ("MIX", "OPEN", "OLD", "NOQ", "WON", "LOST")],
    "quotes": [
        # MIX: every status, the window boundaries and a quote after as_of
        quote("MIX", "MIX-1", 0, 100.0, "won", 10.0),  # as_of itself: in
        quote("MIX", "MIX-2", 364, 200.0, "lost", 20.0),  # last day of the window: in
        quote("MIX", "MIX-3", 365, 400.0, "won", 90.0),  # as_of-365: out
        quote("MIX", "MIX-4", 100, 300.0, "expired"),  # no discount
        quote("MIX", "MIX-5", 50, 1000.0, "open", 30.0),  # not decided
        quote("MIX", "MIX-6", -1, 5000.0, "lost", 50.0),  # after as_of: does not exist yet
        # OPEN: one open quote, no orders
        quote("OPEN", "OPEN-1", 10, 50.0, "open"),
        # OLD: only a quote before the window
        quote("OLD", "OLD-1", 400, 70.0, "won", 5.0),
        # WON: everything won, a discount of 0
        quote("WON", "WON-1", 5, 10.0, "won", 0.0),
        quote("WON", "WON-2", 6, 20.0, "won", 5.0),
        # LOST: lost and expired only
        quote("LOST", "LOST-1", 20, 100.0, "lost", 15.0),
        quote("LOST", "LOST-2", 30, 50.0, "expired", 25.0),
        quote("LOST", "LOST-3", 40, 25.0, "lost", 35.0),
    ],
    "orders": [
        # MIX: one order of two lines 10 days ago, one order 200 days ago
        line("MIX", "MIX-O1", 10, 60.0),
        line("MIX", "MIX-O1", 10, 40.0),
        line("MIX", "MIX-O2", 200, 80.0),
        # OLD: three orders in the window
        line("OLD", "OLD-O1", 10, 10.0),
        line("OLD", "OLD-O2", 20, 10.0),
        line("OLD", "OLD-O3", 30, 10.0),
        # NOQ: orders, no quotes
        line("NOQ", "NOQ-O1", 10, 10.0),
        # WON: one order of two lines and a cancellation
        line("WON", "WON-O1", 3, 100.0),
        line("WON", "WON-O1", 3, 50.0),
        line("WON", "WON-R", 2, -30.0),
        # LOST: only a cancellation: no orders
        line("LOST", "LOST-R", 5, -10.0),
    ],
}


def test_statuses_and_window_boundaries(signals: Compute) -> None:
    out = signals(SALES, AS_OF)
    check(
        out["MIX"],
        {
            # in (as_of-365, as_of]: MIX-1, MIX-2, MIX-4, MIX-5
            "quotes_12m": 4,
            # won 1 (MIX-1) of decided 3 (won MIX-1, lost MIX-2, expired MIX-4); open not decided
            "quote_win_rate_12m": 1 / 3,
            # discounts in the window: 10, 20, 30 (MIX-4 has none) -> 20
            "discount_mean_12m": (10.0 + 20.0 + 30.0) / 3,
            # lost MIX-2 200 + expired MIX-4 300
            "lost_quote_value_12m": 500.0,
            # 4 quotes / 2 orders (MIX-O1 has two lines)
            "quotes_per_order_12m": 4 / 2,
            "coverage_sales": True,
        },
    )


def test_open_quote_only(signals: Compute) -> None:
    out = signals(SALES, AS_OF)
    check(
        out["OPEN"],
        {
            "quotes_12m": 1,
            "quote_win_rate_12m": None,  # nothing decided
            "discount_mean_12m": None,  # no discount given
            "lost_quote_value_12m": 0.0,
            "quotes_per_order_12m": 1 / 1,  # no orders: divided by max(0, 1)
            "coverage_value": False,
        },
    )


def test_quotes_only_before_window(signals: Compute) -> None:
    out = signals(SALES, AS_OF)
    check(
        out["OLD"],
        {
            "quotes_12m": 0,
            "quote_win_rate_12m": None,
            "discount_mean_12m": None,
            "lost_quote_value_12m": 0.0,
            "quotes_per_order_12m": 0 / 3,
            "coverage_sales": True,
        },
    )


def test_all_won_and_zero_discount(signals: Compute) -> None:
    out = signals(SALES, AS_OF)
    check(
        out["WON"],
        {
            "quotes_12m": 2,
            "quote_win_rate_12m": 1.0,
            "discount_mean_12m": (0.0 + 5.0) / 2,  # a discount of 0 counts
            "lost_quote_value_12m": 0.0,
            # one order (two lines); the cancellation WON-R is not an order
            "quotes_per_order_12m": 2 / 1,
        },
    )


def test_all_lost_or_expired(signals: Compute) -> None:
    out = signals(SALES, AS_OF)
    check(
        out["LOST"],
        {
            "quotes_12m": 3,
            "quote_win_rate_12m": 0.0,  # decided, none won: 0, not empty
            "discount_mean_12m": (15.0 + 25.0 + 35.0) / 3,  # 25
            "lost_quote_value_12m": 100.0 + 50.0 + 25.0,
            # the only order line is a cancellation: 0 orders -> 3 / max(0, 1)
            "quotes_per_order_12m": 3 / 1,
        },
    )


def test_no_quotes_is_missing_not_zero(signals: Compute) -> None:
    out = signals(SALES, AS_OF)
    row = out["NOQ"]
    assert {s: row[s] for s in SALES_SIGNALS} == dict.fromkeys(SALES_SIGNALS)
    assert row["coverage_sales"] is False
    assert row["orders_12m"] == 1


def test_long_window_from_config(signals: Compute) -> None:
    out = signals(SALES, AS_OF, SignalConfig(long_window_days=180))
    # window (as_of-180, as_of]: MIX-1 won (discount 10), MIX-4 expired 300 (no discount),
    # MIX-5 open (discount 30); MIX-2 (364 days ago) is now out. Orders: only MIX-O1.
    check(
        out["MIX"],
        {
            "quotes_12m": 3,
            "quote_win_rate_12m": 1 / 2,
            "discount_mean_12m": (10.0 + 30.0) / 2,
            "lost_quote_value_12m": 300.0,
            "quotes_per_order_12m": 3 / 1,
        },
    )


QUOTES_ONLY = {
    "customers": [{"customer_id": "Q"}],
    "quotes": [
        quote("Q", "Q-1", 0, 100.0, "won"),
        quote("Q", "Q-2", 1, 50.0, "lost", 8.0),
    ],
}


def test_without_orders_table(signals: Compute) -> None:
    out = signals(QUOTES_ONLY, AS_OF)
    check(
        out["Q"],
        {
            "quotes_12m": 2,
            "quote_win_rate_12m": 1 / 2,
            "discount_mean_12m": 8.0,
            "lost_quote_value_12m": 50.0,
            "quotes_per_order_12m": None,  # no orders table: orders unknown, not 0
            "coverage_sales": True,
            "coverage_value": False,
        },
    )
