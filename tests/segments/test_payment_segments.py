"""Payment segments from hand-made signals: each rule, the precedence, the usual pay day."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from riskseg.segments import PaymentSettings
from riskseg.segments.payment import payment_segments

ON_TIME = {
    "late_share_12m": 0.4,
    "late_30_share_12m": 0.0,
    "days_late_mean_12m": 1.5,
    "dispute_rate_12m": 0.0,
    "days_late_trend": 0.0,
    "credit_score_change_12m": 0.0,
    "pay_day_regularity": 0.3,
    "pay_day_usual": 12,
}


def _rows(*changes: dict[str, Any]) -> pa.Table:
    rows = [{**ON_TIME, **c} for c in changes]
    return pa.Table.from_pylist(rows)


def _segments(*changes: dict[str, Any], settings: PaymentSettings | None = None) -> list[str]:
    seg, _ = payment_segments(_rows(*changes), settings)
    return seg.to_pylist()


def test_each_rule_on_its_own() -> None:
    assert _segments(
        {},
        {"dispute_rate_12m": 0.2, "late_30_share_12m": 0.2, "days_late_mean_12m": 12},
        {"late_30_share_12m": 0.3, "days_late_mean_12m": 20},
        {"days_late_mean_12m": 30},
        {"days_late_trend": 12, "days_late_mean_12m": 9},
        {"credit_score_change_12m": -10, "days_late_mean_12m": 8},
        {"pay_day_regularity": 0.7, "days_late_mean_12m": 9},
        {"late_30_share_12m": 0.05},
        {"days_late_mean_12m": 7},
    ) == [
        "on_time",
        "disputer",
        "chronically_late",
        "chronically_late",
        "deteriorating",
        "deteriorating",
        "fixed_date_payer",
        "occasionally_late",
        "occasionally_late",
    ]


def test_paying_a_day_or_two_late_is_on_time() -> None:
    # late_share counts one day late; half the invoices a day late is not "occasionally late"
    assert _segments({"late_share_12m": 0.6, "days_late_mean_12m": 2.0}) == ["on_time"]


def test_no_paid_invoice_means_no_segment() -> None:
    seg, day = payment_segments(_rows({"late_share_12m": None, "dispute_rate_12m": 0.5}))
    assert seg.to_pylist() == [None] and day.to_pylist() == [None]


def test_missing_columns_read_as_empty() -> None:
    seg, _ = payment_segments(pa.table({"late_share_12m": [0.5]}))
    assert seg.to_pylist() == ["on_time"]


def test_disputer_comes_first_unless_lateness_goes_well_beyond_the_disputes() -> None:
    assert _segments(
        {"dispute_rate_12m": 0.3, "late_30_share_12m": 0.5, "days_late_mean_12m": 35},
        {"dispute_rate_12m": 0.2, "late_30_share_12m": 1.0, "days_late_mean_12m": 60},
    ) == ["disputer", "chronically_late"]


def test_sliding_credit_goes_before_chronic_lateness_but_the_trend_does_not() -> None:
    late = {"late_30_share_12m": 0.8, "days_late_mean_12m": 45}
    assert _segments(
        {**late, "credit_score_change_12m": -20},
        {**late, "days_late_trend": 25},
    ) == ["deteriorating", "chronically_late"]


def test_a_credit_slide_without_lateness_is_not_deteriorating() -> None:
    assert _segments({"credit_score_change_12m": -30}) == ["on_time"]


def test_fixed_date_payers_carry_their_pay_day_and_tolerate_calendar_swings() -> None:
    seg, day = payment_segments(
        _rows(
            {"pay_day_regularity": 0.9, "pay_day_usual": 25, "days_late_trend": 14,
             "days_late_mean_12m": 9},
            {"pay_day_regularity": 0.9, "pay_day_usual": 25, "days_late_trend": 22,
             "days_late_mean_12m": 9},
            {"pay_day_regularity": 0.9, "pay_day_usual": None},
            {"pay_day_regularity": 0.5, "pay_day_usual": 25},
        )
    )  # fmt: skip
    assert seg.to_pylist() == ["fixed_date_payer", "deteriorating", "on_time", "on_time"]
    assert day.to_pylist() == [25, None, None, None]


def test_thresholds_are_settings() -> None:
    row = {"dispute_rate_12m": 0.13}
    assert _segments(row) == ["disputer"]
    assert _segments(row, settings=PaymentSettings(disputer_rate=0.2)) == ["on_time"]
