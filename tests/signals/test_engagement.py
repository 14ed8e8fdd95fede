"""Hand-computed cases for the engagement family, on every engine.

as_of is 2025-06-30 throughout: the 12-month window is (2024-06-30, 2025-06-30]; for the open
rate trend the recent period is (2025-04-01, 2025-06-30] (90 days) and the earlier one
(2024-06-30, 2025-04-01] (275 days). A row dated after as_of does not exist yet.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sigtools import Compute, approx

AS_OF = date(2025, 6, 30)

#: types that count as the customer engaging, and one customer per type
ENGAGING = (
    "meeting_held",
    "visit",
    "call_inbound",
    "campaign_opened",
    "campaign_clicked",
    "campaign_responded",
    "training_completed",
)
NOT_ENGAGING = (
    "support_ticket",
    "complaint",
    "warranty_claim",
    "return_request",
    "engineering_change",
    "call_outbound",
    "meeting_missed",
    "campaign_sent",
    "certification_lapsed",
    "promise_to_pay",
    "promise_broken",
    "other",
)


def _ix(customer: str, rows: list[tuple[str, date]]) -> list[dict[str, Any]]:
    """Interaction rows of one customer from (type, date)."""
    return [
        {"interaction_id": f"{customer}-{i}", "customer_id": customer, "type": kind, "date": day}
        for i, (kind, day) in enumerate(rows)
    ]


TABLES = {
    "customers": [{"customer_id": c} for c in ("A", "B", "C", "D", "E", "F", "G")]
    + [{"customer_id": f"T{i}"} for i in range(len(ENGAGING))],
    "interactions": (
        _ix(
            "A",
            [
                # meetings: 3 held and 1 missed in the window
                ("meeting_held", date(2025, 6, 30)),  # as_of: in
                ("meeting_held", date(2025, 1, 15)),
                ("meeting_held", date(2024, 9, 1)),
                ("meeting_held", date(2024, 6, 30)),  # as_of-365: out
                ("meeting_held", date(2025, 7, 1)),  # after as_of: ignored
                ("meeting_missed", date(2024, 7, 1)),  # as_of-364: in
                ("meeting_missed", date(2024, 6, 30)),  # out
                # campaigns, earlier period (2024-06-30, 2025-04-01]: 2 sent, 1 opened
                ("campaign_sent", date(2024, 7, 1)),
                ("campaign_sent", date(2025, 4, 1)),  # as_of-90: still the earlier period
                ("campaign_opened", date(2025, 4, 1)),
                ("campaign_clicked", date(2025, 4, 1)),
                # recent period (2025-04-01, 2025-06-30]: 2 sent, 2 opened
                ("campaign_sent", date(2025, 4, 2)),
                ("campaign_opened", date(2025, 4, 2)),
                ("campaign_clicked", date(2025, 4, 2)),
                ("campaign_responded", date(2025, 4, 3)),
                ("campaign_sent", date(2025, 6, 30)),
                ("campaign_opened", date(2025, 6, 30)),
                # outside the window or after as_of: not counted
                ("campaign_sent", date(2024, 6, 30)),
                ("campaign_opened", date(2024, 6, 30)),
                ("campaign_sent", date(2025, 7, 1)),
                ("campaign_responded", date(2025, 7, 1)),
                # certifications
                ("certification_lapsed", date(2024, 7, 1)),  # in
                ("certification_lapsed", date(2024, 6, 30)),  # out
                ("certification_lapsed", date(2025, 7, 1)),  # ignored
            ],
        )
        # B: opened without any campaign sent, no meetings; later rows that are not engagement
        + _ix(
            "B",
            [
                ("campaign_opened", date(2025, 6, 20)),
                ("call_outbound", date(2025, 6, 25)),
                ("support_ticket", date(2025, 6, 28)),
                ("certification_lapsed", date(2025, 6, 29)),
                ("other", date(2025, 6, 30)),
            ],
        )
        # C: campaigns sent only in the recent period; meetings only missed
        + _ix(
            "C",
            [
                ("campaign_sent", date(2025, 5, 1)),
                ("campaign_opened", date(2025, 5, 1)),
                ("meeting_missed", date(2025, 2, 1)),
                ("meeting_missed", date(2025, 3, 1)),
            ],
        )
        # D: a training completed two years ago, nothing since
        + _ix("D", [("training_completed", date(2023, 6, 30))])
        # E: every type that is not an engagement, campaigns sent only in the earlier period
        + _ix("E", [(kind, date(2025, 1, 1)) for kind in NOT_ENGAGING])
        # F: only rows after as_of; G: no interactions
        + _ix("F", [("meeting_held", date(2025, 7, 1)), ("campaign_sent", date(2025, 7, 2))])
        # T0..T6: one engagement of each type, T<i> on as_of - (i + 1) days
        + [
            row
            for i, kind in enumerate(ENGAGING)
            for row in _ix(f"T{i}", [(kind, date(2025, 6, 29 - i))])
        ]
    ),
}

# customers + orders only: no interactions table (same fixture as in the other family tests)
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
    "meetings_held_12m",
    "meetings_missed_12m",
    "meeting_miss_rate_12m",
    "campaign_open_rate_12m",
    "campaign_click_rate_12m",
    "campaign_response_rate_12m",
    "campaign_open_rate_trend",
    "days_since_last_engagement",
    "certification_lapses_12m",
)


def check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {k: row[k] for k in expected} == {k: approx(v) for k, v in expected.items()}


def test_meetings(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A: held on as_of, 2025-01-15, 2024-09-01 (2024-06-30 out, 2025-07-01 ignored);
    #    missed on 2024-07-01 (2024-06-30 out)
    check(
        out["A"],
        {"meetings_held_12m": 3, "meetings_missed_12m": 1, "meeting_miss_rate_12m": 1 / 4},
    )
    # B: no meeting planned -> counts 0, rate empty
    check(
        out["B"],
        {"meetings_held_12m": 0, "meetings_missed_12m": 0, "meeting_miss_rate_12m": None},
    )
    # C: two missed, none held -> 2 / (0 + 2)
    check(
        out["C"],
        {"meetings_held_12m": 0, "meetings_missed_12m": 2, "meeting_miss_rate_12m": 1.0},
    )


def test_campaign_rates(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A in the window: sent 2024-07-01, 2025-04-01, 2025-04-02, 2025-06-30 = 4;
    #   opened 2025-04-01, 2025-04-02, 2025-06-30 = 3; clicked 2; responded 2025-04-03 = 1
    #   (the 2024-06-30 and 2025-07-01 rows are left out)
    check(
        out["A"],
        {
            "campaign_open_rate_12m": 3 / 4,
            "campaign_click_rate_12m": 2 / 4,
            "campaign_response_rate_12m": 1 / 4,
        },
    )
    # B: opened but nothing sent -> empty, not infinite
    check(
        out["B"],
        {
            "campaign_open_rate_12m": None,
            "campaign_click_rate_12m": None,
            "campaign_response_rate_12m": None,
        },
    )
    # C: 1 sent, 1 opened
    check(
        out["C"],
        {
            "campaign_open_rate_12m": 1.0,
            "campaign_click_rate_12m": 0.0,
            "campaign_response_rate_12m": 0.0,
        },
    )
    # E: one of each type: 1 sent, none opened, clicked or answered
    check(
        out["E"],
        {
            "campaign_open_rate_12m": 0.0,
            "campaign_click_rate_12m": 0.0,
            "campaign_response_rate_12m": 0.0,
        },
    )


def test_campaign_open_rate_trend(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A: recent 2 opened / 2 sent = 1.0; earlier 1 opened / 2 sent = 0.5 (the send and open
    #    on 2025-04-01 = as_of-90 belong to the earlier period)
    check(out["A"], {"campaign_open_rate_trend": 1.0 - 0.5})
    # C: sent only in the recent period; E: only in the earlier period; B: nothing sent
    for c in ("B", "C", "E"):
        check(out[c], {"campaign_open_rate_trend": None})


def test_days_since_last_engagement(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # A: meeting held on as_of (the one on 2025-07-01 does not exist yet)
    check(out["A"], {"days_since_last_engagement": 0})
    # B: campaign opened 2025-06-20; the later outbound call, ticket, lapse and other do not count
    check(out["B"], {"days_since_last_engagement": 10})
    # D: whole history, not only the window: 2023-06-30 -> 2025-06-30 = 365 + 366
    check(out["D"], {"days_since_last_engagement": 731})
    # E: no type that is an engagement -> empty
    check(out["E"], {"days_since_last_engagement": None})
    # T<i>: the one engagement of type ENGAGING[i] on as_of - (i + 1)
    for i in range(len(ENGAGING)):
        check(out[f"T{i}"], {"days_since_last_engagement": i + 1})


def test_certification_lapses(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    check(out["A"], {"certification_lapses_12m": 1})  # 2024-07-01 in; 2024-06-30, 2025-07-01 not
    check(out["B"], {"certification_lapses_12m": 1})
    check(out["C"], {"certification_lapses_12m": 0})
    check(out["D"], {"certification_lapses_12m": 0})


def test_old_interactions_only(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # D: the customer has interactions, none in the window: counts 0, rates empty
    check(
        out["D"],
        {
            "meetings_held_12m": 0,
            "meetings_missed_12m": 0,
            "meeting_miss_rate_12m": None,
            "campaign_open_rate_12m": None,
            "campaign_click_rate_12m": None,
            "campaign_response_rate_12m": None,
            "campaign_open_rate_trend": None,
        },
    )
    assert out["D"]["coverage_engagement"] is True


def test_no_interactions_up_to_as_of(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    # F: only rows after as_of; G: none at all
    for c in ("F", "G"):
        check(out[c], dict.fromkeys(ALL))
        assert out[c]["coverage_engagement"] is False
    assert out["A"]["coverage_engagement"] is True


def test_missing_interactions_table(signals: Compute) -> None:
    out = signals(NO_TABLE, AS_OF)
    check(out["Z"], dict.fromkeys(ALL))
    assert out["Z"]["coverage_engagement"] is False
