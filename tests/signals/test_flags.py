"""Hand-computed cases for the flags family, on every engine.

A flag is active at as_of when it was raised on or before as_of and ``expires`` is empty or
after as_of. Expected values are worked out by hand in the comments.
"""

from datetime import date

import pytest
from sigtools import Compute

AS_OF = date(2025, 6, 30)

CATEGORIES = ("conduct", "reputation", "ethics", "compliance", "regulatory", "fraud", "other")
#: one count per category, spelled out
CATEGORY_SIGNALS = (
    "flags_active_conduct",
    "flags_active_reputation",
    "flags_active_ethics",
    "flags_active_compliance",
    "flags_active_regulatory",
    "flags_active_fraud",
    "flags_active_other",
)


def _flag(fid: str, cid: str, day: date, category: str, severity: int, expires=None) -> dict:
    return {
        "flag_id": fid,
        "customer_id": cid,
        "date": day,
        "category": category,
        "severity": severity,
        "expires": expires,
    }


TABLES = {
    "customers": [
        {"customer_id": c} for c in ("F_ALL", "F_RED", "F_EXP", "F_MIX", "F_LOW", "F_NONE", "F_FUT")
    ],
    "flags": [
        # F_ALL: one active flag per category, severities 1 and 2 only
        _flag("a1", "F_ALL", date(2025, 1, 15), "conduct", 1),
        _flag("a2", "F_ALL", date(2025, 1, 15), "reputation", 2),
        _flag("a3", "F_ALL", date(2025, 1, 15), "ethics", 1),
        _flag("a4", "F_ALL", date(2025, 1, 15), "compliance", 2, date(2025, 9, 30)),
        _flag("a5", "F_ALL", date(2025, 1, 15), "regulatory", 1),
        _flag("a6", "F_ALL", date(2025, 1, 15), "fraud", 2),
        _flag("a7", "F_ALL", date(2025, 1, 15), "other", 1),
        # F_RED: two active red lines (fraud) and a watch flag (conduct)
        _flag("r1", "F_RED", date(2025, 5, 1), "fraud", 3, date(2025, 12, 31)),
        _flag("r2", "F_RED", date(2025, 6, 10), "fraud", 3),
        _flag("r3", "F_RED", date(2025, 6, 20), "conduct", 1),
        # F_EXP: only expired flags; e1 expires exactly on as_of, which is expired
        _flag("e1", "F_EXP", date(2025, 3, 1), "ethics", 2, date(2025, 6, 30)),
        _flag("e2", "F_EXP", date(2024, 11, 1), "fraud", 3, date(2025, 1, 1)),
        # F_MIX: m1 active red line (expires the day after as_of), m2 a more recent red line
        # but expired, m3 raised on as_of (counts; category written in capitals),
        # m4 raised the day after as_of (does not exist yet)
        _flag("m1", "F_MIX", date(2025, 3, 2), "compliance", 3, date(2025, 7, 1)),
        _flag("m2", "F_MIX", date(2025, 6, 25), "reputation", 3, date(2025, 6, 29)),
        _flag("m3", "F_MIX", date(2025, 6, 30), "Fraud", 2),
        _flag("m4", "F_MIX", date(2025, 7, 1), "ethics", 3),
        # F_LOW: an expired red line and an active watch flag
        _flag("l1", "F_LOW", date(2025, 2, 1), "regulatory", 3, date(2025, 5, 31)),
        _flag("l2", "F_LOW", date(2025, 4, 1), "other", 1),
        # F_FUT: only a flag raised after as_of
        _flag("f1", "F_FUT", date(2025, 7, 15), "conduct", 3),
        # F_NONE: no flags at all
    ],
}


def _counts(row: dict) -> dict:
    return {c: row[s] for c, s in zip(CATEGORIES, CATEGORY_SIGNALS, strict=True)}


def test_one_flag_per_category(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["F_ALL"]
    # seven active flags (a4 expires 2025-09-30, after as_of), one in each category
    assert row["flags_active"] == 7
    assert _counts(row) == dict.fromkeys(CATEGORIES, 1)
    # severities 1, 2, 1, 2, 1, 2, 1 -> max 2; no red line -> empty
    assert row["flag_max_severity"] == 2
    assert row["days_since_red_line"] is None


def test_red_lines(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["F_RED"]
    # r1, r2, r3 all active
    assert row["flags_active"] == 3
    assert _counts(row) == {**dict.fromkeys(CATEGORIES, 0), "fraud": 2, "conduct": 1}
    assert row["flag_max_severity"] == 3
    # latest active red line r2 on 2025-06-10: 2025-06-30 - 2025-06-10 = 20 days
    assert row["days_since_red_line"] == 20


def test_only_expired_flags_count_nowhere(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["F_EXP"]
    # e1 expires on as_of (expired), e2 expired 2025-01-01: nothing active, but the customer
    # has flag rows, so counts are 0 (not empty) and max severity is 0
    assert row["flags_active"] == 0
    assert _counts(row) == dict.fromkeys(CATEGORIES, 0)
    assert row["flag_max_severity"] == 0
    # e2 was a red line, but expired
    assert row["days_since_red_line"] is None
    assert row["coverage_flags"] is True


def test_expired_and_future_flags_mixed_with_active(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["F_MIX"]
    # active: m1 (expires 07-01 > as_of) and m3 (raised on as_of); m2 expired; m4 future
    assert row["flags_active"] == 2
    # m3's category "Fraud" is counted as fraud
    assert _counts(row) == {**dict.fromkeys(CATEGORIES, 0), "compliance": 1, "fraud": 1}
    assert row["flag_max_severity"] == 3  # m1
    # latest active red line is m1 (m2 is more recent but expired, m4 is after as_of):
    # 2025-03-02 -> 2025-06-30 = 29 (rest of March) + 30 + 31 + 30 = 120 days
    assert row["days_since_red_line"] == 120


def test_max_severity_ignores_expired(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["F_LOW"]
    # l1 (severity 3) expired 2025-05-31; only l2 (severity 1, other) is active
    assert row["flags_active"] == 1
    assert _counts(row) == {**dict.fromkeys(CATEGORIES, 0), "other": 1}
    assert row["flag_max_severity"] == 1
    assert row["days_since_red_line"] is None


@pytest.mark.parametrize("customer", ["F_NONE", "F_FUT"])
def test_no_flag_rows_is_empty_not_zero(signals: Compute, customer: str) -> None:
    row = signals(TABLES, AS_OF)[customer]
    # F_NONE has no flags; F_FUT's only flag is raised after as_of, so it does not exist yet
    assert row["flags_active"] is None
    assert _counts(row) == dict.fromkeys(CATEGORIES, None)
    assert row["flag_max_severity"] is None
    assert row["days_since_red_line"] is None
    assert row["coverage_flags"] is False


def test_one_day_later(signals: Compute) -> None:
    out = signals(TABLES, date(2025, 7, 1))
    row = out["F_MIX"]
    # on 2025-07-01: m1 expires that day (expired), m2 expired, m3 active (fraud, 2),
    # m4 raised that day (ethics, red line)
    assert row["flags_active"] == 2
    assert _counts(row) == {**dict.fromkeys(CATEGORIES, 0), "fraud": 1, "ethics": 1}
    assert row["flag_max_severity"] == 3
    assert row["days_since_red_line"] == 0  # m4 raised on as_of
    # F_FUT's flag (2025-07-15) is still in the future
    assert out["F_FUT"]["flags_active"] is None
