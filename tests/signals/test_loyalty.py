"""Hand-computed cases for the loyalty family (the Loyalty Matrix), on every engine.

Each respondent counts with their latest answer on or before as_of; a score is high at or
above 7 (``SignalConfig.loyalty_high``). Expected values are worked out in the comments.
"""

from datetime import date

from sigtools import Compute, approx

from riskseg.signals import SignalConfig

AS_OF = date(2025, 6, 30)
SHARES = ("loyal", "accessible", "trapped", "high_risk")
SHARE_SIGNALS = (
    "loyalty_share_loyal",
    "loyalty_share_accessible",
    "loyalty_share_trapped",
    "loyalty_share_high_risk",
)
KEYS = ("executive_high_risk", "decision_maker_high_risk", "primary_contact_high_risk")


def _answer(rid: str, cid: str, contact: str | None, day: date, b: float, a: float) -> dict:
    return {
        "response_id": rid,
        "customer_id": cid,
        "contact_id": contact,
        "date": day,
        "behavior": b,
        "attitude": a,
    }


def _contact(contact: str, cid: str, seniority=None, decision_role=None, primary=None) -> dict:
    return {
        "contact_id": contact,
        "customer_id": cid,
        "seniority": seniority,
        "decision_role": decision_role,
        "is_primary": primary,
    }


TABLES = {
    "customers": [
        {"customer_id": c}
        for c in (
            "L_MIX",
            "L_LATEST",
            "L_THRESH",
            "L_ANON",
            "L_ACC",
            "L_KEY",
            "L_PRIM",
            "L_NONE",
            "L_FUT",
        )
    ],
    "contacts": [
        _contact("c1", "L_MIX", "executive", "influencer", True),
        _contact("c2", "L_MIX", "manager", "decision_maker", False),
        _contact("c3", "L_MIX", "staff", "user", False),
        _contact("c4", "L_MIX", "staff", "user", False),
        _contact("c5", "L_LATEST", "executive", "decision_maker", True),
        # c6, c7, c8 (L_THRESH) are not in contacts
        _contact("c9", "L_ANON", "staff", "influencer", None),
        _contact("c10", "L_KEY", "manager", "decision_maker", False),
        _contact("c11", "L_KEY", "executive", "user", True),
        _contact("c15", "L_KEY"),
        _contact("c13", "L_PRIM", "staff", "user", True),
        _contact("c14", "L_PRIM", "Executive", "influencer", False),
        # c99 (L_PRIM) is not in contacts
    ],
    "surveys": [
        # L_MIX: one contact in each quadrant
        _answer("s1", "L_MIX", "c1", date(2025, 6, 1), 8, 9),  # loyal
        _answer("s2", "L_MIX", "c2", date(2025, 5, 15), 5, 8),  # accessible
        _answer("s3", "L_MIX", "c3", date(2025, 4, 1), 10, 3),  # trapped
        _answer("s4", "L_MIX", "c4", date(2025, 6, 20), 6, 1),  # high risk
        # L_LATEST: one contact, three answers; the 2025-05-20 one is the latest by as_of
        _answer("s7", "L_LATEST", "c5", date(2025, 7, 5), 9, 9),  # after as_of
        _answer("s5", "L_LATEST", "c5", date(2025, 1, 10), 9, 9),  # older
        _answer("s6", "L_LATEST", "c5", date(2025, 5, 20), 2, 3),  # latest: high risk
        # L_THRESH: 7 is high, 6.9 is low
        _answer("s8", "L_THRESH", "c6", date(2025, 6, 1), 7.0, 7.0),  # loyal
        _answer("s9", "L_THRESH", "c7", date(2025, 6, 1), 6.9, 7.0),  # accessible
        _answer("s10", "L_THRESH", "c8", date(2025, 6, 1), 7.0, 6.9),  # trapped
        # L_ANON: two answers without contact (two respondents) and contact c9 twice
        _answer("s11", "L_ANON", None, date(2025, 6, 1), 8, 8),  # loyal
        _answer("s12", "L_ANON", None, date(2025, 6, 1), 5, 9),  # accessible
        _answer("s13", "L_ANON", "c9", date(2025, 3, 1), 9, 2),  # older: trapped
        _answer("s14", "L_ANON", "c9", date(2025, 6, 15), 9, 8),  # latest: loyal
        # L_ACC: a single anonymous answer
        _answer("s15", "L_ACC", None, date(2024, 12, 31), 4, 10),  # accessible
        # L_KEY: the decision maker is high risk, the executive (primary) is loyal,
        # c15 (no seniority, role or primary) is high risk
        _answer("s16", "L_KEY", "c10", date(2025, 6, 30), 3, 3),  # high risk, on as_of
        _answer("s17", "L_KEY", "c11", date(2025, 6, 1), 8, 8),  # loyal
        _answer("s18", "L_KEY", "c15", date(2025, 6, 1), 0, 0),  # high risk
        # L_PRIM: primary staff contact high risk; executive accessible; c99 unknown, high risk
        _answer("s19", "L_PRIM", "c13", date(2025, 2, 1), 1, 1),  # high risk
        _answer("s20", "L_PRIM", "c14", date(2025, 2, 1), 2, 9),  # accessible
        _answer("s21", "L_PRIM", "c99", date(2025, 2, 1), 1, 2),  # high risk
        # L_FUT: only an answer after as_of; L_NONE: no answers
        _answer("s22", "L_FUT", "c0", date(2025, 7, 1), 1, 1),
    ],
}


def _shares(row: dict) -> dict:
    return {c: row[s] for c, s in zip(SHARES, SHARE_SIGNALS, strict=True)}


def _keys(row: dict) -> tuple:
    return tuple(row[k] for k in KEYS)


def test_one_contact_per_quadrant(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["L_MIX"]
    assert row["contacts_surveyed"] == 4
    assert _shares(row) == dict.fromkeys(SHARES, approx(0.25))
    # the only high-risk contact c4 is staff, user, not primary
    assert _keys(row) == (False, False, False)
    # means: behaviour (8+5+10+6)/4 = 7.25 high, attitude (9+8+3+1)/4 = 5.25 low -> trapped
    assert row["loyalty_class"] == "trapped"
    # latest answer 2025-06-20 -> 10 days
    assert row["survey_age_days"] == 10


def test_latest_answer_on_or_before_as_of(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["L_LATEST"]
    # c5 counts once, with s6 (2, 3); s7 is after as_of, s5 is older
    assert row["contacts_surveyed"] == 1
    assert _shares(row) == {
        "loyal": approx(0.0),
        "accessible": approx(0.0),
        "trapped": approx(0.0),
        "high_risk": approx(1.0),
    }
    # c5 is executive, decision maker and primary
    assert _keys(row) == (True, True, True)
    assert row["loyalty_class"] == "high_risk"
    # 2025-05-20 -> 2025-06-30 = 11 + 30 = 41 days
    assert row["survey_age_days"] == 41


def test_seven_is_high_six_point_nine_is_low(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["L_THRESH"]
    assert row["contacts_surveyed"] == 3
    # (7, 7) loyal, (6.9, 7) accessible, (7, 6.9) trapped
    assert _shares(row) == {
        "loyal": approx(1 / 3),
        "accessible": approx(1 / 3),
        "trapped": approx(1 / 3),
        "high_risk": approx(0.0),
    }
    # none of c6, c7, c8 is in contacts: nothing known about key contacts
    assert _keys(row) == (None, None, None)
    # means (7 + 6.9 + 7)/3 = 6.967 for both: low and low -> high risk
    assert row["loyalty_class"] == "high_risk"
    assert row["survey_age_days"] == 29  # 2025-06-01 -> 2025-06-30


def test_answers_without_contact_are_separate_respondents(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["L_ANON"]
    # respondents: s11, s12 (no contact, one each) and c9 (latest s14) -> 3
    assert row["contacts_surveyed"] == 3
    # s11 loyal, s12 accessible, c9 loyal (s14; the older trapped s13 does not count)
    assert _shares(row) == {
        "loyal": approx(2 / 3),
        "accessible": approx(1 / 3),
        "trapped": approx(0.0),
        "high_risk": approx(0.0),
    }
    # c9 is known (staff, influencer, primary empty) and not high risk
    assert _keys(row) == (False, False, False)
    # means: behaviour (8+5+9)/3 = 7.33, attitude (8+9+8)/3 = 8.33 -> loyal
    assert row["loyalty_class"] == "loyal"
    assert row["survey_age_days"] == 15  # s14 on 2025-06-15


def test_single_anonymous_answer(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["L_ACC"]
    assert row["contacts_surveyed"] == 1
    assert _shares(row) == {
        "loyal": approx(0.0),
        "accessible": approx(1.0),
        "trapped": approx(0.0),
        "high_risk": approx(0.0),
    }
    assert _keys(row) == (None, None, None)  # no contact at all
    assert row["loyalty_class"] == "accessible"  # (4, 10)
    assert row["survey_age_days"] == 181  # 2024-12-31 -> 2025-06-30: 31+28+31+30+31+30


def test_decision_maker_high_risk(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["L_KEY"]
    assert row["contacts_surveyed"] == 3
    assert _shares(row) == {
        "loyal": approx(1 / 3),  # c11
        "accessible": approx(0.0),
        "trapped": approx(0.0),
        "high_risk": approx(2 / 3),  # c10, c15
    }
    # c10 (decision maker, manager, not primary) is high risk; executive c11 (primary) is
    # loyal; c15 has no seniority/role/primary
    assert _keys(row) == (False, True, False)
    # means (3+8+0)/3 = 3.67 for both -> high risk
    assert row["loyalty_class"] == "high_risk"
    assert row["survey_age_days"] == 0  # s16 on as_of


def test_primary_contact_high_risk(signals: Compute) -> None:
    row = signals(TABLES, AS_OF)["L_PRIM"]
    assert row["contacts_surveyed"] == 3
    assert _shares(row) == {
        "loyal": approx(0.0),
        "accessible": approx(1 / 3),  # c14
        "trapped": approx(0.0),
        "high_risk": approx(2 / 3),  # c13, c99
    }
    # c13 (primary, staff, user) is high risk; "Executive" c14 is accessible; c99 is high
    # risk but unknown in contacts, so it makes no key contact high risk
    assert _keys(row) == (False, False, True)
    # means: behaviour (1+2+1)/3 = 1.33, attitude (1+9+2)/3 = 4 -> high risk
    assert row["loyalty_class"] == "high_risk"
    # 2025-02-01 -> 2025-06-30 = 27 + 31 + 30 + 31 + 30 = 149 days
    assert row["survey_age_days"] == 149


def test_no_answer_by_as_of_is_empty(signals: Compute) -> None:
    out = signals(TABLES, AS_OF)
    for customer in ("L_NONE", "L_FUT"):
        row = out[customer]
        assert row["contacts_surveyed"] is None
        assert _shares(row) == dict.fromkeys(SHARES, None)
        assert _keys(row) == (None, None, None)
        assert row["loyalty_class"] is None
        assert row["survey_age_days"] is None
        assert row["coverage_loyalty"] is False


def test_loyalty_high_setting_and_no_contacts_table(signals: Compute) -> None:
    tables = {k: v for k, v in TABLES.items() if k != "contacts"}
    out = signals(tables, AS_OF, SignalConfig(loyalty_high=6.9))
    row = out["L_THRESH"]
    # with 6.9 as high, (7, 7), (6.9, 7), (7, 6.9) are all loyal; means 6.967 -> loyal
    assert row["loyalty_class"] == "loyal"
    assert _shares(row) == {
        "loyal": approx(1.0),
        "accessible": approx(0.0),
        "trapped": approx(0.0),
        "high_risk": approx(0.0),
    }
    # without a contacts table no surveyed contact is known: key booleans are empty even
    # for L_LATEST, whose only contact is high risk
    latest = out["L_LATEST"]
    assert latest["loyalty_share_high_risk"] == approx(1.0)
    assert _keys(latest) == (None, None, None)
    # L_MIX at 6.9: c4 (6, 1) still high risk, c2 (5, 8) still accessible
    assert out["L_MIX"]["loyalty_share_high_risk"] == approx(0.25)
