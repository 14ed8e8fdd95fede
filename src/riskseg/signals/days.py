"""Purchase days: one row per customer and day with order lines, what the value signals read.

The riskseg store keeps this relation as a table, ``order_days``, refreshed by every import
(:mod:`riskseg.store.order_days`); on any other engine (PostgreSQL, Spark) or when that table
is out of step, :func:`derive` builds the same relation from ``orders`` with the same group-by.
The families read it through :meth:`Context.order_days` and cannot tell the two apart, so the
signals are one expression whichever way the days come, with equal results.

Columns (``order_date_day`` and ``prev_purchase_day`` are day numbers, as in
:mod:`riskseg.signals.context`):

``customer_id``, ``order_date_day``
    the key;
``lines``, ``purchase_lines``
    order lines of the day, and those of them with revenue >= 0 (a *purchase day* has one);
``purchase_revenue``, ``return_revenue``
    the day's revenue >= 0 and < 0 (returns, cancellations), each 0 when there is none;
``costed_revenue``, ``margin``
    revenue and ``revenue - cost`` of the lines with a cost (margin empty when none has one);
``prev_purchase_day``
    on a purchase day, the customer's purchase day before it (empty for the first purchase day
    and on days without a purchase).

Every column describes its own day and the days before it, so the rows up to ``as_of`` are
the same whether the days were cut at ``as_of`` or derived from the lines up to ``as_of``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import count_if, sum_if

#: the columns, in order, whichever way the relation was made
COLUMNS = (
    "customer_id", "order_date_day", "lines", "purchase_lines", "purchase_revenue",
    "return_revenue", "costed_revenue", "margin", "prev_purchase_day",
)  # fmt: skip


def derive(orders: ir.Table, *, with_prev: bool = True) -> ir.Table:
    """The purchase days of point-in-time ``orders`` (contract-typed, with ``*_day`` columns).

    ``with_prev=False`` leaves ``prev_purchase_day`` empty and skips the window function it
    needs, for callers that do not read it.
    """
    o = orders
    buy = o.revenue >= 0
    has_cost = o.cost.notnull()
    days = o.group_by(["customer_id", "order_date_day"]).aggregate(
        lines=o.count().cast("int64"),
        purchase_lines=count_if(buy),
        purchase_revenue=sum_if(buy, o.revenue),
        return_revenue=sum_if(~buy, o.revenue),
        costed_revenue=sum_if(has_cost, o.revenue),
        margin=ibis.ifelse(has_cost, o.revenue - o.cost, ibis.null().cast("float64"))
        .sum()
        .cast("float64"),
    )
    if with_prev:
        # the purchase days of a customer in order, apart from its return-only days
        bought = days.purchase_lines > 0
        w = ibis.window(group_by=[days.customer_id, bought], order_by=days.order_date_day)
        prev = ibis.ifelse(bought, days.order_date_day.lag().over(w), ibis.null().cast("int64"))
    else:
        prev = ibis.null().cast("int64")
    return days.select(*COLUMNS[:-1], prev_purchase_day=prev.cast("int64"))


def stored(table: ir.Table, today: int) -> ir.Table:
    """The store's ``order_days`` table up to the day number ``today``, typed as :func:`derive`."""
    day = table.order_date.epoch_days().cast("int64")
    t = table.select(
        customer_id=table.customer_id,
        order_date_day=day,
        lines=table.lines.cast("int64"),
        purchase_lines=table.purchase_lines.cast("int64"),
        purchase_revenue=table.purchase_revenue.cast("float64"),
        return_revenue=table.return_revenue.cast("float64"),
        costed_revenue=table.costed_revenue.cast("float64"),
        margin=table.margin.cast("float64"),
        prev_purchase_day=table.prev_purchase_date.epoch_days().cast("int64"),
    )
    return t.filter(t.order_date_day <= today)
