"""Who the demo company sells to: the hidden profile of every account and the customers table.

``draw_population`` decides everything about an account that later tables depend on (type,
size, country, activity window, revenue level, margin, payment habit). The other generators
only read this profile, so the tables agree with each other and with the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from riskseg.demo import vocab
from riskseg.demo.arrays import (
    NO_DATE,
    Bools,
    Codes,
    Days,
    Floats,
    Ints,
    choose,
    choose_by,
    dates,
    draw_within,
    ids,
    pick,
    table,
    uniform_days,
)
from riskseg.demo.behaviours import (
    BEHAVIOURS,
    INSOLVENCY_SHARE,
    PROSPECT_SHARE,
    code,
    param,
)

#: Median yearly net revenue (EUR) and orders per year per size band.
SIZE_VALUE = np.array([6_000.0, 25_000.0, 100_000.0, 400_000.0, 1_600_000.0])
SIZE_ORDERS = np.array([4.0, 8.0, 14.0, 22.0, 36.0])
#: How much more service, sales and marketing attention a bigger account draws.
SIZE_ATTENTION = np.array([0.35, 0.6, 1.0, 1.6, 2.5])
#: Contacts known per account: uniform in [low, high] by size band.
SIZE_CONTACTS = np.array([[1, 2], [2, 3], [3, 5], [4, 8], [6, 12]])

#: Fixed payment-run days of the month, with how common each is.
PAY_DAYS = (25, 15, 20, 28, 10, 1, 5)
PAY_DAY_WEIGHTS = (0.35, 0.15, 0.15, 0.1, 0.1, 0.1, 0.05)


@dataclass(frozen=True)
class Population:
    """Hidden profile of every account, one array element per customer, in id order."""

    start: int
    end: int
    ids: pa.Array
    name: pa.Array  # company name
    domain: pa.Array  # e-mail domain of the company
    behaviour: Codes
    prospect: Bools
    size: Codes
    country: Codes
    act_lo: Days  # first day of activity (customer since, or prospect since)
    act_hi: Days  # last day of activity (end, closing, or insolvency)
    since: Days  # customer since (none for prospects)
    closed_on: Days
    insolvent_on: Days
    drift_start: Days
    value: Floats  # expected net revenue per year
    order_rate: Floats  # expected orders per year
    margin: Floats
    late_mean: Floats  # usual days after due date
    late_trend: Floats  # extra days late reached by the end of the window
    pay_day: NDArray[np.int64]  # 0 unless a fixed-date payer
    terms: NDArray[np.int64]
    vat: Floats

    @property
    def n(self) -> int:
        return len(self.behaviour)


def _behaviour_counts(total: int, shares: NDArray[np.float64]) -> NDArray[np.int64]:
    """Exact counts per type: every type with a share is present once ``total`` allows it."""
    counts = np.floor(shares * total).astype(np.int64)
    core = code("on_time_core")
    if total >= 3 * np.count_nonzero(shares):
        counts = np.where(shares > 0, np.maximum(counts, 1), 0)
    counts[core] += total - counts.sum()
    return counts


def draw_population(rng: np.random.Generator, customers: int, start: int, end: int) -> Population:
    """Draw the hidden profile of ``customers`` accounts active between ``start`` and ``end``."""
    n_prospects = round(customers * PROSPECT_SHARE)
    n_clients = customers - n_prospects
    codes = np.arange(len(BEHAVIOURS))
    behaviour = np.concatenate(
        [
            np.repeat(codes, _behaviour_counts(n_clients, param("share"))),
            np.repeat(codes, _behaviour_counts(n_prospects, param("prospect_share"))),
        ]
    )
    prospect = np.arange(customers) >= n_clients
    order = rng.permutation(customers)
    behaviour, prospect = behaviour[order].astype(np.int8), prospect[order]

    size = choose_by(rng, param("sizes"), behaviour)
    country = choose(rng, [c.weight for c in vocab.COUNTRIES], customers)

    def days(value: int) -> Days:
        return np.full(customers, value, np.int32)

    # Most accounts predate the window; some are won during it. Types whose pattern needs
    # a full history (a decline, a deterioration) are always existing customers.
    new = (rng.random(customers) < 0.2) & param("new_ok").astype(bool)[behaviour] & ~prospect
    tenure = np.minimum(rng.exponential(6 * 365.25, customers), 25 * 365.25).astype(np.int32)
    won = uniform_days(rng, days(start), days(end - 90))
    since = np.where(new, won, start - 1 - tenure).astype(np.int32)
    # Prospects appeared in the last year and a half, and were last seen at the end.
    prospect_since = uniform_days(rng, days(max(start, end - 540)), days(end - 20))
    act_lo = np.where(prospect, prospect_since, np.maximum(since, start)).astype(np.int32)
    since = np.where(prospect, NO_DATE, since).astype(np.int32)

    leaving = (rng.random(customers) < 0.06) & param("close_ok").astype(bool)[behaviour]
    leaving &= ~prospect & (act_lo + 120 < end - 30)
    left_on = uniform_days(rng, act_lo + 90, days(end - 30))
    deteriorating = (behaviour == code("credit_deteriorating")) & ~prospect
    insolvent = deteriorating & (rng.random(customers) < INSOLVENCY_SHARE)
    insolvent_on = uniform_days(rng, np.maximum(act_lo + 60, end - 240), days(end - 15))
    insolvent &= insolvent_on <= end - 15
    insolvent_on = np.where(insolvent, insolvent_on, NO_DATE).astype(np.int32)
    closed_on = np.where(insolvent, insolvent_on, np.where(leaving, left_on, NO_DATE))
    closed_on = closed_on.astype(np.int32)
    act_hi = np.where(closed_on != NO_DATE, closed_on, end).astype(np.int32)

    drifting = (behaviour == code("drifting_away")) & ~prospect
    drift_from = np.maximum(
        act_lo + (end - act_lo) // 3, end - 365 + rng.integers(-45, 46, customers)
    )
    drift_start = np.where(drifting, drift_from, NO_DATE).astype(np.int32)

    def spread(lo_hi: NDArray[np.float64]) -> Floats:
        lo, hi = lo_hi[behaviour, 0], lo_hi[behaviour, 1]
        drawn: Floats = lo + rng.random(customers) * (hi - lo)
        return drawn

    country_late = np.array([c.late_days for c in vocab.COUNTRIES])[country]
    fixed = behaviour == code("fixed_date_payer")
    pay_day = np.where(fixed, np.array(PAY_DAYS)[choose(rng, PAY_DAY_WEIGHTS, customers)], 0)
    terms_by_country = np.array([c.terms for c in vocab.COUNTRIES])
    terms = np.array(vocab.TERMS)[choose_by(rng, terms_by_country, country)]
    domestic = np.array([c.code == vocab.HOME_COUNTRY for c in vocab.COUNTRIES])[country]
    vat = np.where(domestic, vocab.HOME_VAT, 0.0)

    names, domain = _names(rng, country)
    return Population(
        start=start,
        end=end,
        ids=ids("C", customers, 6),
        name=names,
        domain=domain,
        behaviour=behaviour,
        prospect=prospect,
        size=size,
        country=country,
        act_lo=act_lo,
        act_hi=act_hi,
        since=since,
        closed_on=closed_on,
        insolvent_on=insolvent_on,
        drift_start=drift_start,
        value=SIZE_VALUE[size] * param("value")[behaviour] * rng.lognormal(0.0, 0.5, customers),
        order_rate=SIZE_ORDERS[size]
        * param("orders")[behaviour]
        * rng.lognormal(0.0, 0.3, customers),
        margin=spread(param("margin")),
        late_mean=spread(param("late")) + country_late,
        late_trend=spread(param("late_trend")),
        pay_day=pay_day.astype(np.int64),
        terms=terms.astype(np.int64),
        vat=vat,
    )


def local_words(rng: np.random.Generator, attr: str, country: Ints) -> tuple[pa.Array, pa.Array]:
    """A word typical of each row's country (``Country.<attr>``), as written and in ASCII."""
    flat, idx = draw_within(rng, [getattr(c, attr) for c in vocab.COUNTRIES], country)
    return pick(flat, idx), pick([vocab.ascii_fold(w) for w in flat], idx)


def _names(rng: np.random.Generator, country: Codes) -> tuple[pa.Array, pa.Array]:
    """Company names ("Jansen Metaal B.V.", "Atlas Technik GmbH") and their e-mail domains."""
    n = len(country)

    def local(attr: str) -> tuple[pa.Array, pa.Array]:
        return local_words(rng, attr, country)

    last, last_a = local("last_names")
    last2, last2_a = local("last_names")
    trade, trade_a = local("trades")
    form, _ = local("forms")
    b1 = choose(rng, [1.0] * len(vocab.BRANDS), n)
    brand, brand_a = pick(vocab.BRANDS, b1), pick([b.lower() for b in vocab.BRANDS], b1)
    brand2 = pick(vocab.BRAND_ENDINGS, choose(rng, [1.0] * len(vocab.BRAND_ENDINGS), n))
    join = pc.binary_join_element_wise
    pattern = pa.array(choose(rng, [0.35, 0.3, 0.2, 0.15], n))
    name = pc.case_when(
        pc.make_struct(pc.equal(pattern, 0), pc.equal(pattern, 1), pc.equal(pattern, 2)),
        join(last, trade, form, " "),
        join(brand, trade, form, " "),
        join(last, "&", last2, form, " "),
        join(join(brand, brand2, ""), form, " "),
    )
    stem = pc.case_when(
        pc.make_struct(pc.equal(pattern, 0), pc.equal(pattern, 1), pc.equal(pattern, 2)),
        join(last_a, trade_a, ""),
        join(brand_a, trade_a, ""),
        join(last_a, last2_a, ""),
        join(brand_a, brand2, ""),
    )
    tld = pick([c.tld for c in vocab.COUNTRIES], country)
    return name, join(stem, tld, ".")


def customers_table(rng: np.random.Generator, pop: Population) -> pa.Table:
    """The ``customers`` table: profile columns as a CRM would export them."""
    n = pop.n
    regions = sorted({c.region for c in vocab.COUNTRIES})
    region = np.array([regions.index(c.region) for c in vocab.COUNTRIES])[pop.country]
    managers, manager = draw_within(rng, [vocab.ACCOUNT_MANAGERS[r] for r in regions], region)

    ind_regulated = np.array([r for _, r in vocab.INDUSTRIES])
    must_regulate = param("regulated")[pop.behaviour] >= 1.0
    industry = choose(rng, vocab.INDUSTRY_WEIGHTS, n)
    forced = choose(rng, ind_regulated.astype(float) * np.array(vocab.INDUSTRY_WEIGHTS), n)
    industry = np.where(must_regulate, forced, industry)
    regulated = must_regulate | (ind_regulated[industry] & (rng.random(n) < 0.5))

    strategic_p = np.array([0.0, 0.0, 0.05, 0.3, 0.6])[pop.size]
    strategic_p = np.where(pop.behaviour == code("unhappy_executive"), 0.7, strategic_p)
    strategic = (rng.random(n) < strategic_p) & ~pop.prospect

    months_of_credit = pop.terms / 30.0 + 1.0
    limit = np.round(pop.value / 12.0 * months_of_credit, -3).clip(min=1000.0)
    limit = np.where(pop.behaviour == code("chronic_late_payer"), np.round(limit * 0.6, -3), limit)
    status = np.where(pop.prospect, 1, np.where(pop.closed_on != NO_DATE, 2, 0))
    return table(
        "customers",
        {
            "customer_id": pop.ids,
            "name": pop.name,
            "industry": pick([i for i, _ in vocab.INDUSTRIES], industry),
            "country": pick([c.code for c in vocab.COUNTRIES], pop.country),
            "region": pick(regions, region),
            "size_band": pick(vocab.SIZE_BANDS, pop.size),
            "account_manager": pick(managers, manager),
            "payment_terms_days": pa.array(pop.terms, pa.int64(), mask=pop.prospect),
            "credit_limit": pa.array(limit, pa.float64(), mask=pop.prospect),
            "regulated": regulated,
            "strategic": strategic,
            "customer_since": dates(pop.since),
            "status": pick(("active", "prospect", "closed"), status),
        },
    )
