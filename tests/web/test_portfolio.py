"""The read functions the dashboard's pages are made of (riskseg.portfolio), on the demo
company, each checked against an independent count in SQL or by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import webtools

import riskseg
from riskseg import portfolio
from riskseg.errors import InputError
from riskseg.playbook.actions import set_status
from riskseg.playbook.rules import ACTION_CODES, load_playbook
from riskseg.portfolio.practices import _coverage
from riskseg.signals.registry import REGISTRY


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[riskseg.Store]:
    with riskseg.Store(":memory:") as s:
        webtools.fill_store(s, tmp_path_factory.mktemp("portfolio-demo"))
        yield s


def _one(store: riskseg.Store, sql: str, params: list[object] | None = None) -> object:
    return store.con.execute(sql, params or []).fetchall()[0][0]


def test_the_grid_adds_up_to_the_run_with_revenue_of_the_last_12_months(
    store: riskseg.Store,
) -> None:
    run = portfolio.latest(store)
    assert run is not None and run.as_of == webtools.AS_OF[-1] and run.previous_run == 1
    s = portfolio.portfolio_summary(store, run.run_id)
    assert [c.segment for c in s.grid][:3] == [
        "high_value_low_risk",
        "high_value_medium_risk",
        "high_value_high_risk",
    ]
    assert sum(c.customers for c in s.grid + s.outside) == run.customers
    cell = s.cell("mid", "medium")
    revenue = _one(
        store,
        "SELECT sum(o.revenue) FROM orders o JOIN run_customers rc USING (customer_id) "
        "WHERE rc.run_id = ? AND rc.grid_segment = 'mid_value_medium_risk' "
        "AND o.order_date > DATE '2024-12-31' AND o.order_date <= DATE '2025-12-31'",
        [run.run_id],
    )
    assert cell.revenue_12m == pytest.approx(revenue)
    assert s.high_risk == sum(c.customers for c in s.grid if c.segment.endswith("_high_risk"))
    assert sum(n for _, n in s.risk_bins) == _one(
        store,
        "SELECT count(*) FROM run_customers WHERE run_id = ? AND risk_score IS NOT NULL "
        "AND status <> 'prospect'",
        [run.run_id],
    )
    assert s.movers == portfolio.migration_matrix(store, run.run_id).worse > 0


def test_high_risk_shares_by_region_industry_and_product(store: riskseg.Store) -> None:
    s = portfolio.portfolio_summary(store, 2, top=100)
    for dim in ("region", "industry", "product"):
        assert s.high_risk_by[dim], dim
        assert len(s.high_risk_by[dim]) == s.breakdown_sizes[dim]
    benelux = next(r for r in s.high_risk_by["region"] if r.value == "Benelux")
    expected = store.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE rc.grid_segment LIKE '%high_risk') "
        "FROM run_customers rc JOIN customers c USING (customer_id) "
        "WHERE rc.run_id = 2 AND c.region = 'Benelux' AND rc.grid_segment LIKE '%_value_%'"
    ).fetchall()[0]
    assert (benelux.customers, benelux.high_risk) == expected
    assert benelux.share == pytest.approx(expected[1] / expected[0])
    assert sum(r.customers for r in s.high_risk_by["region"]) <= sum(c.customers for c in s.grid)


def test_the_customer_list_searches_plain_text_sorts_and_pages(store: riskseg.Store) -> None:
    first = portfolio.customer_list(store, 2, sort="risk_score", page_size=10)
    scores = [c["risk_score"] for c in first.items]
    assert scores == sorted(scores, reverse=True) and first.total == 120
    assert first.pages == 12
    second = portfolio.customer_list(store, 2, sort="risk_score", page=2, page_size=10)
    assert not {c["customer_id"] for c in first.items} & {c["customer_id"] for c in second.items}
    assert portfolio.customer_list(store, 2, q="%").total == 0  # % is text, not a pattern
    assert portfolio.customer_list(store, 2, q="c00001").total == 10  # ids C000010-C000019
    with pytest.raises(InputError, match="sort must be one of"):
        portfolio.customer_list(store, 2, sort="risk_score; DROP TABLE runs")


def test_the_timeline_is_newest_first_and_counts_every_record(store: riskseg.Store) -> None:
    c = "C000037"
    tl = portfolio.customer_timeline(store, c, limit=25)
    dates = [e.date for e in tl.events]
    assert len(dates) == 25 and dates == sorted(dates, reverse=True)
    expected = sum(
        int(_one(store, sql, [c]))  # type: ignore[call-overload]
        for sql in (
            "SELECT count(*) FROM invoices WHERE customer_id = ?",
            "SELECT count(*) FROM invoices WHERE customer_id = ? AND paid_date IS NOT NULL",
            "SELECT count(*) FROM payments WHERE customer_id = ?",
            "SELECT count(DISTINCT order_id) FROM orders WHERE customer_id = ?",
            "SELECT count(*) FROM interactions WHERE customer_id = ?",
        )
    )
    assert tl.total == expected
    cut = portfolio.customer_timeline(store, c, limit=1000, as_of=date(2024, 12, 31))
    assert max(e.date for e in cut.events) <= date(2024, 12, 31) and cut.total < tl.total
    kinds = {e.kind for e in portfolio.customer_timeline(store, c, limit=1000).events}
    assert kinds >= {"invoice", "paid", "order", "interaction"}


def test_a_profile_hides_personal_data_unless_asked(store: riskseg.Store) -> None:
    run = portfolio.latest(store)
    hidden = portfolio.customer_profile(store, "C000037", run=run)
    shown = portfolio.customer_profile(store, "C000037", run=run, with_personal_data=True)
    assert hidden is not None and shown is not None
    assert all(p["name"] is None and p["email"] is None for p in hidden.contacts)
    assert any(p["email"] for p in shown.contacts)
    assert [h["run_id"] for h in shown.history] == [2, 1]
    assert shown.reasons and all("points" in r for r in shown.reasons)
    surveyed = [p for p in shown.contacts if p["behavior"] is not None]
    for p in surveyed:  # the Loyalty Matrix at its default high mark, 7 of 10
        b, a = p["behavior"] >= 7, p["attitude"] >= 7
        want = {(1, 1): "loyal", (1, 0): "trapped", (0, 1): "accessible", (0, 0): "high_risk"}
        assert p["quadrant"] == want[(int(b), int(a))]
    assert portfolio.customer_profile(store, "NOBODY", run=run) is None


def test_the_practice_mapping_names_real_signals_rules_and_every_action() -> None:
    rules = {r.name for r in load_playbook().rules}
    claimed = [rule for p in portfolio.PRACTICES for rule in p.rules]
    assert set(claimed) <= rules and len(claimed) == len(set(claimed))
    codes = [c for p in portfolio.PRACTICES for c in p.actions]
    assert sorted(codes) == sorted(ACTION_CODES)  # each code in exactly one practice
    for p in portfolio.PRACTICES:
        assert set(p.signals) <= set(REGISTRY), p.key
    assert [p.name for p in portfolio.PRACTICES] == [
        "Internal identification",
        "Values and ethics filters",
        "Data-driven tools",
        "Resource allocation",
        "Price regulation",
        "Regulatory limits",
    ]


def test_practice_levels_follow_what_departments_record(store: riskseg.Store) -> None:
    as_of = webtools.AS_OF[-1]
    before = {p.practice.key: p for p in portfolio.practice_coverage(store, as_of=as_of)}
    tools = before["data_driven_tools"]
    assert tools.data and tools.owners == ["finance"] and tools.level == "emerging"
    assert not tools.recorded and "not worked by finance" in " ".join(tools.why)
    ids = [
        int(r[0])
        for r in store.con.execute(
            "SELECT action_id FROM actions WHERE owner = 'finance' AND status = 'proposed' "
            "AND NOT control AND action IN ('reduce_credit_limit', 'require_prepayment') "
            "ORDER BY action_id LIMIT 1"
        ).fetchall()
    ]
    assert ids
    set_status(store, ids[0], "accept", by="finance", role="finance")
    after = {p.practice.key: p for p in portfolio.practice_coverage(store, as_of=as_of)}
    tools = after["data_driven_tools"]
    assert tools.recorded and tools.worked == 1 and tools.worked_owners == ["finance"]
    # worked across its department, but no impact measured yet: not fully leveraged
    assert tools.measured is False and tools.level == "inconsistent"
    # never held out: nothing to measure against, so data and records are enough
    assert after["regulatory_limits"].measured is None


def test_fully_leveraged_needs_data_records_and_measured_impact(store: riskseg.Store) -> None:
    tools = portfolio.PRACTICES[2]
    owners = {"finance": [4, 2]}
    assert _coverage(store, tools, owners, {"reduce_credit_limit"}).level == "fully_leveraged"
    assert _coverage(store, tools, owners, set()).level == "inconsistent"
    assert _coverage(store, tools, {"finance": [4, 0]}, set()).level == "emerging"
    with riskseg.Store(":memory:") as empty:
        levels = [p.level for p in portfolio.practice_coverage(empty, as_of=None)]
        assert levels == ["emerging"] * 6


def test_model_validation_reads_the_backtest_and_draws_the_lift(store: riskseg.Store) -> None:
    bins = [
        {"mean_predicted": p, "observed_rate": o, "count": 10}
        for p, o in ((0.1, 0.0), (0.3, 0.2), (0.6, 0.6))
    ]
    details = {
        "basis": {"churn": "model: LightGBM on 600 customer-cut-offs", "payment_risk": "x"},
        "notes": ["late-payment model: too few events; the scorecard stands in"],
        "backtest": {
            "as_of": "2025-12-31",
            "results": [
                {
                    "target": "churn",
                    "model": {"auc": 0.7, "pr_auc": 0.5, "top_decile_lift": 2.0, "brier": 0.2},
                    "baselines": {"recency": {"auc": 0.6, "pr_auc": 0.4}},
                    "calibration": list(reversed(bins)),
                    "fallback": "",
                    "n_test": 30,
                    "n_test_events": 8,
                },
                {
                    "target": "late_payment",
                    "model": None,
                    "baselines": {},
                    "calibration": [],
                    "fallback": "only 41 late-payment events (50 needed)",
                },
            ],
        },
    }
    with riskseg.Store(":memory:") as s:
        s.con.execute(
            "INSERT INTO runs VALUES (1, DATE '2025-12-31', TIMESTAMP '2026-01-01', "
            "TIMESTAMP '2026-01-01', 'v', 'f', 0, 0, '0.1')"
        )
        s.con.execute("INSERT INTO run_details VALUES (1, ?)", [json.dumps(details)])
        v = portfolio.model_validation(s, 1)
    churn, late = v.targets
    assert [b["mean_predicted"] for b in churn.calibration] == [0.1, 0.3, 0.6]
    assert churn.beats_baselines is True and churn.best_baseline == ("recency", 0.6)
    # top third: 6 events of 8 among 10 of 30 customers
    top = churn.lift[0]
    assert (top.share, top.captured) == (pytest.approx(1 / 3), pytest.approx(6 / 8))
    assert top.lift == pytest.approx((6 / 10) / (8 / 30))
    assert churn.lift[-1].lift == pytest.approx(1.0)
    assert late.model is None and late.lift == [] and "41 late-payment" in str(late.fallback)


def test_data_coverage_and_quarantine_pages(tmp_path: Path) -> None:
    with riskseg.Store(":memory:") as s:
        riskseg.import_path(s, Path(__file__).parents[2] / "docs" / "examples" / "exports")
        c = portfolio.data_coverage(s)
        assert c.families["payment"] and not c.families["loyalty"]
        assert c.quarantined == 2
        invoices = next(t for t in c.tables if t.table == "invoices")
        assert invoices.quarantined == 2 and invoices.last_import is not None
        page = portfolio.quarantine_page(s, table="invoices", page_size=1, page=2)
        assert page.total == 2 and page.pages == 2
        (row,) = page.items
        assert row["line"] == 6 and row["column"] == "due_date" and "before" in row["reason"]
        with pytest.raises(InputError, match="unknown table"):
            portfolio.quarantine_page(s, table="nope")


def test_the_in_memory_list_answers_what_the_store_answers(store: riskseg.Store) -> None:
    run = portfolio.latest(store)
    assert run is not None
    indexes = portfolio.CustomerIndexes()
    name = store.con.execute(
        "SELECT name FROM customers WHERE name IS NOT NULL ORDER BY customer_id LIMIT 1"
    ).fetchall()[0][0]
    word = str(name).split()[0].upper()  # a search ignores case
    cells = [
        r[0]
        for r in store.con.execute("SELECT DISTINCT grid_segment FROM run_customers").fetchall()
    ]
    checked = 0
    for sort in portfolio.SORTS:
        for descending in (True, False):
            for q, segment in ((None, None), (word, None), ("c0001", cells[0]), ("%", None)):
                for page, size in ((1, 50), (2, 7), (40, 500)):
                    query = {"q": q, "segment": segment, "sort": sort, "descending": descending}
                    want = portfolio.customer_list(
                        store, run.run_id, **query, page=page, page_size=size
                    )
                    got = indexes.page(store, run.run_id, **query, page=page, page_size=size)
                    assert (got.total, got.items) == (want.total, want.items), (query, page)
                    checked += 1
    assert checked == len(portfolio.SORTS) * 2 * 4 * 3
    # a new import (the names) makes the index stale: it is built again
    first = indexes.get(store, run.run_id)
    store.con.execute(
        "INSERT INTO import_log SELECT max(import_id) + 1, now(), now(), 't', 'csv', 'customers', "
        "NULL, NULL, 0, 0, 0, 0, 0, NULL, 'test' FROM import_log"
    )
    assert indexes.get(store, run.run_id) is not first


# what the profile's contacts were, as one statement: its bare lookups must answer the same
_CONTACTS_SQL = """
WITH latest AS (
    SELECT contact_id, response_id, date, behavior, attitude FROM surveys
    WHERE customer_id = $c AND ($as_of IS NULL OR date <= $as_of)
    QUALIFY row_number() OVER (
        PARTITION BY coalesce(contact_id, 'response:' || response_id)
        ORDER BY date DESC, response_id) = 1
), c AS (
    SELECT contact_id, name, email, role, seniority, is_primary, decision_role
    FROM contacts WHERE customer_id = $c
)
SELECT coalesce(c.contact_id, l.contact_id) AS contact_id, c.name, c.email, c.role,
       c.seniority, c.is_primary, c.decision_role, l.date AS survey_date,
       l.behavior::DOUBLE AS behavior, l.attitude::DOUBLE AS attitude
FROM c FULL JOIN latest l ON l.contact_id = c.contact_id
ORDER BY c.is_primary DESC NULLS LAST, contact_id NULLS LAST, l.date, l.response_id
"""


def _contacts_in_sql(store: riskseg.Store, customer: str, as_of: date | None) -> list[dict]:
    found = store.con.execute(_CONTACTS_SQL, {"c": customer, "as_of": as_of})
    names = [d[0] for d in found.description or ()]
    return [dict(zip(names, r, strict=True)) for r in found.fetchall()]


def test_a_profiles_contacts_are_what_one_statement_answers() -> None:
    from riskseg.portfolio.customers import _contacts

    with riskseg.Store(":memory:") as store:
        store.con.execute(
            "INSERT INTO contacts VALUES "
            "('P1', 'C1', 'Ana', 'a@x', 'cfo', 'executive', true, 'decision_maker', 1, 1), "
            "('P2', 'C1', 'Ben', NULL, 'buyer', 'staff', false, NULL, 1, 2), "
            "('P3', 'C1', NULL, NULL, NULL, NULL, NULL, NULL, 1, 3), "
            "('P9', 'C2', 'Other', NULL, NULL, NULL, true, NULL, 1, 4)"
        )
        store.con.execute(
            "INSERT INTO surveys VALUES "
            # P1: two answers on one day (the lower response id wins) and a later one
            "('R2', 'P1', 'C1', DATE '2025-06-01', 8, 3, 1, 1), "
            "('R1', 'P1', 'C1', DATE '2025-06-01', 2, 9, 1, 2), "
            "('R3', 'P1', 'C1', DATE '2026-02-01', 9, 9, 1, 3), "
            # P2 answered, P3 never; an answer of nobody known, and one of no contact
            "('R4', 'P2', 'C1', DATE '2025-01-01', 2, 2, 1, 4), "
            "('R5', 'PX', 'C1', DATE '2025-03-01', 9, 2, 1, 5), "
            "('R6', NULL, 'C1', DATE '2025-04-01', 3, 8, 1, 6), "
            "('R7', NULL, 'C1', DATE '2025-05-01', 9, 9, 1, 7)"
        )
        for as_of in (None, date(2025, 12, 31), date(2025, 2, 1), date(2020, 1, 1)):
            want = _contacts_in_sql(store, "C1", as_of)
            got = [
                {k: v for k, v in r.items() if k != "quadrant"}
                for r in _contacts(store, "C1", as_of, True)
            ]
            assert got == want, as_of
        by_id = {r["contact_id"]: r for r in _contacts(store, "C1", date(2025, 12, 31), True)}
        assert by_id["P1"]["survey_date"] == date(2025, 6, 1)
        assert (by_id["P1"]["behavior"], by_id["P1"]["quadrant"]) == (2, "accessible")
        assert by_id["P3"]["survey_date"] is None and by_id["PX"]["name"] is None
        assert [r["contact_id"] for r in _contacts(store, "C1", None, False)][:2] == ["P1", "P2"]


def test_a_profiles_actions_and_history_are_what_the_store_orders(store: riskseg.Store) -> None:
    from riskseg.playbook.actions import customer_actions, events, list_actions

    run = portfolio.latest(store)
    assert run is not None
    customers = [
        r[0]
        for r in store.con.execute(
            "SELECT customer_id FROM actions GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 40"
        ).fetchall()
    ]
    assert len(customers) == 40
    for customer in customers:
        want = list_actions(store, customer=customer).to_pylist()
        for a in want:
            a["events"] = events(store, int(a["action_id"]))
        assert customer_actions(store, customer) == want
        profile = portfolio.customer_profile(store, customer, run=run)
        assert profile is not None
        history = store.con.execute(
            "SELECT r.run_id, r.as_of FROM run_customers rc JOIN runs r USING (run_id) "
            "WHERE rc.customer_id = ? ORDER BY r.as_of DESC, r.run_id DESC",
            [customer],
        ).fetchall()
        assert [(h["run_id"], h["as_of"]) for h in profile.history] == history
        score = _one(
            store,
            "SELECT risk_score FROM run_customers WHERE customer_id = ? AND run_id = ?",
            [customer, run.run_id],
        )
        assert profile.scores["risk_score"] == score


def test_the_servers_view_of_the_latest_run_follows_every_write(
    store: riskseg.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from riskseg.portfolio import listing

    clock = [1000.0]
    monkeypatch.setattr(listing.time, "monotonic", lambda: clock[0])
    indexes = portfolio.CustomerIndexes()
    state = indexes.state(store)
    assert state is not None
    before = state.latest_import

    def add_import() -> None:
        store.con.execute(
            "INSERT INTO import_log SELECT max(import_id) + 1, now(), now(), 't', 'csv', "
            "'customers', NULL, NULL, 0, 0, 0, 0, 0, NULL, 'test' FROM import_log"
        )

    # written by hand in SQL: seen once the last read is a second old
    add_import()
    assert indexes.state(store) is state
    clock[0] += 1.5
    seen = indexes.state(store)
    assert seen is not None and seen.latest_import == before + 1
    # written in a transaction of riskseg's (imports, runs, actions): seen at once
    with store.transaction():
        add_import()
    seen = indexes.state(store)
    assert seen is not None and seen.latest_import == before + 2
