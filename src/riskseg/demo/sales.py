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
    Codes,
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


@dataclass(frozen=True)
class _Lines:
    """Sales order lines, stored order by order, orders in date order."""

    n_lines: Rows  # lines per order
    order: Rows  # order of each line
    revenue: Floats
    cost: Floats
    product: Codes
    channel: Codes  # per order


def _lines(rng: np.random.Generator, pop: Population, owner: Rows) -> _Lines:
    """Split each order into lines: products, revenue and cost (the customer's margin)."""
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
    order = owners(n_lines)
    n = len(order)
    line_owner = owner[order]
    share = 0.2 + rng.random(n, dtype=np.float32)  # never zero: no 0/0 below
    share /= group_sum(share, n_lines).astype(np.float32)[order]
    revenue = money(np.maximum(value[order] * share, 5.0))
    del share, value
    usual_product = choose(rng, vocab.PRODUCT_WEIGHTS, pop.n)
    product = np.where(
        rng.random(n, dtype=np.float32) < 0.5,
        usual_product[line_owner],
        choose(rng, vocab.PRODUCT_WEIGHTS, n),
    )
    margin = pop.margin[line_owner] + PRODUCT_MARGIN[product]
    margin += rng.normal(0.0, 0.04, n)
    cost = money(revenue * (1.0 - margin))
    return _Lines(n_lines, order, revenue, cost, product, channel)


@dataclass(frozen=True)
class _Returns:
    """Returned (parts of) sales lines, each booked as its own order, in date order."""

    line: Rows  # the sales line that came back
    date: Days
    revenue: Floats
    cost: Floats


def _returns(
    rng: np.random.Generator, pop: Population, owner: Rows, order_date: Days, lines: _Lines
) -> _Returns:
    """A share of lines comes back (wrong part, damaged) within six weeks of delivery."""
    returns = param("returns")[pop.behaviour][owner[lines.order]]
    line = np.flatnonzero(rng.random(len(returns), dtype=np.float32) < returns).astype(np.int32)
    del returns
    when = add_business_days(order_date[lines.order[line]], rng.integers(2, 31, len(line)))
    line, when = line[when <= pop.end], when[when <= pop.end]
    by_date = date_order(when)
    line, when = line[by_date], when[by_date]
    fraction = np.where(rng.random(len(line)) < 0.4, 1.0, rng.uniform(0.2, 0.9, len(line)))
    revenue = -money(lines.revenue[line] * fraction)
    return _Returns(line, when, revenue, -money(lines.cost[line] * fraction))


class _Merge:
    """Interleave sales orders and return orders, both in date order, into one date order.

    Two binary searches place every order; a return goes after the sales of its day.
    """

    def __init__(self, sale_date: Days, return_date: Days, n_lines: Rows) -> None:
        n_sales, n_returns = len(sale_date), len(return_date)
        returns_before = np.searchsorted(return_date, sale_date, side="left")
        sales_before = np.searchsorted(sale_date, return_date, side="right")
        self.sale_rank = (np.arange(n_sales) + returns_before).astype(np.int32)
        self.return_rank = (sales_before + np.arange(n_returns)).astype(np.int32)
        self.return_order = np.zeros(n_sales + n_returns, np.bool_)
        self.return_order[self.return_rank] = True
        line_start = np.append(starts(n_lines), int(np.sum(n_lines)))
        self.return_line = np.zeros(line_start[-1] + n_returns, np.bool_)
        self.return_line[line_start[sales_before] + np.arange(n_returns)] = True

    @staticmethod
    def _merge(mask: Bools, sales: NDArray[Any], returns: NDArray[Any]) -> NDArray[Any]:
        out = np.empty(len(mask), dtype=np.result_type(sales, returns))
        out[~mask] = sales
        out[mask] = returns
        return out

    def orders(self, sales: NDArray[Any], returns: NDArray[Any]) -> NDArray[Any]:
        """One value per order (sales orders, return orders) in merged order."""
        return self._merge(self.return_order, sales, returns)

    def lines(self, sales: NDArray[Any], returns: NDArray[Any]) -> NDArray[Any]:
        """One value per line (sales lines, return lines) in merged order."""
        return self._merge(self.return_line, sales, returns)


def orders(rng: np.random.Generator, pop: Population) -> tuple[pa.Table, Billing]:
    """The ``orders`` table (one row per order line, returns as negative lines) and billing.

    Orders are numbered in date order; each return is its own order with one negative
    line, as ERPs book them.
    """
    owner, order_date = _order_dates(rng, pop)
    lines = _lines(rng, pop, owner)
    back = _returns(rng, pop, owner, order_date, lines)
    merged = _Merge(order_date, back.date, lines.n_lines)
    back_order = lines.order[back.line]

    columns: dict[str, ColumnData] = {}
    order_no = merged.lines(merged.sale_rank[lines.order], merged.return_rank)
    columns["order_id"] = ids("SO", len(merged.return_order), 8).take(pa.array(order_no))
    del order_no
    columns["customer_id"] = pop.ids.take(
        pa.array(merged.lines(owner[lines.order], owner[back_order]))
    )
    columns["order_date"] = dates(merged.lines(order_date[lines.order], back.date))
    columns["revenue"] = merged.lines(lines.revenue, back.revenue)
    columns["cost"] = merged.lines(lines.cost, back.cost)
    columns["product"] = pick(PRODUCT_NAMES, merged.lines(lines.product, lines.product[back.line]))
    columns["channel"] = pick(
        vocab.CHANNELS, merged.lines(lines.channel[lines.order], lines.channel[back_order])
    )
    billing = Billing(
        owner=merged.orders(owner, owner[back_order]),
        date=merged.orders(order_date, back.date),
        net=money(merged.orders(group_sum(lines.revenue, lines.n_lines), back.revenue)),
        returned=merged.return_order,
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
