"""Payment behaviour: how a customer pays, in one word collections can act on.

Each customer with paid invoices in the last 12 months gets exactly one segment, the first of
these that applies (the order is the precedence):

1. ``disputer``: disputes at least ``disputer_rate`` of its invoices, and its lateness is
   mostly the disputed invoices (the share paid over 30 days late is no more than
   ``disputer_excess_late`` above the dispute rate). A customer that disputes a fifth of its
   invoices but pays nearly all of them a month late is chronically late first: settling the
   disputes would not get the money in.
2. ``deteriorating`` (credit arm): the credit score fell by ``credit_drop`` points or more in
   12 months and the customer pays materially late (below). It comes before
   ``chronically_late`` because a sliding score says the lateness is new and has a cause in the
   customer's finances: the credit limit, not the dunning letter, is the lever.
3. ``chronically_late``: ``late_30_share_12m >= chronic_late_30_share`` or
   ``days_late_mean_12m >= chronic_days_late``.
4. ``deteriorating`` (trend arm): ``days_late_trend >= trend_days`` and paying materially late;
   for a customer that pays on a fixed day the trend must reach ``fixed_trend_days``, because
   where the due dates fall against its pay day moves its days late by up to a month without
   anything changing.
5. ``fixed_date_payer``: ``pay_day_regularity >= fixed_regularity`` with a usual pay day. This
   includes customers that are a little late because they wait for their pay day; the day is
   carried into ``usual_pay_day`` so that dunning can wait for it.
6. ``occasionally_late``: pays materially late: ``late_30_share_12m >= occasional_late_30_share``
   or ``days_late_mean_12m >= occasional_days_late``. ``late_share_12m`` alone is not used: it
   counts an invoice paid one day late, and on-time customers pay half their invoices a day or
   two after the due date.
7. ``on_time`` otherwise.

A customer without a paid invoice in the window (``late_share_12m`` empty) has no segment.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from riskseg.models.reasons import signal_values

#: the payment segments, in order of precedence
PAYMENT_SEGMENTS: tuple[str, ...] = (
    "disputer",
    "deteriorating",
    "chronically_late",
    "fixed_date_payer",
    "occasionally_late",
    "on_time",
)


class PaymentSettings(BaseModel):
    """Thresholds of the payment segments (tuned on the demo company, see docs/segments.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disputer_rate: float = Field(
        default=0.12, ge=0, le=1, description="dispute_rate_12m that makes a disputer"
    )
    disputer_excess_late: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="late_30_share_12m above the dispute rate that makes a disputer chronic",
    )
    chronic_late_30_share: float = Field(
        default=0.3, ge=0, le=1, description="late_30_share_12m that makes chronically late"
    )
    chronic_days_late: float = Field(
        default=30.0, ge=0, description="days_late_mean_12m that makes chronically late"
    )
    credit_drop: float = Field(
        default=10.0, gt=0, description="credit score points lost in 12 months: deteriorating"
    )
    trend_days: float = Field(
        default=10.0, gt=0, description="days_late_trend that makes deteriorating"
    )
    fixed_trend_days: float = Field(
        default=20.0,
        gt=0,
        description="days_late_trend that makes a fixed-date payer deteriorating",
    )
    fixed_regularity: float = Field(
        default=0.7, ge=0, le=1, description="pay_day_regularity that makes a fixed-date payer"
    )
    occasional_late_30_share: float = Field(
        default=0.05, ge=0, le=1, description="late_30_share_12m that makes occasionally late"
    )
    occasional_days_late: float = Field(
        default=7.0, ge=0, description="days_late_mean_12m that makes occasionally late"
    )


def _ge(values: NDArray[np.float64], threshold: float) -> NDArray[np.bool_]:
    # NaN compares False: a signal without data never puts a customer in a segment
    return np.asarray(np.nan_to_num(values, nan=-np.inf) >= threshold)


def payment_segments(
    signals: pa.Table, settings: PaymentSettings | None = None
) -> tuple[pa.Array, pa.Array]:
    """The payment segment and, for fixed-date payers, the usual pay day of every row.

    Parameters
    ----------
    signals
        Per-customer signals (:func:`riskseg.signals.compute_signals`); missing columns read
        as empty.
    settings
        Thresholds; the defaults are documented in docs/segments.md.

    Returns
    -------
    (payment_segment, usual_pay_day)
        A string array (null without a paid invoice in 12 months) and an int64 array (null
        unless the segment is ``fixed_date_payer``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"late_share_12m": [0.2, 0.9, None], "late_30_share_12m": [0.0, 0.8, None],
    ...               "days_late_mean_12m": [2.0, 45.0, None]})
    >>> payment_segments(t)[0].to_pylist()
    ['on_time', 'chronically_late', None]
    """
    s = settings or PaymentSettings()

    def v(name: str) -> NDArray[np.float64]:
        return signal_values(signals, name)

    late_share = v("late_share_12m")
    late_30 = v("late_30_share_12m")
    days_late = v("days_late_mean_12m")
    dispute = v("dispute_rate_12m")
    trend = v("days_late_trend")
    credit_change = v("credit_score_change_12m")
    regularity = v("pay_day_regularity")
    pay_day = v("pay_day_usual")

    material = _ge(late_30, s.occasional_late_30_share) | _ge(days_late, s.occasional_days_late)
    regular = _ge(regularity, s.fixed_regularity) & ~np.isnan(pay_day)
    excess = np.nan_to_num(late_30, nan=0.0) - np.nan_to_num(dispute, nan=0.0)
    conditions = [
        _ge(dispute, s.disputer_rate) & (excess <= s.disputer_excess_late),
        _ge(-credit_change, s.credit_drop) & material,
        _ge(late_30, s.chronic_late_30_share) | _ge(days_late, s.chronic_days_late),
        np.where(regular, _ge(trend, s.fixed_trend_days), _ge(trend, s.trend_days)) & material,
        regular,
        material,
    ]
    choice = np.select(conditions, [0, 1, 2, 1, 3, 4], default=5)
    has_data = ~np.isnan(late_share)
    names = pa.array(PAYMENT_SEGMENTS, pa.string())
    segment = names.take(pa.array(choice, pa.int64(), mask=~has_data))
    fixed = has_data & (choice == PAYMENT_SEGMENTS.index("fixed_date_payer"))
    day = pa.array(np.nan_to_num(pay_day, nan=0).astype(np.int64), pa.int64(), mask=~fixed)
    return segment, day
