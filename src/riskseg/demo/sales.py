"""Orders (with lines and returns) and quotes of the demo company.

Orders arrive as a thinned Poisson process per customer: a constant-rate draw over the
customer's activity window, then each candidate kept with a probability that carries the
season (quiet August and December), the customer's own growth or decline, and, for
``drifting_away`` customers, the slide of their last year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from riskseg.demo import vocab
from riskseg.demo.arrays import (
    NO_DATE,
    Bools,
    ColumnData,
    Days,
    Floats,
    Rows,
    add_business_days,
    business_days,
    choose,
    choose_by,
    date_order,
    dates,
    group_sum,
    ids,
    money,
    month_index,
    owners,
    pick,
    starts,
    table,
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
PRODUCT_NAMES = [name for name, _ in vocab.PRODUCTS]
PRODUCT_MARGIN = np.array([margin for _, margin in vocab.PRODUCTS])


@dataclass(frozen=True)
class Billing:
    """What invoicing needs from the orders: one row per order in date order, returns included."""

    owner: Rows
    date: Days
    net: Floats  # net revenue of the order (negative for a return)
    returned: Bools


def _order_dates(rng: np.random.Generator, pop: Population) -> tuple[Rows, Days]:
    """Owner and date of every order, in date order, thinned for season, growth and drift."""
    n = pop.n
    years = np.where(pop.prospect, 0.0, (pop.act_hi - pop.act_lo + 1) / 365.25)
    growth = rng.normal(0.0, 0.08, n).clip(-0.15, 0.15)
    mid = (pop.act_lo.astype(np.float64) + pop.act_hi) / 2.0
    ceiling = 1.0 + np.abs(growth) * (pop.act_hi - pop.act_lo) / 730.0
    # Thinning: draw at the highest rate the customer ever reaches, then keep each
    # candidate with the ratio of the rate at its date to that ceiling.
    top = SEASON.max()
    owner = owners(rng.poisson(pop.order_rate * years * top * ceiling))
    d = business_days(rng, pop.act_lo[owner], pop.act_hi[owner])
    keep = SEASON[month_index(d)] / top
    keep *= (1.0 + growth[owner] * (d - mid[owner]) / 365.0) / ceiling[owner]
    drift = pop.drift_start[owner]
    drifting = np.flatnonzero((drift != NO_DATE) & (d >= drift))
    slide = 1.0 - 0.9 * (d[drifting] - drift[drifting]) / np.maximum(pop.end - drift[drifting], 1)
    keep[drifting] *= slide.clip(0.1, 1.0)
    kept = (rng.random(len(d), dtype=np.float32) < keep) & (d <= pop.act_hi[owner])
    owner, d = owner[kept], d[kept]
    order = date_order(d)
    return owner[order], d[order]


def orders(rng: np.random.Generator, pop: Population) -> tuple[pa.Table, Billing]:
    """The ``orders`` table (one row per order line, returns as negative lines) and billing.

    Orders are numbered in date order. A share of lines comes back (wrong part, damaged);
    each return is its own order with one negative line, as ERPs book them, weeks after the
    delivery, and is merged into the date order.
    """
    owner, order_date = _order_dates(rng, pop)
    n_orders = len(owner)
    sigma = 0.7  # order values vary a lot around the customer's usual order
    typical = pop.value / pop.order_rate
    value = typical[owner] * rng.lognormal(-(sigma**2) / 2, sigma, n_orders)
    usual_channel = choose_by(rng, CHANNEL_WEIGHTS, pop.size)
    channel = np.where(
        rng.random(n_orders, dtype=np.float32) < 0.9,
        usual_channel[owner],
        choose(rng, [1, 1, 1, 1], n_orders),
    )

    n_lines = np.ones(n_orders, np.int32)
    size = pop.size[owner]
    for band, extra in enumerate(EXTRA_LINES):
        rows = np.flatnonzero(size == band)
        n_lines[rows] += rng.poisson(extra, len(rows)).astype(np.int32)
    del size
    line_order = owners(n_lines)
    n_sale_lines = len(line_order)
    line_owner = owner[line_order]
    share = 0.2 + rng.random(n_sale_lines, dtype=np.float32)  # never zero: no 0/0 below
    share /= group_sum(share, n_lines).astype(np.float32)[line_order]
    revenue = money(np.maximum(value[line_order] * share, 5.0))
    del share, value
    usual_product = choose(rng, vocab.PRODUCT_WEIGHTS, pop.n)
    product = np.where(
        rng.random(n_sale_lines, dtype=np.float32) < 0.5,
        usual_product[line_owner],
        choose(rng, vocab.PRODUCT_WEIGHTS, n_sale_lines),
    )
    margin = pop.margin[line_owner] + PRODUCT_MARGIN[product]
    margin += rng.normal(0.0, 0.04, n_sale_lines)
    cost = money(revenue * (1.0 - margin))
    del margin

    returns = param("returns")[pop.behaviour][line_owner]
    src = np.flatnonzero(rng.random(n_sale_lines, dtype=np.float32) < returns).astype(np.int32)
    del returns, line_owner
    r_date = add_business_days(order_date[line_order[src]], rng.integers(2, 31, len(src)))
    src, r_date = src[r_date <= pop.end], r_date[r_date <= pop.end]
    by_date = date_order(r_date)
    src, r_date = src[by_date], r_date[by_date]
    n_returns = len(src)
    fraction = np.where(rng.random(n_returns) < 0.4, 1.0, rng.uniform(0.2, 0.9, n_returns))
    r_revenue, r_cost = -money(revenue[src] * fraction), -money(cost[src] * fraction)
    r_order = line_order[src]

    # Both sales and returns are sorted by date, so merging them is two binary searches:
    # a return goes after the sales of its day.
    returns_before = np.searchsorted(r_date, order_date, side="left").astype(np.int32)
    sales_before = np.searchsorted(order_date, r_date, side="right").astype(np.int32)
    sale_rank = np.arange(n_orders, dtype=np.int32) + returns_before
    return_rank = sales_before + np.arange(n_returns, dtype=np.int32)
    line_start = np.append(starts(n_lines), n_sale_lines)
    is_return_line = np.zeros(n_sale_lines + n_returns, np.bool_)
    is_return_line[line_start[sales_before] + np.arange(n_returns)] = True
    is_sale_line = ~is_return_line

    def merge(sales: NDArray[Any], returned: NDArray[Any]) -> NDArray[Any]:
        out = np.empty(len(is_return_line), dtype=np.result_type(sales, returned))
        out[is_sale_line] = sales
        out[is_return_line] = returned
        return out

    columns: dict[str, ColumnData] = {}
    order_no = merge(sale_rank[line_order], return_rank)
    columns["order_id"] = ids("SO", n_orders + n_returns, 8).take(pa.array(order_no))
    del order_no
    columns["customer_id"] = pop.ids.take(pa.array(merge(owner[line_order], owner[r_order])))
    columns["order_date"] = dates(merge(order_date[line_order], r_date))
    columns["product"] = pick(PRODUCT_NAMES, merge(product, product[src]))
    del product
    columns["channel"] = pick(vocab.CHANNELS, merge(channel[line_order], channel[r_order]))
    net = group_sum(revenue, n_lines)
    del line_order
    columns["revenue"] = merge(revenue, r_revenue)
    del revenue
    columns["cost"] = merge(cost, r_cost)
    del cost

    is_return_order = np.zeros(n_orders + n_returns, np.bool_)
    is_return_order[return_rank] = True

    def merge_orders(sales: NDArray[Any], returned: NDArray[Any]) -> NDArray[Any]:
        out = np.empty(len(is_return_order), dtype=np.result_type(sales, returned))
        out[~is_return_order] = sales
        out[is_return_order] = returned
        return out

    billing = Billing(
        owner=merge_orders(owner, owner[r_order]),
        date=merge_orders(order_date, r_date),
        net=money(merge_orders(net, r_revenue)),
        returned=is_return_order,
    )
    return table("orders", columns), billing


def quotes(rng: np.random.Generator, pop: Population) -> pa.Table:
    """The ``quotes`` table: requests for quotation, their discount and outcome."""
    years = (pop.act_hi - pop.act_lo + 1) / 365.25
    owner = owners(rng.poisson(param("quotes")[pop.behaviour] * SIZE_QUOTES[pop.size] * years))
    d = business_days(rng, pop.act_lo[owner], pop.act_hi[owner])
    ok = d <= pop.act_hi[owner]
    owner, d = owner[ok], d[ok]
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
            "quote_id": ids("Q", m, 7),
            "customer_id": pop.ids.take(pa.array(owner[order])),
            "quote_date": dates(d[order]),
            "amount": amount[order],
            "status": pick(("won", "lost", "open", "expired"), status[order]),
            "discount_pct": discount[order],
        },
    )
