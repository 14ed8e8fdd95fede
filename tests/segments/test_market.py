"""Market-segment economics: sums, rates, the ROI floor and the flag in words."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from riskseg.segments import MarketSettings
from riskseg.segments.market import market_economics, market_key

SIGNALS = pa.table(
    {
        "revenue_12m": [1000.0, 500.0, 2000.0, 800.0, 0.0],
        "gross_margin_12m": [300.0, 100.0, 200.0, -50.0, None],
        "cost_to_serve_12m": [50.0, 20.0, 150.0, 10.0, 0.0],
        "commercial_cost_12m": [50.0, 0.0, 100.0, 0.0, 0.0],
        "net_contribution_12m": [200.0, 80.0, -50.0, -60.0, None],
        "late_30_share_12m": [0.0, 0.5, 0.1, None, None],
        "days_late_mean_12m": [2.0, 40.0, 31.0, None, None],
        "days_since_last_order": [10.0, 200.0, 30.0, 800.0, None],
    }
)
DIMS = {
    "industry": pa.array(["Metal", "Metal", "Food", "Food", "Metal"]),
    "size_band": pa.array(["small", "small", "large", None, "small"]),
}
CUSTOMER = np.array([True, True, True, True, False])  # the last one is a prospect


def _rows(settings: MarketSettings | None = None) -> dict[tuple[str, str | None], dict]:
    t = market_economics(SIGNALS, DIMS, CUSTOMER, settings=settings)
    return {(r["dimension"], r["value"]): r for r in t.to_pylist()}


def test_sums_and_rates_per_segment() -> None:
    rows = _rows()
    metal = rows[("industry", "Metal")]
    assert metal["customers"] == 2  # the prospect does not count
    assert metal["revenue_12m"] == 1500 and metal["gross_margin_12m"] == 400
    assert metal["cost_to_serve_12m"] == 120  # service + commercial effort
    assert metal["net_contribution_12m"] == 280
    assert metal["margin_pct"] == 400 / 1500
    assert metal["roi"] == 280 / 120
    assert metal["late_payment_rate"] == 0.5  # one of two pays over 30 days late
    assert metal["churn_rate"] == 0.5  # bought within 730 days, not in the last 180
    assert metal["returns_cover_effort"] is True and metal["flag"] is None
    food = rows[("industry", "Food")]
    assert food["late_payment_rate"] == 1.0  # 31 days late on average; 800 has no payments
    assert food["churn_rate"] == 0.0  # 800 days ago is outside the base
    assert food["returns_cover_effort"] is False
    assert food["flag"] == "margin does not cover the cost to serve"
    # unknown size band is a row of its own, and it sells below cost
    assert rows[("size_band", None)]["flag"] == "sells below cost: the gross margin is negative"
    assert [d for d, _ in rows] == ["industry"] * 2 + ["size_band"] * 3


def test_rows_are_ordered_by_revenue_within_a_dimension() -> None:
    t = market_economics(SIGNALS, DIMS, CUSTOMER)
    assert t.column("value").to_pylist()[:2] == ["Food", "Metal"]


def test_roi_floor_is_a_setting() -> None:
    rows = _rows(MarketSettings(roi_floor=3.0))
    metal = rows[("industry", "Metal")]
    assert metal["returns_cover_effort"] is False
    assert metal["flag"] == "returns 2.33 per unit of effort, below the floor of 3"


def test_no_dimensions_no_rows() -> None:
    t = market_economics(SIGNALS, {}, CUSTOMER)
    assert t.num_rows == 0 and "returns_cover_effort" in t.column_names


def test_market_key_names_every_part() -> None:
    key = market_key(DIMS, 5).to_pylist()
    assert key[0] == "Metal / unknown / small"
    assert key[3] == "Food / unknown / unknown"
    assert market_key({}, 2).to_pylist() == [None, None]
