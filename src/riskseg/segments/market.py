"""Market-segment economics: does each industry, region and size band pay for the effort?

For every value of ``industry``, ``region`` and ``size_band`` (customers, not prospects), over
the last 12 months:

* ``revenue_12m``, ``gross_margin_12m``, ``net_contribution_12m``: sums of the signals
  (``net_contribution_12m`` over the customers whose margin is known);
* ``cost_to_serve_12m``: service plus commercial effort (``cost_to_serve_12m +
  commercial_cost_12m``), everything the segment costs besides its goods;
* ``margin_pct``: gross margin over the revenue of the customers whose margin is known;
* ``roi``: net contribution per unit of that effort (empty when no effort is recorded);
* ``late_payment_rate``: share of the customers with paid invoices that are chronically late
  by the payment segments' rule (``late_30_share_12m >= 0.3`` or ``days_late_mean_12m >= 30``);
* ``churn_rate``: share of the customers that bought in the last ``churn_base_days`` (730) that
  have not bought for more than ``churn_days`` (180), from ``days_since_last_order``. This is the
  segment's own recent churn, not the peer signals (``peer_churn_rate_*`` leave the customer
  out and would give each customer a slightly different rate for the same segment);
* ``returns_cover_effort``: net contribution above 0 and ROI at least ``roi_floor`` (1: each
  unit spent on serving and selling comes back at least once more); empty when no margin is
  known;
* ``flag``: why the returns do not cover the effort, in words; empty when they do.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from riskseg.models.reasons import signal_values
from riskseg.segments.payment import PaymentSettings

DIMENSIONS: tuple[str, ...] = ("industry", "region", "size_band")

MARKET_SCHEMA = pa.schema(
    [
        ("dimension", pa.string()),
        ("value", pa.string()),
        ("customers", pa.int64()),
        ("revenue_12m", pa.float64()),
        ("gross_margin_12m", pa.float64()),
        ("cost_to_serve_12m", pa.float64()),
        ("net_contribution_12m", pa.float64()),
        ("margin_pct", pa.float64()),
        ("roi", pa.float64()),
        ("late_payment_rate", pa.float64()),
        ("churn_rate", pa.float64()),
        ("returns_cover_effort", pa.bool_()),
        ("flag", pa.string()),
    ]
)


class MarketSettings(BaseModel):
    """When a market segment's returns cover its effort, and how its churn is read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roi_floor: float = Field(
        default=1.0, description="lowest net contribution per unit of effort that covers it"
    )
    churn_days: int = Field(default=180, ge=1, description="days without an order that churn")
    churn_base_days: int = Field(
        default=730, ge=1, description="customers that bought within this many days count"
    )


def _sum(index: NDArray[np.int64], values: NDArray[np.float64], groups: int) -> NDArray[np.float64]:
    return np.asarray(np.bincount(index, weights=np.nan_to_num(values), minlength=groups), float)


def _count(index: NDArray[np.int64], mask: NDArray[np.bool_], groups: int) -> NDArray[np.float64]:
    return np.asarray(np.bincount(index, weights=mask.astype(np.float64), minlength=groups), float)


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _flag(gross: float, net: float, roi: float, floor: float) -> str | None:
    if np.isnan(net):
        return None
    if gross < 0:
        return "sells below cost: the gross margin is negative"
    if net <= 0:
        return "margin does not cover the cost to serve"
    if not np.isnan(roi) and roi < floor:
        return f"returns {roi:.2f} per unit of effort, below the floor of {floor:g}"
    return None


def market_economics(
    signals: pa.Table,
    dimensions: dict[str, pa.Array],
    customer: NDArray[np.bool_],
    *,
    settings: MarketSettings | None = None,
    payment: PaymentSettings | None = None,
) -> pa.Table:
    """One row per dimension value with its economics, ordered by dimension, then revenue.

    Parameters
    ----------
    signals
        Per-customer signals.
    dimensions
        ``industry`` / ``region`` / ``size_band`` -> a string array aligned with ``signals``
        (null = unknown, a row of its own); a dimension left out gives no rows.
    customer
        True for the rows that count (customers, not prospects).
    settings, payment
        The ROI floor and churn windows; the late-payment rule of the payment segments.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> t = pa.table({"revenue_12m": [100.0, 50.0], "gross_margin_12m": [10.0, 20.0],
    ...               "cost_to_serve_12m": [30.0, 5.0], "net_contribution_12m": [-20.0, 15.0]})
    >>> m = market_economics(t, {"region": pa.array(["N", "S"])}, np.ones(2, bool))
    >>> m.column("flag").to_pylist()
    ['margin does not cover the cost to serve', None]
    """
    s = settings or MarketSettings()
    p = payment or PaymentSettings()

    def v(name: str) -> NDArray[np.float64]:
        return signal_values(signals, name)[customer]

    revenue, gross, net = v("revenue_12m"), v("gross_margin_12m"), v("net_contribution_12m")
    effort = np.nan_to_num(v("cost_to_serve_12m")) + np.nan_to_num(v("commercial_cost_12m"))
    late_30, days_late = v("late_30_share_12m"), v("days_late_mean_12m")
    since = v("days_since_last_order")
    paid = ~np.isnan(late_30) | ~np.isnan(days_late)
    late = (np.nan_to_num(late_30, nan=-1) >= p.chronic_late_30_share) | (
        np.nan_to_num(days_late, nan=-1) >= p.chronic_days_late
    )
    recent = since <= s.churn_base_days
    churned = recent & (since > s.churn_days)
    known = ~np.isnan(gross)

    parts = []
    for dim in DIMENSIONS:
        if dim not in dimensions:
            continue
        values = pc.cast(dimensions[dim], pa.string()).filter(pa.array(customer))
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = pc.dictionary_encode(values, null_encoding="encode")
        if len(encoded) == 0:
            continue
        index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        groups = len(encoded.dictionary)
        n = np.bincount(index, minlength=groups)
        g_rev = _sum(index, revenue, groups)
        g_gross = np.where(_count(index, known, groups) > 0, _sum(index, gross, groups), np.nan)
        g_net = np.where(_count(index, known, groups) > 0, _sum(index, net, groups), np.nan)
        g_effort = _sum(index, effort, groups)
        g_margin = _ratio(g_gross, _sum(index, np.where(known, revenue, 0.0), groups))
        g_roi = _ratio(g_net, g_effort)
        g_late = _ratio(_count(index, paid & late, groups), _count(index, paid, groups))
        g_churn = _ratio(_count(index, churned, groups), _count(index, recent, groups))
        roi_ok = np.where(np.isnan(g_roi), True, g_roi >= s.roi_floor)
        cover = pa.array((g_net > 0) & roi_ok, mask=np.isnan(g_net))
        flags = [
            _flag(float(g_gross[i]), float(g_net[i]), float(g_roi[i]), s.roi_floor)
            for i in range(groups)
        ]
        order = np.lexsort((np.arange(groups), -g_rev))
        part = pa.table(
            {
                "dimension": pa.array([dim] * groups, pa.string()),
                "value": encoded.dictionary,
                "customers": pa.array(n, pa.int64()),
                "revenue_12m": g_rev,
                "gross_margin_12m": pa.array(g_gross, mask=np.isnan(g_gross)),
                "cost_to_serve_12m": g_effort,
                "net_contribution_12m": pa.array(g_net, mask=np.isnan(g_net)),
                "margin_pct": pa.array(g_margin, mask=np.isnan(g_margin)),
                "roi": pa.array(g_roi, mask=np.isnan(g_roi)),
                "late_payment_rate": pa.array(g_late, mask=np.isnan(g_late)),
                "churn_rate": pa.array(g_churn, mask=np.isnan(g_churn)),
                "returns_cover_effort": cover,
                "flag": pa.array(flags, pa.string()),
            }
        )
        parts.append(part.take(pa.array(order)).cast(MARKET_SCHEMA))
    if not parts:
        return MARKET_SCHEMA.empty_table()
    return pa.concat_tables(parts)


def market_key(dimensions: dict[str, pa.Array], n: int) -> pa.Array:
    """``industry / region / size_band`` per row (``unknown`` for an empty part).

    Null for every row when no dimension is known at all.
    """
    if not dimensions:
        return pa.nulls(n, pa.string())
    parts = [
        pc.fill_null(pc.cast(dimensions[d], pa.string()), "unknown")
        if d in dimensions
        else pa.array(["unknown"] * n, pa.string())
        for d in DIMENSIONS
    ]
    key = pc.binary_join_element_wise(*parts, " / ")
    return key.combine_chunks() if isinstance(key, pa.ChunkedArray) else key
