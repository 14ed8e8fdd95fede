"""Loyalty: the Loyalty Matrix from surveys of the customer's contacts.

Each respondent (a contact, or a response without a contact) counts with their latest answer
on or before ``as_of``. Behaviour and attitude are high at or above ``loyalty_high`` (7 of 10
by default): high/high is loyal, high behaviour with low attitude is trapped, low behaviour
with high attitude is accessible, both low is high risk. The account's class applies the same
rule to the mean behaviour and attitude of its respondents.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import count_if, ratio
from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "loyalty"
S = ("surveys.behavior", "surveys.attitude", "surveys.date")
KEY = ("contacts.seniority", "contacts.decision_role", "contacts.is_primary")

declare(
    "contacts_surveyed",
    F,
    unit="contacts",
    dtype="int64",
    direction="neutral",
    inputs=S,
    meaning="Contacts (respondents) with a survey answer on or before as_of.",
    formula="count(distinct contact_id, or response_id when the contact is unknown)",
)
for _cls, _text in (
    ("loyal", "loyal (behaviour and attitude high)"),
    ("accessible", "accessible (attitude high, behaviour low: open to more)"),
    ("trapped", "trapped (behaviour high, attitude low: stays, but unhappy)"),
    ("high_risk", "high risk (behaviour and attitude low)"),
):
    declare(
        f"loyalty_share_{_cls}",
        F,
        unit="share 0-1",
        direction="safe" if _cls in ("loyal", "accessible") else "risk",
        inputs=S,
        meaning=f"Share of surveyed contacts whose latest answer is {_text}.",
        formula=f"count(latest answers classed {_cls}) / contacts_surveyed",
    )
declare(
    "executive_high_risk",
    F,
    unit="yes/no",
    dtype="boolean",
    direction="risk",
    inputs=S + KEY,
    meaning="An executive contact's latest answer is high risk.",
    null_when="no surveyed contact is known in contacts",
    formula="any(latest class = high_risk and seniority = 'executive')",
)
declare(
    "decision_maker_high_risk",
    F,
    unit="yes/no",
    dtype="boolean",
    direction="risk",
    inputs=S + KEY,
    meaning="A decision maker's latest answer is high risk.",
    null_when="no surveyed contact is known in contacts",
    formula="any(latest class = high_risk and decision_role = 'decision_maker')",
)
declare(
    "primary_contact_high_risk",
    F,
    unit="yes/no",
    dtype="boolean",
    direction="risk",
    inputs=S + KEY,
    meaning="The primary contact's latest answer is high risk.",
    null_when="no surveyed contact is known in contacts",
    formula="any(latest class = high_risk and is_primary)",
)
declare(
    "loyalty_class",
    F,
    unit="class",
    dtype="string",
    direction="neutral",
    inputs=S,
    meaning="The account in the Loyalty Matrix: loyal, accessible, trapped or high_risk.",
    formula="the matrix rule applied to mean(behavior) and mean(attitude) of latest answers",
)
declare(
    "survey_age_days",
    F,
    unit="days",
    dtype="int64",
    direction="risk",
    inputs=S,
    meaning="Days since the latest survey answer of the account.",
    formula="as_of - max(date) of survey answers",
)


def _matrix(behavior: ir.FloatingValue, attitude: ir.FloatingValue, high: float) -> ir.StringValue:
    b, a = behavior >= high, attitude >= high
    return ibis.cases(
        (b & a, "loyal"), (b & ~a, "trapped"), (~b & a, "accessible"), else_="high_risk"
    )


def build(ctx: Context) -> ir.Table | None:
    if not ctx.has("surveys"):
        return None
    s = ctx.t("surveys")
    high = ctx.config.loyalty_high
    s = s.mutate(respondent=s.contact_id.fill_null("response:" + s.response_id))
    w = ibis.window(
        group_by=["customer_id", "respondent"], order_by=[s.date_day.desc(), s.response_id]
    )
    latest = s.mutate(_rank=ibis.row_number().over(w))
    latest = latest.filter(latest._rank == 0)
    latest = latest.mutate(cls=_matrix(latest.behavior, latest.attitude, high))
    if ctx.has("contacts"):
        c = ctx.t("contacts").select(
            "contact_id",
            _contact_customer="customer_id",
            seniority=ctx.t("contacts").seniority.lower(),
            decision_role=ctx.t("contacts").decision_role.lower(),
            is_primary=ctx.t("contacts").is_primary,
        )
        # the contact must belong to the same customer: a survey never borrows another
        # account's executive
        same = (latest.contact_id == c.contact_id) & (latest.customer_id == c._contact_customer)
        latest = latest.left_join(c, same).select(
            latest, c._contact_customer, c.seniority, c.decision_role, c.is_primary
        )
    else:
        # no contacts table: no surveyed contact is known (a column, so it can be counted)
        null_str = ibis.null().cast("string")
        latest = latest.mutate(
            _contact_customer=null_str,
            seniority=null_str,
            decision_role=null_str,
            is_primary=ibis.null().cast("boolean"),
        )
    known = latest._contact_customer.notnull()
    risky = latest.cls == "high_risk"
    n = latest.count()

    def any_key(cond: ir.BooleanValue) -> ir.BooleanScalar:
        return ibis.ifelse(
            count_if(known) > 0, count_if(known & risky & cond.fill_null(False)) > 0, ibis.null()
        ).cast("boolean")

    agg = latest.group_by("customer_id").aggregate(
        contacts_surveyed=n.cast("int64"),
        **{
            f"loyalty_share_{cls}": ratio(count_if(latest.cls == cls), n)
            for cls in ("loyal", "accessible", "trapped", "high_risk")
        },
        executive_high_risk=any_key(latest.seniority == "executive"),
        decision_maker_high_risk=any_key(latest.decision_role == "decision_maker"),
        primary_contact_high_risk=any_key(latest.is_primary),
        _mean_b=latest.behavior.mean().cast("float64"),
        _mean_a=latest.attitude.mean().cast("float64"),
        _last=latest.date_day.max(),
    )
    return agg.select(
        "customer_id",
        "contacts_surveyed",
        "loyalty_share_loyal",
        "loyalty_share_accessible",
        "loyalty_share_trapped",
        "loyalty_share_high_risk",
        "executive_high_risk",
        "decision_maker_high_risk",
        "primary_contact_high_risk",
        loyalty_class=_matrix(agg._mean_b, agg._mean_a, high),
        survey_age_days=(ctx.today - agg._last).cast("int64"),
    )
