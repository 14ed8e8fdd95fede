"""Sales: quotes, win rate, discounts, quotes per order and lost-quote value.

``quotes.status`` has no date of its own: a quote is read with the status it has now. A quote
that was open at ``as_of`` and won later therefore counts as won; the docs say so.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import NULL_FLOAT, count_if, ratio, sum_if
from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "sales"
Q = ("quotes.quote_date", "quotes.status")

declare(
    "quotes_12m",
    F,
    unit="quotes",
    dtype="int64",
    direction="neutral",
    inputs=Q,
    meaning="Quotes made for the customer in the last 12 months.",
    formula="count(quotes dated in (as_of-365, as_of])",
)
declare(
    "quote_win_rate_12m",
    F,
    unit="share 0-1",
    direction="safe",
    inputs=Q,
    meaning="Share of decided quotes of the last 12 months that the customer accepted.",
    null_when="no quote in the window was won, lost or expired",
    formula="count(won) / count(won, lost or expired), quotes in the window",
)
declare(
    "discount_mean_12m",
    F,
    unit="percent",
    direction="risk",
    inputs=("quotes.discount_pct", "quotes.quote_date"),
    meaning="Average discount given or asked on the quotes of the last 12 months.",
    null_when="no quote in the window has a discount",
    formula="mean(discount_pct) of quotes in the window",
)
declare(
    "quotes_per_order_12m",
    F,
    unit="ratio",
    direction="risk",
    inputs=("quotes.quote_date", "orders.order_date"),
    meaning="Quotes per order in the last 12 months (quote shoppers ask much, buy little).",
    null_when="there is no order data at all (no orders table, or none up to as_of)",
    formula="quotes_12m / max(orders_12m, 1)",
)
declare(
    "lost_quote_value_12m",
    F,
    unit="currency",
    direction="risk",
    inputs=("quotes.amount", "quotes.status", "quotes.quote_date"),
    meaning="Value of the quotes of the last 12 months that were lost or expired.",
    formula="sum(amount) of quotes in the window with status lost or expired",
)


def build(ctx: Context) -> ir.Table | None:
    if not ctx.has("quotes"):
        return None
    q = ctx.t("quotes")
    w12 = ctx.within(q.quote_date_day, ctx.long)
    status = q.status.lower()
    lost = status.isin(("lost", "expired"))
    won = status == "won"
    return q.group_by("customer_id").aggregate(
        quotes_12m=count_if(w12),
        quote_win_rate_12m=ratio(count_if(w12 & won), count_if(w12 & (won | lost))),
        discount_mean_12m=q.discount_pct.mean(where=w12).cast("float64"),
        lost_quote_value_12m=sum_if(w12 & lost, q.amount),
    )


def finish(t: ir.Table, ctx: Context) -> dict[str, Any]:
    """Quotes per order needs the value family's order count.

    Without order data the ratio is unknown, not ``quotes / 1``. The store always has an
    ``orders`` table, so "no orders table" also covers one with no order up to ``as_of``
    (no customer has value data); other engines simply lack the table.
    """
    if "orders" not in ctx.tables:
        return {"quotes_per_order_12m": NULL_FLOAT}
    any_orders = t["_has_value"].fill_null(False).cast("int64").max().over(ibis.window()) == 1
    orders = ibis.greatest(t.orders_12m.fill_null(0), 1)
    return {
        "quotes_per_order_12m": ibis.ifelse(
            any_orders, t.quotes_12m.cast("float64") / orders, NULL_FLOAT
        )
    }
