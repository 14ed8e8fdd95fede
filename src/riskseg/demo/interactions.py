"""Service desk, sales activity and marketing engagement of the demo company.

Four sources feed the interactions table: yearly rates per behaviour type (tickets, calls,
visits, engineering changes), the marketing campaign calendar (sent, opened, clicked,
responded), the receivables (promises to pay, broken promises, dispute complaints) and the
returns (return requests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from riskseg.contract import INTERACTION_TYPES
from riskseg.demo import vocab
from riskseg.demo.arrays import (
    NO_DATE,
    Bools,
    Codes,
    Days,
    Ints,
    Rows,
    add_business_days,
    business_days,
    choose_by,
    date_order,
    dates,
    ids,
    owners,
    pick,
    table,
)
from riskseg.demo.behaviours import PROSPECT_RATES, RATE_TYPES, param, rate
from riskseg.demo.contacts import Contacts
from riskseg.demo.customers import SIZE_ATTENTION, Population
from riskseg.demo.sales import Billing

#: Median staff minutes per interaction type (campaign e-mails cost no staff time).
EFFORT: dict[str, float] = {
    "support_ticket": 30, "complaint": 60, "warranty_claim": 90, "return_request": 25,
    "engineering_change": 300, "call_inbound": 12, "call_outbound": 10, "visit": 150,
    "meeting_held": 60, "meeting_missed": 30, "training_completed": 180,
    "certification_lapsed": 15, "promise_to_pay": 15, "promise_broken": 10, "other": 15,
}  # fmt: skip

#: Which department usually records each type (weights over ``vocab.DEPARTMENTS``:
#: sales, finance, service, engineering, marketing, hr).
DEPARTMENT_WEIGHTS: dict[str, tuple[float, ...]] = {
    "support_ticket": (0, 0, 1, 0, 0, 0),
    "complaint": (0.3, 0, 0.7, 0, 0, 0),
    "warranty_claim": (0, 0, 1, 0, 0, 0),
    "return_request": (0, 0, 1, 0, 0, 0),
    "engineering_change": (0, 0, 0, 1, 0, 0),
    "call_inbound": (0.4, 0.1, 0.5, 0, 0, 0),
    "call_outbound": (0.8, 0.2, 0, 0, 0, 0),
    "visit": (0.85, 0, 0.1, 0.05, 0, 0),
    "meeting_held": (0.8, 0, 0, 0.2, 0, 0),
    "meeting_missed": (0.9, 0, 0, 0.1, 0, 0),
    "training_completed": (0, 0, 1, 0, 0, 0),
    "certification_lapsed": (0, 0, 1, 0, 0, 0),
    "promise_to_pay": (0, 1, 0, 0, 0, 0),
    "promise_broken": (0, 1, 0, 0, 0, 0),
    "other": (0.3, 0.2, 0.2, 0.1, 0.1, 0.1),
}
EFFORT_MEDIAN = np.array([EFFORT.get(k, 0.0) for k in INTERACTION_TYPES])
_CAMPAIGN = {"campaign_sent", "campaign_opened", "campaign_clicked", "campaign_responded"}
_MARKETING = (0, 0, 0, 0, 1, 0)

#: Campaigns per year, share of accounts each one targets, and the funnel below opening.
CAMPAIGNS_PER_YEAR = 5
CAMPAIGN_REACH = 0.6
CLICK_RATE = 0.3


@dataclass(frozen=True)
class Events:
    """Dated interactions of customers, produced by one generator for the interactions table.

    ``department`` is an index into ``vocab.DEPARTMENTS``, or -1 to use the type's usual one.
    """

    owner: Rows
    date: Days
    kind: Codes  # index into contract.INTERACTION_TYPES
    department: Codes

    @staticmethod
    def of(owner: Ints, date: Days, kind: str, department: int = -1) -> Events:
        """Events of one ``kind`` (and optionally one department) for the given rows."""
        n = len(owner)
        return Events(
            owner.astype(np.int32),
            date.astype(np.int32),
            np.full(n, INTERACTION_TYPES.index(kind), np.int8),
            np.full(n, department, np.int8),
        )

    @staticmethod
    def concat(parts: Sequence[Events]) -> Events:
        """All ``parts`` one after the other."""
        return Events(
            np.concatenate([p.owner for p in parts]),
            np.concatenate([p.date for p in parts]),
            np.concatenate([p.kind for p in parts]),
            np.concatenate([p.department for p in parts]),
        )

    def take(self, rows: Ints | Bools) -> Events:
        """The events at ``rows`` (positions or a mask)."""
        return Events(self.owner[rows], self.date[rows], self.kind[rows], self.department[rows])


def _rated(rng: np.random.Generator, pop: Population) -> Events:
    """Interactions that occur at a yearly rate, thinned once a customer drifts away."""
    b = pop.behaviour
    years = (pop.act_hi - pop.act_lo + 1) / 365.25
    drifting = pop.drift_start != NO_DATE
    parts = []
    for kind in RATE_TYPES:
        yearly = np.where(
            pop.prospect, PROSPECT_RATES.get(kind, 0.0), rate(kind)[b] * SIZE_ATTENTION[pop.size]
        )
        after = rate(kind, drift=True)[b]
        ceiling = np.where(drifting, np.maximum(after, 1.0), 1.0)
        owner = owners(rng.poisson(yearly * ceiling * years))
        d = business_days(rng, pop.act_lo[owner], pop.act_hi[owner])
        late = drifting[owner] & (d >= pop.drift_start[owner])
        keep = np.where(late, after[owner], 1.0) / ceiling[owner]
        ok = (d <= pop.end) & (rng.random(len(d)) < keep)
        parts.append(Events.of(owner[ok], d[ok], kind))
    return Events.concat(parts)


def _campaigns(rng: np.random.Generator, pop: Population) -> Events:
    """The e-mail campaign funnel: every campaign reaches part of the accounts active then."""
    count = max(1, round(CAMPAIGNS_PER_YEAR * (pop.end - pop.start) / 365.25))
    window = np.full(count, pop.start, np.int32), np.full(count, pop.end - 3, np.int32)
    sent_on = np.sort(business_days(rng, *window))
    opens = param("opens")[pop.behaviour]
    responds = param("responds")[pop.behaviour]
    faded = rate("campaign_opened", drift=True)[pop.behaviour]
    parts = []
    for day_ in sent_on:
        who = np.flatnonzero(
            (pop.act_lo <= day_) & (pop.act_hi >= day_) & (rng.random(pop.n) < CAMPAIGN_REACH)
        )
        drifted = (pop.drift_start[who] != NO_DATE) & (day_ >= pop.drift_start[who])
        p_open = opens[who] * np.where(drifted, faded[who], 1.0)
        opened = who[rng.random(len(who)) < p_open]
        opened_on = day_ + rng.integers(0, 4, len(opened)).astype(np.int32)
        clicked = rng.random(len(opened)) < CLICK_RATE
        responded = clicked & (rng.random(len(opened)) < responds[opened])
        responded_on = add_business_days(opened_on, rng.integers(1, 8, len(opened)))
        parts += [
            Events.of(who, np.full(len(who), day_, np.int32), "campaign_sent"),
            Events.of(opened, opened_on, "campaign_opened"),
            Events.of(opened[clicked], opened_on[clicked], "campaign_clicked"),
            Events.of(opened[responded], responded_on[responded], "campaign_responded"),
        ]
    events = Events.concat(parts)
    return events.take(events.date <= pop.end)


def _return_requests(rng: np.random.Generator, pop: Population, billing: Billing) -> Events:
    """The request that precedes each return order by a few days."""
    idx = np.flatnonzero(billing.returned)
    owner = billing.owner[idx]
    asked = add_business_days(billing.date[idx], -rng.integers(1, 6, len(idx)))
    return Events.of(owner, np.maximum(asked, pop.act_lo[owner]), "return_request")


def interactions(
    rng: np.random.Generator,
    pop: Population,
    people: Contacts,
    billing: Billing,
    extra: Sequence[Events] = (),
) -> pa.Table:
    """The ``interactions`` table from rates, campaigns, returns and ``extra`` events."""
    ev = Events.concat(
        [_rated(rng, pop), _campaigns(rng, pop), _return_requests(rng, pop, billing), *extra]
    )
    ev = ev.take(date_order(ev.date))
    m = len(ev.owner)
    campaign = np.isin(np.array(INTERACTION_TYPES), sorted(_CAMPAIGN))[ev.kind]
    weights = np.array([DEPARTMENT_WEIGHTS.get(k, _MARKETING) for k in INTERACTION_TYPES])
    department = np.where(ev.department >= 0, ev.department, choose_by(rng, weights, ev.kind))

    # Collectors and disputes go through the finance contact, campaigns to the primary one;
    # some tickets and calls come in from a shared mailbox or an unknown caller.
    contact = people.random(rng, ev.owner)
    finance = department == vocab.DEPARTMENTS.index("finance")
    contact[finance] = people.finance(ev.owner[finance])
    contact[campaign] = people.primary(ev.owner[campaign])
    contact[~campaign & (rng.random(m, dtype=np.float32) < 0.03)] = -1
    del finance

    effort = rng.lognormal(0.0, 0.5, m)
    effort *= EFFORT_MEDIAN[ev.kind]
    effort *= param("effort")[pop.behaviour][ev.owner]
    return table(
        "interactions",
        {
            "interaction_id": ids("IA", m, 8),
            "customer_id": pop.ids.take(pa.array(ev.owner)),
            "contact_id": people.ids.take(pa.array(np.maximum(contact, 0), mask=contact < 0)),
            "date": dates(ev.date),
            "type": pick(INTERACTION_TYPES, ev.kind),
            "department": pick(vocab.DEPARTMENTS, department),
            "effort_minutes": np.round(effort),
        },
    )
