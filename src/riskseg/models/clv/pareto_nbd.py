"""Pareto/NBD: purchases while active, and a lifetime that can end at any moment.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will
they do next?", *Management Science* 33(1), 1-24. While active, a customer buys as a Poisson
process with rate ``lambda ~ Gamma(r, alpha)``; their lifetime is exponential with rate
``mu ~ Gamma(s, beta)``. Unlike BG/NBD, a customer can drop out between purchases.

The likelihood is Fader & Hardie's, "A note on deriving the Pareto/NBD model and related
expressions" (2005, brucehardie.com note 009, eqs. 18-20; note 008 gives the same for the
grouped fit), as lifetimes implements it: Gauss hypergeometric terms in the slower-decaying of
``alpha`` and ``beta`` (so that the series argument stays in [0, 1)), combined in logs with a
``log(1 - exp(.))`` that keeps ``A0`` accurate when ``t_x`` is close to ``T``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import expit, gammaln, hyp2f1

from riskseg.models.base import register_model
from riskseg.models.clv.bgnbd import (
    Customers,
    FloatArray,
    TransactionModel,
    as_float,
    check_history,
)


def _log_a0(params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
    """log A0 (note 009 eqs. 19-20): the integral over the dropout time between t_x and T.

    ``A0 = 2F1(r+s+x, c; r+s+x+1; d / (m + t_x)) / (m + t_x)^(r+s+x) - (same at T)`` with
    ``m = max(alpha, beta)``, ``d = |alpha - beta|`` and ``c = s + 1`` when ``alpha >= beta``,
    else ``r + x``. Both terms are taken in logs and subtracted as ``L1 + log(1 - e^(L2 - L1))``.
    """
    r, alpha, s, beta = params
    top = max(alpha, beta)
    c = s + 1.0 if alpha >= beta else r + x
    rsx = r + s + x
    d = abs(alpha - beta)
    at_t_x = np.log(hyp2f1(rsx, c, rsx + 1.0, d / (top + t_x))) - rsx * np.log(top + t_x)
    at_T = np.log(hyp2f1(rsx, c, rsx + 1.0, d / (top + T))) - rsx * np.log(top + T)
    with np.errstate(divide="ignore"):  # t_x == T: A0 = 0, log A0 = -inf, as it should be
        result: FloatArray = at_t_x + np.log(-np.expm1(at_T - at_t_x))
    return result


def _discount_integral(exponent: float, q: FloatArray) -> FloatArray:
    """``(1 - q^e) / e``, and its limit ``-log q`` as ``e -> 0`` (s = 1)."""
    log_q = np.log(q)
    if abs(exponent) < 1e-10:
        return -log_q
    result: FloatArray = -np.expm1(exponent * log_q) / exponent
    return result


@register_model
class ParetoNBD(TransactionModel):
    """Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987).

    Parameters
    ----------
    penalizer_coef
        See :class:`~riskseg.models.clv.bgnbd.TransactionModel`.

    Examples
    --------
    >>> import numpy as np
    >>> from riskseg.models.clv.bgnbd import simulate
    >>> rng = np.random.default_rng(0)
    >>> T = rng.uniform(27, 39, 5000)  # weeks
    >>> x, t_x = simulate(T, r=0.243, alpha=4.414, a=0.793, b=2.426, rng=rng)
    >>> m = ParetoNBD().fit(x, t_x, T)
    >>> round(float(m.conditional_expected_number_of_purchases_up_to_time(52, 2, 30.43, 38.86)), 2)
    1.45
    """

    param_names = ("r", "alpha", "s", "beta")
    time_params = ("alpha", "beta")

    def _log_likelihood(self, params: FloatArray, data: Customers) -> FloatArray:
        # note 009 eq. 18: A1 + log(alive-at-T term + s / (r + s + x) A0)
        r, alpha, s, beta = params
        x, t_x, T = data.x, data.t_x, data.T
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        dropped = np.log(s) - np.log(r + s + x) + _log_a0(params, x, t_x, T)
        result: FloatArray = a1 + np.logaddexp(alive, dropped)
        return result

    def _log_odds_dropped(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        params = self._params()
        r, alpha, s, beta = params
        result: FloatArray = (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + _log_a0(params, x, t_x, T)
        )
        return result

    def conditional_probability_alive(
        self, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive | x, t_x, T) = 1 / (1 + s / (r + s + x) (alpha + T)^(r + x) (beta + T)^s A0).

        Note 009 eqs. 36-37.
        """
        x, t_x, T_ = check_history(frequency, recency, T)
        result: FloatArray = expit(-self._log_odds_dropped(x, t_x, T_))
        return result

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: npt.ArrayLike, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T] (note 009 eq. 41).

        ``P(alive) (r + x)(beta + T) / ((alpha + T)(s - 1)) [1 - ((beta + T) / (beta + T + t))^(s - 1)]``.
        """
        r, alpha, s, beta = self._params()
        x, t_x, T_ = check_history(frequency, recency, T)
        horizon = as_float(t, "t")
        p_alive = expit(-self._log_odds_dropped(x, t_x, T_))
        rate = (r + x) / (alpha + T_)
        lifetime = (beta + T_) * _discount_integral(s - 1.0, (beta + T_) / (beta + T_ + horizon))
        result: FloatArray = p_alive * rate * lifetime
        return result

    def expected_number_of_purchases_up_to_time(self, t: npt.ArrayLike) -> FloatArray:
        """E[X(t)] for a new customer: ``r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)]``.

        Note 009 eq. 27.
        """
        r, alpha, s, beta = self._params()
        horizon = as_float(t, "t")
        result: FloatArray = r / alpha * beta * _discount_integral(s - 1.0, beta / (beta + horizon))
        return result
