"""Hand-computed cases for the external (credit report) family, on every engine.

as_of is 2025-06-30 throughout. The latest report is the latest one dated on or before as_of;
the 6-month change compares its score with the latest scored report on or before as_of-182 =
2024-12-30, the 12-month change with the one on or before as_of-365 = 2024-06-30.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sigtools import Compute, approx

AS_OF = date(2025, 6, 30)


def _report(
    customer: str,
    day: date,
    score: float | None = None,
    pd: float | None = None,
    debt: float | None = None,
    insolvency: bool | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "report_date": day,
        "score": score,
        "probability_of_default": pd,
        "outstanding_debt": debt,
        "insolvency": insolvency,
        "source": source,
    }


TABLES = {
    "customers": [
        {"customer_id": c} for c in ("A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K")
    ],
    "credit_reports": [
        # A: a history of scores; the latest on 2025-06-01
        _report("A", date(2023, 12, 1), 40.0),
        _report("A", date(2024, 6, 30), 50.0),  # as_of-365: the 12-month base
        _report("A", date(2024, 7, 1), 55.0),  # after as_of-365: not a 12-month base
        _report("A", date(2024, 12, 30), 60.0),  # as_of-182: the 6-month base
        _report("A", date(2024, 12, 31), 65.0),  # after as_of-182: not a 6-month base
        _report("A", date(2025, 6, 1), 70.0, 0.02, 10_000.0, False, "Bureau"),
        _report("A", date(2025, 7, 1), 10.0, 0.9, 99_999.0, True, "Bureau"),  # after as_of
        # B: the latest report has no score (but the rest); an older one has
        _report("B", date(2024, 1, 1), 80.0, 0.01, 0.0, False),
        _report("B", date(2025, 5, 1), None, 0.3, 50_000.0, True),
        # C: the bases are the latest SCORED reports; the latest report is dated as_of and
        #    says nothing about default, debt or insolvency
        _report("C", date(2024, 6, 1), 30.0),
        _report("C", date(2024, 6, 15), None, 0.2),  # unscored: skipped for the 12m base
        _report("C", date(2024, 12, 1), 45.0, 0.1, 1_000.0, False),
        _report("C", date(2024, 12, 15), None, 0.2),  # unscored: skipped for the 6m base
        _report("C", date(2025, 6, 30), 50.0),  # as_of: age 0
        # D: reports only after as_of-182: no base for either change
        _report("D", date(2025, 1, 1), 70.0),
        _report("D", date(2025, 3, 1), 60.0, 0.05),
        # E: a 6-month base but no 12-month base
        _report("E", date(2024, 8, 1), 50.0),
        _report("E", date(2025, 5, 1), 40.0),
        # F: two reports on the same day: the source name decides (Bureau A before Bureau B)
        _report("F", date(2025, 6, 1), 40.0, 0.2, 200.0, True, "Bureau B"),
        _report("F", date(2025, 6, 1), 70.0, 0.1, 100.0, False, "Bureau A"),
        # G: same day, same source: the lower score
        _report("G", date(2025, 6, 1), 55.0, 0.1, 100.0, False, "Bureau"),
        _report("G", date(2025, 6, 1), 45.0, 0.3, 300.0, True, "Bureau"),
        # H: same day, one report without a source: a named source comes first
        _report("H", date(2025, 6, 1), 20.0, 0.5),
        _report("H", date(2025, 6, 1), 90.0, 0.01, source="Acme"),
        # I: same day, same source, one report without a score: the scored one comes first
        _report("I", date(2025, 6, 1), None, 0.5, source="Bureau"),
        _report("I", date(2025, 6, 1), 30.0, 0.1, source="Bureau"),
        # J: only a report after as_of; K: no reports
        _report("J", date(2025, 7, 1), 50.0, 0.1, 10.0, False),
    ],
}

# customers + orders only: no credit_reports table (same fixture as in the other family tests)
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
    "credit_score",
    "credit_score_change_6m",
    "credit_score_change_12m",
    "probability_of_default",
    "outstanding_debt",
    "insolvency",
    "credit_report_age_days",
)


def check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {k: row[k] for k in expected} == {k: approx(v) for k, v in expected.items()}


def test_latest_report(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A: the report of 2025-06-01 (the one of 2025-07-01 does not exist yet)
    check(
        out["A"],
        {
            "credit_score": 70.0,
            "probability_of_default": 0.02,
            "outstanding_debt": 10_000.0,
            "insolvency": False,
            "credit_report_age_days": 29,  # 2025-06-01 -> 2025-06-30
        },
    )
    # B: the latest report (2025-05-01) has no score; the older score is not carried forward
    check(
        out["B"],
        {
            "credit_score": None,
            "probability_of_default": 0.3,
            "outstanding_debt": 50_000.0,
            "insolvency": True,
            "credit_report_age_days": 60,  # 2025-05-01 -> 2025-06-30: 30 + 30
        },
    )
    # C: the latest report is dated as_of and says nothing but the score
    check(
        out["C"],
        {
            "credit_score": 50.0,
            "probability_of_default": None,
            "outstanding_debt": None,
            "insolvency": None,
            "credit_report_age_days": 0,
        },
    )
    # D: 2025-03-01 -> 2025-06-30 = 30 (rest of March) + 30 + 31 + 30
    check(out["D"], {"credit_score": 60.0, "probability_of_default": 0.05})
    check(out["D"], {"credit_report_age_days": 121})


def test_score_changes(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A: 70 now; 60 on 2024-12-30 (= as_of-182); 50 on 2024-06-30 (= as_of-365)
    check(out["A"], {"credit_score_change_6m": 70.0 - 60.0, "credit_score_change_12m": 70.0 - 50.0})
    # B: no score now -> no change
    check(out["B"], {"credit_score_change_6m": None, "credit_score_change_12m": None})
    # C: 50 now; latest scored on or before 2024-12-30 is 45 (2024-12-01), on or before
    #    2024-06-30 is 30 (2024-06-01): the unscored reports after them are skipped
    check(out["C"], {"credit_score_change_6m": 50.0 - 45.0, "credit_score_change_12m": 50.0 - 30.0})
    # D: first report 2025-01-01, after as_of-182 -> no base
    check(out["D"], {"credit_score_change_6m": None, "credit_score_change_12m": None})
    # E: 40 now; 50 on 2024-08-01 is a 6-month base, not a 12-month one
    check(out["E"], {"credit_score_change_6m": 40.0 - 50.0, "credit_score_change_12m": None})


def test_same_day_reports_are_picked_the_same_way_everywhere(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # F: Bureau A sorts before Bureau B
    check(
        out["F"],
        {
            "credit_score": 70.0,
            "probability_of_default": 0.1,
            "outstanding_debt": 100.0,
            "insolvency": False,
        },
    )
    # G: same source: the lower score (45), with its own pd, debt and insolvency
    check(
        out["G"],
        {
            "credit_score": 45.0,
            "probability_of_default": 0.3,
            "outstanding_debt": 300.0,
            "insolvency": True,
        },
    )
    # H: the report with a source name before the one without
    check(out["H"], {"credit_score": 90.0, "probability_of_default": 0.01})
    # I: the report with a score before the one without
    check(out["I"], {"credit_score": 30.0, "probability_of_default": 0.1})


def test_no_report_up_to_as_of(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # J: its only report is dated after as_of; K: no report at all
    for c in ("J", "K"):
        check(out[c], dict.fromkeys(ALL))
        assert out[c]["coverage_external"] is False
    assert out["A"]["coverage_external"] is True
    assert out["B"]["coverage_external"] is True


def test_as_of_before_the_latest_report(signals: Compute) -> None:
    # as_of 2025-05-31: A's report of 2025-06-01 does not exist yet, so the latest is the one
    # of 2024-12-31 (65); bases: on or before 2024-11-30 -> 55 (2024-07-01), on or before
    # 2024-05-31 -> 40 (2023-12-01)
    out = signals(TABLES, date(2025, 5, 31))
    check(
        out["A"],
        {
            "credit_score": 65.0,
            "credit_score_change_6m": 65.0 - 55.0,
            "credit_score_change_12m": 65.0 - 40.0,
            "probability_of_default": None,
            "outstanding_debt": None,
            "insolvency": None,
            "credit_report_age_days": 151,  # 2024-12-31 -> 2025-05-31: 31+28+31+30+31
        },
    )


def test_missing_credit_reports_table(signals: Compute) -> None:
    out = signals(NO_TABLE, AS_OF)
    check(out["Z"], dict.fromkeys(ALL))
    assert out["Z"]["coverage_external"] is False
