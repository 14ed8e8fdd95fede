"""Flags: qualitative red flags (conduct, ethics, fraud, ...) made measurable.

A flag is active at ``as_of`` when it was raised on or before ``as_of`` and has not expired
(``expires`` empty or after ``as_of``). Expired flags do not count anywhere.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import count_if
from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "flags"
FL = ("flags.date", "flags.expires")

CATEGORIES: tuple[str, ...] = (
    "conduct",
    "reputation",
    "ethics",
    "compliance",
    "regulatory",
    "fraud",
    "other",
)
_CATEGORY_MEANING = {
    "conduct": "conduct (mistreats staff)",
    "reputation": "reputation",
    "ethics": "ethics",
    "compliance": "compliance",
    "regulatory": "regulatory",
    "fraud": "fraud",
    "other": "other",
}

declare(
    "flags_active",
    F,
    unit="flags",
    dtype="int64",
    direction="risk",
    inputs=FL,
    meaning="Red flags active at as_of, all categories.",
    formula="count(flags with date <= as_of and (expires empty or expires > as_of))",
)
for _cat in CATEGORIES:
    declare(
        f"flags_active_{_cat}",
        F,
        unit="flags",
        dtype="int64",
        direction="risk",
        inputs=(*FL, "flags.category"),
        meaning=f"Active red flags of category {_CATEGORY_MEANING[_cat]}.",
        formula=f"count(active flags with category = '{_cat}')",
    )
declare(
    "flag_max_severity",
    F,
    unit="1 watch, 2 serious, 3 red line",
    dtype="int64",
    direction="risk",
    inputs=(*FL, "flags.severity"),
    meaning="Highest severity among active flags (0 when none is active).",
    formula="max(severity) of active flags, else 0",
)
declare(
    "days_since_red_line",
    F,
    unit="days",
    dtype="int64",
    direction="safe",
    inputs=(*FL, "flags.severity"),
    meaning="Days since the latest active red-line flag (severity 3) was raised.",
    null_when="no red-line flag is active",
    formula="as_of - max(date) of active flags with severity 3",
)


def build(ctx: Context) -> ir.Table | None:
    if not ctx.has("flags"):
        return None
    f = ctx.t("flags")
    active = f.expires_day.isnull() | (f.expires_day > ctx.today)
    category = f.category.lower()
    per_category = {f"flags_active_{c}": count_if(active & (category == c)) for c in CATEGORIES}
    red_line = ibis.ifelse(active & (f.severity >= 3), f.date_day, ibis.null()).max()
    return f.group_by("customer_id").aggregate(
        flags_active=count_if(active),
        **per_category,
        flag_max_severity=ibis.ifelse(active, f.severity, 0).max().cast("int64"),
        days_since_red_line=(ctx.today - red_line).cast("int64"),
    )
