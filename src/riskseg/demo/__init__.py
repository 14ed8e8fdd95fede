"""A demo company to try riskseg on: a European B2B supplier with three years of history.

``generate`` draws every contract table (customers and prospects, invoices, payments, orders,
quotes, interactions, credit reports, flags, contacts, surveys) for customers of known
behaviour types, and returns them with the ground truth, so that signals, models and
segments can be checked against the answer. It is deterministic by seed and vectorised:
a million accounts take minutes, not hours.

>>> from riskseg.demo import generate, BEHAVIOURS
>>> company = generate(customers=300, seed=0)
>>> set(company.truth.column("behaviour").to_pylist()) <= set(BEHAVIOURS)
True
"""

from __future__ import annotations

from riskseg.demo.behaviours import BEHAVIOURS
from riskseg.demo.company import DemoCompany, generate

__all__ = ["BEHAVIOURS", "DemoCompany", "generate"]
