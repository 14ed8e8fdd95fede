"""Payment behaviour: lateness, open and overdue balances, disputes, pay day, promises.

Days late of a paid invoice is ``max(paid_date - due_date, 0)``; early payment is not
"negative lateness". Credit notes (amount <= 0) count in balances but not in lateness.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from riskseg.signals._expr import count_if, join_all, ratio, sum_if
from riskseg.signals.context import Context
from riskseg.signals.registry import declare

F = "payment"
INV = ("invoices.issue_date", "invoices.amount")
PAID = ("invoices.due_date", "invoices.paid_date", "invoices.amount")

declare(
    "invoices_12m",
    F,
    unit="invoices",
    dtype="int64",
    direction="neutral",
    meaning="Invoices issued in the last 12 months (credit notes not counted).",
    inputs=INV,
    formula="count(invoices with amount > 0 and issue_date in (as_of-365, as_of])",
)
declare(
    "invoiced_amount_12m",
    F,
    unit="currency",
    direction="neutral",
    meaning="Total invoiced in the last 12 months, credit notes deducted.",
    inputs=INV,
    formula="sum(amount) of invoices issued in (as_of-365, as_of]",
)
declare(
    "days_late_mean_12m",
    F,
    unit="days",
    direction="risk",
    meaning="Average days late of invoices paid in the last 12 months, weighted by amount.",
    inputs=PAID,
    null_when="no invoice was paid in the window",
    formula="sum(amount * max(paid_date - due_date, 0)) / sum(amount), invoices with "
    "amount > 0 paid in (as_of-365, as_of]",
)
declare(
    "late_share_12m",
    F,
    unit="share 0-1",
    direction="risk",
    meaning="Share of invoices paid in the last 12 months that were paid after the due date.",
    inputs=PAID,
    null_when="no invoice was paid in the window",
    formula="count(paid_date > due_date) / count(paid), invoices paid in the window",
)
declare(
    "late_30_share_12m",
    F,
    unit="share 0-1",
    direction="risk",
    meaning="Share of invoices paid in the last 12 months that were paid over 30 days late.",
    inputs=PAID,
    null_when="no invoice was paid in the window",
    formula="count(paid_date - due_date > 30) / count(paid), invoices paid in the window",
)
declare(
    "late_60_share_12m",
    F,
    unit="share 0-1",
    direction="risk",
    meaning="Share of invoices paid in the last 12 months that were paid over 60 days late.",
    inputs=PAID,
    null_when="no invoice was paid in the window",
    formula="count(paid_date - due_date > 60) / count(paid), invoices paid in the window",
)
declare(
    "open_invoices",
    F,
    unit="invoices",
    dtype="int64",
    direction="neutral",
    meaning="Invoices not yet paid at as_of (written-off invoices are not open).",
    inputs=("invoices.paid_date", "invoices.written_off"),
    formula="count(amount > 0, paid_date empty or after as_of, not written_off)",
)
declare(
    "open_balance",
    F,
    unit="currency",
    direction="neutral",
    meaning="Amount still owed at as_of, partial payments deducted.",
    inputs=("invoices.amount", "invoices.paid_date", "payments.amount"),
    formula="sum(max(amount - payments made by as_of, 0)) over open invoices, plus open "
    "credit notes",
)
declare(
    "max_days_past_due",
    F,
    unit="days",
    dtype="int64",
    direction="risk",
    meaning="Days the oldest overdue open invoice is past its due date (0 when none).",
    inputs=("invoices.due_date", "invoices.paid_date"),
    formula="max(as_of - due_date) over open invoices with due_date < as_of, else 0",
)
declare(
    "overdue_balance",
    F,
    unit="currency",
    direction="risk",
    meaning="Amount owed at as_of on invoices past their due date.",
    inputs=("invoices.due_date", "invoices.paid_date", "invoices.amount", "payments.amount"),
    formula="sum(outstanding) over open invoices with due_date < as_of",
)
declare(
    "overdue_to_credit_limit",
    F,
    unit="ratio",
    direction="risk",
    meaning="Overdue balance as a share of the customer's credit limit.",
    inputs=("invoices.due_date", "invoices.paid_date", "customers.credit_limit"),
    null_when="the customer has no credit limit (or it is 0)",
    formula="overdue_balance / credit_limit",
)
declare(
    "dso_days",
    F,
    unit="days",
    direction="risk",
    meaning="Days sales outstanding: open balance over the last 12 months' invoicing, in days.",
    inputs=("invoices.amount", "invoices.issue_date", "invoices.paid_date"),
    null_when="nothing was invoiced in the window",
    formula="open_balance / invoiced_amount_12m * 365",
)
declare(
    "dispute_rate_12m",
    F,
    unit="share 0-1",
    direction="risk",
    meaning="Share of invoices issued in the last 12 months that the customer disputed.",
    inputs=("invoices.issue_date", "invoices.disputed"),
    null_when="no invoice was issued in the window",
    formula="count(disputed) / invoices_12m",
)
declare(
    "write_off_count",
    F,
    unit="invoices",
    dtype="int64",
    direction="risk",
    meaning="Invoices booked as bad debt, over the whole history up to as_of.",
    inputs=("invoices.written_off",),
    formula="count(written_off) of invoices issued by as_of",
)
declare(
    "write_off_amount",
    F,
    unit="currency",
    direction="risk",
    meaning="Amount booked as bad debt, over the whole history up to as_of.",
    inputs=("invoices.written_off", "invoices.amount"),
    formula="sum(amount) of written-off invoices issued by as_of",
)
declare(
    "days_late_trend",
    F,
    unit="days",
    direction="risk",
    meaning="Change in lateness: average days late in the last 90 days minus the 275 before "
    "(positive = paying later than before).",
    inputs=PAID,
    null_when="no invoice was paid in one of the two periods",
    formula="amount-weighted days late of invoices paid in (as_of-90, as_of] minus those "
    "paid in (as_of-365, as_of-90]",
)
declare(
    "pay_day_usual",
    F,
    unit="day of month",
    dtype="int64",
    direction="neutral",
    meaning="The day of the month the customer most often pays on (e.g. always the 25th).",
    inputs=("invoices.paid_date",),
    null_when="fewer than 3 invoices were paid in 12 months",
    formula="most frequent day(paid_date) of invoices paid in the last 365 days; ties: the "
    "earliest day",
)
declare(
    "pay_day_regularity",
    F,
    unit="share 0-1",
    direction="neutral",
    meaning="Share of payments made within 2 days of the usual pay day (1 = like clockwork).",
    inputs=("invoices.paid_date",),
    null_when="fewer than 3 invoices were paid in 12 months",
    formula="count(|day(paid_date) - pay_day_usual| <= 2, wrapping around the month end) / "
    "count(paid in the last 365 days)",
)
declare(
    "partial_payment_share_12m",
    F,
    unit="share 0-1",
    direction="risk",
    meaning="Share of invoices issued in the last 12 months that were paid in two or more parts.",
    inputs=("payments.invoice_id", "invoices.issue_date"),
    null_when="no payments are recorded up to as_of (no payments table, or an empty one), "
    "or no invoice was issued in the window",
    formula="count(invoices with >= 2 payments by as_of) / invoices_12m",
)
declare(
    "promises_to_pay_12m",
    F,
    unit="promises",
    dtype="int64",
    direction="risk",
    meaning="Promises to pay a collector recorded in the last 12 months.",
    inputs=("interactions.type",),
    null_when="the customer has no interactions",
    formula="count(interactions of type promise_to_pay in the window)",
)
declare(
    "promises_broken_share_12m",
    F,
    unit="share 0-1",
    direction="risk",
    meaning="Share of promises to pay in the last 12 months that were broken.",
    inputs=("interactions.type",),
    null_when="no promise to pay was recorded in the window",
    formula="min(count(promise_broken) / count(promise_to_pay), 1), both in the window",
)


def build(ctx: Context) -> ir.Table | None:
    if not ctx.has("invoices"):
        return None
    inv = ctx.t("invoices")
    long, short, today = ctx.long, ctx.short, ctx.today

    # the store always has a payments table; an empty one means none was imported, so partial
    # payments are unknown (empty), not "never" (0), as on an engine without the table
    has_payments: ir.BooleanValue = ibis.literal(False)
    if ctx.has("payments"):
        pay = ctx.t("payments")
        has_payments = (pay.count() > 0).as_scalar()
        per_invoice = pay.group_by("invoice_id").aggregate(
            paid_so_far=pay.amount.sum().cast("float64"), n_payments=pay.count()
        )
        inv = inv.left_join(per_invoice, "invoice_id")
        paid_so_far = inv.paid_so_far.fill_null(0.0)
        n_payments = inv.n_payments
    else:
        paid_so_far = ibis.literal(0.0)
        n_payments = ibis.null().cast("int64")

    is_inv = inv.amount > 0
    paid_day = inv.paid_date_day
    is_open = paid_day.isnull() & ~inv.written_off.fill_null(False)
    overdue = is_open & is_inv & (inv.due_date_day < today)
    late = ibis.greatest(paid_day - inv.due_date_day, 0)
    inv = inv.mutate(
        issued_12m=ctx.within(inv.issue_date_day, long),
        paid_12m=is_inv & ctx.within(paid_day, long),
        paid_recent=is_inv & ctx.within(paid_day, short),
        paid_before=is_inv & ctx.within(paid_day, long - short, offset=short),
        late=late,
        outstanding=ibis.ifelse(
            is_inv, ibis.greatest(inv.amount - paid_so_far, 0.0), inv.amount - paid_so_far
        ),
        is_open=is_open,
        overdue=overdue,
        is_inv=is_inv,
        n_payments=n_payments,
        dom=inv.paid_date.day(),
    )
    weighted_late = inv.late * inv.amount
    agg = inv.group_by("customer_id").aggregate(
        invoices_12m=count_if(inv.issued_12m & inv.is_inv),
        invoiced_amount_12m=sum_if(inv.issued_12m, inv.amount),
        days_late_mean_12m=ratio(
            sum_if(inv.paid_12m, weighted_late), sum_if(inv.paid_12m, inv.amount)
        ),
        late_share_12m=ratio(count_if(inv.paid_12m & (inv.late > 0)), count_if(inv.paid_12m)),
        late_30_share_12m=ratio(count_if(inv.paid_12m & (inv.late > 30)), count_if(inv.paid_12m)),
        late_60_share_12m=ratio(count_if(inv.paid_12m & (inv.late > 60)), count_if(inv.paid_12m)),
        open_invoices=count_if(inv.is_open & inv.is_inv),
        open_balance=sum_if(inv.is_open, inv.outstanding),
        max_days_past_due=ibis.ifelse(inv.overdue, today - inv.due_date_day, 0).max().cast("int64"),
        overdue_balance=sum_if(inv.overdue, inv.outstanding),
        disputes_12m=count_if(inv.issued_12m & inv.is_inv & inv.disputed.fill_null(False)),
        write_off_count=count_if(inv.written_off.fill_null(False)),
        write_off_amount=sum_if(inv.written_off.fill_null(False), inv.amount),
        late_recent=ratio(
            sum_if(inv.paid_recent, weighted_late), sum_if(inv.paid_recent, inv.amount)
        ),
        late_before=ratio(
            sum_if(inv.paid_before, weighted_late), sum_if(inv.paid_before, inv.amount)
        ),
        parted_12m=count_if(inv.issued_12m & inv.is_inv & (inv.n_payments >= 2)),
    )
    cust = ctx.t("customers").select("customer_id", "credit_limit")
    out = join_all(agg, cust, _pay_day(ctx, inv), _promises(ctx))
    return out.select(
        "customer_id",
        "invoices_12m",
        "invoiced_amount_12m",
        "days_late_mean_12m",
        "late_share_12m",
        "late_30_share_12m",
        "late_60_share_12m",
        "open_invoices",
        "open_balance",
        "max_days_past_due",
        "overdue_balance",
        overdue_to_credit_limit=ratio(out.overdue_balance, out.credit_limit),
        dso_days=ibis.ifelse(
            out.invoiced_amount_12m > 0,
            out.open_balance / out.invoiced_amount_12m * long,
            ibis.null().cast("float64"),
        ),
        dispute_rate_12m=ratio(out.disputes_12m, out.invoices_12m),
        write_off_count=out.write_off_count,
        write_off_amount=out.write_off_amount,
        days_late_trend=out.late_recent - out.late_before,
        pay_day_usual=out.pay_day_usual,
        pay_day_regularity=out.pay_day_regularity,
        partial_payment_share_12m=ibis.ifelse(
            has_payments, ratio(out.parted_12m, out.invoices_12m), ibis.null().cast("float64")
        ),
        promises_to_pay_12m=out.promises_to_pay_12m,
        promises_broken_share_12m=out.promises_broken_share_12m,
    )


def _pay_day(ctx: Context, inv: ir.Table) -> ir.Table:
    """The usual day of month of payment and how many payments fall near it."""
    paid = inv.filter(inv.paid_12m).select("customer_id", "dom")
    per_day = paid.group_by(["customer_id", "dom"]).aggregate(n=paid.count())
    w = ibis.window(group_by="customer_id", order_by=[per_day.n.desc(), per_day.dom])
    usual = (
        per_day.mutate(rank=ibis.row_number().over(w))
        .filter(lambda t: t["rank"] == 0)
        .select("customer_id", usual=per_day.dom)
    )
    j = paid.inner_join(usual, "customer_id")
    gap = (j.dom - j.usual).abs()
    near = ibis.least(gap, 31 - gap) <= ctx.config.pay_day_tolerance
    per_customer = j.group_by("customer_id").aggregate(
        paid_n=j.count(), near_n=count_if(near), usual=j.usual.max()
    )
    enough = per_customer.paid_n >= ctx.config.pay_day_min_payments
    return per_customer.select(
        "customer_id",
        pay_day_usual=ibis.ifelse(enough, per_customer.usual, ibis.null()).cast("int64"),
        pay_day_regularity=ibis.ifelse(
            enough, ratio(per_customer.near_n, per_customer.paid_n), ibis.null()
        ).cast("float64"),
    )


def _promises(ctx: Context) -> ir.Table:
    """Promises to pay and broken promises from the collectors' interactions."""
    if not ctx.has("interactions"):
        return (
            ctx.t("customers")
            .select(
                "customer_id",
                promises_to_pay_12m=ibis.null().cast("int64"),
                promises_broken_share_12m=ibis.null().cast("float64"),
            )
            .filter(ibis.literal(False))
        )
    it = ctx.t("interactions")
    recent = ctx.within(it.date_day, ctx.long)
    promised = count_if(recent & (it.type == "promise_to_pay"))
    broken = count_if(recent & (it.type == "promise_broken"))
    return it.group_by("customer_id").aggregate(
        promises_to_pay_12m=promised,
        # capped before dividing: LEAST skips NULL on every engine, so least(NULL, 1) would
        # read "no promise" as "every promise broken"
        promises_broken_share_12m=ratio(ibis.least(broken, promised), promised),
    )
