"""How far a run's models can be trusted: the backtest stored with the run, per target.

A run stores what its probabilities rest on (:func:`riskseg.runs.run_details`): per
probability the basis (a model, or the scorecard and why), and the time-split backtest of
each target with the model's and the baselines' metrics and the calibration bins. The lift
curve is read off those bins: taking the customers with the highest predicted probability
first, ``lift`` is the event rate among the ones taken over the rate among all tested, and
``captured`` the share of all events they hold (a cumulative gains chart, Berry & Linoff,
*Data Mining Techniques*, ch. 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from riskseg.portfolio.summary import RunInfo, run_info
from riskseg.runs import run_details
from riskseg.store.store import Store

#: targets as people say them
TARGET_LABELS: dict[str, str] = {"churn": "churn", "late_payment": "late payment"}
#: metrics in the order the page shows them, with what "better" means
METRICS: dict[str, str] = {
    "auc": "higher is better (0.5 is a coin toss)",
    "pr_auc": "higher is better (the event rate is what chance gives)",
    "top_decile_lift": "higher is better (1 is no better than picking at random)",
    "brier": "lower is better",
}


@dataclass(frozen=True)
class LiftPoint:
    """The customers with the highest predicted probability, up to ``share`` of all tested."""

    share: float
    lift: float
    captured: float


@dataclass(frozen=True)
class TargetValidation:
    """The backtest of one target (churn, late payment)."""

    target: str
    label: str
    #: auc, pr_auc, top_decile_lift, brier of the model; None when it fell back
    model: dict[str, float] | None
    baselines: dict[str, dict[str, float]]
    #: mean_predicted, observed_rate, count per bin, lowest prediction first
    calibration: list[dict[str, float]]
    lift: list[LiftPoint]
    #: why the scorecard stands in for the model ("" or None when the model was used)
    fallback: str | None
    details: dict[str, Any]

    @property
    def best_baseline(self) -> tuple[str, float] | None:
        """The baseline with the highest AUC, and that AUC."""
        scored = [(k, float(m["auc"])) for k, m in self.baselines.items() if m.get("auc")]
        return max(scored, key=lambda kv: kv[1]) if scored else None

    @property
    def beats_baselines(self) -> bool | None:
        """Whether the model's AUC is above every baseline's (None: no model or baseline)."""
        best = self.best_baseline
        if self.model is None or best is None:
            return None
        return float(self.model["auc"]) > best[1]


@dataclass(frozen=True)
class ModelValidation:
    """What one run's probabilities rest on and how they did in the backtest."""

    run: RunInfo
    #: False: the run stored no details (a store older than migration 5)
    stored: bool
    #: probability -> where it comes from ("model: LightGBM on ...", "scorecard: ...")
    basis: dict[str, str]
    notes: list[str]
    #: the as_of the backtest was run at; None: the run was not backtested
    backtest_as_of: str | None
    targets: list[TargetValidation]


def lift_curve(calibration: list[dict[str, float]]) -> list[LiftPoint]:
    """The cumulative lift and gains from calibration bins (empty without events).

    >>> bins = [{"mean_predicted": 0.1, "observed_rate": 0.0, "count": 10},
    ...         {"mean_predicted": 0.8, "observed_rate": 0.5, "count": 10}]
    >>> [(p.share, p.lift, p.captured) for p in lift_curve(bins)]
    [(0.5, 2.0, 1.0), (1.0, 1.0, 1.0)]
    """
    ordered = sorted(calibration, key=lambda b: -float(b["mean_predicted"]))
    total = sum(float(b["count"]) for b in ordered)
    events = sum(float(b["count"]) * float(b["observed_rate"]) for b in ordered)
    if total <= 0 or events <= 0:
        return []
    base = events / total
    out, n, hit = [], 0.0, 0.0
    for b in ordered:
        n += float(b["count"])
        hit += float(b["count"]) * float(b["observed_rate"])
        out.append(LiftPoint(round(n / total, 6), round(hit / n / base, 6), round(hit / events, 6)))
    return out


def model_validation(store: Store, run_id: int) -> ModelValidation:
    """The basis, notes and backtest of one run, with a lift curve per target.

    Examples
    --------
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     _ = store.con.execute("INSERT INTO runs VALUES (1, DATE '2025-12-31', "
    ...         "TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01', 'v', 'f', 0, 0, '0.1')")
    ...     model_validation(store, 1).stored
    False
    """
    run = run_info(store, run_id)
    details = run_details(store, run_id)
    if details is None:
        return ModelValidation(run, False, {}, [], None, [])
    backtest = details.get("backtest") or None
    targets = []
    for r in (backtest or {}).get("results", []):
        calibration = [dict(b) for b in r.get("calibration") or []]
        calibration.sort(key=lambda b: float(b["mean_predicted"]))
        model = r.get("model")
        targets.append(
            TargetValidation(
                target=str(r["target"]),
                label=TARGET_LABELS.get(str(r["target"]), str(r["target"]).replace("_", " ")),
                model=None if model is None else {k: float(v) for k, v in model.items()},
                baselines={
                    str(k): {m: float(v) for m, v in (b or {}).items() if v is not None}
                    for k, b in (r.get("baselines") or {}).items()
                },
                calibration=calibration,
                lift=lift_curve(calibration) if model is not None else [],
                fallback=r.get("fallback") or None,
                details={
                    k: r.get(k)
                    for k in (
                        "test_cutoff",
                        "label_span_days",
                        "n_train",
                        "n_train_events",
                        "n_test",
                        "n_test_events",
                    )
                },
            )
        )
    return ModelValidation(
        run=run,
        stored=True,
        basis={str(k): str(v) for k, v in (details.get("basis") or {}).items()},
        notes=[str(n) for n in details.get("notes") or []],
        backtest_as_of=None if backtest is None else str(backtest.get("as_of")),
        targets=targets,
    )
