"""Time-split backtest of the churn and late-payment classifiers, beside simple baselines.

The test cut-off is the latest one whose label window is fully observed at ``as_of``. Each
model is fitted ``as_of`` that test cut-off, so it learns only from earlier cut-offs whose labels
had been observed by then (:meth:`RiskClassifier.fit`), and is scored on the customers eligible
at the test cut-off against what they then did. Nothing the model learns from happened after
the test cut-off.

Baselines are fitted on the same training rows and scored on the same test rows:

* churn: ``recency`` (logistic regression on ``days_since_last_order`` alone) and ``rfm_logit``
  (logistic regression on the RFM signals and recency);
* late payment: ``past_lateness`` (logistic regression on ``days_late_mean_12m`` and
  ``late_30_share_12m``).

Metrics are scikit-learn's: ROC AUC, PR-AUC (average precision), Brier score, and top-decile
lift (the event rate among the 10 % scored riskiest, over the overall rate), plus a calibration
table by decile of the predicted probability.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from riskseg.models.classifier import RiskClassifier
from riskseg.models.slices import Slices, feature_matrix, signal_cache
from riskseg.store.store import Store

#: baseline name -> signals of its logistic regression, per target
BASELINES: dict[str, dict[str, tuple[str, ...]]] = {
    "churn": {
        "recency": ("days_since_last_order",),
        "rfm_logit": (
            "rfm_frequency",
            "rfm_recency_days",
            "rfm_t_days",
            "rfm_monetary_value",
            "days_since_last_order",
        ),
    },
    "late_payment": {"past_lateness": ("days_late_mean_12m", "late_30_share_12m")},
}


@dataclass(frozen=True)
class Metrics:
    """How well one set of probabilities ranked and matched the test labels."""

    auc: float
    pr_auc: float
    top_decile_lift: float
    brier: float


@dataclass(frozen=True)
class CalibrationBin:
    """One decile of the predicted probability: what was predicted and what happened."""

    mean_predicted: float
    observed_rate: float
    count: int


@dataclass(frozen=True)
class TargetBacktest:
    """The backtest of one target at its test cut-off."""

    target: str
    test_cutoff: date
    train_cutoffs: list[date]
    label_span_days: int
    n_train: int
    n_train_events: int
    n_test: int
    n_test_events: int
    #: the classifier's metrics; None when it fell back (``fallback`` says why)
    model: Metrics | None
    fallback: str
    baselines: dict[str, Metrics] = field(default_factory=dict)
    calibration: list[CalibrationBin] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["test_cutoff"] = self.test_cutoff.isoformat()
        d["train_cutoffs"] = [c.isoformat() for c in self.train_cutoffs]
        return d


@dataclass(frozen=True)
class BacktestReport:
    """Backtests of every target at ``as_of``; ``format_text()`` is what the CLI prints."""

    as_of: date
    results: list[TargetBacktest]

    def __getitem__(self, target: str) -> TargetBacktest:
        for r in self.results:
            if r.target == target:
                return r
        raise KeyError(target)

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "results": [r.to_dict() for r in self.results]}

    def format_text(self) -> str:
        """A plain table per target: model and baselines, then the calibration deciles."""
        lines = [f"Backtest as of {self.as_of}"]
        for r in self.results:
            lines += [
                "",
                f"{r.target}: test cut-off {r.test_cutoff}, labels over the next "
                f"{r.label_span_days} days",
                f"  trained on {len(r.train_cutoffs)} cut-offs "
                + (f"{r.train_cutoffs[0]} .. {r.train_cutoffs[-1]}" if r.train_cutoffs else "")
                + f": {r.n_train} rows, {r.n_train_events} events",
                f"  tested on {r.n_test} customers, {r.n_test_events} events",
            ]
            if r.fallback:
                lines.append(f"  model: {r.fallback}")
            rows = ([("model", r.model)] if r.model else []) + list(r.baselines.items())
            if rows:
                lines.append(f"  {'':<16}{'AUC':>8}{'PR-AUC':>8}{'lift@10%':>10}{'Brier':>8}")
                for name, m in rows:
                    lines.append(
                        f"  {name:<16}{m.auc:>8.3f}{m.pr_auc:>8.3f}"
                        f"{m.top_decile_lift:>10.2f}{m.brier:>8.3f}"
                    )
            if r.calibration:
                lines.append(f"  calibration {'predicted':>10}{'observed':>10}{'count':>7}")
                for b in r.calibration:
                    lines.append(
                        f"  {'':<11} {b.mean_predicted:>10.3f}{b.observed_rate:>10.3f}{b.count:>7}"
                    )
        return "\n".join(lines)


def backtest(
    store: Store,
    *,
    as_of: date,
    classifiers: Sequence[RiskClassifier] | None = None,
    progress: Callable[[str], None] | None = None,
) -> BacktestReport:
    """Fit each classifier as of its test cut-off and score it on what happened next.

    Parameters
    ----------
    store
        The store with the history.
    as_of
        The last day whose data counts; the test cut-off is ``as_of`` minus the label span.
    classifiers
        Unfitted models to backtest (they are copied, not changed); default: churn and late
        payment with their default settings.
    progress
        Called with each target's name before it is backtested.

    Examples
    --------
    >>> from datetime import date
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     report = backtest(store, as_of=date(2025, 12, 31))
    >>> report["churn"].fallback
    'only 0 churn events in 0 cut-offs (50 needed); the scorecard stands in'
    """
    models = list(classifiers or [RiskClassifier("churn"), RiskClassifier("late_payment")])
    signals = signal_cache(store)
    results = []
    for template in models:
        if progress:
            progress(template.target)
        model = copy.deepcopy(template)
        spec = model.label_spec
        test_cutoff = spec.latest_cutoff(as_of)
        train = model.training_slices(store, as_of=test_cutoff, signals=signals)
        model.fit_slices(train)

        labels = spec.labels(store, cutoff=test_cutoff, as_of=as_of)
        table = signals(test_cutoff)
        position = {c: i for i, c in enumerate(table.column("customer_id").to_pylist())}
        keep = [i for i, c in enumerate(labels.column("customer_id").to_pylist()) if c in position]
        ids = [labels.column("customer_id")[i].as_py() for i in keep]
        test = table.take(pa.array([position[c] for c in ids], pa.int64()))
        y = np.asarray(labels.column("label").to_numpy(), dtype=np.int64)[keep]

        scored = len(y) > 0 and 0 < int(y.sum()) < len(y)
        metrics: Metrics | None = None
        calibration: list[CalibrationBin] = []
        if scored and not model.fallback_:
            p = model.predict_proba(test)
            metrics = _metrics(y, p)
            calibration = _calibration(y, p)
        baselines = {}
        if scored and 0 < train.n_events < len(train.y):
            for name, columns in BASELINES[model.target].items():
                baselines[name] = _metrics(y, _baseline(train, columns, test))
        fallback = model.fallback_
        if not scored and not fallback:
            fallback = f"the test cut-off has {int(y.sum())} events in {len(y)} customers"
        results.append(
            TargetBacktest(
                target=model.target,
                test_cutoff=test_cutoff,
                train_cutoffs=list(train.cutoffs),
                label_span_days=spec.span_days,
                n_train=len(train.y),
                n_train_events=train.n_events,
                n_test=len(y),
                n_test_events=int(y.sum()),
                model=metrics,
                fallback=fallback,
                baselines=baselines,
                calibration=calibration,
            )
        )
    return BacktestReport(as_of, results)


def _baseline(train: Slices, columns: tuple[str, ...], test: pa.Table) -> NDArray[np.float64]:
    """A logistic regression on ``columns`` (median-imputed, scaled), fitted on ``train``."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    index = [train.features.index(c) for c in columns]
    x = train.x[:, index]
    usable = ~np.all(np.isnan(x), axis=0)
    # a signal with no value at all (no orders in the store) cannot be imputed: leave it out
    x = x[:, usable]
    x_test = feature_matrix(test, [c for c, u in zip(columns, usable, strict=True) if u])
    if x.shape[1] == 0:
        return np.full(test.num_rows, train.y.mean())
    pipe = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )
    pipe.fit(x, train.y)
    proba: NDArray[np.float64] = pipe.predict_proba(x_test)[:, 1]
    return proba


def _metrics(y: NDArray[np.int64], p: NDArray[np.float64]) -> Metrics:
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    return Metrics(
        auc=float(roc_auc_score(y, p)),
        pr_auc=float(average_precision_score(y, p)),
        top_decile_lift=top_decile_lift(y, p),
        brier=float(brier_score_loss(y, p)),
    )


def top_decile_lift(y: NDArray[np.int64], p: NDArray[np.float64]) -> float:
    """Event rate among the ``ceil(n / 10)`` highest scores over the overall event rate.

    Ties at the cut are broken by the order of the rows (stable sort), so a constant score
    gives a lift near 1 rather than a flattering one.
    """
    n_top = max(1, -(-len(y) // 10))
    order = np.argsort(-p, kind="stable")
    return float(y[order[:n_top]].mean() / y.mean())


def _calibration(y: NDArray[np.int64], p: NDArray[np.float64]) -> list[CalibrationBin]:
    """Deciles of the predicted probability (by rank, so each holds a tenth of the rows)."""
    order = np.argsort(p, kind="stable")
    bins = []
    for part in np.array_split(order, min(10, len(order))):
        if len(part):
            bins.append(CalibrationBin(float(p[part].mean()), float(y[part].mean()), len(part)))
    return bins
