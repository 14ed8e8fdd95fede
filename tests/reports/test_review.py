"""The portfolio review's facts: a hand-made store with answers worked out by hand
(reviewtools.py), then a demo company with two recorded runs (its workbook too, so that the
demo is built once)."""

from __future__ import annotations

import doctest
import math
from pathlib import Path

import pytest
import reviewtools
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from reviewtools import FIRST, NAMES, SECOND, all_xlsx_cells, fill_hand_store, open_counts

import riskseg
from riskseg.errors import InputError
from riskseg.playbook.actions import list_actions
from riskseg.playbook.impact import measure_impact
from riskseg.reports import review as review_module
from riskseg.reports.review import QUEUE_COLUMNS, portfolio_review, write_review
from riskseg.runs import badness, segment_migration

hand_store = reviewtools.hand_store
demo_store = reviewtools.demo_store


def _equity(store: riskseg.Store, run_id: int, column: str = "clv_12m") -> float:
    return float(
        store.con.execute(
            f"SELECT sum({column}) FROM run_customers WHERE run_id = ?", [run_id]
        ).fetchall()[0][0]
    )


def test_the_summary_compares_the_latest_run_with_the_one_before(
    hand_store: riskseg.Store,
) -> None:
    r = portfolio_review(hand_store)
    assert (r.run.run_id, r.run.as_of, r.previous and r.previous.run_id) == (2, SECOND, 1)
    assert (r.run.customers, r.run.prospects, r.previous and r.previous.customers) == (5, 1, 4)
    # equity = total clv_12m of the run, reconciled with run_customers for both runs
    assert r.run.customer_equity == 1900.0 == _equity(hand_store, 2)
    assert r.previous is not None and r.previous.customer_equity == 1600.0 == _equity(hand_store, 1)
    assert r.run.net_customer_equity == 1150.0 == _equity(hand_store, 2, "net_clv_12m")
    assert r.previous.net_customer_equity == 1050.0 == _equity(hand_store, 1, "net_clv_12m")
    assert r.equity_change == 300.0 and r.equity_change_pct == pytest.approx(300 / 1600)
    assert r.change("net_customer_equity") == (100.0, pytest.approx(100 / 1050))
    # open actions: the backlog up to the run, control and dismissed left out: the run's 6 and
    # run 1's outreach, still open
    assert (r.run.open_actions, r.previous.open_actions) == (7, 1)
    assert r.comparison == "against run 1 of 2025-06-30"
    rows = {row["measure"]: row for row in r.summary().to_pylist()}
    equity = rows["customer equity"]
    assert (equity["this_run"], equity["previous_run"], equity["change"]) == (1900, 1600, 300)
    assert equity["change_pct"] == pytest.approx(0.1875)
    assert rows["customers"]["change"] == 1 and rows["customers"]["change_pct"] == 0.25
    assert rows["open actions"]["change"] is None  # two different queues, not one that moved


def test_each_department_gets_its_open_backlog_most_money_first(
    hand_store: riskseg.Store,
) -> None:
    r = portfolio_review(hand_store)
    assert list(r.queues) == ["finance", "sales"]  # service's only action was dismissed
    assert {o: q.num_rows for o, q in r.queues.items()} == open_counts(hand_store, 2)
    finance, sales = r.queues["finance"], r.queues["sales"]
    assert tuple(finance.column_names) == QUEUE_COLUMNS
    assert finance.column("customer_id").to_pylist() == ["C3", "C1"]
    assert finance.column("expected_impact").to_pylist() == [900.0, 500.0]
    # run 1's outreach to C1 is still open: it stays in the queue, though run 2 did not
    # propose it again
    assert sales.column("expected_impact").to_pylist() == [200.0, 100.0, 50.0, 20.0, 10.0]
    assert sales.column("status").to_pylist() == [
        "proposed",
        "accepted",
        "proposed",
        "proposed",
        "proposed",
    ]
    assert sales.column("customer_name").to_pylist() == [
        NAMES["C2"],
        NAMES["C2"],
        NAMES["C5"],
        NAMES["C6"],
        NAMES["C1"],
    ]
    # ranked like `riskseg actions`: the same order list_actions gives for the department
    ranked = list_actions(hand_store, owner="sales").column("action_id").to_pylist()
    open_ids = set(sales.column("action_id").to_pylist())
    assert sales.column("action_id").to_pylist() == [i for i in ranked if i in open_ids]


def test_movers_worse_then_better_and_the_matrix(hand_store: riskseg.Store) -> None:
    r = portfolio_review(hand_store)
    movers = r.movers.to_pylist()
    assert [(m["customer_id"], m["direction"]) for m in movers] == [
        ("C1", "worse"),
        ("C2", "better"),
    ]
    assert movers[0]["customer_name"] == NAMES["C1"]
    assert (movers[0]["from_segment"], movers[0]["to_segment"]) == (
        "high_value_low_risk",
        "high_value_high_risk",
    )
    matrix = {row.pop("from_segment"): row for row in r.migration.to_pylist()}
    assert matrix["high_value_low_risk"]["high_value_high_risk"] == 1
    assert matrix["mid_value_medium_risk"]["mid_value_low_risk"] == 1
    assert matrix["low_value_high_risk"]["low_value_high_risk"] == 1
    assert matrix["mid_value_low_risk"]["gone"] == 1
    assert matrix["new"]["mid_value_low_risk"] == 1 and matrix["new"]["unscored"] == 1
    total = sum(sum(row.values()) for row in matrix.values())
    assert total == 7  # C1..C6 and P1, each counted once
    # rows and columns in grid order: high value first, low risk first
    assert list(matrix)[:: len(matrix) - 1] == ["high_value_low_risk", "new"]
    assert r.migration.column_names[-1] == "gone"


def test_equity_per_segment_adds_up_to_the_runs_equity(hand_store: riskseg.Store) -> None:
    r = portfolio_review(hand_store)
    seg = {row["grid_segment"]: row for row in r.segment_equity.to_pylist()}
    assert sum(row["customer_equity"] for row in seg.values()) == 1900.0
    assert sum(row["previous_customer_equity"] for row in seg.values()) == 1600.0
    assert sum(row["customers"] for row in seg.values()) == 6  # prospects included
    hvlr = seg["high_value_low_risk"]  # C1 left it
    assert (hvlr["customers"], hvlr["customer_equity"], hvlr["previous_customers"]) == (0, 0.0, 1)
    assert (hvlr["equity_change"], hvlr["equity_change_pct"]) == (-1000.0, -1.0)
    hvhr = seg["high_value_high_risk"]  # C1 arrived: from nothing, so no %
    assert (hvhr["equity_change"], hvhr["equity_change_pct"]) == (900.0, None)
    mvlr = seg["mid_value_low_risk"]  # C2 and C5 now; C4 (no CLV) before
    assert (mvlr["customers"], mvlr["customer_equity"], mvlr["net_customer_equity"]) == (
        2,
        950.0,
        650.0,
    )
    assert (mvlr["previous_customers"], mvlr["previous_customer_equity"]) == (1, 0.0)
    assert seg["high_value_low_risk"]["label"] == "High value, low risk"


def test_the_first_run_has_nothing_to_compare_with() -> None:
    with riskseg.Store(":memory:") as store:
        fill_hand_store(store, second_run=False)
        r = portfolio_review(store)
    assert r.previous is None and r.comparison == "first run"
    assert r.equity_change is None and r.equity_change_pct is None
    assert r.movers.num_rows == 0 and r.migration.num_rows == 0
    assert r.run.customer_equity == 1600.0
    seg = r.segment_equity.to_pylist()
    assert all(row["previous_customers"] is None for row in seg)
    note = {row["measure"]: row["note"] for row in r.summary().to_pylist()}["run"]
    assert note == "as of 2025-06-30; first run"


def test_an_earlier_run_is_reviewed_against_its_own_predecessor(
    hand_store: riskseg.Store,
) -> None:
    r = portfolio_review(hand_store, run_id=1)
    assert r.run.as_of == FIRST and r.previous is None
    assert {o: q.num_rows for o, q in r.queues.items()} == {"sales": 1}


def test_a_run_without_clv_has_no_equity_rather_than_zero(hand_store: riskseg.Store) -> None:
    hand_store.con.execute("UPDATE run_customers SET clv_12m = NULL, net_clv_12m = NULL")
    r = portfolio_review(hand_store)
    assert r.run.customer_equity is None and r.equity_change is None
    assert all(row["customer_equity"] is None for row in r.segment_equity.to_pylist())
    note = {row["measure"]: row["note"] for row in r.summary().to_pylist()}["customer equity"]
    assert "no CLV" in note


def test_no_run_or_an_unknown_run_is_a_clear_error(hand_store: riskseg.Store) -> None:
    with riskseg.Store(":memory:") as empty, pytest.raises(InputError, match="no run yet"):
        portfolio_review(empty)
    with pytest.raises(InputError, match="no run 7 in the store; its latest runs are 1, 2"):
        portfolio_review(hand_store, run_id=7)
    with pytest.raises(InputError, match="after_days"):
        portfolio_review(hand_store, after_days=0)


def test_review_doctests() -> None:
    assert doctest.testmod(review_module).failed == 0


# -- the demo company, two runs -------------------------------------------------------------


@pytest.mark.slow
def test_demo_queues_match_the_actions_table(demo_store: riskseg.Store) -> None:
    r = portfolio_review(demo_store)
    assert r.run.run_id == 2 and r.previous is not None and r.previous.run_id == 1
    counts = open_counts(demo_store, 2)
    assert len(counts) >= 3
    assert {o: q.num_rows for o, q in r.queues.items()} == counts
    assert r.run.open_actions == sum(counts.values())
    for queue in r.queues.values():
        money = [v or 0.0 for v in queue.column("expected_impact").to_pylist()]
        assert money == sorted(money, reverse=True)
        assert all(n is not None for n in queue.column("customer_name").to_pylist())


@pytest.mark.slow
def test_demo_movers_agree_with_segment_migration(demo_store: riskseg.Store) -> None:
    r = portfolio_review(demo_store)
    m = segment_migration(demo_store, 2)
    worse = [x for x in r.movers.to_pylist() if x["direction"] == "worse"]
    better = [x for x in r.movers.to_pylist() if x["direction"] == "better"]
    assert [x["customer_id"] for x in worse] == m.movers.column("customer_id").to_pylist()
    assert worse and better
    for x in better:
        before, now = badness(x["from_segment"]), badness(x["to_segment"])
        assert before is not None and now is not None and now < before
    # every customer who changed grid cell is listed once, worse or better
    changed = sum(
        t["customers"]
        for t in m.transitions.to_pylist()
        if t["from_segment"] != t["to_segment"]
        and badness(t["from_segment"]) is not None
        and badness(t["to_segment"]) is not None
    )
    assert len(worse) + len(better) == changed
    cells = sum(
        sum(v for k, v in row.items() if k != "from_segment") for row in r.migration.to_pylist()
    )
    assert cells == sum(m.transitions.column("customers").to_pylist())


@pytest.mark.slow
def test_demo_impact_rows_are_measure_impacts(demo_store: riskseg.Store) -> None:
    r = portfolio_review(demo_store)
    expected = measure_impact(demo_store, as_of=SECOND, after_days=90).to_dict()
    rows = r.impact_rows().to_pylist()
    assert len(rows) == sum(len(x["outcomes"]) for x in expected["results"])
    by_key = {(row["action"], row["outcome"]): row for row in rows}
    for result in expected["results"]:
        for o in result["outcomes"]:
            row = by_key[(result["action"], o["outcome"])]
            assert (row["n_treated"], row["n_control"], row["verdict"]) == (
                o["n_treated"],
                o["n_control"],
                o["verdict"],
            )
            # DuckDB sums in parallel: the last digit may differ from one query to the next
            for key in ("difference", "ci_low", "ci_high"):
                want = o[key]
                assert row[key] is None if want is None else row[key] == pytest.approx(want)
    # the outreach was carried out for every customer not held out: a real comparison
    outreach = [row for row in rows if row["action"] == "retention_outreach"]
    measured = [row for row in outreach if row["difference"] is not None]
    assert measured, outreach
    assert all(row["ci_low"] <= row["difference"] <= row["ci_high"] for row in measured)
    assert all(not math.isnan(row["difference"]) for row in measured)


@pytest.mark.slow
def test_demo_workbook_has_each_departments_queue(
    demo_store: riskseg.Store, tmp_path: Path
) -> None:
    _, path = write_review(portfolio_review(demo_store), tmp_path)
    counts = open_counts(demo_store, 2)
    book = load_workbook(path)
    assert all(kind != "f" for _, _, kind in all_xlsx_cells(path))
    wb = CalamineWorkbook.from_path(str(path))
    for owner, n in counts.items():
        assert book[owner].max_row == n + 1
        assert len(wb.get_sheet_by_name(owner).to_python()) == n + 1
    assert set(book.sheetnames) - set(counts) == {
        "Summary",
        "Segment movers",
        "Migration matrix",
        "Equity by segment",
        "Impact of actions",
    }
