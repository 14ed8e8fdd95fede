"""Hand-made tests for the payment family: lateness, balances, disputes, pay day, promises.

Every expected value is worked out by hand in the comments. as_of is 2025-06-30 throughout.
Dates are mostly written as days before ``AS_OF``: ``ago(365)`` = 2024-06-30 is exactly
as_of-365, which is *outside* a 365-day window; ``ago(0)`` is as_of itself, which is inside;
``ago(-1)`` is after as_of and does not exist yet. Days late of a paid invoice is
``max(paid_date - due_date, 0)``. Each customer of a fixture exercises one case, and all tests
of a fixture share one computation per engine.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sigtools import Compute, approx

from riskseg.signals import SignalConfig

AS_OF = date(2025, 6, 30)

PAYMENT_SIGNALS = (
    "invoices_12m",
    "invoiced_amount_12m",
    "days_late_mean_12m",
    "late_share_12m",
    "late_30_share_12m",
    "late_60_share_12m",
    "open_invoices",
    "open_balance",
    "max_days_past_due",
    "overdue_balance",
    "overdue_to_credit_limit",
    "dso_days",
    "dispute_rate_12m",
    "write_off_count",
    "write_off_amount",
    "days_late_trend",
    "pay_day_usual",
    "pay_day_regularity",
    "partial_payment_share_12m",
    "promises_to_pay_12m",
    "promises_broken_share_12m",
)


def ago(days: int) -> date:
    """The day ``days`` days before AS_OF (negative: after it)."""
    return AS_OF - timedelta(days=days)


def _day(d: int | date | None) -> date | None:
    return ago(d) if isinstance(d, int) else d


def inv(
    customer: str,
    invoice_id: str,
    issued: int | date,
    due: int | date,
    amount: float,
    paid: int | date | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One invoice; ``issued``, ``due`` and ``paid`` are days before AS_OF or dates."""
    row: dict[str, Any] = {
        "invoice_id": invoice_id,
        "customer_id": customer,
        "issue_date": _day(issued),
        "due_date": _day(due),
        "amount": amount,
        "paid_date": _day(paid),
    }
    row.update(extra)
    return row


def paid_on(customer: str, invoice_id: str, day: date, amount: float = 100.0) -> dict[str, Any]:
    """An invoice issued 30 days before ``day``, due and paid on ``day`` (on time)."""
    return inv(customer, invoice_id, day - timedelta(days=30), day, amount, day)


def pay(payment_id: str, invoice_id: str, customer: str, days_ago: int, amount: float) -> dict:
    return {
        "payment_id": payment_id,
        "invoice_id": invoice_id,
        "customer_id": customer,
        "payment_date": ago(days_ago),
        "amount": amount,
    }


def talk(interaction_id: str, customer: str, days_ago: int, kind: str) -> dict[str, Any]:
    return {
        "interaction_id": interaction_id,
        "customer_id": customer,
        "date": ago(days_ago),
        "type": kind,
    }


def check(row: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, want in expected.items():
        assert row[name] == approx(want), f"{name}: got {row[name]!r}, expected {want!r}"


# K: lateness at several ages, read with the default window (in PAYMENT) and with a 180-day
# one (in BARE, which has no payments or interactions table)
K_INVOICES = [
    inv("K", "K1", 10, -20, 100.0),  # open, not yet due
    inv("K", "K2", 179, 60, 200.0, 50),  # 10 days late, paid 50 days ago
    inv("K", "K3", 180, 150, 400.0, 100),  # 50 days late, paid 100 days ago
    inv("K", "K4", 300, 270, 800.0, 200),  # 70 days late, paid 200 days ago
    inv("K", "K5", 400, 370, 50.0, written_off=True),
]

PAYMENT = {
    "customers": [
        {"customer_id": "ISSUE"},
        {"customer_id": "LATE", "credit_limit": 5000.0},
        {"customer_id": "OPEN", "credit_limit": 1000.0},
        {"customer_id": "NOLIMIT"},
        {"customer_id": "ZEROLIMIT", "credit_limit": 0.0},
        {"customer_id": "CLOCK"},
        {"customer_id": "WRAP"},
        {"customer_id": "TIE"},
        {"customer_id": "FEW"},
        {"customer_id": "PROMISE"},
        {"customer_id": "BROKEN"},
        {"customer_id": "NOPROMISE"},
        {"customer_id": "ALLOLD"},
        {"customer_id": "NOINV"},
        {"customer_id": "FUTURE"},
        {"customer_id": "K"},
    ],
    "invoices": [
        # ISSUE: the issue window (as_of-365, as_of], disputes and an open credit note
        inv("ISSUE", "I1", 0, -30, 100.0, disputed=True),  # issued on as_of: in, open
        inv("ISSUE", "I2", 364, 334, 200.0, 334, disputed=False),  # last day of the window
        inv("ISSUE", "I3", 365, 335, 400.0, 335, disputed=True),  # as_of-365: out
        inv("ISSUE", "I4", -1, -31, 800.0, disputed=True),  # issued after as_of
        inv("ISSUE", "I5", 20, 20, -50.0, disputed=True),  # credit note, not yet settled
        # LATE: lateness of invoices paid in the window, weighted by amount
        inv("LATE", "L1", 100, 70, 100.0, 60),  # 10 days late
        inv("LATE", "L2", 200, 170, 300.0, 130),  # 40 days late
        inv("LATE", "L3", 300, 280, 100.0, 300),  # paid 20 days early: 0, not -20
        inv("LATE", "L4", 500, 470, 1000.0, 365),  # paid on as_of-365: out of the window
        inv("LATE", "L5", 100, 61, 200.0, 0),  # paid on as_of, 61 days late
        inv("LATE", "L6", 90, 60, 100.0, 30),  # exactly 30 days late
        inv("LATE", "L7", 180, 150, 100.0, 90),  # exactly 60 days late, paid on as_of-90
        inv("LATE", "L8", 50, 50, -100.0, 10),  # credit note settled 40 days "late"
        # OPEN: open and overdue balances at as_of, partial payments, write-offs
        inv("OPEN", "O1", 60, 30, 500.0, -5),  # paid after as_of: open, 30 days overdue
        inv("OPEN", "O2", 100, 45, 400.0, written_off=True),  # bad debt: not open
        inv("OPEN", "O3", 10, -20, 250.0),  # open, not yet due
        inv("OPEN", "O4", 40, 0, 150.0),  # due on as_of itself: open, not past due
        inv("OPEN", "O5", 5, 5, -100.0),  # open credit note
        inv("OPEN", "O6", 700, 670, 80.0, written_off=True),  # old bad debt
        inv("OPEN", "O7", 50, 20, 100.0),  # open, 20 days overdue, paid in two parts
        inv("OPEN", "O8", -3, -33, 999.0, written_off=True),  # issued after as_of
        # NOLIMIT / ZEROLIMIT: 100 overdue 30 days, no usable credit limit
        inv("NOLIMIT", "N1", 60, 30, 100.0),
        inv("ZEROLIMIT", "Z1", 60, 30, 100.0),
        # CLOCK: pays on the 25th
        paid_on("CLOCK", "C1", date(2025, 1, 25)),
        paid_on("CLOCK", "C2", date(2025, 2, 25)),
        paid_on("CLOCK", "C3", date(2025, 3, 26)),
        paid_on("CLOCK", "C4", date(2025, 4, 25)),
        paid_on("CLOCK", "C5", date(2025, 5, 20)),
        inv("CLOCK", "C6", date(2025, 6, 1), date(2025, 7, 1), 100.0, date(2025, 7, 1)),
        # WRAP: pays around the turn of the month
        paid_on("WRAP", "W1", date(2025, 2, 1)),
        paid_on("WRAP", "W2", date(2025, 4, 1)),
        paid_on("WRAP", "W3", date(2025, 1, 31)),
        paid_on("WRAP", "W4", date(2025, 5, 30)),
        paid_on("WRAP", "W5", date(2025, 3, 3)),
        paid_on("WRAP", "W6", date(2025, 6, 4)),
        # TIE: as often on the 10th as on the 5th (the 10th listed first)
        paid_on("TIE", "T1", date(2025, 1, 10)),
        paid_on("TIE", "T2", date(2025, 3, 10)),
        paid_on("TIE", "T3", date(2025, 2, 5)),
        paid_on("TIE", "T4", date(2025, 4, 5)),
        paid_on("TIE", "T5", date(2025, 5, 20)),
        paid_on("TIE", "T6", date(2025, 6, 10), -20.0),  # a credit note settled on the 10th
        # FEW: only two invoices paid in the window
        inv("FEW", "F1", 400, 370, 100.0, 365),  # paid on as_of-365: out
        inv("FEW", "F2", 40, 10, 100.0, 10),
        inv("FEW", "F3", 70, 40, 100.0, 40),
        # PROMISE / BROKEN / NOPROMISE: one open invoice each; promises in interactions
        inv("PROMISE", "P1", 30, 0, 100.0),
        inv("BROKEN", "B1", 30, 0, 100.0),
        inv("NOPROMISE", "NP1", 30, 0, 100.0),
        # ALLOLD: a single invoice, issued and paid before the window
        inv("ALLOLD", "A1", 500, 470, 100.0, 460),
        # FUTURE: the only invoice is issued after as_of
        inv("FUTURE", "X1", -1, -31, 100.0, -20),
        *K_INVOICES,
    ],
    "payments": [
        pay("OP1", "O1", "OPEN", 20, 200.0),
        pay("OP2", "O1", "OPEN", -5, 300.0),  # after as_of: not paid yet at as_of
        pay("OP3", "O7", "OPEN", 25, 30.0),
        pay("OP4", "O7", "OPEN", 15, 30.0),
        pay("AP1", "A1", "ALLOLD", 470, 50.0),  # two parts, but issued before the window
        pay("AP2", "A1", "ALLOLD", 460, 50.0),
    ],
    "interactions": [
        talk("PR1", "PROMISE", 0, "promise_to_pay"),  # as_of: in
        talk("PR2", "PROMISE", 364, "promise_to_pay"),  # last day of the window: in
        talk("PR3", "PROMISE", 365, "promise_to_pay"),  # as_of-365: out
        talk("PR4", "PROMISE", -1, "promise_to_pay"),  # after as_of
        talk("PR5", "PROMISE", 10, "promise_broken"),
        talk("PR6", "PROMISE", 5, "call_outbound"),
        talk("BR1", "BROKEN", 10, "promise_to_pay"),
        talk("BR2", "BROKEN", 5, "promise_broken"),
        talk("BR3", "BROKEN", 3, "promise_broken"),
        talk("NP1", "NOPROMISE", 400, "promise_to_pay"),  # before the window
        talk("NP2", "NOPROMISE", 20, "promise_broken"),
        talk("NP3", "NOPROMISE", 10, "call_inbound"),
    ],
}


def test_invoices_issued_in_the_window_credit_notes_and_disputes(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    check(
        out["ISSUE"],
        {
            # issued in (as_of-365, as_of]: I1 (as_of) and I2 (as_of-364); I3 on as_of-365 is
            # out, I4 after as_of does not exist, the credit note I5 is not an invoice
            "invoices_12m": 2,
            "invoiced_amount_12m": 100.0 + 200.0 - 50.0,  # credit note deducted: 250
            # disputed: I1 in the window; I3 (out of the window), I4 (not yet issued) and the
            # credit note I5 do not count -> 1 / 2
            "dispute_rate_12m": 0.5,
            "open_invoices": 1,  # I1; the open credit note is not an invoice
            "open_balance": 100.0 - 50.0,  # open credit notes count in the balance
            "max_days_past_due": 0,  # I1 is not due yet; credit notes are never overdue
            "overdue_balance": 0.0,
            "dso_days": 50.0 / 250.0 * 365,  # 73
            "coverage_payment": True,
        },
    )


def test_days_late_weighted_by_amount_and_late_shares(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # paid in (as_of-365, as_of], amount > 0: L1 (100, 10 late), L2 (300, 40), L3 (100, 0:
    # early), L5 (200, 61), L6 (100, 30), L7 (100, 60). L4 paid on as_of-365 is out; the
    # credit note L8 does not count in lateness.
    check(
        out["LATE"],
        {
            # (100*10 + 300*40 + 100*0 + 200*61 + 100*30 + 100*60) / 900 = 34200 / 900
            "days_late_mean_12m": 38.0,
            "late_share_12m": 5 / 6,  # all but L3
            "late_30_share_12m": 3 / 6,  # over 30: L2, L5, L7; L6 at exactly 30 is not
            "late_60_share_12m": 1 / 6,  # over 60: L5; L7 at exactly 60 is not
            "invoices_12m": 6,  # L4 issued 500 days ago is out; L8 is a credit note
            "invoiced_amount_12m": 100.0 + 300.0 + 100.0 + 200.0 + 100.0 + 100.0 - 100.0,
        },
    )


def test_days_late_trend_compares_last_90_days_with_the_275_before(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # recent (as_of-90, as_of]: L1 (100, 10), L5 (200, 61), L6 (100, 30)
    #   -> (1000 + 12200 + 3000) / 400 = 40.5
    # before (as_of-365, as_of-90]: L2 (300, 40), L3 (100, 0), L7 (100, 60; paid on as_of-90)
    #   -> (12000 + 0 + 6000) / 500 = 36
    check(out["LATE"], {"days_late_trend": 40.5 - 36.0})
    # FEW: paid 10 and 40 days ago only, nothing before -> no trend
    check(out["FEW"], {"days_late_mean_12m": 0.0, "days_late_trend": None})


def test_fully_paid_customer_owes_nothing(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    check(
        out["LATE"],
        {
            "open_invoices": 0,
            "open_balance": 0.0,
            "max_days_past_due": 0,
            "overdue_balance": 0.0,
            "overdue_to_credit_limit": 0.0,  # 0 / 5000
            "dso_days": 0.0,  # 0 / 800 * 365
            "write_off_count": 0,
            "write_off_amount": 0.0,
        },
    )


def test_open_and_overdue_balances_with_partial_payments(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # open at as_of: O1 (paid after as_of), O3, O4, O7; O2 and O6 are written off, O8 is
    # issued after as_of, O5 is a credit note.
    # outstanding: O1 500 - 200 (the 300 paid after as_of does not count yet) = 300,
    # O3 250, O4 150, O5 -100, O7 100 - 30 - 30 = 40
    # past due (due_date < as_of): O1 (30 days), O7 (20 days); O4 is due on as_of itself
    check(
        out["OPEN"],
        {
            "open_invoices": 4,
            "open_balance": 300.0 + 250.0 + 150.0 - 100.0 + 40.0,  # 640
            "max_days_past_due": 30,
            "overdue_balance": 300.0 + 40.0,  # 340
            "overdue_to_credit_limit": 340.0 / 1000.0,
            # issued in the window: O1, O2, O3, O4, O7 (and the credit note O5)
            "invoices_12m": 5,
            "invoiced_amount_12m": 500.0 + 400.0 + 250.0 + 150.0 + 100.0 - 100.0,  # 1300
            "dso_days": 640.0 / 1300.0 * 365,  # 179.69
            "dispute_rate_12m": 0.0,  # invoices, none disputed: 0, not empty
        },
    )


def test_written_off_invoices_are_not_open_and_count_over_the_whole_history(
    signals: Compute,
) -> None:
    out = signals(PAYMENT, AS_OF)
    # O2 (400, 100 days ago) and O6 (80, 700 days ago); O8 is issued after as_of
    check(out["OPEN"], {"write_off_count": 2, "write_off_amount": 400.0 + 80.0})


def test_nothing_paid_in_the_window_gives_empty_averages_and_zero_counts(
    signals: Compute,
) -> None:
    out = signals(PAYMENT, AS_OF)
    # OPEN's only "paid" invoice O1 was paid after as_of: nothing paid up to as_of
    check(
        out["OPEN"],
        {
            "days_late_mean_12m": None,
            "late_share_12m": None,
            "late_30_share_12m": None,
            "late_60_share_12m": None,
            "days_late_trend": None,
            "pay_day_usual": None,
            "pay_day_regularity": None,
            "open_invoices": 4,
            "coverage_payment": True,
        },
    )


def test_overdue_to_credit_limit_needs_a_positive_credit_limit(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    for customer in ("NOLIMIT", "ZEROLIMIT"):
        check(
            out[customer],
            {
                "overdue_balance": 100.0,
                "max_days_past_due": 30,
                "overdue_to_credit_limit": None,  # no limit / limit 0: no ratio
            },
        )


def test_partial_payment_share(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # OPEN: of the 5 invoices issued in the window only O7 was paid in two parts by as_of;
    # O1's second part comes after as_of -> 1 / 5
    check(out["OPEN"], {"partial_payment_share_12m": 1 / 5})
    # ISSUE: a payments table but no payment of its own -> 0 / 2
    check(out["ISSUE"], {"partial_payment_share_12m": 0.0})
    # ALLOLD: paid in two parts, but issued before the window and no invoice in it -> empty
    check(out["ALLOLD"], {"partial_payment_share_12m": None})


def test_pay_day_usual_and_regularity_like_clockwork(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # paid on the 25, 25, 26, 25, 20 -> usual 25; within 2 days: all but the 20th -> 4 / 5.
    # C6 is paid on 2025-07-01, after as_of: it does not count.
    check(out["CLOCK"], {"pay_day_usual": 25, "pay_day_regularity": 4 / 5})


def test_pay_day_wraps_around_the_month_end(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # paid on the 1, 1, 31, 30, 3, 4 -> usual 1. Within 2 days of the 1st: 1, 1, 31 (1 day
    # before), 30 (2 days before), 3 (2 days after); the 4th is 3 days off -> 5 / 6
    check(out["WRAP"], {"pay_day_usual": 1, "pay_day_regularity": 5 / 6})


def test_pay_day_tie_goes_to_the_earliest_day_and_credit_notes_do_not_count(
    signals: Compute,
) -> None:
    out = signals(PAYMENT, AS_OF)
    # invoices paid on the 10, 10, 5, 5, 20 (the credit note settled on the 10th is not a
    # payment) -> the 5th and the 10th tie, the earliest wins: 5.
    # within 2 days of the 5th: 5, 5 -> 2 / 5
    check(out["TIE"], {"pay_day_usual": 5, "pay_day_regularity": 2 / 5})


def test_pay_day_needs_three_invoices_paid_in_the_window(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # F1 is paid on as_of-365 (out of the window), F2 and F3 in it: 2 < 3
    check(
        out["FEW"],
        {"pay_day_usual": None, "pay_day_regularity": None, "late_share_12m": 0.0},
    )


def test_promises_to_pay_and_broken_share(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # in (as_of-365, as_of]: promises PR1 (as_of) and PR2 (as_of-364); PR3 (as_of-365) and
    # PR4 (after as_of) do not count. One broken promise -> 1 / 2
    check(out["PROMISE"], {"promises_to_pay_12m": 2, "promises_broken_share_12m": 0.5})
    # one promise, two broken: 2 / 1 capped at 1
    check(out["BROKEN"], {"promises_to_pay_12m": 1, "promises_broken_share_12m": 1.0})
    # interactions, but no promise in the window (only a broken one): 0 promises, no share
    check(out["NOPROMISE"], {"promises_to_pay_12m": 0, "promises_broken_share_12m": None})
    # no interactions at all: unknown, not 0
    check(out["LATE"], {"promises_to_pay_12m": None, "promises_broken_share_12m": None})


def test_invoices_only_before_the_window(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    check(
        out["ALLOLD"],
        {
            "invoices_12m": 0,
            "invoiced_amount_12m": 0.0,
            "dispute_rate_12m": None,  # no invoice in the window
            "dso_days": None,  # nothing invoiced in the window
            "days_late_mean_12m": None,  # paid 460 days ago
            "late_share_12m": None,
            "open_invoices": 0,
            "open_balance": 0.0,
            "max_days_past_due": 0,
            "overdue_balance": 0.0,
            "write_off_count": 0,
            "coverage_payment": True,
        },
    )


def test_no_invoices_up_to_as_of_is_missing_not_zero(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    # NOINV has no invoice; FUTURE's only invoice is issued after as_of
    for customer in ("NOINV", "FUTURE"):
        row = out[customer]
        assert {s: row[s] for s in PAYMENT_SIGNALS} == dict.fromkeys(PAYMENT_SIGNALS), customer
        assert row["coverage_payment"] is False


# -- the long window from the config, without payments or interactions tables -----------

BARE = {"customers": [{"customer_id": "K"}], "invoices": K_INVOICES}
#: one computation serves both BARE tests
CONFIG = SignalConfig(long_window_days=180, pay_day_min_payments=2)


def test_without_payments_or_interactions_tables(signals: Compute) -> None:
    out = signals(BARE, AS_OF, CONFIG)
    check(
        out["K"],
        {
            "open_invoices": 1,
            "open_balance": 100.0,  # no partial payments to deduct
            # no payments table: unknown, not 0 (with one, as in PAYMENT, K has 0 / 4)
            "partial_payment_share_12m": None,
            "promises_to_pay_12m": None,  # no interactions table
            "promises_broken_share_12m": None,
            "coverage_payment": True,
        },
    )


def test_default_long_window_is_365_days(signals: Compute) -> None:
    out = signals(PAYMENT, AS_OF)
    check(
        out["K"],
        {
            "invoices_12m": 4,  # K1..K4; K5 issued 400 days ago
            "invoiced_amount_12m": 1500.0,
            # paid in the window: K2 (200, 10), K3 (400, 50), K4 (800, 70)
            # (2000 + 20000 + 56000) / 1400 = 55.714
            "days_late_mean_12m": 78000.0 / 1400.0,
            "late_share_12m": 1.0,
            "late_30_share_12m": 2 / 3,
            "late_60_share_12m": 1 / 3,
            # recent: K2 -> 10; before: (20000 + 56000) / 1200 = 63.333
            "days_late_trend": 10.0 - 76000.0 / 1200.0,
            "dso_days": 100.0 / 1500.0 * 365,  # 24.333
            # paid on 2025-05-11, 2025-03-22, 2024-12-12: days 11, 22, 12 once each; the
            # earliest wins -> 11; within 2 days: 11, 12 -> 2 / 3
            "pay_day_usual": 11,
            "pay_day_regularity": 2 / 3,
            "write_off_count": 1,
            "write_off_amount": 50.0,
            "partial_payment_share_12m": 0.0,  # a payments table, no payment of K's: 0 / 4
        },
    )


def test_long_window_from_config(signals: Compute) -> None:
    out = signals(BARE, AS_OF, CONFIG)
    check(
        out["K"],
        {
            # issued in (as_of-180, as_of]: K1, K2; K3 on as_of-180 is out
            "invoices_12m": 2,
            "invoiced_amount_12m": 300.0,
            # paid in (as_of-180, as_of]: K2 (200, 10), K3 (400, 50); K4 (200 days ago) is out
            "days_late_mean_12m": (2000.0 + 20000.0) / 600.0,  # 36.667
            "late_share_12m": 1.0,
            "late_30_share_12m": 1 / 2,
            "late_60_share_12m": 0.0,
            # recent (as_of-90, as_of]: K2 -> 10; before (as_of-180, as_of-90]: K3 -> 50
            "days_late_trend": 10.0 - 50.0,
            "dso_days": 100.0 / 300.0 * 180,  # 60: the window length replaces 365
            # paid on the 11th and the 22nd (2 payments are enough here): tie -> 11; 1 / 2
            "pay_day_usual": 11,
            "pay_day_regularity": 0.5,
            # write-offs are over the whole history, whatever the window
            "write_off_count": 1,
            "write_off_amount": 50.0,
        },
    )
