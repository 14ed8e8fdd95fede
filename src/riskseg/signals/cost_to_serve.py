"""Cost to serve: service events, staff effort at an hourly cost, net contribution and ROI.

Effort is split by interaction type: the commercial effort of selling (visits, meetings,
outbound calls, campaigns) and the cost of serving (everything else: tickets, complaints,
claims, engineering changes, inbound calls, collections). Net contribution is what is left of
the gross margin after both; ROI relates it to the effort spent.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import NULL_FLOAT, count_if, ratio, sum_if
from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "cost_to_serve"

#: interaction type -> signal name stem
EVENTS: dict[str, str] = {
    "support_ticket": "tickets",
    "complaint": "complaints",
    "warranty_claim": "warranty_claims",
    "call_inbound": "inbound_calls",
    "visit": "visits",
    "engineering_change": "engineering_changes",
}

#: effort on these types is commercial (selling), not cost to serve
COMMERCIAL_TYPES: tuple[str, ...] = (
    "visit",
    "meeting_held",
    "meeting_missed",
    "call_outbound",
    "campaign_sent",
    "campaign_opened",
    "campaign_clicked",
    "campaign_responded",
)

for _type, _stem in EVENTS.items():
    _label = _stem.replace("_", " ")
    declare(
        f"{_stem}_12m",
        F,
        unit=_stem.replace("_", " "),
        dtype="int64",
        direction="risk" if _type != "visit" else "neutral",
        inputs=("interactions.type", "interactions.date"),
        meaning=f"Interactions of type {_type} in the last 12 months ({_label}).",
        formula=f"count(type = '{_type}' and date in (as_of-365, as_of])",
    )
    declare(
        f"{_stem}_per_1000_revenue",
        F,
        unit=f"{_label} per 1,000 revenue",
        direction="risk" if _type != "visit" else "neutral",
        inputs=("interactions.type", "orders.revenue"),
        meaning=f"{_label.capitalize()} in the last 12 months per 1,000 of 12-month revenue.",
        null_when="12-month revenue is not positive or unknown",
        formula=f"{_stem}_12m / revenue_12m * 1000",
    )

declare(
    "effort_hours_12m",
    F,
    unit="hours",
    direction="risk",
    inputs=("interactions.effort_minutes", "interactions.date"),
    meaning="Staff hours spent on the customer in the last 12 months (all departments).",
    formula="sum(effort_minutes) / 60 of interactions in the window",
)
declare(
    "cost_to_serve_12m",
    F,
    unit="currency",
    direction="risk",
    inputs=("interactions.effort_minutes", "interactions.type"),
    meaning="Cost of serving the customer in the last 12 months: service hours x hourly cost.",
    formula="sum(effort_minutes of non-commercial types) / 60 * hourly_cost (default 60)",
)
declare(
    "commercial_cost_12m",
    F,
    unit="currency",
    direction="neutral",
    inputs=("interactions.effort_minutes", "interactions.type"),
    meaning="Cost of selling to the customer in the last 12 months (visits, meetings, "
    "outbound calls, campaigns).",
    formula="sum(effort_minutes of commercial types) / 60 * hourly_cost",
)
declare(
    "net_contribution_12m",
    F,
    unit="currency",
    direction="safe",
    inputs=("orders.revenue", "orders.cost", "interactions.effort_minutes"),
    meaning="What the customer left over the last 12 months: gross margin minus cost to "
    "serve minus commercial effort.",
    null_when="gross margin is unknown (no cost on the order lines)",
    formula="gross_margin_12m - cost_to_serve_12m - commercial_cost_12m",
)
declare(
    "roi_12m",
    F,
    unit="ratio",
    direction="safe",
    inputs=("orders.revenue", "orders.cost", "interactions.effort_minutes"),
    meaning="Net contribution per unit of effort spent on the customer.",
    null_when="no effort was recorded or gross margin is unknown",
    formula="net_contribution_12m / (cost_to_serve_12m + commercial_cost_12m)",
)


def build(ctx: Context) -> ir.Table | None:
    if not ctx.has("interactions"):
        return None
    it = ctx.t("interactions")
    w12 = ctx.within(it.date_day, ctx.long)
    # effort not recorded on a row is no effort spent: the sums must not depend on whether the
    # customer also has rows outside the window (which count as 0 in ``sum_if``)
    hours = it.effort_minutes.fill_null(0.0) / 60.0
    commercial = it.type.isin(COMMERCIAL_TYPES)
    counts = {f"{stem}_12m": count_if(w12 & (it.type == typ)) for typ, stem in EVENTS.items()}
    return it.group_by("customer_id").aggregate(
        **counts,
        effort_hours_12m=sum_if(w12, hours),
        cost_to_serve_12m=sum_if(w12 & ~commercial, hours) * ctx.config.hourly_cost,
        commercial_cost_12m=sum_if(w12 & commercial, hours) * ctx.config.hourly_cost,
    )


def finish(t: ir.Table, ctx: Context) -> dict[str, Any]:
    """Rates per 1,000 revenue and the contribution left after effort (need the value family)."""
    out: dict[str, Any] = {}
    per_1000 = ibis.ifelse(t.revenue_12m > 0, 1000.0 / t.revenue_12m, NULL_FLOAT)
    for stem in EVENTS.values():
        out[f"{stem}_per_1000_revenue"] = t[f"{stem}_12m"] * per_1000
    effort = t.cost_to_serve_12m + t.commercial_cost_12m
    net = t.gross_margin_12m - effort
    out["net_contribution_12m"] = net
    out["roi_12m"] = ratio(net, effort)
    return out
