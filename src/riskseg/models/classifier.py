"""Churn and late-payment probabilities: LightGBM on multi-sliced history, then calibrated.

:class:`RiskClassifier` learns from several past cut-offs at once (:mod:`riskseg.models.slices`):
at each one, the signals as they were then beside what happened in the window after it
(:mod:`riskseg.models.labels`). The booster is a small gradient-boosted tree model with
monotone constraints on the handful of signals whose effect on the target is not in doubt
(:data:`MONOTONE`), so that a customer who orders less never looks safer for it. The raw
scores are then calibrated on out-of-fold scores (three folds by customer, so no score comes
from a booster that saw that customer at any cut-off): Platt scaling (a logistic curve on the
log-odds) by default, because it keeps the ranking of the booster (isotonic steps tie
customers, which costs AUC and top-decile lift) and is stable with a few hundred events;
``calibration="isotonic"`` is there for large portfolios.

With fewer than ``min_events`` positive labels the classifier does not pretend: ``fallback_``
says why, and :meth:`RiskClassifier.predict_proba` raises :class:`InsufficientHistory`, so the
caller uses the scorecard instead.
"""

from __future__ import annotations

import zlib
from datetime import date
from typing import Any, ClassVar

import lightgbm
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from riskseg.errors import InputError, RisksegError
from riskseg.models.base import Model, register_model
from riskseg.models.contributions import path_contributions
from riskseg.models.labels import EVENT_NAMES, TARGETS, LabelSpec
from riskseg.models.slices import (
    FEATURES,
    SignalSource,
    Slices,
    as_arrow,
    build_slices,
    cutoffs_for,
    feature_matrix,
)
from riskseg.store.store import Store


class InsufficientHistory(RisksegError):
    """Too few events to train on: the scorecard stands in (the message says how many)."""


#: Monotone constraints per target: +1 = a higher value may only raise the probability, -1 =
#: only lower it. Chosen by hand rather than read from each signal's registry ``direction``:
#: "risk" there means riskier in general, and e.g. a large open balance is no sign of churn.
MONOTONE: dict[str, dict[str, int]] = {
    "churn": {
        "days_since_last_order": +1,
        "days_since_last_engagement": +1,
        "orders_12m": -1,
        "rfm_frequency": -1,
        "revenue_12m": -1,
        "revenue_trend_6m": -1,
    },
    "late_payment": {
        "days_late_mean_12m": +1,
        "late_share_12m": +1,
        "late_30_share_12m": +1,
        "late_60_share_12m": +1,
        "max_days_past_due": +1,
        "promises_broken_share_12m": +1,
        "probability_of_default": +1,
        "credit_score": -1,
    },
}

CALIBRATIONS = ("sigmoid", "isotonic")
#: folds by customer for the out-of-fold scores the calibration is fitted on
N_FOLDS = 3


@register_model
class RiskClassifier(Model):
    """Probability that a customer churns, or pays late, in the window after ``as_of``.

        Parameters
        ----------
        target
            ``"churn"`` (no order, or revenue halved, in the next ``horizon_days``) or
            ``"late_payment"`` (most of the amount invoiced in the next ``horizon_days`` paid more
            than ``late_days`` after due); see :mod:`riskseg.models.labels`.
        horizon_days
            Label window; ``None``: 180 days for churn, 90 for late payment.
        n_cutoffs, cutoff_spacing_days
            How many past cut-offs to learn from, and how far apart.
        min_events
            Fewer positive labels (summed over the cut-offs) than this: fall back (``fallback_``).
        revenue_drop, late_days, min_late_share
            Label definitions, as in :class:`~riskseg.models.labels.LabelSpec`.
        calibration
            ``"sigmoid"`` (Platt) or ``"isotonic"``, fitted on out-of-fold scores by customer.
        n_estimators, learning_rate, num_leaves, min_child_samples
            LightGBM's trees: few and small, fast on two cores.
        random_state
            Seed of LightGBM's row and feature sampling.
        exclude_signals
            Signals not to learn from (besides those :mod:`riskseg.models.slices` leaves out).
        n_jobs
            LightGBM threads. One by default: the trees are small, and OpenMP threads that wait
            for a busy core (a server running other jobs) make training many times slower.

        Examples
        --------
        >>> import zlib
    from datetime import date
        >>> from riskseg import Store
        >>> with Store(":memory:") as store:
        ...     model = RiskClassifier("churn").fit(store, as_of=date(2025, 12, 31))
        >>> model.fallback_
        'only 0 churn events in 0 cut-offs (50 needed); the scorecard stands in'
    """

    fitted_attributes: ClassVar[tuple[str, ...]] = (
        "feature_names_",
        "cutoffs_",
        "n_rows_",
        "n_events_",
        "fallback_",
        "booster_",
        "calibrator_",
    )

    def __init__(
        self,
        target: str = "churn",
        horizon_days: int | None = None,
        n_cutoffs: int = 6,
        cutoff_spacing_days: int = 30,
        min_events: int = 50,
        revenue_drop: float | None = 0.5,
        late_days: int = 30,
        min_late_share: float = 0.5,
        calibration: str = "sigmoid",
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 7,
        min_child_samples: int = 100,
        random_state: int = 0,
        n_jobs: int = 1,
        exclude_signals: tuple[str, ...] = (),
    ) -> None:
        self.target = target
        self.horizon_days = horizon_days
        self.n_cutoffs = n_cutoffs
        self.cutoff_spacing_days = cutoff_spacing_days
        self.min_events = min_events
        self.revenue_drop = revenue_drop
        self.late_days = late_days
        self.min_late_share = min_late_share
        self.calibration = calibration
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.exclude_signals = exclude_signals

    # -- fitting ---------------------------------------------------------------------------
    @property
    def label_spec(self) -> LabelSpec:
        """The label definition the parameters describe (validated)."""
        if self.target not in TARGETS:
            raise InputError(f"target must be one of {', '.join(TARGETS)}, not {self.target!r}")
        return LabelSpec(
            self.target,
            horizon_days=self.horizon_days,
            revenue_drop=self.revenue_drop,
            late_days=self.late_days,
            min_late_share=self.min_late_share,
        )

    def training_slices(
        self, store: Store, *, as_of: date, signals: SignalSource | None = None
    ) -> Slices:
        """The rows :meth:`fit` learns from: every cut-off whose labels are observed at ``as_of``."""
        if self.n_cutoffs < 1 or self.cutoff_spacing_days < 1:
            raise InputError(
                f"n_cutoffs and cutoff_spacing_days must be at least 1, got "
                f"{self.n_cutoffs} and {self.cutoff_spacing_days}"
            )
        spec = self.label_spec
        cutoffs = cutoffs_for(
            spec, as_of=as_of, n=self.n_cutoffs, spacing_days=self.cutoff_spacing_days
        )
        return build_slices(store, spec, cutoffs, as_of=as_of, signals=signals)

    def fit(
        self, store: Store, *, as_of: date, signals: SignalSource | None = None
    ) -> RiskClassifier:
        """Learn from the cut-offs before ``as_of`` whose label windows end by ``as_of``.

        ``signals`` (``date -> pyarrow.Table``) lets a caller share computed signals between
        models, e.g. :func:`~riskseg.models.slices.signal_cache`.
        """
        return self.fit_slices(self.training_slices(store, as_of=as_of, signals=signals))

    def fit_slices(self, slices: Slices) -> RiskClassifier:
        """Fit on prepared rows (:meth:`training_slices`): the booster, then its calibration."""
        if self.calibration not in CALIBRATIONS:
            raise InputError(
                f"calibration must be one of {', '.join(CALIBRATIONS)}, not {self.calibration!r}"
            )
        unknown = sorted(set(self.exclude_signals) - set(slices.features))
        if unknown:
            raise InputError(
                f"exclude_signals: {', '.join(unknown)} are not features of this model "
                f"(see riskseg.models.slices.FEATURES)"
            )
        slices = slices.select([f for f in slices.features if f not in self.exclude_signals])
        self.feature_names_ = list(slices.features)
        self.cutoffs_ = list(slices.cutoffs)
        self.n_rows_ = len(slices.y)
        self.n_events_ = slices.n_events
        self.booster_: lightgbm.Booster | None = None
        self.calibrator_: dict[str, Any] = {"method": "none"}
        self.fallback_ = ""
        n_cut = len(slices.cutoffs)
        event = EVENT_NAMES[self.target]
        if self.n_events_ < self.min_events or self.n_events_ == self.n_rows_:
            self.fallback_ = (
                f"only {self.n_events_} {event} events in {n_cut} cut-off"
                f"{'' if n_cut == 1 else 's'} ({self.min_events} needed); "
                "the scorecard stands in"
            )
            if self.n_events_ == self.n_rows_ and self.n_rows_ > 0:
                self.fallback_ = (
                    f"every one of the {self.n_rows_} labels is a {event} event; "
                    "the scorecard stands in"
                )
            return self
        self.booster_ = self._train(slices)
        raw = self._out_of_fold(slices)
        if raw is not None:
            self.calibrator_ = _fit_calibrator(self.calibration, raw, slices.y)
        return self

    def _out_of_fold(self, slices: Slices) -> NDArray[np.float64] | None:
        """Raw scores of every row from a booster that never saw that customer.

        A customer appears at every cut-off with nearly the same signals and overlapping label
        windows, so scores of rows the booster was trained on (or of the same customer at the
        next cut-off) look far surer than they are. Calibrating on them would make the
        probabilities overconfident; folds by customer avoid that.
        """
        folds = np.array([zlib.crc32(c.encode()) % N_FOLDS for c in slices.customer_ids])
        raw = np.empty(len(slices.y))
        for k in range(N_FOLDS):
            held = folds == k
            train_y = slices.y[~held]
            if not held.any() or train_y.min() == train_y.max():
                return None
            booster = self._train(slices.take(~held))
            raw[held] = booster.predict(slices.x[held], raw_score=True)
        return raw

    def _train(self, slices: Slices) -> lightgbm.Booster:
        constraints = MONOTONE[self.target]
        params = {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "monotone_constraints": [constraints.get(f, 0) for f in slices.features],
            "monotone_constraints_method": "intermediate",
            "seed": self.random_state,
            "deterministic": True,
            "force_col_wise": True,
            "num_threads": self.n_jobs,
            "verbose": -1,
        }
        data = lightgbm.Dataset(
            slices.x,
            label=slices.y,
            feature_name=list(slices.features),
            params={"verbose": -1},
        )
        return lightgbm.train(params, data, num_boost_round=self.n_estimators)

    # -- predicting ------------------------------------------------------------------------
    def _booster(self) -> lightgbm.Booster:
        self.check_fitted()
        if self.booster_ is None:
            raise InsufficientHistory(self.fallback_)
        return self.booster_

    def predict_proba(self, signals_table: Any) -> NDArray[np.float64]:
        """Probability of the event for each row of ``compute_signals`` output (1-D array).

        Raises
        ------
        InsufficientHistory
            When the fit fell back (``fallback_`` says why).
        """
        booster = self._booster()
        x = feature_matrix(as_arrow(signals_table), self.feature_names_)
        raw = np.asarray(booster.predict(x, raw_score=True), dtype=np.float64)
        return _calibrate(self.calibrator_, raw)

    def explain(
        self, signals_table: Any, *, method: str = "path"
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Probabilities, contributions and the feature values, computed once for all three.

        Returns ``(proba, contrib, x)``: ``contrib`` is ``n x (features + 1)`` in log-odds (the
        last column the intercept), laid out as LightGBM's ``pred_contrib``; ``x`` holds the
        signal values in :attr:`feature_names_` order. With Platt calibration (the default) the
        contributions are scaled by the calibration slope and add up, per row, exactly to
        ``logit(proba)``; with isotonic calibration they are the booster's own log-odds (same
        signs and order).

        ``method="path"`` (default) is path attribution
        (:func:`~riskseg.models.contributions.path_contributions`), fast enough for 1M
        customers; ``"shap"`` is LightGBM's exact ``pred_contrib``, several times slower
        (both timed by ``make bench-scores``).
        """
        booster = self._booster()
        x = feature_matrix(as_arrow(signals_table), self.feature_names_)
        if method == "path":
            contrib = path_contributions(booster, x)
        elif method == "shap":
            contrib = np.asarray(booster.predict(x, pred_contrib=True), dtype=np.float64)
        else:
            raise InputError(f"method must be 'path' or 'shap', not {method!r}")
        proba = _calibrate(self.calibrator_, contrib.sum(axis=1))
        if self.calibrator_["method"] == "sigmoid":
            contrib *= self.calibrator_["slope"]
            contrib[:, -1] += self.calibrator_["intercept"]
        return proba, contrib, x

    def contributions(self, signals_table: Any, *, method: str = "path") -> pa.Table:
        """:meth:`explain`'s contributions as a table: ``customer_id`` (when the input has
        it), one column per feature and ``intercept``, in log-odds."""
        table = as_arrow(signals_table)
        _, contrib, _ = self.explain(table, method=method)
        columns: dict[str, Any] = {}
        if "customer_id" in table.column_names:
            columns["customer_id"] = table.column("customer_id")
        for j, name in enumerate(self.feature_names_):
            columns[name] = pa.array(contrib[:, j], pa.float64())
        columns["intercept"] = pa.array(contrib[:, -1], pa.float64())
        return pa.table(columns)

    # -- persistence -----------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        self.check_fitted()
        return {
            "feature_names_": list(self.feature_names_),
            "cutoffs_": [c.isoformat() for c in self.cutoffs_],
            "n_rows_": int(self.n_rows_),
            "n_events_": int(self.n_events_),
            "fallback_": self.fallback_,
            "booster_": None if self.booster_ is None else self.booster_.model_to_string(),
            "calibrator_": self.calibrator_,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.feature_names_ = list(state["feature_names_"])
        self.cutoffs_ = [date.fromisoformat(c) for c in state["cutoffs_"]]
        self.n_rows_ = int(state["n_rows_"])
        self.n_events_ = int(state["n_events_"])
        self.fallback_ = str(state["fallback_"])
        booster = state["booster_"]
        self.booster_ = None if booster is None else lightgbm.Booster(model_str=booster)
        self.calibrator_ = dict(state["calibrator_"])


def _fit_calibrator(method: str, raw: NDArray[np.float64], y: NDArray[np.int64]) -> dict[str, Any]:
    """Calibration of raw log-odds on held-out labels, as JSON-ready numbers."""
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
        return {
            "method": "isotonic",
            "x": [float(v) for v in iso.X_thresholds_],
            "y": [float(v) for v in iso.y_thresholds_],
        }
    from sklearn.linear_model import LogisticRegression

    # unpenalised Platt scaling: p = sigmoid(slope * raw + intercept)
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    slope = float(lr.coef_[0, 0])
    if not slope > 0:
        # the booster ranks the held-out cut-off backwards; a negative slope would turn every
        # monotone constraint round, so keep the booster's own probabilities
        return {"method": "sigmoid", "slope": 1.0, "intercept": 0.0}
    return {"method": "sigmoid", "slope": slope, "intercept": float(lr.intercept_[0])}


def _calibrate(calibrator: dict[str, Any], raw: NDArray[np.float64]) -> NDArray[np.float64]:
    method = calibrator["method"]
    if method == "isotonic":
        out: NDArray[np.float64] = np.interp(
            raw, np.asarray(calibrator["x"]), np.asarray(calibrator["y"])
        )
        return out
    if method == "sigmoid":
        raw = calibrator["slope"] * raw + calibrator["intercept"]
    return _sigmoid(raw)


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
    return out


__all__ = ["FEATURES", "MONOTONE", "InsufficientHistory", "RiskClassifier"]
