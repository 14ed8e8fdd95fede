"""The customer behaviour types of the demo company and the parameters that produce them.

Each type is one pattern the research behind riskseg found departments complaining about
(or, for ``on_time_core``, the customers nobody complains about). A type is a ``Profile``:
a handful of numbers that the generators read as columns, one value per type, so that a
million customers are drawn with array indexing instead of per-customer branches.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
from numpy.typing import NDArray

BEHAVIOURS: tuple[str, ...] = (
    "on_time_core",
    "fixed_date_payer",
    "chronic_late_payer",
    "invoice_disputer",
    "quote_shopper",
    "high_maintenance",
    "engineering_drain",
    "drifting_away",
    "mistreats_staff",
    "regulated_low_value",
    "credit_deteriorating",
    "unhappy_executive",
    "unprofitable",
)

#: Share of prospects among all generated accounts.
PROSPECT_SHARE = 0.08

#: Interaction types drawn from yearly rates (the others follow from invoices, returns and
#: the campaign calendar). Rates are per year for a medium-sized customer.
RATE_TYPES = (
    "support_ticket", "complaint", "warranty_claim", "engineering_change", "call_inbound",
    "call_outbound", "visit", "meeting_held", "meeting_missed", "training_completed",
    "certification_lapsed", "other",
)  # fmt: skip

BASE_RATES: dict[str, float] = {
    "support_ticket": 3.0,
    "complaint": 0.3,
    "warranty_claim": 0.3,
    "engineering_change": 0.3,
    "call_inbound": 2.5,
    "call_outbound": 2.0,
    "visit": 1.0,
    "meeting_held": 1.0,
    "meeting_missed": 0.1,
    "training_completed": 0.3,
    "certification_lapsed": 0.05,
    "other": 0.5,
}

#: Pre-contract activity of prospects, whatever their type.
PROSPECT_RATES: dict[str, float] = {
    "call_outbound": 6.0,
    "call_inbound": 1.0,
    "visit": 1.5,
    "meeting_held": 2.0,
    "meeting_missed": 0.5,
    "other": 0.5,
}


@dataclass(frozen=True)
class Profile:
    """Parameters of one behaviour type (defaults are the on-time core customer)."""

    share: float = 0.45
    prospect_share: float = 0.0
    #: weights of micro / small / medium / large / enterprise
    sizes: tuple[float, float, float, float, float] = (0.25, 0.35, 0.25, 0.12, 0.03)
    value: float = 1.0  # multiplier on the size band's yearly revenue
    orders: float = 1.0  # multiplier on the size band's orders per year
    margin: tuple[float, float] = (0.20, 0.36)  # customer's gross margin, uniform range
    late: tuple[float, float] = (-5.0, 1.0)  # customer's mean days after due date
    late_sd: float = 4.0  # spread of one invoice around the customer's mean
    late_trend: tuple[float, float] = (0.0, 0.0)  # extra days late reached by the end
    dispute: float = 0.01  # share of invoices disputed
    instalments: float = 0.01  # share of invoices paid in several parts
    write_off: float = 0.001  # share of invoices never paid
    quotes: float = 3.0  # quotes per year (medium size)
    win: float = 0.5  # share of decided quotes won
    discount: tuple[float, float] = (0.0, 8.0)  # discount asked, percent
    returns: float = 0.02  # share of order lines partly returned
    effort: float = 1.0  # multiplier on staff minutes per interaction
    rates: dict[str, float] = field(default_factory=dict)  # overrides of BASE_RATES
    #: multipliers of rates (and of the campaign open rate) once a customer drifts away
    drift_rates: dict[str, float] = field(default_factory=dict)
    opens: float = 0.35  # campaign open probability
    responds: float = 0.3  # campaign response probability once clicked
    survey: tuple[float, float] = (8.0, 7.8)  # mean behavior / attitude score
    credit: tuple[float, float, float] = (70.0, 0.0, 0.0)  # score at start, drop range
    new_ok: bool = True  # may be acquired during the window
    close_ok: bool = True  # may leave (status closed) during the window
    regulated: float = 0.0  # 1: always regulated; else only some in regulated industries


CORE = Profile()

PROFILES: dict[str, Profile] = {
    "on_time_core": replace(CORE, prospect_share=0.6),
    "fixed_date_payer": replace(
        CORE, share=0.07, sizes=(0.1, 0.3, 0.35, 0.2, 0.05), dispute=0.0, instalments=0.0,
        write_off=0.0,
    ),
    "chronic_late_payer": replace(
        CORE, share=0.07, sizes=(0.3, 0.4, 0.2, 0.08, 0.02), late=(20.0, 55.0), late_sd=12.0,
        dispute=0.04, instalments=0.25, write_off=0.03, rates={"call_inbound": 5.0},
        survey=(6.5, 6.5), credit=(50.0, 0.0, 0.0),
    ),
    "invoice_disputer": replace(
        CORE, share=0.04, sizes=(0.1, 0.3, 0.35, 0.2, 0.05), late=(0.0, 6.0), late_sd=5.0,
        dispute=0.3, instalments=0.02, survey=(6.0, 4.5),
    ),
    "quote_shopper": replace(
        CORE, share=0.05, prospect_share=0.2, sizes=(0.2, 0.4, 0.3, 0.09, 0.01), value=0.6,
        orders=0.6, margin=(0.12, 0.25), quotes=16.0, win=0.07, discount=(15.0, 40.0),
        returns=0.03, rates={"call_inbound": 6.0, "call_outbound": 5.0, "meeting_held": 3.0,
                             "visit": 2.0},
        opens=0.45, survey=(4.5, 6.0),
    ),
    "high_maintenance": replace(
        CORE, share=0.05, sizes=(0.1, 0.35, 0.35, 0.15, 0.05), late=(0.0, 8.0), dispute=0.05,
        returns=0.08, effort=1.6,
        rates={"support_ticket": 20.0, "complaint": 4.0, "warranty_claim": 2.0,
               "call_inbound": 20.0, "call_outbound": 4.0, "meeting_held": 3.0, "visit": 1.5},
        survey=(6.5, 4.0),
    ),
    "engineering_drain": replace(
        CORE, share=0.03, sizes=(0.0, 0.6, 0.4, 0.0, 0.0), value=0.12, orders=0.4,
        margin=(0.18, 0.30), quotes=5.0, win=0.35, effort=1.3,
        rates={"engineering_change": 18.0, "meeting_held": 4.0, "call_inbound": 6.0,
               "visit": 1.5},
        survey=(7.0, 6.5),
    ),
    "drifting_away": replace(
        CORE, share=0.06, win=0.35, new_ok=False, close_ok=False, responds=0.0,
        rates={"meeting_missed": 0.2},
        drift_rates={"meeting_missed": 15.0, "meeting_held": 0.3, "visit": 0.3,
                     "call_inbound": 0.5, "training_completed": 0.0, "campaign_opened": 0.1},
        survey=(3.5, 5.5),
    ),
    "mistreats_staff": replace(
        CORE, share=0.02, prospect_share=0.1, sizes=(0.3, 0.4, 0.2, 0.1, 0.0), late=(2.0, 10.0),
        dispute=0.06, effort=1.4,
        rates={"complaint": 2.0, "call_inbound": 8.0, "support_ticket": 5.0},
        survey=(6.0, 3.5),
    ),
    "regulated_low_value": replace(
        CORE, share=0.04, sizes=(0.55, 0.45, 0.0, 0.0, 0.0), value=0.35, orders=0.6,
        late=(5.0, 20.0), late_sd=8.0, instalments=0.02, opens=0.25,
        rates={"certification_lapsed": 0.3}, survey=(7.0, 6.0), regulated=1.0,
    ),
    "credit_deteriorating": replace(
        CORE, share=0.04, prospect_share=0.1, sizes=(0.3, 0.4, 0.25, 0.05, 0.0),
        late=(0.0, 5.0), late_trend=(25.0, 60.0), instalments=0.15, write_off=0.005,
        rates={"certification_lapsed": 0.2}, survey=(6.0, 6.5), credit=(62.0, 25.0, 45.0),
        new_ok=False, close_ok=False,
    ),
    "unhappy_executive": replace(
        CORE, share=0.02, sizes=(0.0, 0.0, 0.0, 0.7, 0.3), late=(-2.0, 4.0),
        rates={"meeting_missed": 0.5, "meeting_held": 3.0, "visit": 3.0},
        survey=(8.5, 8.5), new_ok=False, close_ok=False,
    ),
    "unprofitable": replace(
        CORE, share=0.06, sizes=(0.05, 0.25, 0.4, 0.25, 0.05), value=1.2,
        margin=(-0.08, 0.02), quotes=4.0, win=0.7, discount=(10.0, 25.0), opens=0.4,
        survey=(8.5, 8.0),
    ),
}  # fmt: skip

#: Survey scores of the executive sponsor of an ``unhappy_executive`` account.
UNHAPPY_EXECUTIVE_SURVEY = (5.0, 2.5)

#: Share of credit_deteriorating customers that end in an insolvency filing.
INSOLVENCY_SHARE = 0.3


def code(name: str) -> int:
    """Position of behaviour ``name`` in ``BEHAVIOURS``."""
    return BEHAVIOURS.index(name)


def param(name: str) -> NDArray[np.float64]:
    """One numeric ``Profile`` field as an array indexed by behaviour code.

    ``param("dispute")[behaviour]`` gives every customer its dispute share in one step. Tuple
    fields come back as a 2-D array (one column per element).
    """
    if name not in {f.name for f in fields(Profile)}:
        raise KeyError(name)
    return np.array([getattr(PROFILES[b], name) for b in BEHAVIOURS], dtype=np.float64)


def rate(kind: str, *, drift: bool = False) -> NDArray[np.float64]:
    """Yearly rate of interaction ``kind`` per behaviour (or its multiplier once drifting)."""
    if drift:
        return np.array([PROFILES[b].drift_rates.get(kind, 1.0) for b in BEHAVIOURS])
    return np.array([PROFILES[b].rates.get(kind, BASE_RATES.get(kind, 0.0)) for b in BEHAVIOURS])
