"""A fitted classifier's probabilities for a run, with their reasons in words.

Shared by :func:`riskseg.pipeline.run` and the benchmarks: which customers a model scores,
what its basis says, and how its log-odds contributions become reasons in percentage points
worded like the scorecard's.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from riskseg.models.classifier import RiskClassifier
from riskseg.models.reasons import Reasons, generic_phrase, signal_values
from riskseg.models.scores import Probability

#: churn is predicted for customers that bought within this many days (as it is trained)
CHURN_ACTIVE_DAYS = 365


def model_probability(
    model: RiskClassifier, signals: pa.Table, prospect: NDArray[np.bool_]
) -> Probability:
    """A fitted classifier's probabilities for the customers it can score, with reasons.

    Churn is predicted for customers that bought in the last year (as it was trained: a
    customer gone longer has already left), late payment for customers invoiced in the last
    12 months; prospects get neither.
    """
    if model.target == "churn":
        recency = signal_values(signals, "days_since_last_order")
        active = recency <= CHURN_ACTIVE_DAYS
        inactive_why = f"not scored: no purchase in the last {CHURN_ACTIVE_DAYS} days"
    else:
        active = signal_values(signals, "invoices_12m") > 0
        inactive_why = "not scored: no invoices in the last 12 months"
    scored = ~prospect & active
    unscored: list[str | None] = [
        None if ok else "not scored: prospect" if pr else inactive_why
        for ok, pr in zip(scored, prospect, strict=True)
    ]
    proba, contrib, x = model.explain(signals)
    proba = np.where(scored, proba, np.nan)
    basis = (
        f"model: LightGBM on {model.n_rows_:,} customer-cut-offs, "
        f"{model.n_events_:,} events, {len(model.cutoffs_)} cut-offs"
    )
    reasons = _model_reasons(contrib, x, model.feature_names_)
    return Probability(proba, basis, reasons.texts(3, mask=scored), unscored)


def _model_reasons(
    contrib: NDArray[np.float64], x: NDArray[np.float64], features: list[str]
) -> Reasons:
    """Log-odds contributions in percentage points of probability, worded as the scorecard does.

    The secant slope of the logistic curve between the base rate and the customer's
    probability turns log-odds into points that add up exactly to (probability - base rate).
    ``contrib`` (n x features + intercept) is turned into points in place.
    """
    base = contrib[:, -1]
    logodds = contrib[:, :-1]
    total = logodds.sum(axis=1)
    p0 = 1.0 / (1.0 + np.exp(-base))
    p = 1.0 / (1.0 + np.exp(-(base + total)))
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(np.abs(total) > 1e-9, (p - p0) / total, p * (1 - p))
    logodds *= 100.0 * slope[:, None]
    words = _words()
    templates = [words.get(f, generic_phrase(f)) for f in features]
    return Reasons(x, logodds, templates, unit="pp", sign="+")


def _words() -> dict[str, str]:
    """The scorecard's wording of each signal, so a model's reason reads like a scorecard's."""
    from riskseg.models.scorecard import load_scorecard_settings

    settings = load_scorecard_settings()
    words = {r.signal: r.reason for r in settings.risk.signals}
    words.update({r.signal: r.reason for r in settings.value.signals})
    return words
