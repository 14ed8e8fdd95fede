"""Impact of actions against control groups, on hand-made stores with answers worked out by hand.

Every store here has its actions on 2025-01-31 unless said otherwise; with ``after_days=90``
the outcome window is (2025-01-31, 2025-05-01]: 28 days of February, 31 of March, 30 of April
and May 1st.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import riskseg
from riskseg import Store
from riskseg.playbook.control import control_mask
from riskseg.playbook.impact import ImpactReport, measure_impact, newcombe_interval

ACTION_DAY = date(2025, 1, 31)
WINDOW_END = date(2025, 5, 1)
AS_OF = date(2025, 12, 31)
T = [f"T{i}" for i in range(1, 6)]  # treated: action done
K = [f"K{i}" for i in range(1, 6)]  # control: held out, action only recorded


def d(text: str) -> date:
    return date.fromisoformat(text)


def add_invoice(
    store: Store,
    customer: str,
    due: str,
    amount: float,
    paid: str | date | None = None,
    *,
    issue: str | None = None,
    written_off: bool = False,
) -> str:
    invoice_id = f"I{store.count('invoices') + 1}"
    due_day = d(due)
    store.con.execute(
        "INSERT INTO invoices (invoice_id, customer_id, issue_date, due_date, amount, "
        "paid_date, written_off, _import_id) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
        [
            invoice_id,
            customer,
            d(issue) if issue else due_day - timedelta(days=30),
            due_day,
            amount,
            d(paid) if isinstance(paid, str) else paid,
            written_off,
        ],
    )
    return invoice_id


def add_payment(store: Store, invoice_id: str, customer: str, day: str, amount: float) -> None:
    store.con.execute(
        "INSERT INTO payments (payment_id, invoice_id, customer_id, payment_date, amount, "
        "_import_id) VALUES (?, ?, ?, ?, ?, 1)",
        [f"P{store.count('payments') + 1}", invoice_id, customer, d(day), amount],
    )


def add_order(
    store: Store, customer: str, day: str, revenue: float, cost: float | None = None
) -> None:
    store.con.execute(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue, cost, line_no, "
        "_import_id) VALUES (?, ?, ?, ?, ?, 1, 1)",
        [f"O{store.count('orders') + 1}", customer, d(day), revenue, cost],
    )


def add_action(
    store: Store,
    customer: str,
    *,
    as_of: date = ACTION_DAY,
    action: str = "dunning_strict",
    control: bool = False,
    status: str | None = None,
) -> None:
    """An action row as a run would write it; control actions stay ``proposed``."""
    [(n,)] = store.con.execute("SELECT count(*) FROM actions").fetchall()
    store.con.execute(
        "INSERT INTO actions (action_id, run_id, customer_id, as_of, action, owner, priority, "
        "rule, reason, due_date, parameters, expected_impact, control, status, status_at) "
        "VALUES (?, 1, ?, ?, ?, 'finance', 1, 'test_rule', 'test', ?, '{}', NULL, ?, ?, ?)",
        [
            n + 1,
            customer,
            as_of,
            action,
            as_of + timedelta(days=14),
            control,
            status or ("proposed" if control else "done"),
            datetime(2025, 1, 1),
        ],
    )


def groups(store: Store, *, treated: list[str] = T, control: list[str] = K) -> None:
    for c in treated:
        add_action(store, c)
    for c in control:
        add_action(store, c, control=True)


def welch_reference(treated: list[float], control: list[float]) -> tuple[float, float]:
    ci = stats.ttest_ind(treated, control, equal_var=False).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def test_days_late_counts_only_invoices_paid_inside_the_window(store: Store) -> None:
    for i, c in enumerate(T, start=1):
        add_invoice(store, c, "2025-02-10", 100, date(2025, 2, 20) + timedelta(days=i))  # 10+i
        add_invoice(store, c, "2025-04-11", 300, "2025-05-01")  # 20 late, paid on the last day
        add_invoice(store, c, "2025-01-22", 1000, "2025-05-02")  # paid the day after: no
        add_invoice(store, c, "2025-01-01", 1000, "2025-01-31")  # paid on the action day: no
        add_invoice(store, c, "2025-03-01", -50, "2025-03-31")  # a credit note: no
    for i, c in enumerate(K, start=1):
        add_invoice(store, c, "2025-03-01", 200, date(2025, 3, 31) + timedelta(days=i))  # 30+i
    groups(store)

    report = measure_impact(store, as_of=AS_OF, after_days=90)
    o = report["dunning_strict"]["days_late"]
    # treated: (100 * (10 + i) + 300 * 20) / 400 = 17.5 + i / 4; control: 30 + i
    treated = [17.5 + i / 4 for i in range(1, 6)]
    control = [30.0 + i for i in range(1, 6)]
    assert (o.n_treated, o.n_control) == (5, 5)
    assert o.treated_mean == pytest.approx(18.25)
    assert o.control_mean == pytest.approx(33.0)
    assert o.difference == pytest.approx(-14.75)
    assert o.effect == pytest.approx(14.75)
    low, high = welch_reference(treated, control)
    assert (o.ci_low, o.ci_high) == pytest.approx((low, high))
    assert (o.effect_ci_low, o.effect_ci_high) == pytest.approx((-high, -low))
    assert o.effect_ci_low is not None and o.effect_ci_low > 0  # pays faster, and clearly so
    assert o.verdict == (
        f"treated customers paid 14.8 days less late (95% CI {-high:.1f} to {-low:.1f}), n=5 vs 5"
    )
    assert o.method == "welch"

    # point in time: measured on the window's last day, the answer is the same
    early = measure_impact(store, as_of=WINDOW_END, after_days=90)
    again = early["dunning_strict"]["days_late"]
    assert again.verdict == o.verdict
    assert (again.ci_low, again.ci_high) == pytest.approx((o.ci_low, o.ci_high))


def test_overdue_balance_at_the_window_end_deducts_payments_made_by_then(store: Store) -> None:
    for c in T:
        e = add_invoice(store, c, "2025-04-01", 500)  # open; 200 paid by the end, 100 after
        add_payment(store, e, c, "2025-04-15", 200)
        add_payment(store, e, c, "2025-05-02", 100)
        add_invoice(store, c, "2025-05-01", 999)  # due on the last day: not yet overdue
        add_invoice(store, c, "2025-04-01", 50, "2025-05-02")  # paid after the end: overdue
        add_invoice(store, c, "2025-03-01", 70, "2025-04-20")  # paid in time for the end
        add_invoice(store, c, "2025-02-01", 400, written_off=True)  # written off: not counted
    for i, c in enumerate(K, start=1):
        add_invoice(store, c, "2025-04-01", 100.0 * i)
    groups(store)

    o = measure_impact(store, as_of=AS_OF)["dunning_strict"]["overdue_balance"]
    # treated: (500 - 200) + 50 = 350 each; control: 100 * i
    assert (o.n_treated, o.n_control) == (5, 5)
    assert o.treated_mean == pytest.approx(350.0)
    assert o.control_mean == pytest.approx(300.0)
    assert o.difference == pytest.approx(50.0)
    assert o.effect == pytest.approx(-50.0)  # more overdue: the action did not help
    # Welch with a constant treated group: var 25,000 / 5 only, df = 5 - 1, t(0.975, 4) = 2.7764
    half = 2.7764451051977987 * math.sqrt(25_000 / 5)
    low, high = 50 - half, 50 + half
    assert (o.ci_low, o.ci_high) == pytest.approx((low, high))
    assert o.verdict.startswith("treated customers had 50 more overdue at the window end (95% CI ")
    assert o.verdict.endswith("n=5 vs 5; the interval includes 0: no clear effect")


def test_churn_among_customers_who_bought_in_the_year_before(store: Store) -> None:
    treated = [f"T{i}" for i in range(1, 9)] + ["Z", "Y", "X"]
    for c in treated[:7]:
        add_order(store, c, "2024-12-01", 100)
    for c in treated[:5]:
        add_order(store, c, "2025-03-01", 100)  # bought again in the window
    add_order(store, "T6", "2025-05-02", 100)  # the day after the window: still churned
    add_order(store, "T7", "2025-03-01", -100)  # a return is not a purchase: churned
    add_order(store, "T8", "2025-01-31", 100)  # bought on the action day: eligible ...
    add_order(store, "T8", "2025-05-01", 100)  # ... and again on the last day: not churned
    add_order(store, "Z", "2024-02-02", 100)  # 364 days before: eligible, churned
    add_order(store, "Y", "2024-02-01", 100)  # 365 days before: not eligible
    add_order(store, "X", "2025-03-01", 100)  # nothing before the action: not eligible
    control = [f"K{i}" for i in range(1, 7)]
    for c in control:
        add_order(store, c, "2024-12-01", 100)
    for c in control[:2]:
        add_order(store, c, "2025-02-15", 100)
    groups(store, treated=treated, control=control)

    o = measure_impact(store, as_of=AS_OF)["dunning_strict"]["churned"]
    # treated: T6, T7, Z of 9 eligible churned; control: K3..K6 of 6
    assert (o.n_treated, o.n_control) == (9, 6)
    assert o.treated_mean == pytest.approx(3 / 9)
    assert o.control_mean == pytest.approx(4 / 6)
    assert o.difference == pytest.approx(-1 / 3)
    assert o.method == "newcombe"

    # Newcombe (1998) method 10 from the Wilson score intervals, written out by hand
    z = 1.959963984540054

    def wilson(k: int, n: int) -> tuple[float, float]:
        p = k / n
        mid = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return mid - half, mid + half

    (l1, u1), (l2, u2) = wilson(3, 9), wilson(4, 6)
    low = -1 / 3 - math.sqrt((3 / 9 - l1) ** 2 + (u2 - 4 / 6) ** 2)
    high = -1 / 3 + math.sqrt((u1 - 3 / 9) ** 2 + (4 / 6 - l2) ** 2)
    assert (o.ci_low, o.ci_high) == pytest.approx((low, high))
    assert o.verdict.startswith("33.3 percentage points fewer treated customers stopped buying")


def test_newcombe_interval_reproduces_the_published_example() -> None:
    # Newcombe (1998), Table II, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    low, high = newcombe_interval(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_margin_of_the_orders_in_the_window(store: Store) -> None:
    for c in T:
        add_order(store, c, "2025-02-15", 1000, 600)
        add_order(store, c, "2025-03-01", 100, None)  # no cost: the whole revenue counts
        add_order(store, c, "2025-04-01", -200, -120)  # a return takes its margin back
        add_order(store, c, "2025-05-02", 5000, 0)  # after the window
        add_order(store, c, "2025-01-31", 700, 0)  # on the action day: before the window
    for i, c in enumerate(K, start=1):
        add_order(store, c, "2025-03-01", 100.0 * i, 0)
    groups(store)

    o = measure_impact(store, as_of=AS_OF)["dunning_strict"]["margin"]
    # treated: 400 + 100 - 80 = 420 each; control: 100 * i
    assert o.treated_mean == pytest.approx(420.0)
    assert o.control_mean == pytest.approx(300.0)
    assert o.difference == o.effect == pytest.approx(120.0)  # higher is better
    assert o.verdict.startswith("treated customers brought 120 more margin in the window")


def test_who_is_treated_who_is_control_and_each_customer_counts_once(store: Store) -> None:
    for c in T:
        add_action(store, c)
    add_action(store, "T1", as_of=date(2025, 2, 28))  # again a month later: counted once
    for c in K:
        add_action(store, c, control=True)
    add_action(store, "K5", control=True, status="done")  # held out, then done anyway: ITT
    add_action(store, "A1", status="accepted")  # accepted, not (yet) done
    add_action(store, "P1", status="proposed")
    add_action(store, "D1", status="dismissed")
    add_action(store, "M1", control=True)  # held out first ...
    add_action(store, "M1", as_of=date(2025, 2, 28))  # ... done later: stays control
    add_action(store, "T1", action="retention_outreach", control=True)

    # T1's only invoice is paid inside the window of its second action, not of its first
    add_invoice(store, "T1", "2025-05-01", 100, "2025-05-15")
    for i, c in enumerate(["T2", "T3", "T4", "T5", "A1"], start=1):
        add_invoice(store, c, "2025-03-01", 100, date(2025, 3, 1) + timedelta(days=i))
    for i, c in enumerate([*K, "M1"], start=1):
        add_invoice(store, c, "2025-03-01", 100, date(2025, 3, 1) + timedelta(days=10 + i))

    report = measure_impact(store, as_of=AS_OF)
    assert [r.action for r in report.results] == ["dunning_strict", "retention_outreach"]
    r = report["dunning_strict"]
    assert r.actions == 17
    assert r.customers == 14
    assert (r.treated, r.control, r.other) == (5, 6, 3)  # other: A1, P1, D1
    assert r.customers == r.treated + r.control + r.other
    assert r.accepted_or_done == 6
    assert r.control_carried_out == 1
    assert (r.first_as_of, r.last_as_of) == (ACTION_DAY, date(2025, 2, 28))

    late = r["days_late"]
    assert (late.n_treated, late.n_control) == (4, 6)  # T1 paid nothing in its window
    assert late.difference is None
    assert late.verdict == (
        "not enough customers to say (n=4 vs 6; at least 5 in each group are needed)"
    )
    # counting A1 (accepted) as treated gives five: T2..T5 paid 1..4, A1 5 days late
    [sens] = [o for o in r.sensitivity if o.outcome == "days_late"]
    assert (sens.n_treated, sens.n_control) == (5, 6)
    assert sens.treated_mean == pytest.approx((1 + 2 + 3 + 4 + 5) / 5)
    assert sens.control_mean == pytest.approx(sum(10 + i for i in range(1, 7)) / 6)

    # the overdue balance covers every unit (0 when nothing is overdue)
    assert (r["overdue_balance"].n_treated, r["overdue_balance"].n_control) == (5, 6)

    other = report["retention_outreach"]
    assert (other.customers, other.treated, other.control) == (1, 0, 1)


def test_too_few_customers_say_so(store: Store) -> None:
    for i, c in enumerate(T, start=1):
        add_invoice(store, c, "2025-03-01", 100, date(2025, 3, 1) + timedelta(days=i))
    for c in K[:4]:
        add_invoice(store, c, "2025-03-01", 100, "2025-03-30")
    groups(store, control=K[:4])
    r = measure_impact(store, as_of=AS_OF)["dunning_strict"]
    assert (r.treated, r.control) == (5, 4)
    for o in r.outcomes:
        assert o.verdict.startswith("not enough customers to say"), o
        assert o.treated_mean is o.difference is o.ci_low is None
    assert (
        "not enough customers to say (n=5 vs 4;" in measure_impact(store, as_of=AS_OF).format_text()
    )


def test_windows_not_yet_observed_are_left_out(store: Store) -> None:
    # as_of 2025-12-31, 90 days: an action on 2025-10-02 has just been observed in full
    for c in T:
        add_action(store, c, as_of=date(2025, 10, 2))
    add_action(store, "K1", as_of=date(2025, 10, 3), control=True)
    add_action(store, "K2", as_of=date(2025, 11, 30), control=True)
    add_action(store, "K3", as_of=date(2026, 1, 31), control=True)
    add_action(store, "K4", as_of=date(2025, 12, 1), action="price_increase")
    report = measure_impact(store, as_of=AS_OF, after_days=90)
    [r] = report.results
    assert (r.action, r.actions, r.treated, r.control) == ("dunning_strict", 5, 5, 0)
    assert report.pending == {"dunning_strict": 3, "price_increase": 1}
    assert "dunning_strict (3 actions), price_increase (1 actions)" in report.format_text()
    # a shorter window observes more: 2025-12-01 + 30 days is 2025-12-31
    short = measure_impact(store, as_of=AS_OF, after_days=30)
    assert short.pending == {"dunning_strict": 1}
    assert [r.action for r in short.results] == ["dunning_strict", "price_increase"]


def test_a_treated_group_that_pays_faster_shows_a_clear_effect(store: Store) -> None:
    rng = np.random.default_rng(7)
    treated_late = np.clip(np.round(rng.normal(8, 5, 40)), 0, None)
    control_late = np.clip(np.round(rng.normal(20, 6, 12)), 0, None)
    ids_t = [f"T{i}" for i in range(40)]
    ids_c = [f"K{i}" for i in range(12)]
    for c, late in [*zip(ids_t, treated_late, strict=True), *zip(ids_c, control_late, strict=True)]:
        add_invoice(store, c, "2025-03-01", 250, date(2025, 3, 1) + timedelta(days=int(late)))
    groups(store, treated=ids_t, control=ids_c)
    o = measure_impact(store, as_of=AS_OF)["dunning_strict"]["days_late"]
    low, high = welch_reference(list(treated_late), list(control_late))
    assert o.difference == pytest.approx(treated_late.mean() - control_late.mean())
    assert (o.ci_low, o.ci_high) == pytest.approx((low, high))
    assert o.effect is not None and o.effect > 0
    assert o.effect_ci_low is not None and o.effect_ci_low > 0
    assert "days less late" in o.verdict and "no clear effect" not in o.verdict
    assert o.verdict.endswith("n=40 vs 12")


def test_report_shapes_filters_and_coverage(store: Store) -> None:
    for i, c in enumerate(T, start=1):
        add_invoice(store, c, "2025-03-01", 100, date(2025, 3, 1) + timedelta(days=i))
    for c in K:
        add_invoice(store, c, "2025-03-01", 100, "2025-03-20")
    groups(store)
    add_action(store, "T1", action="retention_outreach")
    report = measure_impact(store, as_of=AS_OF, action="dunning_strict", confidence=0.9)
    assert [r.action for r in report.results] == ["dunning_strict"]
    # no orders imported: churn and margin cannot be measured, and the report says so
    assert report.not_covered == {"churned": "no orders imported", "margin": "no orders imported"}
    assert [o.outcome for o in report["dunning_strict"].outcomes] == [
        "days_late",
        "overdue_balance",
    ]
    d = json.loads(json.dumps(report.to_dict()))
    assert d["as_of"] == "2025-12-31" and d["confidence"] == 0.9
    assert d["results"][0]["outcomes"][0]["verdict"].endswith("n=5 vs 5")
    assert "(90% CI" in d["results"][0]["outcomes"][0]["verdict"]
    text = report.format_text()
    assert "dunning_strict: 10 actions (2025-01-31), 10 customers: 5 treated, 5 control" in text
    assert "Not measured: churned (no orders imported); margin (no orders imported)" in text
    with pytest.raises(KeyError):
        report["retention_outreach"]


def test_bad_arguments_are_refused(store: Store) -> None:
    with pytest.raises(riskseg.InputError, match="after_days must be a whole number"):
        measure_impact(store, as_of=AS_OF, after_days=0)
    with pytest.raises(ValueError, match=r"confidence must be between 0 and 1 \(e\.g\. 0\.95\)"):
        measure_impact(store, as_of=AS_OF, confidence=95)
    empty = measure_impact(store, as_of=AS_OF)
    assert isinstance(empty, ImpactReport) and empty.results == [] and empty.pending == {}
    assert "No action has a fully observed outcome window yet." in empty.format_text()


@pytest.mark.slow
def test_demo_replay_shows_no_effect_where_the_demo_has_none(tmp_path: Path, store: Store) -> None:
    """Monthly replay of the demo company: dunning_strict for late payers, 10 % held out.

    The demo's customers do not react to actions, so the honest answer is "no clear effect":
    every interval must include 0.
    """
    from riskseg.demo import generate

    generate(customers=600, seed=4).write(tmp_path / "demo", format="parquet")
    riskseg.import_path(store, tmp_path / "demo")
    inserted = 0
    held_out = set()
    for run in (date(2025, 3, 31), date(2025, 6, 30)):
        signals = riskseg.compute_signals(store, as_of=run, signals=["late_30_share_12m"])
        ids = [
            r["customer_id"]
            for r in signals.select(["customer_id", "late_30_share_12m"]).to_pylist()
            if r["late_30_share_12m"] is not None and r["late_30_share_12m"] >= 0.3
        ]
        for c, held in zip(ids, control_mask(ids, "dunning_strict", 0.3), strict=True):
            add_action(store, c, as_of=run, control=bool(held))
            held_out.update([c] if held else [])
        inserted += len(ids)

    report = measure_impact(store, as_of=AS_OF, after_days=90)
    print("\n" + report.format_text())  # `pytest -s`: the table of docs/impact.md
    assert report.pending == {}
    r = report["dunning_strict"]
    assert r.actions == inserted
    assert r.customers == r.treated + r.control + r.other
    assert r.other == 0 and r.control == len(held_out)  # the same customers both runs
    assert r.sensitivity == []  # nothing merely accepted
    assert [o.outcome for o in r.outcomes] == ["days_late", "overdue_balance", "churned", "margin"]
    for o in r.outcomes:
        assert o.n_treated <= r.treated and o.n_control <= r.control
        assert o.enough, o.verdict
        assert o.ci_low is not None and o.ci_high is not None and o.difference is not None
        assert o.ci_low <= o.difference <= o.ci_high
        assert o.ci_low <= 0.0 <= o.ci_high, o.verdict
        assert o.verdict.endswith("the interval includes 0: no clear effect")
    assert r["overdue_balance"].n_treated == r.treated  # every unit has an overdue balance
