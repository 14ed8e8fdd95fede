"""Small expression helpers that compile the same way on every engine.

Conditional counts and sums are written as ``CASE WHEN`` inside ``SUM`` instead of
``FILTER (WHERE ...)``: every engine has the first, and a group that has rows always gets a
number (0), which is how "no late invoices" differs from "no invoices" (NULL).
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

NULL_FLOAT = ibis.null().cast("float64")


def count_if(cond: ir.BooleanValue) -> ir.IntegerScalar:
    """Rows of the group where ``cond`` holds; 0 when none."""
    return ibis.ifelse(cond, 1, 0).sum().cast("int64")


def sum_if(cond: ir.BooleanValue, x: Any) -> ir.FloatingScalar:
    """Sum of ``x`` over rows where ``cond`` holds; 0 when none."""
    return ibis.ifelse(cond, x, 0.0).sum().cast("float64")


def ratio(num: Any, den: Any) -> ir.FloatingValue:
    """``num / den``, empty (not infinite, not an error) when ``den`` is 0 or empty."""
    return ibis.ifelse(den != 0, num.cast("float64") / den.cast("float64"), NULL_FLOAT)


def pct_change(new: Any, old: Any) -> ir.FloatingValue:
    """``new / old - 1``; empty when ``old`` is not positive (no base to compare with)."""
    return ibis.ifelse(old > 0, new.cast("float64") / old.cast("float64") - 1.0, NULL_FLOAT)


def join_all(base: ir.Table, *others: ir.Table) -> ir.Table:
    """Left-join per-customer tables onto ``base`` by ``customer_id``."""
    out = base
    for other in others:
        out = out.left_join(other, "customer_id")
    return out
