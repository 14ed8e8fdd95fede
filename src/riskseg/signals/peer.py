"""Peer group: how the customer's industry, region and size band behave, the customer left out.

Each rate pools the peers' own counts over the last 12 months (invoices paid over
``late_days`` late, invoices disputed, customers lost) and leaves the customer's own counts
out of both numerator and denominator, so a customer never explains itself. A customer
"lost" is one that bought in the 12 months before the last 12 and not in the last 12.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import NULL_FLOAT, count_if
from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "peer"
DIMENSIONS: dict[str, str] = {"industry": "industry", "region": "region", "size": "size_band"}
_RATES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    # name: (numerator, denominator, meaning, inputs)
    "late_rate": (
        "_late_n",
        "_paid_n",
        "Share of the peers' invoices paid in the last 12 months that were over 30 days late",
        ("invoices.paid_date", "invoices.due_date"),
    ),
    "dispute_rate": (
        "_disputed_n",
        "_issued_n",
        "Share of the peers' invoices issued in the last 12 months that were disputed",
        ("invoices.disputed", "invoices.issue_date"),
    ),
    "churn_rate": (
        "_churned_n",
        "_churn_base_n",
        "Share of the peers buying a year earlier that stopped buying in the last 12 months",
        ("orders.order_date",),
    ),
}

for _rate, (_num, _den, _meaning, _inputs) in _RATES.items():
    for _dim, _col in DIMENSIONS.items():
        declare(
            f"peer_{_rate}_{_dim}",
            F,
            unit="share 0-1",
            direction="risk",
            inputs=(*_inputs, f"customers.{_col}"),
            meaning=f"{_meaning}, same {_col.replace('_', ' ')}, customer left out.",
            null_when=f"the customer's {_col} is unknown or it has no peers with data",
            formula=f"(sum({_num[1:]}) - own) / (sum({_den[1:]}) - own) over customers "
            f"with the same {_col}",
        )


def build(ctx: Context) -> ir.Table | None:
    parts = []
    long = ctx.long
    if ctx.has("invoices"):
        inv = ctx.t("invoices")
        is_inv = inv.amount > 0
        paid = is_inv & ctx.within(inv.paid_date_day, long)
        issued = is_inv & ctx.within(inv.issue_date_day, long)
        parts.append(
            inv.group_by("customer_id").aggregate(
                _paid_n=count_if(paid),
                _late_n=count_if(
                    paid & (inv.paid_date_day - inv.due_date_day > ctx.config.late_days)
                ),
                _issued_n=count_if(issued),
                _disputed_n=count_if(issued & inv.disputed.fill_null(False)),
            )
        )
    if ctx.has("orders"):
        # purchase days, not order lines: fewer rows, and the store keeps them ready
        d = ctx.order_days(with_prev=False)
        buy = d.purchase_lines > 0
        before = count_if(buy & ctx.within(d.order_date_day, long, offset=long)) > 0
        recent = count_if(buy & ctx.within(d.order_date_day, long)) > 0
        parts.append(
            d.group_by("customer_id").aggregate(
                _churn_base_n=ibis.ifelse(before, 1, 0),
                _churned_n=ibis.ifelse(before & ~recent, 1, 0),
            )
        )
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    first, second = parts
    return first.outer_join(second, "customer_id").select(
        customer_id=ibis.coalesce(first.customer_id, second.customer_id),
        **{c: first[c] for c in first.columns if c != "customer_id"},
        **{c: second[c] for c in second.columns if c != "customer_id"},
    )


def finish_table(t: ir.Table, ctx: Context) -> ir.Table:
    """``t`` with the peer rates added: group totals by a group-by and a join per dimension.

    Cheaper than one window sum per rate and dimension over the wide joined table (the
    finish step in docs/benchmarks.md, `make bench-signals`).
    """
    counters = [c for num, den, _, _ in _RATES.values() for c in (num, den) if c in t.columns]
    out: dict[str, Any] = {}
    for dim, col in DIMENSIONS.items():
        sums = t.group_by(_key=t[col]).aggregate(
            **{f"_{dim}{c}": t[c].fill_null(0).sum() for c in counters}
        )
        joined = t.left_join(sums, t[col] == sums._key)
        t = joined.select(
            *[t[c] for c in t.columns], *[sums[c] for c in sums.columns if c != "_key"]
        )
    for rate, (num, den, _, _) in _RATES.items():
        for dim, col in DIMENSIONS.items():
            name = f"peer_{rate}_{dim}"
            if num not in t.columns:
                out[name] = NULL_FLOAT
                continue
            peers_num = t[f"_{dim}{num}"] - t[num].fill_null(0)
            peers_den = t[f"_{dim}{den}"] - t[den].fill_null(0)
            out[name] = ibis.ifelse(
                t[col].notnull() & (peers_den > 0),
                peers_num.cast("float64") / peers_den.cast("float64"),
                NULL_FLOAT,
            )
    return t.mutate(**out)
