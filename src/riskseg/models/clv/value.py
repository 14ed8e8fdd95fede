"""Customer lifetime value from riskseg's signal table: purchases, spend, margin and cost.

A purchase-count model (BG/NBD by default, or Pareto/NBD) is fitted on the RFM signals of every
customer who bought, and a Gamma-Gamma spend model on those with repeat purchases; both are
fitted in weeks, the unit of the published CDNOW values they are tested against. Their
predictions over the horizon become expected orders, revenue and margin, a discounted CLV
(lifetimes' monthly discounted cash flow) and a CLV net of the cost to serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskseg.errors import InputError, RisksegError
from riskseg.models.clv.bgnbd import BGNBD, FloatArray, TransactionModel
from riskseg.models.clv.gamma_gamma import GammaGamma
from riskseg.models.clv.pareto_nbd import ParetoNBD

ModelName = Literal["bgnbd", "pareto_nbd"]
TRANSACTION_MODELS: dict[str, type[TransactionModel]] = {"bgnbd": BGNBD, "pareto_nbd": ParetoNBD}

REQUIRED = ("customer_id", "rfm_frequency", "rfm_recency_days", "rfm_t_days", "rfm_monetary_value")
#: read when present; a missing column counts as all null
OPTIONAL = ("margin_pct_12m", "cost_to_serve_12m", "commercial_cost_12m")

DAYS_PER_WEEK = 7.0
DAYS_PER_MONTH = 365.0 / 12.0
DAYS_PER_YEAR = 365.0

OUTPUT_COLUMNS = (
    "customer_id",
    "p_alive",
    "expected_orders_12m",
    "expected_revenue_12m",
    "expected_margin_12m",
    "clv_12m",
    "expected_cost_to_serve_12m",
    "net_clv_12m",
)


@dataclass(frozen=True)
class LifetimeValue:
    """What :func:`lifetime_value` returns: the table and the two fitted models.

    The models are returned so that the caller can save them (``save_model``) with the
    ``as_of`` of the signals and show their parameters next to the values they produced.
    """

    table: pa.Table
    transaction_model: TransactionModel
    gamma_gamma: GammaGamma

    @property
    def bgnbd(self) -> TransactionModel:
        """The purchase model under the name the pipeline saves it as (BG/NBD by default)."""
        return self.transaction_model


def _floats(table: pa.Table, name: str) -> FloatArray:
    """A column as float64 with NaN for null (all NaN when the column is absent)."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    values: FloatArray = pc.cast(table[name], pa.float64()).to_numpy()
    return values


def _column(values: FloatArray, known: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.float64(), mask=~known)


def lifetime_value(
    signals: pa.Table,
    *,
    horizon_days: int = 365,
    annual_discount: float = 0.10,
    model: ModelName = "bgnbd",
    min_customers: int = 20,
) -> LifetimeValue:
    """Expected orders, revenue, margin and discounted lifetime value of every customer.

    Parameters
    ----------
    signals
        riskseg's signal table: ``customer_id``, ``rfm_frequency``, ``rfm_recency_days``,
        ``rfm_t_days``, ``rfm_monetary_value`` and, when present, ``margin_pct_12m`` (share
        0-1), ``cost_to_serve_12m`` and ``commercial_cost_12m``. Any value may be null; a
        customer who never bought has null RFM.
    horizon_days
        How far ahead to look. The ``_12m`` columns cover this horizon (365 days by default).
    annual_discount
        Yearly discount rate, applied monthly as ``(1 + annual_discount)^(1/12) - 1``.
    model
        ``"bgnbd"`` (Fader, Hardie & Lee 2005) or ``"pareto_nbd"`` (Schmittlein et al. 1987).
    min_customers
        Fewest repeat buyers (``rfm_frequency > 0`` with a positive monetary value) to fit
        on; with fewer, :class:`~riskseg.errors.InputError` is raised and the caller falls
        back to something simpler.

    Returns
    -------
    LifetimeValue
        ``.table`` has one row per input row, in order: ``customer_id``; ``p_alive``;
        ``expected_orders_12m`` (purchase days expected within the horizon);
        ``expected_revenue_12m`` (orders times the Gamma-Gamma spend per purchase, which for
        customers without repeat purchases is the population mean); ``expected_margin_12m``
        (revenue times ``margin_pct_12m``, null when the margin is unknown); ``clv_12m`` (the
        expected margin, discounted month by month, or the revenue when the margin is
        unknown); ``expected_cost_to_serve_12m`` (``(cost_to_serve_12m +
        commercial_cost_12m) * p_alive``, scaled to the horizon, undiscounted; a null cost
        counts as 0); ``net_clv_12m`` (``clv_12m`` minus that cost; may be negative). Every
        value is null for a customer without purchases: the models say nothing about them.
        ``.transaction_model`` and ``.gamma_gamma`` are the fitted models (times in weeks).

    Raises
    ------
    InputError
        A required column is missing, an argument is out of range, the RFM values are
        inconsistent (recency above T, say), there are fewer than ``min_customers`` repeat
        buyers, or the models cannot be fitted on them (a fit that does not converge, or
        spend so uneven that its mean is infinite).

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> from riskseg.models.clv.bgnbd import simulate
    >>> from riskseg.models.clv.gamma_gamma import simulate_spend
    >>> rng = np.random.default_rng(0)
    >>> t_days = rng.integers(200, 700, 2000)
    >>> x, t_x = simulate(t_days / 7, r=0.5, alpha=4.0, a=0.8, b=2.5, rng=rng)
    >>> signals = pa.table({
    ...     "customer_id": [f"C{i}" for i in range(2000)],
    ...     "rfm_frequency": x.astype(int), "rfm_recency_days": np.floor(t_x * 7).astype(int),
    ...     "rfm_t_days": t_days,
    ...     "rfm_monetary_value": simulate_spend(x, p=6.0, q=4.0, v=100.0, rng=rng),
    ... })
    >>> result = lifetime_value(signals)
    >>> result.table.column_names[:4]
    ['customer_id', 'p_alive', 'expected_orders_12m', 'expected_revenue_12m']
    >>> round(result.gamma_gamma.params_["q"], 1)
    4.4
    """
    missing = [c for c in REQUIRED if c not in signals.column_names]
    if missing:
        raise InputError(
            f"lifetime_value: the signal table lacks {', '.join(missing)} "
            f"(needs {', '.join(REQUIRED)})"
        )
    if model not in TRANSACTION_MODELS:
        raise InputError(
            f"lifetime_value: model must be one of {', '.join(TRANSACTION_MODELS)}; got {model!r}"
        )
    if horizon_days <= 0:
        raise InputError(f"lifetime_value: horizon_days must be > 0; got {horizon_days}")
    if not annual_discount > -1:
        raise InputError(f"lifetime_value: annual_discount must be > -1; got {annual_discount}")
    if min_customers < 1:
        raise InputError(f"lifetime_value: min_customers must be >= 1; got {min_customers}")

    x, t_x, age = (
        _floats(signals, "rfm_frequency"),
        _floats(signals, "rfm_recency_days") / DAYS_PER_WEEK,
        _floats(signals, "rfm_t_days") / DAYS_PER_WEEK,
    )
    spend = _floats(signals, "rfm_monetary_value")
    bought = np.isfinite(x) & np.isfinite(t_x) & np.isfinite(age)
    repeat = bought & (x > 0) & np.isfinite(spend) & (spend > 0)
    n_repeat = int(repeat.sum())
    if n_repeat < min_customers:
        raise InputError(
            f"lifetime_value: {n_repeat} repeat buyers (rfm_frequency > 0 with a positive "
            f"rfm_monetary_value) among {int(bought.sum())} customers with purchases; "
            f"at least {min_customers} are needed to fit the CLV models"
        )

    xb, tb, ab = x[bought], t_x[bought], age[bought]
    try:
        purchases = TRANSACTION_MODELS[model]().fit(xb, tb, ab)
        gamma_gamma = GammaGamma().fit(x[repeat], spend[repeat])
    except InputError:
        raise
    except RisksegError as exc:
        # a fit that fails is these customers' data, not a bug: the caller falls back
        raise InputError(f"lifetime_value: {exc}") from exc
    if gamma_gamma.params_["q"] <= 1:
        raise InputError(
            f"lifetime_value: spend per order varies too much between customers for the "
            f"Gamma-Gamma model (q = {gamma_gamma.params_['q']:.3g} <= 1: no finite mean "
            f"spend) among {n_repeat} repeat buyers"
        )

    horizon = horizon_days / DAYS_PER_WEEK
    n = signals.num_rows
    p_alive, orders, per_purchase, discounted = (np.full(n, np.nan) for _ in range(4))
    p_alive[bought] = purchases.conditional_probability_alive(xb, tb, ab)
    orders[bought] = purchases.conditional_expected_number_of_purchases_up_to_time(
        horizon, xb, tb, ab
    )
    # Without a usable spend history (one purchase, or a zero mean) a customer gets the
    # population mean, which is what Gamma-Gamma predicts for x = 0.
    per_purchase[bought] = gamma_gamma.conditional_expected_average_profit(
        np.where(repeat, x, 0.0)[bought], np.where(repeat, spend, 0.0)[bought]
    )
    discounted[bought] = purchases.discounted_expected_purchases(
        xb,
        tb,
        ab,
        months=horizon_days / DAYS_PER_MONTH,
        monthly_discount=(1.0 + annual_discount) ** (1.0 / 12.0) - 1.0,
        periods_per_month=DAYS_PER_MONTH / DAYS_PER_WEEK,
    )

    margin_pct = _floats(signals, "margin_pct_12m")
    has_margin = bought & np.isfinite(margin_pct)
    revenue = orders * per_purchase
    margin = revenue * margin_pct
    clv = discounted * per_purchase * np.where(has_margin, margin_pct, 1.0)
    effort = np.nan_to_num(_floats(signals, "cost_to_serve_12m")) + np.nan_to_num(
        _floats(signals, "commercial_cost_12m")
    )
    cost = effort * p_alive * (horizon_days / DAYS_PER_YEAR)

    table = pa.table(
        {
            "customer_id": signals["customer_id"],
            "p_alive": _column(p_alive, bought),
            "expected_orders_12m": _column(orders, bought),
            "expected_revenue_12m": _column(revenue, bought),
            "expected_margin_12m": _column(margin, has_margin),
            "clv_12m": _column(clv, bought),
            "expected_cost_to_serve_12m": _column(cost, bought),
            "net_clv_12m": _column(clv - cost, bought),
        }
    )
    return LifetimeValue(table, purchases, gamma_gamma)
