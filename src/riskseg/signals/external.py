"""External credit: what the bureaus say as of ``as_of``.

The latest report is the one with the latest ``report_date`` on or before ``as_of`` (ties:
the source name, then the more cautious report: lower score, higher probability of default,
higher debt, insolvency first, so every engine picks the same one). A change over 6
or 12 months compares it with the latest report on or before ``as_of`` minus 182 or 365 days.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "external"
R = ("credit_reports.report_date",)

declare(
    "credit_score",
    F,
    unit="score 0-100",
    direction="safe",
    inputs=(*R, "credit_reports.score"),
    meaning="Latest external credit score (higher = safer).",
    null_when="the latest report has no score",
    formula="score of the latest report",
)
declare(
    "credit_score_change_6m",
    F,
    unit="points",
    direction="safe",
    inputs=(*R, "credit_reports.score"),
    meaning="Change in credit score over 6 months (negative = sliding credit).",
    null_when="there is no scored report from 6 months or more before as_of",
    formula="credit_score - score of the latest report on or before as_of-182",
)
declare(
    "credit_score_change_12m",
    F,
    unit="points",
    direction="safe",
    inputs=(*R, "credit_reports.score"),
    meaning="Change in credit score over 12 months (negative = sliding credit).",
    null_when="there is no scored report from 12 months or more before as_of",
    formula="credit_score - score of the latest report on or before as_of-365",
)
declare(
    "probability_of_default",
    F,
    unit="probability 0-1",
    direction="risk",
    inputs=(*R, "credit_reports.probability_of_default"),
    meaning="Probability of default from the latest report.",
    null_when="the latest report has none",
    formula="probability_of_default of the latest report",
)
declare(
    "outstanding_debt",
    F,
    unit="currency",
    direction="risk",
    inputs=(*R, "credit_reports.outstanding_debt"),
    meaning="Debts to other creditors according to the latest report.",
    null_when="the latest report has none",
    formula="outstanding_debt of the latest report",
)
declare(
    "insolvency",
    F,
    unit="yes/no",
    dtype="boolean",
    direction="risk",
    inputs=(*R, "credit_reports.insolvency"),
    meaning="The latest report records an insolvency or bankruptcy filing.",
    null_when="the latest report does not say",
    formula="insolvency of the latest report",
)
declare(
    "credit_report_age_days",
    F,
    unit="days",
    dtype="int64",
    direction="risk",
    inputs=R,
    meaning="Age of the latest credit report (old reports say little).",
    formula="as_of - report_date of the latest report",
)


def _latest(reports: ir.Table, until: int, prefix: str) -> ir.Table:
    r = reports.filter(reports.report_date_day <= until)
    w = ibis.window(
        group_by="customer_id",
        order_by=[
            r.report_date_day.desc(),
            r.source,
            r.score,
            r.probability_of_default.desc(),
            r.outstanding_debt.desc(),
            r.insolvency.desc(),
        ],
    )
    r = r.mutate(_rank=ibis.row_number().over(w))
    r = r.filter(r._rank == 0)
    return r.select(
        "customer_id",
        **{
            f"{prefix}score": r.score,
            f"{prefix}pd": r.probability_of_default,
            f"{prefix}debt": r.outstanding_debt,
            f"{prefix}insolvency": r.insolvency,
            f"{prefix}day": r.report_date_day,
        },
    )


def build(ctx: Context) -> ir.Table | None:
    if not ctx.has("credit_reports"):
        return None
    cr = ctx.t("credit_reports")
    now = _latest(cr, ctx.today, "n_")
    # the latest report with a score, for the changes (a report without a score says nothing)
    scored = cr.filter(cr.score.notnull())
    half = _latest(scored, ctx.today - ctx.long // 2, "h_").select("customer_id", "h_score")
    year = _latest(scored, ctx.today - ctx.long, "y_").select("customer_id", "y_score")
    t = now.left_join(half, "customer_id").left_join(year, "customer_id")
    return t.select(
        "customer_id",
        credit_score=t.n_score,
        credit_score_change_6m=t.n_score - t.h_score,
        credit_score_change_12m=t.n_score - t.y_score,
        probability_of_default=t.n_pd,
        outstanding_debt=t.n_debt,
        insolvency=t.n_insolvency,
        credit_report_age_days=(ctx.today - t.n_day).cast("int64"),
    )
