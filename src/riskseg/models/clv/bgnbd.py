"""BG/NBD: how many more purchases a customer makes, and whether they are still a customer.

The beta-geometric/negative-binomial model of Fader, Hardie & Lee (2005), "Counting your
customers the easy way: an alternative to the Pareto/NBD model", *Marketing Science* 24(2),
275-284. While active, a customer buys as a Poisson process with rate ``lambda ~ Gamma(r,
alpha)``; after each repeat purchase they drop out for good with probability ``p ~ Beta(a, b)``.

This module also holds :class:`TransactionModel`, the part BG/NBD shares with Pareto/NBD: input
checks, the grouping of identical ``(x, t_x, T)`` rows into weights (Fader and Hardie fit the
grouped counts too; at 1M customers with whole-day times it cuts the rows several-fold), the
maximum-likelihood fit on log-parameters, and the discounted purchase stream that customer
lifetime value is built from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1

from riskseg.errors import InputError, RisksegError
from riskseg.models.base import Model, register_model

FloatArray = npt.NDArray[np.float64]

#: Weeks in a month, as lifetimes' ``customer_lifetime_value(freq="W")`` counts them.
WEEKS_PER_MONTH = 4.345


@dataclass(frozen=True)
class Customers:
    """Purchase histories grouped by identical ``(x, t_x, T)``; ``weight`` counts each row."""

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    weight: FloatArray

    @property
    def n(self) -> float:
        return float(self.weight.sum())


def weighted_sum(weight: FloatArray, values: FloatArray) -> FloatArray:
    """``sum_i weight_i * values_i`` over the first axis, without BLAS.

    ``weight @ values`` hands even a few thousand rows to the multi-threaded BLAS, whose
    threads spin for milliseconds a call on a busy 2-core machine: fits ran 40x slower.
    """
    result: FloatArray = np.sum(weight.reshape(-1, *([1] * (values.ndim - 1))) * values, axis=0)
    return result


def as_float(values: npt.ArrayLike, name: str) -> FloatArray:
    """``values`` as a float64 array; non-finite values are an :class:`InputError`."""
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: every value must be a finite number; got NaN or infinity")
    return arr


def check_history(
    frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated, broadcast ``(x, t_x, T)``: whole ``x >= 0`` and ``0 <= t_x <= T``."""
    x, t_x, age = np.broadcast_arrays(
        as_float(frequency, "frequency"), as_float(recency, "recency"), as_float(T, "T")
    )
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise InputError("frequency: repeat purchases must be whole numbers >= 0")
    if np.any(t_x < 0) or np.any(t_x > age):
        raise InputError("recency must lie between 0 and T (the customer's age)")
    if np.any((x == 0) & (t_x != 0)):
        raise InputError("recency must be 0 for customers without repeat purchases")
    return x, t_x, age


def group_rows(*columns: FloatArray) -> tuple[list[FloatArray], npt.NDArray[np.intp]]:
    """The distinct rows of ``columns`` and, for each input row, the index of its group.

    A lexicographic sort and one pass; ``np.unique(axis=0)`` does the same some 8x slower.
    """
    n = len(columns[0])
    if n == 0:
        return [c.copy() for c in columns], np.zeros(0, dtype=np.intp)
    order = np.lexsort(columns[::-1])
    ordered = [c[order] for c in columns]
    starts = np.zeros(n, dtype=bool)
    starts[0] = True
    for c in ordered:
        starts[1:] |= c[1:] != c[:-1]
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return [c[starts] for c in ordered], inverse


def group_customers(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
) -> Customers:
    """Check the histories and sum the weights of identical ``(x, t_x, T)`` rows."""
    x, t_x, age = (np.ravel(a) for a in check_history(frequency, recency, T))
    w = np.ones_like(x) if weights is None else np.ravel(as_float(weights, "weights"))
    if w.shape != x.shape or np.any(w < 0):
        raise InputError("weights: one non-negative count per customer")
    (ux, ut, uT), inverse = group_rows(x, t_x, age)
    counts = np.bincount(inverse, weights=w, minlength=len(ux)).astype(np.float64)
    return Customers(ux, ut, uT, counts)


class TransactionModel(Model):
    """Base of the purchase-count models (BG/NBD, Pareto/NBD): fit and shared predictions.

    Parameters
    ----------
    penalizer_coef
        L2 penalty on the parameters (in time units scaled so that the oldest customer is 10
        old, as lifetimes does), added to the mean negative log-likelihood per customer.
        0 is plain maximum likelihood; a small value (0.001-0.1) keeps a fit on a few dozen
        customers away from the boundary.
    """

    #: parameter names, in the order the likelihood takes them
    param_names: ClassVar[tuple[str, ...]] = ()
    #: parameters measured in units of time, rescaled after fitting on scaled times
    time_params: ClassVar[tuple[str, ...]] = ()
    #: whether :meth:`_gradient` is implemented (else L-BFGS-B takes finite differences)
    analytic_gradient: ClassVar[bool] = False
    fitted_attributes = ("params_", "log_likelihood_", "n_customers_")

    params_: dict[str, float]
    log_likelihood_: float
    n_customers_: int

    def __init__(self, *, penalizer_coef: float = 0.0) -> None:
        self.penalizer_coef = penalizer_coef

    # -- what a model supplies

    def _log_likelihood(self, params: FloatArray, data: Customers) -> FloatArray:
        """Log-likelihood of each grouped row at ``params`` (natural scale)."""
        raise NotImplementedError

    def _gradient(self, params: FloatArray, data: Customers) -> FloatArray | None:
        """d(log-likelihood)/d(param), shape (rows, params); None: finite differences."""
        return None

    # -- fitting

    def fit(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Maximum-likelihood fit on repeat purchases ``x``, recency ``t_x`` and age ``T``.

        Times may be in any unit (the fitted ``alpha`` (and ``beta``) are in that unit).
        ``weights`` counts customers per row when the data is already grouped.
        """
        data = group_customers(frequency, recency, T, weights)
        if data.n <= 0:
            raise InputError(f"{type(self).__name__}.fit: no customers to fit on")
        # Work in times scaled to a maximum age of 10 so that one starting point (all
        # parameters 1) suits days, weeks and years alike.
        oldest = float(data.T.max())
        scale = 10.0 / oldest if oldest > 0 else 1.0
        scaled = Customers(data.x, data.t_x * scale, data.T * scale, data.weight)
        total = data.n
        k = len(self.param_names)
        analytic = self.analytic_gradient

        def objective(theta: FloatArray) -> tuple[float, FloatArray] | float:
            # far from the optimum the terms can overflow; such a point is simply rejected
            with np.errstate(all="ignore"):
                params = np.exp(theta)
                ll = self._log_likelihood(params, scaled)
                grad_rows = self._gradient(params, scaled) if analytic else None
                value = -float(weighted_sum(scaled.weight, ll)) / total
                value += self.penalizer_coef * float(np.sum(params**2))
            if not math.isfinite(value):
                value = 1e300  # outside where the likelihood is finite: step back
            if grad_rows is None:
                return value
            grad = (
                -weighted_sum(scaled.weight, grad_rows) / total + 2 * self.penalizer_coef * params
            )
            return value, grad * params  # chain rule to log-parameters

        result = minimize(
            objective,
            np.zeros(k),
            jac=analytic,
            method="L-BFGS-B",
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
        )
        params = np.exp(result.x)
        if not np.all(np.isfinite(params)) or result.fun >= 1e300:
            raise RisksegError(f"{type(self).__name__}.fit did not converge: {result.message}")
        for i, name in enumerate(self.param_names):
            if name in self.time_params:
                params[i] /= scale
        self.params_ = {name: float(v) for name, v in zip(self.param_names, params, strict=True)}
        self.log_likelihood_ = float(weighted_sum(data.weight, self._log_likelihood(params, data)))
        self.n_customers_ = round(total)
        return self

    def _params(self) -> FloatArray:
        self.check_fitted()
        return np.array([self.params_[name] for name in self.param_names])

    # -- predictions every purchase model offers

    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(still active at ``T`` | x, t_x, T)."""
        raise NotImplementedError

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[purchases in (T, T + t] | x, t_x, T]."""
        raise NotImplementedError

    def discounted_expected_purchases(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        months: float = 12,
        monthly_discount: float = 0.01,
        periods_per_month: float = WEEKS_PER_MONTH,
    ) -> FloatArray:
        """Expected purchases month by month over ``months``, each discounted to today.

        ``sum_k (E[Y(k)] - E[Y(k-1)]) / (1 + monthly_discount)^k`` with ``k`` in months, the
        discounted cash flow of lifetimes' ``customer_lifetime_value`` (there ``time``,
        ``discount_rate`` and ``freq``; ``periods_per_month`` is 4.345 for weeks, 30 for days).
        A fractional ``months`` ends with a part month. Multiplied by the expected spend per
        purchase it is the customer lifetime value.
        """
        self.check_fitted()
        x, t_x, age = check_history(frequency, recency, T)
        shape = x.shape
        # Customers with the same history get the same answer: predict each history once.
        (ux, ut, uT), inverse = group_rows(np.ravel(x), np.ravel(t_x), np.ravel(age))
        steps = np.minimum(np.arange(1, math.ceil(months) + 1, dtype=np.float64), months)
        total = np.zeros_like(ux)
        previous = np.zeros_like(ux)
        for month in steps:
            current = self.conditional_expected_number_of_purchases_up_to_time(
                month * periods_per_month, ux, ut, uT
            )
            total += (current - previous) / (1.0 + monthly_discount) ** month
            previous = current
        return total[inverse].reshape(shape)


def _bracket(
    params: FloatArray, x: FloatArray | float, T: FloatArray | float, t: FloatArray
) -> FloatArray:
    """``1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z)``.

    The bracket of FHL (2005) eqs. 9 and 10, with ``z = t / (alpha + T + t)``. Taken through
    Euler's transformation, ``(1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z)``
    (the remedy of Fader & Hardie's note 027 for the "#NUM!" error): as written, the series
    has parameters that grow with ``x`` and a prefactor that underflows, and for a customer
    with 700 purchases over two years' horizon scipy returns NaN where this stays exact.
    """
    r, alpha, a, b = params
    z = t / (alpha + T + t)
    # a fit on a history with almost no repeat purchase can leave a term at 0 x inf: that
    # customer's expectation is NaN (no estimate; lifetime_value counts them), not a warning
    with np.errstate(invalid="ignore", over="ignore"):
        result: FloatArray = 1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp2f1(
            a + b - 1 - r, a - 1, a + b + x - 1, z
        )
    return result


@register_model
class BGNBD(TransactionModel):
    """BG/NBD purchase model (Fader, Hardie & Lee 2005).

    Parameters
    ----------
    penalizer_coef
        See :class:`TransactionModel`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> T = rng.uniform(27, 39, 5000)  # weeks, as CDNOW
    >>> x, t_x = simulate(T, r=0.243, alpha=4.414, a=0.793, b=2.426, rng=rng)
    >>> m = BGNBD().fit(x, t_x, T)
    >>> {k: round(v, 2) for k, v in m.params_.items()}
    {'r': 0.25, 'alpha': 4.55, 'a': 0.81, 'b': 2.66}
    >>> round(float(m.conditional_probability_alive(2, 30.43, 38.86)), 3)
    0.736
    """

    param_names = ("r", "alpha", "a", "b")
    time_params = ("alpha",)
    analytic_gradient = True

    def _log_likelihood(self, params: FloatArray, data: Customers) -> FloatArray:
        # FHL (2005) eq. 6, in logs: A1 + A2 + log(exp(A3) + [x > 0] exp(A4))
        r, alpha, a, b = params
        x, T = data.x, data.T
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + T)
        result: FloatArray = a1 + a2 + np.logaddexp(a3, self._log_dropped(params, data))
        return result

    @staticmethod
    def _log_dropped(params: FloatArray, data: Customers) -> FloatArray:
        """A4: the log-weight of "dropped out after the last purchase"; -inf when x = 0."""
        r, alpha, a, b = params
        x = data.x
        # b + x - 1 is only meaningful for x > 0; b + 0 keeps the log finite elsewhere
        a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + data.t_x)
        return np.where(x > 0, a4, -np.inf)

    def _gradient(self, params: FloatArray, data: Customers) -> FloatArray:
        r, alpha, a, b = params
        x, t_x, T = data.x, data.t_x, data.T
        a3 = -(r + x) * np.log(alpha + T)
        # share of the likelihood from "dropped out after t_x" (0 when x = 0)
        dropped = expit(self._log_dropped(params, data) - a3)
        alive = 1.0 - dropped
        grad = np.empty((len(x), 4))
        grad[:, 0] = (
            digamma(r + x)
            - digamma(r)
            + np.log(alpha)
            - alive * np.log(alpha + T)
            - dropped * np.log(alpha + t_x)
        )
        grad[:, 1] = r / alpha - (r + x) * (alive / (alpha + T) + dropped / (alpha + t_x))
        shared = digamma(a + b) - digamma(a + b + x)
        grad[:, 2] = shared + dropped / a
        grad[:, 3] = shared + digamma(b + x) - digamma(b) - dropped / (b + np.maximum(x, 1) - 1)
        return grad

    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)).

        Fader, Hardie & Lee (2008), "Computing P(alive) using the BG/NBD model" (note 021).
        """
        r, alpha, a, b = self._params()
        x, t_x, T_ = check_history(frequency, recency, T)
        log_odds_dropped = (
            np.log(a)
            - np.log(b + np.maximum(x, 1) - 1)
            + (r + x) * (np.log(alpha + T_) - np.log(alpha + t_x))
        )
        return np.where(x > 0, expit(-log_odds_dropped), 1.0)

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T], the purchases expected in the next ``t`` (FHL 2005 eq. 10).

        ``(a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
        2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))] * P(alive)``, the
        hypergeometric term computed as in :func:`_bracket`.
        """
        params = self._params()
        a, b = params[2], params[3]
        x, t_x, T_ = check_history(frequency, recency, T)
        bracket = _bracket(params, x, T_, as_float(t, "t"))
        p_alive = self.conditional_probability_alive(x, t_x, T_)
        result: FloatArray = (a + b + x - 1) / (a - 1) * bracket * p_alive
        return result

    def expected_number_of_purchases_up_to_time(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)] for a new customer: ``(a + b - 1) / (a - 1) [1 - (alpha / (alpha + t))^r
        2F1(r, b; a + b - 1; t / (alpha + t))]`` (FHL 2005 eq. 9)."""
        params = self._params()
        a, b = params[2], params[3]
        result: FloatArray = (a + b - 1) / (a - 1) * _bracket(params, 0.0, 0.0, as_float(t, "t"))
        return result

    def probability_of_n_purchases_up_to_time(
        self, t: npt.ArrayLike, n: npt.ArrayLike
    ) -> FloatArray:
        """P(X(t) = n) for a new customer (FHL 2005 eq. 8).

        ``B(a, b + n) / B(a, b) NB(n; r, alpha / (alpha + t)) + [n > 0] B(a + 1, b + n - 1) /
        B(a, b) P(NB(r, alpha / (alpha + t)) >= n)``, where NB is the negative binomial the
        gamma-mixed Poisson gives. The tail is the regularized incomplete beta
        ``I_{t / (alpha + t)}(n, r)``, accurate where one minus a sum would cancel.
        """
        r, alpha, a, b = self._params()
        horizon, count = np.broadcast_arrays(as_float(t, "t"), as_float(n, "n"))
        if np.any(count < 0) or np.any(count != np.round(count)):
            raise InputError("n: purchase counts must be whole numbers >= 0")
        q = horizon / (alpha + horizon)
        with np.errstate(divide="ignore"):  # t = 0: no purchase is certain, log q = -inf
            log_nb = (
                gammaln(r + count)
                - gammaln(r)
                - gammaln(count + 1)
                + r * np.log(alpha / (alpha + horizon))
                + count * np.log(np.where(count > 0, q, 1.0))
            )
        still = np.exp(betaln(a, b + count) - betaln(a, b) + log_nb)
        m = np.maximum(count, 1)
        dropped = np.exp(betaln(a + 1, b + m - 1) - betaln(a, b)) * betainc(m, r, q)
        result: FloatArray = still + np.where(count > 0, dropped, 0.0)
        return result


def simulate(
    T: npt.ArrayLike,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """Draw ``(x, t_x)`` for customers of ages ``T`` from the BG/NBD process.

    Each customer gets ``lambda ~ Gamma(r, alpha)`` and ``p ~ Beta(a, b)``; they drop out
    after their ``K``-th repeat purchase, ``K ~ Geometric(p)``. With ``N ~ Poisson(lambda T)``
    purchases the process would make by ``T``, ``x = min(N, K)``, and since the ``N`` times
    are uniform on ``(0, T]``, the ``x``-th is ``T * Beta(x, N - x + 1)``. Vectorised: 1M
    customers in well under a second.
    """
    age = np.ravel(as_float(T, "T"))
    n = len(age)
    rate = rng.gamma(r, 1.0 / alpha, n)
    # p can underflow to 0 when a is small; geometric() needs p > 0
    drop = np.clip(rng.beta(a, b, n), 1e-12, 1.0)
    possible = rng.poisson(rate * age)
    x = np.minimum(possible, rng.geometric(drop))
    last = age * rng.beta(np.maximum(x, 1), possible - x + 1)
    return x.astype(np.float64), np.where(x > 0, last, 0.0)
