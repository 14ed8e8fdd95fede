"""Put every score of a customer in one row: ``customers_scored`` of the data contract.

The scorecard always scores; the churn and late-payment models add calibrated probabilities
when the history was enough to learn them, and say "scorecard" in ``*_basis`` when it was not
(the probability is then empty: a sub-score is not a probability and is not passed off as
one). CLV comes from BG/NBD + Gamma-Gamma when enough customers bought twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from riskseg.models.scorecard import ScorecardResult

Array = NDArray[np.float64]

#: the columns of ``customers_scored`` in the data contract, first and in this order
CONTRACT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "as_of",
    "segment",
    "risk_score",
    "value_score",
    "churn_probability",
    "payment_risk",
    "clv_12m",
    "loyalty",
    "reasons",
)


@dataclass(frozen=True)
class Probability:
    """A model's probability per customer, or why there is none.

    ``values`` is NaN where the customer is not scored by the model (e.g. a prospect), and all
    NaN when ``basis`` says the scorecard stands in.
    """

    values: Array
    basis: str
    #: each row's top reasons, joined (None where not scored); texts, not the matrices behind
    #: them, so that 1M customers' contributions are freed as soon as they are worded
    reasons: list[str | None] | None = None
    #: per row, why a customer the model could score has no probability (None = scored)
    unscored: list[str | None] | None = None

    def bases(self) -> list[str | None]:
        """``basis`` per row, or the reason the row was not scored."""
        if self.unscored is None:
            return [self.basis] * len(self.values)
        return [self.basis if why is None else why for why in self.unscored]

    @classmethod
    def absent(cls, n: int, why: str) -> Probability:
        return cls(np.full(n, np.nan), why, None)


def _float(values: Array, digits: int = 1) -> pa.Array:
    rounded = np.round(values, digits)
    return pa.array(rounded, type=pa.float64(), from_pandas=True)


def _texts(reasons: list[str | None] | None, n: int) -> pa.Array:
    if reasons is None:
        return pa.nulls(n, pa.string())
    return pa.array(reasons, type=pa.string())


def scored_table(
    signals: pa.Table,
    *,
    as_of: date,
    status: list[str | None],
    card: ScorecardResult,
    churn: Probability,
    payment: Probability,
    clv: pa.Table | None,
) -> pa.Table:
    """One row per customer of ``signals``: scores, probabilities, CLV and reasons.

    Prospects carry their pre-contract score as ``risk_score``, its reasons, and
    ``prospect_decision``; customers carry the scorecard's risk score and its reasons.
    """
    n = signals.num_rows
    prospect = np.array([s == "prospect" for s in status], dtype=bool)
    risk = np.where(prospect, card.prospect_score, card.risk_score)
    risk_reasons = card.risk_reasons.texts(3, mask=~prospect)
    prospect_reasons = card.prospect_reasons.texts(3, mask=prospect)
    reasons = [
        p if pr else r
        for r, p, pr in zip(risk_reasons, prospect_reasons, prospect.tolist(), strict=True)
    ]
    columns: dict[str, pa.Array] = {
        "customer_id": signals.column("customer_id").combine_chunks(),
        "as_of": pa.array([as_of] * n, type=pa.date32()),
        # the value x risk cell, filled in by the segments (riskseg.playbook.propose)
        "segment": pa.nulls(n, pa.string()),
        "risk_score": _float(risk),
        "value_score": _float(np.where(prospect, np.nan, card.value_score)),
        "churn_probability": _float(churn.values, 4),
        "payment_risk": _float(payment.values, 4),
    }
    clv_cols = _clv_columns(clv, signals, n)
    columns["clv_12m"] = clv_cols.pop("clv_12m")
    columns["loyalty"] = (
        signals.column("loyalty_class").combine_chunks()
        if "loyalty_class" in signals.column_names
        else pa.nulls(n, pa.string())
    )
    columns["reasons"] = pa.array(reasons, type=pa.string())
    columns["status"] = pa.array(status, type=pa.string())
    columns["prospect_decision"] = pa.array(card.prospect_decision, type=pa.string())
    for family, sub in card.sub_scores.items():
        columns[f"risk_{family}"] = _float(np.where(prospect, np.nan, sub))
    columns["churn_basis"] = pa.array(churn.bases(), type=pa.string())
    columns["churn_reasons"] = _texts(churn.reasons, n)
    columns["payment_risk_basis"] = pa.array(payment.bases(), type=pa.string())
    columns["payment_risk_reasons"] = _texts(payment.reasons, n)
    columns.update(clv_cols)
    columns["value_reasons"] = _texts(card.value_reasons.texts(3, mask=~prospect), n)
    return pa.table(columns)


_CLV_EXTRA = ("p_alive", "expected_orders_12m", "expected_margin_12m", "net_clv_12m")


def _clv_columns(clv: pa.Table | None, signals: pa.Table, n: int) -> dict[str, pa.Array]:
    names = ("clv_12m", *_CLV_EXTRA)
    if clv is None:
        return {name: pa.nulls(n, pa.float64()) for name in names}
    ids = signals.column("customer_id").to_pylist()
    index = {cid: i for i, cid in enumerate(clv.column("customer_id").to_pylist())}
    pos = np.array([index.get(cid, -1) for cid in ids])
    out: dict[str, pa.Array] = {}
    for name in names:
        values = np.asarray(clv.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)
        picked = np.where(pos >= 0, values[np.clip(pos, 0, None)], np.nan)
        out[name] = _float(picked, 4 if name == "p_alive" else 2)
    return out
