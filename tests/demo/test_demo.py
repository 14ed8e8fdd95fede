"""The demo company: contract-valid tables whose customers behave as their ground truth says."""

from __future__ import annotations

import doctest
import re
import statistics
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from riskseg import demo
from riskseg.contract import INTERACTION_TYPES, TABLE_ORDER, TABLES
from riskseg.demo import BEHAVIOURS, DemoCompany, generate
from riskseg.demo import company as demo_company
from riskseg.errors import InputError

END = date(2025, 12, 31)
ARROW = {
    "str": pa.string(),
    "int": pa.int64(),
    "decimal": pa.float64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "score": pa.float64(),
}
#: Columns that record when something happened (due dates and flag expiry lie ahead by nature).
EVENT_DATES = {
    "customers": ["customer_since"],
    "invoices": ["issue_date", "paid_date"],
    "payments": ["payment_date"],
    "orders": ["order_date"],
    "quotes": ["quote_date"],
    "interactions": ["date"],
    "credit_reports": ["report_date"],
    "flags": ["date"],
    "surveys": ["date"],
}


@pytest.fixture(scope="module")
def company() -> DemoCompany:
    return generate(customers=1200, seed=11)


def ids_of(company: DemoCompany, behaviour: str, *, prospects: bool = False) -> set[str]:
    truth = company.truth.filter(
        pc.and_(
            pc.equal(company.truth["behaviour"], behaviour),
            pc.equal(company.truth["is_prospect"], prospects),
        )
    )
    return set(truth["customer_id"].to_pylist())


def per_customer(tbl: pa.Table, column: str, how: str) -> dict[str, float]:
    """``how`` (sum, mean, count, min, max) of ``column`` per customer_id."""
    grouped = tbl.group_by("customer_id").aggregate([(column, how)])
    return dict(
        zip(grouped["customer_id"].to_pylist(), grouped[f"{column}_{how}"].to_pylist(), strict=True)
    )


def counts(tbl: pa.Table, column: str = "customer_id") -> dict[str, int]:
    return {k: int(v) for k, v in per_customer(tbl, column, "count").items()}


def values(d: Mapping[str, float], keys: Iterable[str], default: float = 0.0) -> list[float]:
    return [d.get(k, default) for k in keys]


def revenue(company: DemoCompany) -> dict[str, float]:
    return per_customer(company.tables["orders"], "revenue", "sum")


# --- contract --------------------------------------------------------------------------


def holds(condition: pa.ChunkedArray) -> bool:
    """True where every row meets ``condition`` (also for an empty table)."""
    return bool(pc.all(condition, min_count=0).as_py())


def check_contract(company: DemoCompany, end: date) -> None:
    """Every table has exactly the contract's columns and types and honours its rules."""
    assert list(company.tables) == list(TABLE_ORDER)
    for name, tbl in company.tables.items():
        spec = TABLES[name]
        assert tbl.schema.names == spec.column_names, name
        for col in spec.columns:
            assert tbl.schema.field(col.name).type == ARROW[col.type], (name, col.name)
            if col.required:
                assert tbl[col.name].null_count == 0, (name, col.name)
            data = tbl[col.name].drop_null()
            if col.enum:
                assert set(data.unique().to_pylist()) <= set(col.enum), (name, col.name)
            if col.min is not None and len(data):
                assert pc.min(data).as_py() >= col.min, (name, col.name)
            if col.max is not None and len(data):
                assert pc.max(data).as_py() <= col.max, (name, col.name)
            if col.references:
                target = company.tables[col.references][TABLES[col.references].key[0]]
                assert holds(pc.is_in(tbl[col.name], target)), (name, col.name)
        if not spec.line_key:
            keys = tbl.select(list(spec.key)).group_by(list(spec.key)).aggregate([])
            assert keys.num_rows == tbl.num_rows, name
        for later, earlier in spec.date_order:
            assert holds(pc.greater_equal(tbl[later], tbl[earlier])), (name, later)
    for name, columns in EVENT_DATES.items():
        for column in columns:
            latest = pc.max(company.tables[name][column]).as_py()
            assert latest is None or latest <= end, (name, column, latest)
    assert company.truth["customer_id"].equals(company.tables["customers"]["customer_id"])


def test_tables_follow_the_contract(company: DemoCompany) -> None:
    check_contract(company, END)
    for name, tbl in company.tables.items():
        assert tbl.num_rows > 0, name


def test_same_seed_gives_identical_tables() -> None:
    a, b = generate(customers=400, seed=5), generate(customers=400, seed=5)
    for name in TABLE_ORDER:
        assert a.tables[name].equals(b.tables[name]), name
    assert a.truth.equals(b.truth)


def test_another_seed_gives_other_data() -> None:
    a, b = generate(customers=400, seed=5), generate(customers=400, seed=6)
    assert not a.tables["invoices"].equals(b.tables["invoices"])
    assert a.truth["behaviour"].to_pylist() != b.truth["behaviour"].to_pylist()


def test_order_lines_share_their_order(company: DemoCompany) -> None:
    lines = (
        company.tables["orders"]
        .group_by("order_id")
        .aggregate([("customer_id", "count_distinct"), ("order_date", "count_distinct")])
    )
    assert pc.max(lines["customer_id_count_distinct"]).as_py() == 1
    assert pc.max(lines["order_date_count_distinct"]).as_py() == 1
    assert lines.num_rows < company.tables["orders"].num_rows  # some orders have several lines


@pytest.mark.parametrize(
    ("name", "key", "day"),
    [
        ("orders", "order_id", "order_date"),
        ("invoices", "invoice_id", "issue_date"),
        ("payments", "payment_id", "payment_date"),
        ("quotes", "quote_id", "quote_date"),
        ("interactions", "interaction_id", "date"),
        ("flags", "flag_id", "date"),
        ("surveys", "response_id", "date"),
    ],
)
def test_documents_are_numbered_in_date_order(
    company: DemoCompany, name: str, key: str, day: str
) -> None:
    tbl = company.tables[name]
    keys = tbl[key].to_pylist()
    assert keys == sorted(keys)
    days = tbl[day].to_numpy()
    assert (days[1:] >= days[:-1]).all()


def test_contacts_and_invoices_belong_to_the_same_customer(company: DemoCompany) -> None:
    contacts = company.tables["contacts"]
    owner = dict(
        zip(contacts["contact_id"].to_pylist(), contacts["customer_id"].to_pylist(), strict=True)
    )
    for name in ("interactions", "surveys"):
        tbl = company.tables[name].filter(pc.is_valid(company.tables[name]["contact_id"]))
        pairs = zip(tbl["contact_id"].to_pylist(), tbl["customer_id"].to_pylist(), strict=True)
        assert all(owner[c] == cust for c, cust in pairs), name
    invoices = company.tables["invoices"]
    inv_owner = dict(
        zip(invoices["invoice_id"].to_pylist(), invoices["customer_id"].to_pylist(), strict=True)
    )
    pays = company.tables["payments"]
    pairs = zip(pays["invoice_id"].to_pylist(), pays["customer_id"].to_pylist(), strict=True)
    assert all(inv_owner[i] == c for i, c in pairs)


def test_invoices_are_consistent_in_time(company: DemoCompany) -> None:
    inv = company.tables["invoices"]
    paid = inv.filter(pc.is_valid(inv["paid_date"]))
    before_issue = pc.sum(pc.less(paid["paid_date"], paid["issue_date"])).as_py()
    assert before_issue <= 0.01 * paid.num_rows  # pro-forma prepayments only
    assert inv.num_rows > paid.num_rows  # invoices near the end are still open
    assert pc.max(inv["issue_date"]).as_py() > date(2025, 12, 15)
    weekday = pc.day_of_week(inv["issue_date"])  # Monday = 0
    assert pc.max(weekday).as_py() <= 4  # invoices are written on working days


def test_every_behaviour_and_prospects_are_present(company: DemoCompany) -> None:
    truth = company.truth
    assert set(truth["behaviour"].to_pylist()) == set(BEHAVIOURS)
    for b in BEHAVIOURS:
        assert ids_of(company, b), b
    core = len(ids_of(company, "on_time_core"))
    assert 0.35 * truth.num_rows < core < 0.55 * truth.num_rows
    status = dict(
        zip(
            *[company.tables["customers"][c].to_pylist() for c in ("customer_id", "status")],
            strict=True,
        )
    )
    prospects = {
        c
        for c, p in zip(
            truth["customer_id"].to_pylist(), truth["is_prospect"].to_pylist(), strict=True
        )
        if p
    }
    assert prospects and all(status[c] == "prospect" for c in prospects)
    assert {"active", "closed"} <= set(status.values())


def test_prospects_have_sales_activity_but_no_orders_or_invoices(company: DemoCompany) -> None:
    prospects = set(company.truth.filter(company.truth["is_prospect"])["customer_id"].to_pylist())
    for name in ("orders", "invoices", "payments"):
        assert not prospects & set(company.tables[name]["customer_id"].to_pylist()), name
    for name in ("quotes", "interactions", "credit_reports", "contacts"):
        assert prospects & set(company.tables[name]["customer_id"].to_pylist()), name
    quotes = company.tables["quotes"]
    won = quotes.filter(pc.equal(quotes["status"], "won"))
    assert not prospects & set(won["customer_id"].to_pylist())


def test_money_flows_look_like_real_books(company: DemoCompany) -> None:
    inv = company.tables["invoices"]
    assert pc.sum(pc.less(inv["amount"], 0)).as_py() > 0  # credit notes
    assert pc.sum(inv["disputed"]).as_py() > 0
    assert pc.sum(inv["written_off"]).as_py() > 0
    assert pc.all(pc.equal(inv["currency"], "EUR")).as_py()
    assert pc.sum(pc.less(company.tables["orders"]["revenue"], 0)).as_py() > 0  # returns
    per_year = inv.num_rows / (company.truth.num_rows * 0.92) / 3
    assert 7 < per_year < 16
    kinds = set(company.tables["interactions"]["type"].to_pylist())
    assert kinds == set(INTERACTION_TYPES)


def test_instalments_add_up_to_the_invoice(company: DemoCompany) -> None:
    inv = company.tables["invoices"]
    pays = company.tables["payments"]
    total = pays.group_by("invoice_id").aggregate([("amount", "sum"), ("payment_date", "max")])
    joined = total.join(inv, "invoice_id")
    settled = joined.filter(pc.is_valid(joined["paid_date"]))
    assert settled.num_rows > 0
    gap = pc.abs(pc.subtract(settled["amount_sum"], settled["amount"]))
    assert pc.max(gap).as_py() < 0.011
    assert settled["payment_date_max"].equals(settled["paid_date"])
    unsettled = joined.filter(pc.is_null(joined["paid_date"]))
    assert unsettled.num_rows > 0
    assert pc.all(pc.less(unsettled["amount_sum"], unsettled["amount"])).as_py()


# --- behaviours are recoverable from the tables ------------------------------------------


def days_late(company: DemoCompany) -> pa.Table:
    inv = company.tables["invoices"]
    paid = inv.filter(pc.and_(pc.is_valid(inv["paid_date"]), pc.greater(inv["amount"], 0)))
    return paid.append_column("late", pc.days_between(paid["due_date"], paid["paid_date"]))


def test_fixed_date_payers_always_pay_on_their_day(company: DemoCompany) -> None:
    paid = days_late(company)
    truth = company.truth.filter(pc.equal(company.truth["behaviour"], "fixed_date_payer"))
    usual = dict(
        zip(truth["customer_id"].to_pylist(), truth["usual_pay_day"].to_pylist(), strict=True)
    )
    mine = paid.filter(pc.is_in(paid["customer_id"], pa.array(list(usual))))
    days = pc.day(mine["paid_date"]).to_pylist()
    assert mine.num_rows > 100
    assert all(d == usual[c] for c, d in zip(mine["customer_id"].to_pylist(), days, strict=True))
    # ... which is not explained by the due date: their lateness varies by weeks.
    assert np.std(mine["late"].to_numpy()) > 5


def test_chronic_late_payers_pay_much_later_than_the_core(company: DemoCompany) -> None:
    late = per_customer(days_late(company), "late", "mean")
    chronic = values(late, ids_of(company, "chronic_late_payer") & late.keys())
    core = values(late, ids_of(company, "on_time_core") & late.keys())
    assert statistics.mean(chronic) > statistics.mean(core) + 20
    assert statistics.median(chronic) > 2 * max(statistics.median(core), 5)
    promises = company.tables["interactions"].filter(
        pc.is_in(
            company.tables["interactions"]["type"], pa.array(["promise_to_pay", "promise_broken"])
        )
    )
    made = counts(promises)
    assert statistics.mean(
        values(made, ids_of(company, "chronic_late_payer"))
    ) > 5 * statistics.mean(values(made, ids_of(company, "on_time_core")))


def test_quote_shoppers_ask_often_win_rarely_and_want_big_discounts(company: DemoCompany) -> None:
    quotes = company.tables["quotes"]
    decided = quotes.filter(pc.is_in(quotes["status"], pa.array(["won", "lost", "expired"])))
    won = decided.append_column("won", pc.cast(pc.equal(decided["status"], "won"), pa.float64()))
    win = per_customer(won, "won", "mean")
    n = counts(quotes)
    discount = per_customer(quotes, "discount_pct", "mean")
    shop, core = ids_of(company, "quote_shopper"), ids_of(company, "on_time_core")
    assert statistics.mean(values(win, shop & win.keys())) < 0.3 * statistics.mean(
        values(win, core & win.keys())
    )
    assert statistics.mean(values(n, shop)) > 3 * statistics.mean(values(n, core))
    assert statistics.mean(values(discount, shop & discount.keys())) > 15


def service_counts(company: DemoCompany, kinds: list[str]) -> dict[str, int]:
    ia = company.tables["interactions"]
    return counts(ia.filter(pc.is_in(ia["type"], pa.array(kinds))))


def test_high_maintenance_customers_keep_service_busy(company: DemoCompany) -> None:
    tickets = service_counts(company, ["support_ticket", "complaint"])
    ia = company.tables["interactions"]
    effort = per_customer(ia, "effort_minutes", "sum")
    hm, core = ids_of(company, "high_maintenance"), ids_of(company, "on_time_core")
    assert statistics.mean(values(tickets, hm)) > 4 * statistics.mean(values(tickets, core))
    assert statistics.median(values(effort, hm)) > 3 * statistics.median(values(effort, core))


def test_engineering_drains_ask_many_changes_for_little_revenue(company: DemoCompany) -> None:
    changes = service_counts(company, ["engineering_change"])
    rev = revenue(company)
    drain, core = ids_of(company, "engineering_drain"), ids_of(company, "on_time_core")
    assert statistics.mean(values(changes, drain)) > 10 * statistics.mean(values(changes, core))
    assert statistics.median(values(rev, drain)) < 0.6 * statistics.median(values(rev, core))


def test_drifting_away_customers_order_less_and_less(company: DemoCompany) -> None:
    orders = (
        company.tables["orders"].group_by(["order_id", "customer_id", "order_date"]).aggregate([])
    )
    drift = pa.array(sorted(ids_of(company, "drifting_away")))
    mine = orders.filter(pc.is_in(orders["customer_id"], drift))
    first_year = counts(mine.filter(pc.less(mine["order_date"], date(2024, 1, 1))))
    last_half = counts(mine.filter(pc.greater_equal(mine["order_date"], date(2025, 7, 1))))
    keys = drift.to_pylist()
    assert sum(values(last_half, keys)) < 0.5 * sum(values(first_year, keys)) / 2
    ia = company.tables["interactions"]
    late = ia.filter(pc.greater_equal(ia["date"], date(2025, 1, 1)))
    responded = counts(late.filter(pc.equal(late["type"], "campaign_responded")))
    assert sum(values(responded, keys)) == 0
    missed = counts(late.filter(pc.equal(late["type"], "meeting_missed")))
    core = ids_of(company, "on_time_core")
    assert statistics.mean(values(missed, keys)) > 5 * statistics.mean(values(missed, core))


def test_staff_abusers_carry_a_red_line_conduct_flag(company: DemoCompany) -> None:
    flags = company.tables["flags"]
    conduct = flags.filter(pc.equal(flags["category"], "conduct"))
    red = set(conduct.filter(pc.equal(conduct["severity"], 3))["customer_id"].to_pylist())
    abusers = ids_of(company, "mistreats_staff") | ids_of(
        company, "mistreats_staff", prospects=True
    )
    assert red == abusers
    lower = set(conduct.filter(pc.less(conduct["severity"], 3))["customer_id"].to_pylist())
    assert abusers <= lower
    assert pc.all(pc.is_null(conduct.filter(pc.equal(conduct["severity"], 3))["expires"])).as_py()


def test_regulated_low_value_customers_are_regulated_and_small(company: DemoCompany) -> None:
    cust = company.tables["customers"]
    regulated = dict(
        zip(cust["customer_id"].to_pylist(), cust["regulated"].to_pylist(), strict=True)
    )
    low = ids_of(company, "regulated_low_value")
    assert all(regulated[c] for c in low)
    rev = revenue(company)
    assert statistics.median(values(rev, low)) < 0.5 * statistics.median(
        values(rev, ids_of(company, "on_time_core"))
    )


def test_credit_deteriorating_scores_fall(company: DemoCompany) -> None:
    reports = company.tables["credit_reports"]
    first = reports.group_by("customer_id").aggregate(
        [("report_date", "min"), ("report_date", "max")]
    )
    scores = {
        (c, d): s
        for c, d, s in zip(
            *[reports[k].to_pylist() for k in ("customer_id", "report_date", "score")], strict=True
        )
    }
    change = {
        c: scores[(c, hi)] - scores[(c, lo)]
        for c, lo, hi in zip(
            *[first[k].to_pylist() for k in ("customer_id", "report_date_min", "report_date_max")],
            strict=True,
        )
    }
    falling = values(change, ids_of(company, "credit_deteriorating"))
    assert sum(ch < -10 for ch in falling) >= 0.9 * len(falling)
    core = values(change, ids_of(company, "on_time_core"))
    assert abs(statistics.mean(core)) < 5
    insolvent = reports.filter(reports["insolvency"])
    assert set(insolvent["customer_id"].to_pylist()) <= ids_of(company, "credit_deteriorating")


def test_unhappy_executive_sponsor_scores_lower_than_colleagues(company: DemoCompany) -> None:
    surveys = company.tables["surveys"]
    truth = company.truth.filter(pc.equal(company.truth["behaviour"], "unhappy_executive"))
    sponsor = dict(
        zip(
            truth["customer_id"].to_pylist(), truth["executive_contact_id"].to_pylist(), strict=True
        )
    )
    mine = surveys.filter(pc.is_in(surveys["customer_id"], pa.array(list(sponsor))))
    exec_scores: dict[str, list[float]] = {}
    other_scores: dict[str, list[float]] = {}
    for c, p, a in zip(
        *[mine[k].to_pylist() for k in ("customer_id", "contact_id", "attitude")], strict=True
    ):
        (exec_scores if p == sponsor[c] else other_scores).setdefault(c, []).append(a)
    assert set(exec_scores) == set(sponsor) == set(other_scores)
    assert all(
        statistics.mean(exec_scores[c]) < statistics.mean(other_scores[c]) - 2 for c in sponsor
    )
    sizes = company.tables["customers"].filter(
        pc.is_in(company.tables["customers"]["customer_id"], pa.array(list(sponsor)))
    )
    assert set(sizes["size_band"].to_pylist()) <= {"large", "enterprise"}


def test_unprofitable_customers_earn_almost_no_margin(company: DemoCompany) -> None:
    orders = company.tables["orders"]
    rev, cost = per_customer(orders, "revenue", "sum"), per_customer(orders, "cost", "sum")
    margin = {c: (rev[c] - cost[c]) / rev[c] for c in rev if rev[c] > 0}
    bad = values(margin, ids_of(company, "unprofitable") & margin.keys())
    assert sum(m <= 0.05 for m in bad) >= 0.95 * len(bad)
    assert statistics.median(values(margin, ids_of(company, "on_time_core") & margin.keys())) > 0.2


# --- API edges ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_write_saves_every_table_and_the_truth(tmp_path: Path, fmt: str) -> None:
    company = generate(customers=120, seed=2)
    paths = company.write(tmp_path, format=fmt)  # type: ignore[arg-type]
    assert [p.name for p in paths[:-1]] == [f"{t}.{fmt}" for t in TABLE_ORDER]
    assert paths[-1] == tmp_path / "truth" / "ground_truth.parquet"
    assert pq.read_table(paths[-1]).equals(company.truth)
    for name, path in zip(TABLE_ORDER, paths, strict=False):
        back = pq.read_table(path) if fmt == "parquet" else pacsv.read_csv(path)
        assert back.num_rows == company.tables[name].num_rows
        assert back.column_names == company.tables[name].column_names
    if fmt == "csv":
        header, first = (tmp_path / "invoices.csv").read_text().splitlines()[:2]
        assert header.startswith('"invoice_id","customer_id","issue_date"')
        assert re.match(r'"INV0+1","C\d+",2023-01-\d\d,\d{4}-\d\d-\d\d,-?\d+(\.\d+)?,"EUR"', first)


def test_bad_arguments_are_refused_with_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="customers"):
        generate(customers=0)
    with pytest.raises(InputError, match="seed"):
        generate(customers=10, seed=-1)
    with pytest.raises(ValueError, match="90 days"):
        generate(customers=10, start=date(2025, 1, 1), end=date(2025, 2, 1))
    with pytest.raises(InputError, match="format"):
        generate(customers=10).write(tmp_path, format="xlsx")  # type: ignore[arg-type]


def test_a_short_window_and_few_customers_still_follow_the_contract() -> None:
    end = date(2024, 6, 30)
    company = generate(customers=300, seed=4, start=date(2024, 1, 1), end=end)
    check_contract(company, end)
    assert company.tables["invoices"].num_rows > 0
    tiny = generate(customers=3, seed=1, start=date(2024, 1, 1), end=end)
    check_contract(tiny, end)


def test_truth_explains_each_account(company: DemoCompany) -> None:
    truth = company.truth
    assert truth.column_names[:3] == ["customer_id", "behaviour", "is_prospect"]
    fixed = pc.and_(
        pc.equal(truth["behaviour"], "fixed_date_payer"), pc.invert(truth["is_prospect"])
    )
    assert pc.is_valid(truth["usual_pay_day"]).equals(fixed)
    insolvent = truth.filter(pc.is_valid(truth["insolvency_date"]))
    assert insolvent.num_rows > 0
    reports = company.tables["credit_reports"].filter(
        company.tables["credit_reports"]["insolvency"]
    )
    filed = dict(
        zip(reports["customer_id"].to_pylist(), reports["report_date"].to_pylist(), strict=True)
    )
    insolvency = insolvent["insolvency_date"].to_pylist()
    for c, d in zip(insolvent["customer_id"].to_pylist(), insolvency, strict=True):
        assert filed[c] == d
    customers = company.tables["customers"]
    status = dict(
        zip(customers["customer_id"].to_pylist(), customers["status"].to_pylist(), strict=True)
    )
    assert all(status[c] == "closed" for c in insolvent["customer_id"].to_pylist())


def test_docstring_examples_run() -> None:
    for module in (demo, demo_company):
        failures, tried = doctest.testmod(module)
        assert tried > 0, module.__name__
        assert failures == 0, module.__name__
