"""The backtest: a time split with no leakage, metrics as scikit-learn computes them, a readable table."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

import riskseg
from riskseg.demo import generate
from riskseg.models.backtest import BacktestReport, _calibration, backtest, top_decile_lift
from riskseg.models.classifier import RiskClassifier
from riskseg.models.slices import signal_cache
from riskseg.signals import compute_signals

AS_OF = date(2025, 12, 31)
FAST = {"n_cutoffs": 4, "n_estimators": 60}

#: every dated column of the contract; a store cut at a date keeps only what existed then
DATED = {
    "invoices": "issue_date",
    "payments": "payment_date",
    "orders": "order_date",
    "quotes": "quote_date",
    "interactions": "date",
    "credit_reports": "report_date",
    "flags": "date",
    "surveys": "date",
}


def _demo(folder: Path) -> riskseg.Store:
    store = riskseg.Store(":memory:")
    assert riskseg.import_path(store, folder).exit_code == 0
    return store


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo")
    generate(customers=400, seed=2).write(path)
    return path


@pytest.fixture(scope="module")
def report(folder: Path) -> Iterator[BacktestReport]:
    with _demo(folder) as store:
        yield backtest(
            store,
            as_of=AS_OF,
            classifiers=[RiskClassifier("churn", **FAST), RiskClassifier("late_payment", **FAST)],  # type: ignore[arg-type]
        )


def test_backtest_scores_both_targets_above_chance(report: BacktestReport) -> None:
    assert [r.target for r in report.results] == ["churn", "late_payment"]
    for r in report.results:
        assert r.fallback == "" and r.model is not None
        assert r.model.auc > 0.6 and r.model.top_decile_lift > 1.2
        assert 0 < r.model.brier < 0.25 and 0 < r.model.pr_auc <= 1
        assert sum(b.count for b in r.calibration) == r.n_test
        assert len(r.calibration) == 10
    assert set(report["churn"].baselines) == {"recency", "rfm_logit"}
    assert set(report["late_payment"].baselines) == {"past_lateness"}
    # late payment is what the demo makes easy to see: the model beats past lateness alone
    late = report["late_payment"]
    assert late.model is not None and late.model.auc > late.baselines["past_lateness"].auc


def test_training_labels_were_observed_by_the_test_cutoff(report: BacktestReport) -> None:
    for r in report.results:
        assert r.test_cutoff == AS_OF - timedelta(days=r.label_span_days)
        assert r.train_cutoffs and r.train_cutoffs[-1] + timedelta(days=r.label_span_days) <= (
            r.test_cutoff
        )


def test_nothing_after_the_test_cutoff_reaches_the_trained_model(folder: Path) -> None:
    """Cut the history at the test cut-off: the model trained for the backtest is the same."""
    models = [
        RiskClassifier(t, n_cutoffs=2, n_estimators=60, min_events=20)
        for t in ("churn", "late_payment")
    ]
    [test_cutoff] = {m.label_spec.latest_cutoff(AS_OF) for m in models}  # both 180 days
    with _demo(folder) as full, _demo(folder) as cut:
        for table, column in DATED.items():
            cut.con.execute(f"DELETE FROM {table} WHERE {column} > ?", [test_cutoff])
        cut.con.execute("UPDATE invoices SET paid_date = NULL WHERE paid_date > ?", [test_cutoff])
        assert cut.count("orders") < full.count("orders")
        at_full, at_cut = signal_cache(full), signal_cache(cut)
        now = compute_signals(full, as_of=test_cutoff)
        for model in models:
            a = copy.deepcopy(model).fit(full, as_of=test_cutoff, signals=at_full)
            b = copy.deepcopy(model).fit(cut, as_of=test_cutoff, signals=at_cut)
            assert a.cutoffs_ == b.cutoffs_ and a.n_events_ == b.n_events_ > 0
            np.testing.assert_array_equal(a.predict_proba(now), b.predict_proba(now))


def test_report_reads_as_a_table_and_serialises(report: BacktestReport) -> None:
    text = report.format_text()
    assert text.startswith("Backtest as of 2025-12-31")
    for word in ("churn:", "late_payment:", "AUC", "PR-AUC", "lift@10%", "Brier", "rfm_logit"):
        assert word in text
    model_line = next(line for line in text.splitlines() if line.strip().startswith("model"))
    assert f"{report['churn'].model.auc:.3f}" in model_line  # type: ignore[union-attr]
    data = json.loads(json.dumps(report.to_dict()))
    assert data["results"][0]["test_cutoff"] == report["churn"].test_cutoff.isoformat()
    assert data["results"][1]["baselines"]["past_lateness"]["auc"] == pytest.approx(
        report["late_payment"].baselines["past_lateness"].auc
    )
    with pytest.raises(KeyError):
        report["default"]


def test_backtest_says_so_when_history_is_too_short(store: riskseg.Store) -> None:
    report = backtest(store, as_of=AS_OF)
    for r in report.results:
        assert r.model is None and r.baselines == {}
        assert "the scorecard stands in" in r.fallback
        assert r.fallback in report.format_text()


def test_top_decile_lift_and_calibration_by_hand() -> None:
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    p = np.linspace(1, 0, 20)  # rows already in descending score
    # top 2 of 20 rows hold 1 of the 2 events: rate 0.5 over 0.1 overall
    assert top_decile_lift(y, p) == pytest.approx(5.0)
    assert top_decile_lift(y, np.zeros(20)) == pytest.approx(5.0)  # stable: row order
    bins = _calibration(y, p)
    assert [b.count for b in bins] == [2] * 10
    assert bins[-1].observed_rate == 0.5 and bins[-1].mean_predicted == pytest.approx(
        (1 + 19 / 20 * 1) / 2 - 1 / 40 + 1 / 40, rel=0.1
    )
