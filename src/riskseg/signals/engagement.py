"""Engagement: meetings, campaign response and its trend, last engagement, lapsed certificates.

An engagement is something the customer did: a meeting held, a visit received, an inbound
call, a campaign opened, clicked or answered, a training completed.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import count_if, ratio
from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "engagement"
EVENTS = ("interactions.type", "interactions.date")

ENGAGEMENT_TYPES: tuple[str, ...] = (
    "meeting_held",
    "visit",
    "call_inbound",
    "campaign_opened",
    "campaign_clicked",
    "campaign_responded",
    "training_completed",
)

declare(
    "meetings_held_12m",
    F,
    unit="meetings",
    dtype="int64",
    direction="safe",
    inputs=EVENTS,
    meaning="Meetings held with the customer in the last 12 months.",
    formula="count(type = 'meeting_held' in the window)",
)
declare(
    "meetings_missed_12m",
    F,
    unit="meetings",
    dtype="int64",
    direction="risk",
    inputs=EVENTS,
    meaning="Meetings the customer missed in the last 12 months.",
    formula="count(type = 'meeting_missed' in the window)",
)
declare(
    "meeting_miss_rate_12m",
    F,
    unit="share 0-1",
    direction="risk",
    inputs=EVENTS,
    meaning="Share of planned meetings in the last 12 months that the customer missed.",
    null_when="no meeting was held or missed in the window",
    formula="meetings_missed_12m / (meetings_held_12m + meetings_missed_12m)",
)
declare(
    "campaign_open_rate_12m",
    F,
    unit="share 0-1",
    direction="safe",
    inputs=EVENTS,
    meaning="Campaigns opened per campaign sent in the last 12 months.",
    null_when="no campaign was sent in the window",
    formula="count(campaign_opened) / count(campaign_sent), in the window",
)
declare(
    "campaign_click_rate_12m",
    F,
    unit="share 0-1",
    direction="safe",
    inputs=EVENTS,
    meaning="Campaigns clicked per campaign sent in the last 12 months.",
    null_when="no campaign was sent in the window",
    formula="count(campaign_clicked) / count(campaign_sent), in the window",
)
declare(
    "campaign_response_rate_12m",
    F,
    unit="share 0-1",
    direction="safe",
    inputs=EVENTS,
    meaning="Campaigns answered per campaign sent in the last 12 months.",
    null_when="no campaign was sent in the window",
    formula="count(campaign_responded) / count(campaign_sent), in the window",
)
declare(
    "campaign_open_rate_trend",
    F,
    unit="share 0-1",
    direction="safe",
    inputs=EVENTS,
    meaning="Open rate of the last 90 days minus that of the 275 days before (negative = "
    "losing interest).",
    null_when="no campaign was sent in one of the two periods",
    formula="open rate in (as_of-90, as_of] - open rate in (as_of-365, as_of-90]",
)
declare(
    "days_since_last_engagement",
    F,
    unit="days",
    dtype="int64",
    direction="risk",
    inputs=EVENTS,
    meaning="Days since the customer last engaged (meeting held, visit, inbound call, campaign "
    "opened, clicked or answered, training completed).",
    null_when="the customer never engaged",
    formula="as_of - max(date) of interactions of an engagement type, whole history",
)
declare(
    "certification_lapses_12m",
    F,
    unit="lapses",
    dtype="int64",
    direction="risk",
    inputs=EVENTS,
    meaning="Certifications the customer let lapse in the last 12 months.",
    formula="count(type = 'certification_lapsed' in the window)",
)


def build(ctx: Context) -> ir.Table | None:
    if not ctx.has("interactions"):
        return None
    it = ctx.t("interactions")
    long, short = ctx.long, ctx.short
    w12 = ctx.within(it.date_day, long)
    recent = ctx.within(it.date_day, short)
    before = ctx.within(it.date_day, long - short, offset=short)

    def n(kind: str, when: ir.BooleanValue = w12) -> ir.IntegerScalar:
        return count_if(when & (it.type == kind))

    held, missed, sent = n("meeting_held"), n("meeting_missed"), n("campaign_sent")
    last = ibis.ifelse(it.type.isin(ENGAGEMENT_TYPES), it.date_day, ibis.null()).max()
    return it.group_by("customer_id").aggregate(
        meetings_held_12m=held,
        meetings_missed_12m=missed,
        meeting_miss_rate_12m=ratio(missed, held + missed),
        campaign_open_rate_12m=ratio(n("campaign_opened"), sent),
        campaign_click_rate_12m=ratio(n("campaign_clicked"), sent),
        campaign_response_rate_12m=ratio(n("campaign_responded"), sent),
        campaign_open_rate_trend=ratio(n("campaign_opened", recent), n("campaign_sent", recent))
        - ratio(n("campaign_opened", before), n("campaign_sent", before)),
        days_since_last_engagement=(ctx.today - last).cast("int64"),
        certification_lapses_12m=n("certification_lapsed"),
    )
