"""Gamma-Gamma: the spend per purchase to expect from a customer.

Fader & Hardie, "The Gamma-Gamma model of monetary value" (2013, brucehardie.com note 025),
after Colombo & Jiang (1999). A customer's purchase values are Gamma(p, nu) with a mean ``p /
nu`` of their own, and ``nu ~ Gamma(q, v)`` across customers. What is observed for a customer
with ``x >= 1`` repeat purchases is their mean value ``m``; the model shrinks it towards the
population mean ``p v / (q - 1)``, the less the fewer purchases it rests on. The model assumes
spend is independent of purchase frequency, so it pairs with BG/NBD or Pareto/NBD.
"""

from __future__ import annotations

import math
from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from riskseg.errors import InputError, RisksegError
from riskseg.models.base import Model, register_model
from riskseg.models.clv.bgnbd import (
    WEEKS_PER_MONTH,
    FloatArray,
    TransactionModel,
    as_float,
    group_rows,
    weighted_sum,
)


def _log_likelihood(
    params: FloatArray, x: FloatArray, m: FloatArray, log_m: FloatArray, log_x: FloatArray
) -> FloatArray:
    # note 025 eq. 1: f(m | p, q, v, x) = Gamma(px + q) / (Gamma(px) Gamma(q))
    #                 v^q m^(px - 1) x^(px) / (v + x m)^(px + q)
    p, q, v = params
    px = p * x
    result: FloatArray = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * log_m
        + px * log_x
        - (px + q) * np.log(v + x * m)
    )
    return result


@register_model
class GammaGamma(Model):
    """Gamma-Gamma spend model (Fader & Hardie, note 025).

    Parameters
    ----------
    penalizer_coef
        L2 penalty on ``(p, q, v)`` (``v`` in units of the mean spend), added to the mean
        negative log-likelihood per customer; 0 is plain maximum likelihood.

    Examples
    --------
    >>> gg = GammaGamma().fit([2, 1, 5, 3, 1], [22.4, 11.8, 40.0, 19.0, 35.5])
    >>> bool(gg.conditional_expected_average_profit(2, 22.4) > 0)
    True
    """

    fitted_attributes = ("params_", "log_likelihood_", "n_customers_")

    params_: dict[str, float]
    log_likelihood_: float
    n_customers_: int

    def __init__(self, *, penalizer_coef: float = 0.0) -> None:
        self.penalizer_coef = penalizer_coef

    def fit(
        self,
        frequency: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Maximum-likelihood fit on repeat buyers: ``x >= 1`` purchases of mean value ``m > 0``.

        Customers without repeat purchases carry no information on spend and are refused
        (filter them out first), as are non-positive mean values.
        """
        x, m = np.broadcast_arrays(
            np.ravel(as_float(frequency, "frequency")),
            np.ravel(as_float(monetary_value, "monetary_value")),
        )
        if len(x) == 0:
            raise InputError("GammaGamma.fit: no customers to fit on")
        if np.any(x < 1) or np.any(x != np.round(x)):
            raise InputError(
                "GammaGamma.fit: frequency must be a whole number >= 1 (repeat buyers)"
            )
        if np.any(m <= 0):
            raise InputError("GammaGamma.fit: monetary_value must be > 0 for every customer")
        w = np.ones_like(x) if weights is None else np.ravel(as_float(weights, "weights"))
        if w.shape != x.shape or np.any(w < 0):
            raise InputError("weights: one non-negative count per customer")
        (ux, um), inverse = group_rows(x, m)
        uw = np.bincount(inverse, weights=w, minlength=len(ux)).astype(np.float64)
        total = float(uw.sum())
        # Money scaled to a mean of 1 so that the start (all parameters 1) suits any currency.
        scale = 1.0 / float(np.average(um, weights=uw))
        sm = um * scale
        log_m, log_x = np.log(sm), np.log(ux)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            # far from the optimum the terms can overflow; such a point is simply rejected
            with np.errstate(all="ignore"):
                params = np.exp(theta)
                p, q, v = params
                ll = _log_likelihood(params, ux, sm, log_m, log_x)
                value = -float(weighted_sum(uw, ll)) / total
                value += self.penalizer_coef * float(np.sum(params**2))
                # note 025's log-likelihood differentiated in p, q and v
                px = p * ux
                common = digamma(px + q)
                log_vxm = np.log(v + ux * sm)
                grad = np.array(
                    [
                        weighted_sum(uw, ux * (common - digamma(px) + log_m + log_x - log_vxm)),
                        weighted_sum(uw, common - digamma(q) + np.log(v) - log_vxm),
                        weighted_sum(uw, q / v - (px + q) / (v + ux * sm)),
                    ]
                )
                grad = -grad / total + 2 * self.penalizer_coef * params
            if not (math.isfinite(value) and np.all(np.isfinite(grad))):
                return 1e300, np.zeros(3)
            return value, grad * params  # chain rule to log-parameters

        result = minimize(
            objective,
            np.zeros(3),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
        )
        params = np.exp(result.x)
        if not np.all(np.isfinite(params)) or result.fun >= 1e300:
            raise RisksegError(f"GammaGamma.fit did not converge: {result.message}")
        params[2] /= scale
        self.params_ = {"p": float(params[0]), "q": float(params[1]), "v": float(params[2])}
        self.log_likelihood_ = float(
            weighted_sum(uw, _log_likelihood(params, ux, um, np.log(um), log_x))
        )
        self.n_customers_ = round(total)
        return self

    def conditional_expected_average_profit(
        self, frequency: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray:
        """E[spend per purchase | x, m] = ``p (v + x m) / (p x + q - 1)`` (note 025 eq. 5).

        A weighted mean of the population mean ``p v / (q - 1)`` and the customer's own
        ``m``, with weight ``p x / (p x + q - 1)`` on ``m``. For ``x = 0`` it is the population
        mean (``m`` is not used). Needs ``q > 1``: otherwise the population mean is infinite
        and :class:`~riskseg.errors.RisksegError` is raised.
        """
        self.check_fitted()
        p, q, v = self.params_["p"], self.params_["q"], self.params_["v"]
        if q <= 1:
            raise RisksegError(
                f"GammaGamma: q = {q:.3g} <= 1 means an infinite mean spend; the fit is "
                "degenerate (too few or too uneven repeat buyers)"
            )
        x, m = np.broadcast_arrays(
            as_float(frequency, "frequency"), as_float(monetary_value, "monetary_value")
        )
        if np.any(x < 0):
            raise InputError("frequency: repeat purchases must be >= 0")
        m = np.where(x > 0, m, 0.0)
        result: FloatArray = p * (v + x * m) / (p * x + q - 1)
        return result

    def customer_lifetime_value(
        self,
        transaction_model: TransactionModel,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        *,
        months: float = 12,
        monthly_discount: float = 0.01,
        periods_per_month: float = WEEKS_PER_MONTH,
    ) -> FloatArray:
        """Discounted value of the purchases expected over ``months``: expected spend per
        purchase times :meth:`TransactionModel.discounted_expected_purchases`.

        lifetimes' ``GammaGammaFitter.customer_lifetime_value`` (``time``, ``discount_rate``,
        ``freq="W"``), with times in the transaction model's unit.
        """
        spend = self.conditional_expected_average_profit(frequency, monetary_value)
        purchases = transaction_model.discounted_expected_purchases(
            frequency,
            recency,
            T,
            months=months,
            monthly_discount=monthly_discount,
            periods_per_month=periods_per_month,
        )
        result: FloatArray = spend * purchases
        return result


def simulate_spend(
    frequency: npt.ArrayLike, *, p: float, q: float, v: float, rng: np.random.Generator
) -> FloatArray:
    """Draw each customer's mean purchase value ``m`` over ``x`` purchases (``x >= 1``).

    ``nu ~ Gamma(q, rate v)`` per customer and purchase values ``Gamma(p, rate nu)``; the
    mean of ``x`` of them is ``Gamma(p x, rate x nu)``. Customers with ``x = 0`` get 0.
    """
    x = np.ravel(as_float(frequency, "frequency"))
    nu = rng.gamma(q, 1.0 / v, len(x))
    mean = rng.gamma(np.maximum(p * x, 1e-300), 1.0 / (np.maximum(x, 1) * nu))
    return np.where(x > 0, mean, 0.0)
