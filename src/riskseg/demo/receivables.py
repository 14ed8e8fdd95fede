"""Invoices, partial payments and the collection calls they cause.

Every delivered order is invoiced (domestic invoices include Dutch VAT, intra-EU ones are
reverse-charged), every return gets a credit note. When an invoice is paid follows the
customer's habit: around the due date for most, weeks late for chronic late payers, on one
fixed day of the month for fixed-date payers whatever the due date, later and later for
customers whose credit deteriorates, and never for part of the debt of those who go under.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from riskseg.demo.arrays import (
    NO_DATE,
    Bools,
    Days,
    Floats,
    Rows,
    add_business_days,
    date_order,
    dates,
    group_sum,
    ids,
    money,
    nearest_weekday,
    next_day_of_month,
    owners,
    rank_in_group,
    table,
)
from riskseg.demo.behaviours import param
from riskseg.demo.customers import Population
from riskseg.demo.interactions import Events
from riskseg.demo.sales import Billing
from riskseg.demo.vocab import DEPARTMENTS

#: Days after booking a bad debt once a write-off is decided.
WRITE_OFF_AFTER = 180


@dataclass(frozen=True)
class Receivables:
    """The invoices and payments tables, and the interactions they caused."""

    invoices: pa.Table
    payments: pa.Table
    events: Events


@dataclass(frozen=True)
class _Ledger:
    """Invoice rows before numbering."""

    owner: Rows
    issue: Days
    due: Days
    amount: Floats
    paid: Days
    disputed: Bools
    written_off: Bools


def _settlement(
    rng: np.random.Generator, pop: Population, owner: Rows, issue: Days, due: Days
) -> tuple[Days, Bools, Bools]:
    """When each (positive) invoice would be settled, whether disputed, whether never paid."""
    m = len(owner)
    b = pop.behaviour[owner]
    progress = (issue - pop.start) / max(pop.end - pop.start, 1)
    late = pop.late_mean[owner] + pop.late_trend[owner] * progress
    del progress
    late += rng.standard_normal(m, dtype=np.float32) * param("late_sd")[b]
    # Even good payers slip now and then (holidays, a lost invoice, a missing PO number).
    slip = np.flatnonzero(rng.random(m, dtype=np.float32) < 0.06)
    late[slip] += rng.uniform(5, 30, len(slip))
    disputed = rng.random(m, dtype=np.float32) < param("dispute")[b]
    late[disputed] += rng.uniform(25, 90, int(disputed.sum()))
    # Lateness counts calendar days; payments land on working days, so convert.
    settle = np.maximum(add_business_days(due, np.round(late * (5 / 7))), issue)
    del late
    # A few small invoices are paid up front from a pro-forma, before the invoice exists.
    prepaid = np.flatnonzero(rng.random(m, dtype=np.float32) < 0.002)
    settle[prepaid] = issue[prepaid] - rng.integers(1, 8, len(prepaid))
    # Fixed-date payers run one payment batch a month: the first run from about a week
    # before the due date, whatever that date is.
    fixed = np.flatnonzero(pop.pay_day[owner] > 0)
    settle[fixed] = next_day_of_month(due[fixed] - 7, pop.pay_day[owner[fixed]])
    never = rng.random(m, dtype=np.float32) < param("write_off")[b]
    never |= disputed & (rng.random(m, dtype=np.float32) < 0.1)
    insolvent_on = pop.insolvent_on[owner]
    never |= (insolvent_on != NO_DATE) & (settle > insolvent_on)
    never[fixed] = False
    return settle, disputed, never


def _ledger(rng: np.random.Generator, pop: Population, billing: Billing) -> tuple[_Ledger, Days]:
    """Invoice rows for the orders, plus credit notes; also the would-be settlement dates."""
    n = len(billing.owner)
    # Goods ship and are invoiced the same day or a few working days later; credit notes
    # for returns are booked the day the goods come back.
    delay = np.where(rng.random(n, dtype=np.float32) < 0.5, 0, 1 + rng.poisson(2, n))
    issue = add_business_days(billing.date, np.where(billing.returned, 0, delay))
    del delay
    invoiced = issue <= pop.end
    owner, issue = billing.owner[invoiced], issue[invoiced]
    net, credit = billing.net[invoiced], billing.returned[invoiced]
    amount = money(net * (1.0 + pop.vat[owner]))
    due = np.where(credit, issue, issue + pop.terms[owner]).astype(np.int32)
    settle, disputed, never = _settlement(rng, pop, owner, issue, due)
    # Credit notes are offset against open items the day they are issued.
    settle[credit] = issue[credit]
    disputed &= ~credit
    never &= ~credit

    # Some disputes end in a price correction: a credit note weeks after the invoice.
    corrected = np.flatnonzero(disputed & (rng.random(len(owner)) < 0.3))
    cn_issue = add_business_days(issue[corrected], rng.integers(10, 41, len(corrected)))
    corrected, cn_issue = corrected[cn_issue <= pop.end], cn_issue[cn_issue <= pop.end]
    cn_amount = -money(amount[corrected] * rng.uniform(0.05, 0.3, len(corrected)))

    booked = np.where(
        pop.insolvent_on[owner] != NO_DATE, pop.insolvent_on[owner], due + WRITE_OFF_AFTER
    )
    written_off = never & (booked <= pop.end)
    paid = np.where(never | (settle > pop.end), NO_DATE, settle).astype(np.int32)
    settle = np.where(never, NO_DATE, settle).astype(np.int32)
    none = np.zeros(len(corrected), np.bool_)
    ledger = _Ledger(
        owner=np.concatenate([owner, owner[corrected]]),
        issue=np.concatenate([issue, cn_issue]),
        due=np.concatenate([due, cn_issue]),
        amount=np.concatenate([amount, cn_amount]),
        paid=np.concatenate([paid, cn_issue]),
        disputed=np.concatenate([disputed, none]),
        written_off=np.concatenate([written_off, none]),
    )
    would_settle = np.concatenate([settle, cn_issue])
    return ledger, would_settle


def receivables(rng: np.random.Generator, pop: Population, billing: Billing) -> Receivables:
    """The ``invoices`` and ``payments`` tables and the collection and dispute interactions."""
    led, would_settle = _ledger(rng, pop, billing)
    order = date_order(led.issue)
    number = np.empty_like(order)
    number[order] = np.arange(1, len(order) + 1)
    invoice_ids = ids("INV", len(order), 8)
    invoices = table(
        "invoices",
        {
            "invoice_id": invoice_ids,
            "customer_id": pop.ids.take(pa.array(led.owner[order])),
            "issue_date": dates(led.issue[order]),
            "due_date": dates(led.due[order]),
            "amount": led.amount[order],
            "currency": pa.repeat("EUR", len(order)),
            "paid_date": dates(led.paid[order]),
            "disputed": led.disputed[order],
            "written_off": led.written_off[order],
        },
    )
    payments = _payments(rng, pop, led, would_settle, invoice_ids, number)
    events = Events.concat(
        [_collections(rng, pop, led, would_settle), _dispute_calls(rng, pop, led)]
    )
    return Receivables(invoices, payments, events)


def _payments(
    rng: np.random.Generator,
    pop: Population,
    led: _Ledger,
    would_settle: Days,
    invoice_ids: pa.Array,
    number: Rows,
) -> pa.Table:
    """Instalments of invoices settled in two or three parts (and of those never finished)."""
    b = pop.behaviour[led.owner]
    share = np.where(led.disputed, 0.5, param("instalments")[b])
    chosen = (led.amount > 0) & (rng.random(len(b)) < share)
    chosen &= (would_settle == NO_DATE) | (would_settle > led.issue + 1)
    inv = np.flatnonzero(chosen)
    parts = 2 + (rng.random(len(inv)) < 0.35)
    row_inv = inv[owners(parts)]
    rank = rank_in_group(parts)
    last = rank == np.repeat(parts, parts) - 1

    # Unpaid invoices still get their first instalments: the would-be settlement date of a
    # write-off is the date the debt would have cleared, of which only the early parts came.
    unpaid = would_settle[row_inv] == NO_DATE
    end_date = np.where(unpaid, led.due[row_inv] + 60, would_settle[row_inv])
    first = np.maximum(led.issue[row_inv], np.minimum(led.due[row_inv], end_date) - 10)
    step = (end_date - first) / np.repeat(parts, parts)
    when = nearest_weekday((first + step * (rank + rng.random(len(rank)))).astype(np.int32))
    when = np.where(last, end_date, np.minimum(when, end_date)).astype(np.int32)

    weight = rng.uniform(0.5, 1.5, len(rank))
    weight /= np.repeat(group_sum(weight, parts), parts)
    amount = money(led.amount[row_inv] * weight)
    # The last part settles the exact remainder, so the parts add up to the invoice.
    paid_before = np.repeat(group_sum(np.where(last, 0.0, amount), parts), parts)
    amount = np.where(last, money(led.amount[row_inv] - paid_before), amount)

    insolvent_on = pop.insolvent_on[led.owner[row_inv]]
    cutoff = np.where(insolvent_on != NO_DATE, insolvent_on, pop.end)
    kept = (when <= pop.end) & (when <= cutoff) & ~(unpaid & last)
    row_inv, when, amount = row_inv[kept], when[kept], amount[kept]
    order = date_order(when)
    m = len(order)
    return table(
        "payments",
        {
            "payment_id": ids("PAY", m, 8),
            "invoice_id": invoice_ids.take(pa.array(number[row_inv[order]] - 1)),
            "customer_id": pop.ids.take(pa.array(led.owner[row_inv[order]])),
            "payment_date": dates(when[order]),
            "amount": amount[order],
        },
    )


def _collections(
    rng: np.random.Generator, pop: Population, led: _Ledger, would_settle: Days
) -> Events:
    """Collector calls on overdue invoices: a promise to pay, and the promise broken."""
    settle = np.where(would_settle == NO_DATE, np.iinfo(np.int32).max, would_settle)
    call = add_business_days(led.due, rng.integers(5, 16, len(led.due)))
    # Nobody chases a debtor after its insolvency filing: the claim goes to the trustee.
    insolvent_on = pop.insolvent_on[led.owner]
    stop = np.where(insolvent_on != NO_DATE, insolvent_on, pop.end)
    called = (
        (led.amount > 0)
        & (call <= stop)
        & (call < settle)
        & (settle - led.due > 14)
        & (rng.random(len(call)) < 0.7)
    )
    idx = np.flatnonzero(called)
    promised = add_business_days(call[idx], rng.integers(2, 8, len(idx)))
    broken_on = add_business_days(promised, rng.integers(1, 4, len(idx)))
    broken = (settle[idx] > promised + 2) & (broken_on <= pop.end) & (broken_on < settle[idx])
    finance = DEPARTMENTS.index("finance")
    return Events.concat(
        [
            Events.of(led.owner[idx], call[idx], "promise_to_pay", finance),
            Events.of(led.owner[idx[broken]], broken_on[broken], "promise_broken", finance),
        ]
    )


def _dispute_calls(rng: np.random.Generator, pop: Population, led: _Ledger) -> Events:
    """The complaint a customer files with finance when disputing an invoice."""
    idx = np.flatnonzero(led.disputed)
    when = add_business_days(led.issue[idx], rng.integers(3, 19, len(idx)))
    ok = when <= pop.end
    return Events.of(led.owner[idx[ok]], when[ok], "complaint", DEPARTMENTS.index("finance"))
