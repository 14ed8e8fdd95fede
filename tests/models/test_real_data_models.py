"""Backtests on data nobody here made (../shared/data) and on the demo company.

The figures are written up in docs/models.md ("Backtest"); run with ``-s`` to see the tables.

- UCI Online Retail (one year, 2010-12 to 2011-12): churn with a 90-day horizon (a 180-day
  one leaves no training cut-off whose labels end before the test cut-off) and "no order in
  the horizon" only: the 50 % revenue-drop rule labels more than half of these wholesale
  buyers churned, mostly by when their next large order happens to land.
- IBM accounts receivable (100 customers, 2012-2013): only 8 of 2,466 invoices were paid more
  than 30 days late, so the contract's late-payment label is too rare to learn and the model
  must fall back; with 10 days late there are a few hundred customer x cut-off events.
- The demo company, 2,000 accounts, as of 2025-12-31, default settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

import riskseg
from riskseg.demo import generate
from riskseg.models.backtest import BacktestReport, backtest
from riskseg.models.classifier import RiskClassifier

pytestmark = pytest.mark.slow

MAPPINGS = Path(__file__).resolve().parents[1] / "data" / "mappings"


def _import(mapping: str) -> riskseg.Store:
    store = riskseg.Store(":memory:")
    path = MAPPINGS / mapping
    report = riskseg.import_path(store, mapping=riskseg.load_mapping(path))
    assert report.exit_code == 0
    return store


def _show(report: BacktestReport) -> None:
    print("\n" + report.format_text())


@pytest.fixture
def online_retail(shared_data: Path) -> Iterator[riskseg.Store]:
    with _import("online_retail.yaml") as store:
        yield store


@pytest.fixture
def ibm(shared_data: Path) -> Iterator[riskseg.Store]:
    with _import("ibm_accounts_receivable.yaml") as store:
        yield store


def test_online_retail_churn_beats_the_rfm_logit(online_retail: riskseg.Store) -> None:
    model = RiskClassifier("churn", horizon_days=90, revenue_drop=None)
    report = backtest(online_retail, as_of=date(2011, 12, 9), classifiers=[model])
    _show(report)
    r = report["churn"]
    assert r.test_cutoff == date(2011, 9, 10) and r.train_cutoffs[-1] == date(2011, 6, 12)
    assert r.n_test > 3000 and r.n_test_events > 1000
    assert r.model is not None
    assert r.model.auc > r.baselines["rfm_logit"].auc > r.baselines["recency"].auc
    assert r.model.auc > 0.7


def test_ibm_late_payment(ibm: riskseg.Store) -> None:
    as_of = date(2014, 1, 9)  # the last settlement in the file
    # the contract's 30 days late: too rare in this portfolio, so the scorecard stands in
    strict = RiskClassifier("late_payment", n_cutoffs=4, cutoff_spacing_days=15)
    fallback = backtest(ibm, as_of=as_of, classifiers=[strict])["late_payment"]
    assert fallback.model is None
    assert fallback.fallback.startswith("only ") and "late-payment events in 4 cut-offs" in (
        fallback.fallback
    )
    # 10 days late, many cut-offs over 100 customers
    model = RiskClassifier(
        "late_payment", late_days=10, n_cutoffs=16, cutoff_spacing_days=15, min_events=20
    )
    report = backtest(ibm, as_of=as_of, classifiers=[model])
    _show(report)
    r = report["late_payment"]
    assert r.n_train_events >= 100 and r.n_test == 94
    assert r.model is not None
    assert r.model.auc > r.baselines["past_lateness"].auc > 0.5


def test_demo_company_backtest(tmp_path: Path) -> None:
    generate(customers=2000, seed=0).write(tmp_path)
    with riskseg.Store(":memory:") as store:
        assert riskseg.import_path(store, tmp_path).exit_code == 0
        report = backtest(store, as_of=date(2025, 12, 31))
    _show(report)
    churn, late = report["churn"], report["late_payment"]
    assert churn.model is not None and late.model is not None
    assert churn.model.auc > 0.6 and late.model.auc > 0.9
    assert churn.model.auc > max(b.auc for b in churn.baselines.values())
    assert late.model.auc > late.baselines["past_lateness"].auc
    assert churn.model.brier < min(b.brier for b in churn.baselines.values())
    assert late.model.brier < late.baselines["past_lateness"].brier
