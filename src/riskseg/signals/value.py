"""Value: revenue, margin, trends, RFM, order rhythm, returns and ABC class.

A purchase is an order line with revenue >= 0; a line with negative revenue is a return or
cancellation. An order is all purchase lines sharing an ``order_id``. RFM follows Fader,
Hardie & Lee (2005) and lifetimes/pymc-marketing ``rfm_summary`` with daily periods: purchase
lines of one customer on one day are one transaction; frequency is the number of transactions
after the first, recency the days from the first to the last, T the days from the first to
``as_of``, and monetary value the mean revenue of the transactions after the first (0 when
there are none).
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import NULL_FLOAT, count_if, pct_change, ratio, sum_if
from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "value"
REV = ("orders.order_date", "orders.revenue")
MARGIN = ("orders.order_date", "orders.revenue", "orders.cost")

declare(
    "revenue_12m",
    F,
    unit="currency",
    direction="safe",
    inputs=REV,
    meaning="Net revenue of the last 12 months (returns deducted).",
    formula="sum(revenue) of order lines dated in (as_of-365, as_of]",
)
declare(
    "revenue_24m",
    F,
    unit="currency",
    direction="safe",
    inputs=REV,
    meaning="Net revenue of the last 24 months (returns deducted).",
    formula="sum(revenue) of order lines dated in (as_of-730, as_of]",
)
declare(
    "gross_margin_12m",
    F,
    unit="currency",
    direction="safe",
    inputs=MARGIN,
    meaning="Revenue minus cost of goods in the last 12 months, on lines with a cost.",
    null_when="no line in the window has a cost",
    formula="sum(revenue - cost) of lines with a cost in (as_of-365, as_of]",
)
declare(
    "gross_margin_24m",
    F,
    unit="currency",
    direction="safe",
    inputs=MARGIN,
    meaning="Revenue minus cost of goods in the last 24 months, on lines with a cost.",
    null_when="no line in the window has a cost",
    formula="sum(revenue - cost) of lines with a cost in (as_of-730, as_of]",
)
declare(
    "margin_pct_12m",
    F,
    unit="share 0-1",
    direction="safe",
    inputs=MARGIN,
    meaning="Gross margin as a share of revenue in the last 12 months.",
    null_when="revenue with a known cost is not positive",
    formula="gross_margin_12m / sum(revenue of lines with a cost in the window)",
)
declare(
    "revenue_trend_6m",
    F,
    unit="ratio",
    direction="safe",
    inputs=REV,
    meaning="Revenue of the last 6 months relative to the 6 months before (+0.2 = 20% up).",
    null_when="the earlier 6 months had no positive revenue",
    formula="revenue(as_of-182, as_of] / revenue(as_of-365, as_of-182] - 1",
)
declare(
    "revenue_trend_yoy",
    F,
    unit="ratio",
    direction="safe",
    inputs=REV,
    meaning="Revenue of the last 12 months relative to the 12 months before.",
    null_when="the earlier 12 months had no positive revenue",
    formula="revenue_12m / revenue(as_of-730, as_of-365] - 1",
)
declare(
    "orders_12m",
    F,
    unit="orders",
    dtype="int64",
    direction="safe",
    inputs=REV,
    meaning="Orders placed in the last 12 months.",
    formula="count(distinct order_id) of purchase lines (revenue >= 0) in the window",
)
declare(
    "days_since_last_order",
    F,
    unit="days",
    dtype="int64",
    direction="risk",
    inputs=REV,
    meaning="Days since the last purchase (recency as account managers use it).",
    null_when="the customer never bought",
    formula="as_of - max(order_date) of purchases",
)
declare(
    "rfm_frequency",
    F,
    unit="transactions",
    dtype="int64",
    direction="safe",
    inputs=REV,
    meaning="Repeat purchases: days with a purchase, minus the first (BG/NBD x).",
    null_when="the customer never bought",
    formula="count(distinct purchase days) - 1 (lifetimes/pymc-marketing frequency, freq='D')",
)
declare(
    "rfm_recency_days",
    F,
    unit="days",
    dtype="int64",
    direction="safe",
    inputs=REV,
    meaning="Days from the first to the last purchase (BG/NBD t_x).",
    null_when="the customer never bought",
    formula="max(purchase day) - min(purchase day)",
)
declare(
    "rfm_t_days",
    F,
    unit="days",
    dtype="int64",
    direction="neutral",
    inputs=REV,
    meaning="Days from the first purchase to as_of (BG/NBD T).",
    null_when="the customer never bought",
    formula="as_of - min(purchase day)",
)
declare(
    "rfm_monetary_value",
    F,
    unit="currency",
    direction="safe",
    inputs=REV,
    meaning="Average revenue of a repeat purchase day (0 without repeat purchases).",
    null_when="the customer never bought",
    formula="mean(revenue per purchase day) over purchase days after the first",
)
declare(
    "tenure_days",
    F,
    unit="days",
    dtype="int64",
    direction="safe",
    inputs=("customers.customer_since", "orders.order_date"),
    meaning="Days the customer has been a customer (since customer_since, else the first order).",
    formula="as_of - least(customer_since, first order_date)",
)
declare(
    "order_interval_mean_days",
    F,
    unit="days",
    direction="neutral",
    inputs=REV,
    meaning="Average days between consecutive purchase days.",
    null_when="fewer than 2 purchase days",
    formula="mean(gap between consecutive purchase days), whole history",
)
declare(
    "order_interval_cv",
    F,
    unit="ratio",
    direction="risk",
    inputs=REV,
    meaning="How irregular the order rhythm is: spread of the gaps between purchase days "
    "over their mean.",
    null_when="fewer than 3 purchase days",
    formula="sample stddev(gap) / mean(gap)",
)
declare(
    "order_value_cv_12m",
    F,
    unit="ratio",
    direction="risk",
    inputs=REV,
    meaning="How much order sizes swing: spread of order values over their mean, last 12 months.",
    null_when="fewer than 2 orders in the window",
    formula="sample stddev / mean of order revenue, an order being its purchase lines in "
    "the window summed by order_id",
)
declare(
    "return_share_12m",
    F,
    unit="share 0-1",
    direction="risk",
    inputs=REV,
    meaning="Returns and cancellations as a share of gross sales in the last 12 months.",
    null_when="no purchase in the window",
    formula="-sum(revenue < 0) / sum(revenue >= 0), lines in the window",
)
declare(
    "abc_class",
    F,
    unit="class",
    dtype="string",
    direction="safe",
    inputs=REV,
    meaning="A: the customers making the first 80% of 12-month revenue, B: the next 15%, "
    "C: the rest.",
    formula="rank by revenue_12m (desc, then customer_id); A if the revenue of the "
    "customers ranked before is < 80% of the total, B if < 95%, else C; C when "
    "revenue_12m <= 0",
)
declare(
    "revenue_share_12m",
    F,
    unit="share 0-1",
    direction="safe",
    inputs=REV,
    meaning="Share of the whole portfolio's 12-month revenue.",
    null_when="the portfolio's 12-month revenue is not positive",
    formula="max(revenue_12m, 0) / sum(revenue_12m over all customers with revenue > 0)",
)


#: which query block each signal needs; a block is built only when one of its signals is wanted
_LINES = (
    "revenue_12m", "revenue_24m", "gross_margin_12m", "gross_margin_24m", "margin_pct_12m",
    "revenue_trend_6m", "revenue_trend_yoy", "tenure_days", "return_share_12m", "abc_class",
    "revenue_share_12m",
)  # fmt: skip
_ORDERS = ("orders_12m", "order_value_cv_12m")
_RFM = (
    "days_since_last_order", "rfm_frequency", "rfm_recency_days", "rfm_t_days",
    "rfm_monetary_value",
)  # fmt: skip
_RHYTHM = ("order_interval_mean_days", "order_interval_cv")


def build(ctx: Context) -> ir.Table | None:
    if not ctx.has("orders"):
        return None
    blocks: list[tuple[ir.Table, dict[str, Any]]] = []
    lines, rfm, gaps = ctx.wants(*_LINES), ctx.wants(*_RFM, *_RHYTHM), ctx.wants(*_RHYTHM)
    if lines or rfm:
        # one pass over the purchase days for revenue, margin, RFM and rhythm; the previous
        # purchase day (a window function where the days are derived) only when asked for
        blocks.append(_days(ctx, ctx.order_days(with_prev=gaps), lines=lines, rfm=rfm, gaps=gaps))
    if ctx.wants(*_ORDERS):
        blocks.append(_orders(ctx, ctx.t("orders")))
    if not blocks:
        return None
    t, columns = blocks[0][0], dict(blocks[0][1])
    for table, cols in blocks[1:]:
        joined = t.left_join(table, t.customer_id == table.customer_id)
        extra = [table[c] for c in table.columns if c != "customer_id"]
        t = joined.select(*[t[c] for c in t.columns], *extra)
        columns.update(cols)
    return t.select("customer_id", **{name: make(t) for name, make in columns.items()})


def _days(
    ctx: Context, d: ir.Table, *, lines: bool, rfm: bool, gaps: bool
) -> tuple[ir.Table, dict[str, Any]]:
    """Revenue, margin, trends, returns, RFM and order rhythm: one pass over the purchase days.

    The days come from the store's ``order_days`` or are derived from the order lines
    (:mod:`riskseg.signals.days`); a sum over the days is the sum over their lines, added in
    another order. A purchase day (a transaction, for RFM) is a day with a purchase line. The
    first day's revenue is an arg-min over the days instead of a ranking or a self-join; the
    gaps between purchase days come from ``prev_purchase_day``, which the store keeps (no
    window function at signal time).
    """
    today, long = ctx.today, ctx.long
    day = d.order_date_day
    aggs: dict[str, Any] = {}
    if lines:
        half = long // 2
        revenue = d.purchase_revenue + d.return_revenue
        w12, w24 = ctx.within(day, long), ctx.within(day, 2 * long)
        aggs |= {
            "revenue_12m": sum_if(w12, revenue),
            "revenue_24m": sum_if(w24, revenue),
            "gross_margin_12m": _sum_or_null(w12, d.margin),
            "gross_margin_24m": _sum_or_null(w24, d.margin),
            "_costed_revenue_12m": sum_if(w12, d.costed_revenue),
            "_rev_half": sum_if(ctx.within(day, half), revenue),
            "_rev_prior_half": sum_if(ctx.within(day, long - half, offset=half), revenue),
            "_rev_prior_year": sum_if(ctx.within(day, long, offset=long), revenue),
            "_gross_12m": sum_if(w12, d.purchase_revenue),
            "_returns_12m": sum_if(w12, -d.return_revenue),
            "_first_order_day": day.min(),
        }
    # a day with a purchase line is a purchase day (a transaction, for RFM)
    bought: ir.BooleanValue | None = d.purchase_lines > 0
    if not lines:
        # RFM alone reads the purchase days only, and then needs no condition
        d = d.filter(d.purchase_lines > 0)
        day, bought = d.order_date_day, None
    if rfm:
        aggs |= {
            "_n_days": d.count() if bought is None else count_if(bought),
            "_first_day": day.min(where=bought),
            "_last_day": day.max(where=bought),
            "_total_revenue": d.purchase_revenue.sum(where=bought).cast("float64"),
            # (customer, day) is unique, so the first purchase day's revenue has no ties
            "_first_revenue": d.purchase_revenue.argmin(day, where=bought),
        }
    if gaps:
        # the mean gap is (last - first) / (n - 1); only the spread needs consecutive days.
        # Cast first: PostgreSQL averages integers as NUMERIC, which Arrow will not take
        aggs["_gap_sd"] = (day - d.prev_purchase_day).cast("float64").std(where=bought)
    t = d.group_by("customer_id").aggregate(**aggs)
    columns: dict[str, Any] = {}
    if lines:
        cust = ctx.t("customers").select(_since="customer_since_day", _cid="customer_id")
        j = t.left_join(cust, t.customer_id == cust._cid)
        t = j.select(*[t[c] for c in t.columns], cust._since)
        columns |= {
            "revenue_12m": lambda t: t.revenue_12m,
            "revenue_24m": lambda t: t.revenue_24m,
            "gross_margin_12m": lambda t: t.gross_margin_12m,
            "gross_margin_24m": lambda t: t.gross_margin_24m,
            "margin_pct_12m": lambda t: ibis.ifelse(
                t._costed_revenue_12m > 0, t.gross_margin_12m / t._costed_revenue_12m, NULL_FLOAT
            ),
            "revenue_trend_6m": lambda t: pct_change(t._rev_half, t._rev_prior_half),
            "revenue_trend_yoy": lambda t: pct_change(t.revenue_12m, t._rev_prior_year),
            "tenure_days": lambda t: (
                today - ibis.least(t._since.fill_null(t._first_order_day), t._first_order_day)
            ),
            "return_share_12m": lambda t: ratio(t._returns_12m, t._gross_12m),
        }
    if rfm:
        # a customer with returns only has days but no purchase day: never bought (empty)
        columns |= {
            "days_since_last_order": lambda t: (today - t._last_day).cast("int64"),
            "rfm_frequency": lambda t: ibis.ifelse(
                t._n_days > 0, t._n_days - 1, ibis.null().cast("int64")
            ).cast("int64"),
            "rfm_recency_days": lambda t: (t._last_day - t._first_day).cast("int64"),
            "rfm_t_days": lambda t: (today - t._first_day).cast("int64"),
            "rfm_monetary_value": lambda t: ibis.cases(
                (t._n_days > 1, (t._total_revenue - t._first_revenue) / (t._n_days - 1)),
                (t._n_days == 1, 0.0),
                else_=NULL_FLOAT,
            ),
        }
    if gaps:
        columns["order_interval_mean_days"] = lambda t: _gap_mean(t)
        columns["order_interval_cv"] = lambda t: ratio(t._gap_sd, _gap_mean(t))
    return t, columns


def _orders(ctx: Context, o: ir.Table) -> tuple[ir.Table, dict[str, Any]]:
    """Orders (purchase lines of the window sharing an order_id): count and size volatility.

    The lines are cut to the window before they are grouped by order: on 20M lines that
    groups a third of the rows (measured 4.2 s -> 1.8 s, see docs/benchmarks.md).
    """
    purchases = o.filter((o.revenue >= 0) & ctx.within(o.order_date_day, ctx.long))
    orders = purchases.group_by(["customer_id", "order_id"]).aggregate(
        order_revenue=purchases.revenue.sum().cast("float64")
    )
    per_order = orders.group_by("customer_id").aggregate(
        orders_12m=orders.count(),
        _order_mean=orders.order_revenue.mean(),
        _order_sd=orders.order_revenue.std(),
    )
    return per_order, {
        "orders_12m": lambda t: t.orders_12m.fill_null(0),
        "order_value_cv_12m": lambda t: ratio(t._order_sd, t._order_mean),
    }


def _gap_mean(t: ir.Table) -> ir.FloatingValue:
    """Mean gap between consecutive purchase days: the gaps add up to last - first."""
    return ibis.ifelse(
        t._n_days > 1,
        (t._last_day - t._first_day).cast("float64") / (t._n_days - 1).cast("float64"),
        NULL_FLOAT,
    )


def _sum_or_null(cond: ir.BooleanValue, x: Any) -> ir.FloatingScalar:
    """Sum over rows where ``cond`` holds; empty when there are none (unknown, not 0)."""
    return ibis.ifelse(cond, x, ibis.null().cast("float64")).sum().cast("float64")


def finish_table(t: ir.Table, ctx: Context) -> ir.Table:
    """``t`` with the portfolio-wide value signals: ABC class and revenue share.

    The ranking runs on two columns and is joined back, so the window does not carry every
    signal through its sort (the finish step in docs/benchmarks.md, `make bench-signals`).
    """
    n = t.select(_cid=t.customer_id, _rev=t.revenue_12m)
    positive = ibis.ifelse(n._rev > 0, n._rev, 0.0)
    total = positive.sum().over(ibis.window())
    ranked = ibis.window(order_by=[positive.desc(), n._cid], rows=(None, -1))
    before = positive.sum().over(ranked).fill_null(0.0)
    share_before = ibis.ifelse(total > 0, before / total, 1.0)
    abc = ibis.cases(
        (n._rev.isnull(), ibis.null().cast("string")),
        (n._rev <= 0, "C"),
        (share_before < 0.80, "A"),
        (share_before < 0.95, "B"),
        else_="C",
    )
    share = ibis.ifelse(n._rev.notnull() & (total > 0), positive / total, NULL_FLOAT)
    ranks = n.select("_cid", _abc=abc, _share=share)
    joined = t.left_join(ranks, t.customer_id == ranks._cid)
    return joined.select(
        *[t[c] for c in t.columns if c not in ("abc_class", "revenue_share_12m")],
        abc_class=ranks._abc,
        revenue_share_12m=ranks._share,
    )
