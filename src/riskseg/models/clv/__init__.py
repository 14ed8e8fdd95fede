"""Customer lifetime value: purchase-count models, spend per purchase, and the pipeline.

- :class:`BGNBD` (Fader, Hardie & Lee 2005) and :class:`ParetoNBD` (Schmittlein, Morrison &
  Colombo 1987): how many purchases a customer makes next, and P(still a customer);
- :class:`GammaGamma` (Fader & Hardie, note 025): the spend per purchase to expect;
- :func:`lifetime_value`: both fitted on riskseg's signal table, one row of expected orders,
  revenue, margin and discounted, cost-adjusted value per customer.
"""

from riskseg.models.clv.bgnbd import BGNBD, TransactionModel
from riskseg.models.clv.gamma_gamma import GammaGamma
from riskseg.models.clv.pareto_nbd import ParetoNBD
from riskseg.models.clv.value import LifetimeValue, lifetime_value

__all__ = [
    "BGNBD",
    "GammaGamma",
    "LifetimeValue",
    "ParetoNBD",
    "TransactionModel",
    "lifetime_value",
]
