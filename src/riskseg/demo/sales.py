"""Orders (with lines and returns) and quotes of the demo company.

Orders arrive as a thinned Poisson process per customer: a constant-rate draw over the
customer's activity window, then each candidate kept with a probability that carries the
season (quiet August and December), the customer's own growth or decline, and, for
``drifting_away`` customers, the slide of their last year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from riskseg.demo import vocab
from riskseg.demo.arrays import (
    NO_DATE,
    Bools,
    Days,
    Floats,
    Index,
    choose,
    choose_rows,
    date_order,
    dates,
    id_width,
    ids,
    money,
    month_index,
    owners,
    pick,
    rank_in_group,
    table,
    to_weekday,
    uniform_days,
)
from riskseg.demo.behaviours import param
from riskseg.demo.customers import Population

#: Relative order intake per calendar month (European holidays in August and December).
SEASON = np.array([0.95, 1.0, 1.1, 1.0, 1.05, 1.05, 0.9, 0.65, 1.1, 1.1, 1.05, 0.8])
SEASON = SEASON / SEASON.mean()
#: Mean extra lines per order by size band (an order has 1 + Poisson(x) lines).
EXTRA_LINES = np.array([0.2, 0.4, 0.6, 1.0, 1.5])
#: Usual channel weights (direct, partner, web, edi) by size band.
CHANNEL_WEIGHTS = np.array(
    [
        [0.2, 0.2, 0.6, 0.0],
        [0.4, 0.2, 0.4, 0.0],
        [0.6, 0.15, 0.15, 0.1],
        [0.6, 0.1, 0.05, 0.25],
        [0.5, 0.05, 0.0, 0.45],
    ]
)
#: How many more quotes a bigger account asks for.
SIZE_QUOTES = np.array([0.5, 0.8, 1.0, 1.5, 2.0])


@dataclass(frozen=True)
class Billing:
    """What invoicing needs from the orders: one row per order, returns included."""

    owner: Index
    date: Days
    net: Floats  # net revenue of the order (negative for a return)
    returned: Bools


def _years(pop: Population) -> Floats:
    return np.where(pop.prospect, 0.0, (pop.act_hi - pop.act_lo + 1) / 365.25)


def _order_dates(rng: np.random.Generator, pop: Population) -> tuple[Index, Days]:
    """Owner and date of every order, thinned for season, growth and drifting away."""
    n = pop.n
    growth = rng.normal(0.0, 0.08, n).clip(-0.15, 0.15)
    mid = (pop.act_lo.astype(np.float64) + pop.act_hi) / 2.0
    ceiling = 1.0 + np.abs(growth) * (pop.act_hi - pop.act_lo) / 730.0
    expected = pop.order_rate * _years(pop) * SEASON.max() * ceiling
    owner = owners(rng.poisson(expected))
    d = to_weekday(uniform_days(rng, pop.act_lo[owner], pop.act_hi[owner]))
    trend = (1.0 + growth[owner] * (d - mid[owner]) / 365.0) / ceiling[owner]
    drift = pop.drift_start[owner]
    drifting = (drift != NO_DATE) & (d >= drift)
    slide = 1.0 - 0.9 * (d - drift) / np.maximum(pop.end - drift, 1)
    trend = np.where(drifting, trend * slide.clip(0.1, 1.0), trend)
    kept = (rng.random(len(d)) < SEASON[month_index(d) - 1] / SEASON.max() * trend) & (
        d <= pop.act_hi[owner]
    )
    return owner[kept], d[kept]


def orders(rng: np.random.Generator, pop: Population) -> tuple[pa.Table, Billing]:
    """The ``orders`` table (one row per order line, returns as negative lines) and billing."""
    owner, order_date = _order_dates(rng, pop)
    n_orders = len(owner)
    sigma = 0.7  # order values vary a lot around the customer's usual order
    value = pop.value[owner] / pop.order_rate[owner] * rng.lognormal(-sigma**2 / 2, sigma, n_orders)
    channel_of = choose_rows(rng, CHANNEL_WEIGHTS[pop.size])
    channel = np.where(
        rng.random(n_orders) < 0.9, channel_of[owner], choose(rng, [1, 1, 1, 1], n_orders)
    )

    n_lines = 1 + rng.poisson(EXTRA_LINES[pop.size[owner]])
    line_order = owners(n_lines)
    share = rng.exponential(1.0, len(line_order))
    share /= np.bincount(line_order, share, minlength=n_orders)[line_order]
    revenue = money(np.maximum(value[line_order] * share, 5.0))
    main_product = choose(rng, vocab.PRODUCT_WEIGHTS, pop.n)[owner[line_order]]
    product = np.where(
        rng.random(len(line_order)) < 0.5,
        main_product,
        choose(rng, vocab.PRODUCT_WEIGHTS, len(line_order)),
    )
    offset = np.array([m for _, m in vocab.PRODUCTS])[product]
    line_margin = pop.margin[owner[line_order]] + offset + rng.normal(0.0, 0.04, len(line_order))
    cost = money(revenue * (1.0 - line_margin))

    # A share of lines comes back (wrong part, damaged); each return is its own order with
    # a negative line, as ERPs book them, dated weeks after the delivery.
    returning = rng.random(len(line_order)) < param("returns")[pop.behaviour[owner[line_order]]]
    src = np.flatnonzero(returning)
    r_date = to_weekday(order_date[line_order[src]] + rng.integers(3, 46, len(src)))
    src, r_date = src[r_date <= pop.end], r_date[r_date <= pop.end]
    fraction = np.where(rng.random(len(src)) < 0.4, 1.0, rng.uniform(0.2, 0.9, len(src)))
    r_revenue, r_cost = -money(revenue[src] * fraction), -money(cost[src] * fraction)

    # All orders (sales then returns) are numbered in date order; lines are scattered into
    # place instead of sorted, since each order's lines are already contiguous.
    all_owner = np.concatenate([owner, owner[line_order[src]]])
    all_date = np.concatenate([order_date, r_date])
    all_lines = np.concatenate([n_lines, np.ones(len(src), np.int64)])
    perm = date_order(all_date)
    rank = np.empty_like(perm)
    rank[perm] = np.arange(len(perm))
    first_line = np.empty_like(perm)
    first_line[perm] = np.cumsum(all_lines[perm]) - all_lines[perm]
    line_of = np.concatenate([line_order, n_orders + np.arange(len(src))])
    dest = first_line[line_of] + np.concatenate([rank_in_group(n_lines), np.zeros(len(src), np.int64)])

    def place(values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values)
        out[dest] = values
        return out

    order_no = place(rank[line_of] + 1)
    line_owner = place(all_owner[line_of])
    table_ = table(
        "orders",
        {
            "order_id": ids("SO", order_no, id_width(len(perm), 8)),
            "customer_id": pop.ids.take(pa.array(line_owner)),
            "order_date": dates(place(all_date[line_of])),
            "revenue": place(np.concatenate([revenue, r_revenue])),
            "cost": place(np.concatenate([cost, r_cost])),
            "product": pick([p for p, _ in vocab.PRODUCTS], place(np.concatenate([product, product[src]]))),
            "channel": pick(vocab.CHANNELS, place(np.concatenate([channel, channel[line_order[src]]])[line_of])),
        },
    )
    net = np.bincount(line_of, np.concatenate([revenue, r_revenue]), minlength=len(all_date))
    billing = Billing(
        owner=all_owner[perm],
        date=all_date[perm],
        net=money(net[perm]),
        returned=(perm >= n_orders),
    )
    return table_, billing


def quotes(rng: np.random.Generator, pop: Population) -> pa.Table:
    """The ``quotes`` table: requests for quotation, their discount and outcome."""
    years = (pop.act_hi - pop.act_lo + 1) / 365.25
    owner = owners(rng.poisson(param("quotes")[pop.behaviour] * SIZE_QUOTES[pop.size] * years))
    d = to_weekday(uniform_days(rng, pop.act_lo[owner], pop.act_hi[owner]))
    owner, d = owner[d <= pop.end], d[d <= pop.end]
    m = len(owner)
    b = pop.behaviour[owner]
    typical = pop.value / np.maximum(pop.order_rate, 0.5)
    amount = money(typical[owner] * rng.lognormal(0.5, 0.6, m)).clip(min=50.0)
    lo, hi = param("discount")[b, 0], param("discount")[b, 1]
    discount = np.round((lo + rng.random(m) * (hi - lo)) * 2) / 2
    discount = np.where((hi <= 10.0) & (rng.random(m) < 0.35), 0.0, discount)

    # Young quotes are mostly still open; older ones were decided or simply ran out.
    # Prospects have won nothing yet: a won quote would have made them customers.
    win = np.where(pop.prospect[owner], 0.0, param("win")[b])
    u = rng.random(m)
    decided = np.where(u < win, 0, np.where(rng.random(m) < 0.7, 1, 3))
    still_open = (pop.end - d < 30) & (rng.random(m) < 0.8)
    status = np.where(still_open, 2, decided)
    order = date_order(d)
    return table(
        "quotes",
        {
            "quote_id": ids("Q", np.arange(1, m + 1), id_width(m, 7)),
            "customer_id": pop.ids.take(pa.array(owner[order])),
            "quote_date": dates(d[order]),
            "amount": amount[order],
            "status": pick(("won", "lost", "open", "expired"), status[order]),
            "discount_pct": discount[order],
        },
    )

