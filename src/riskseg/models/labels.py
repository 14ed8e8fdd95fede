"""Point-in-time training labels: did a customer churn, or pay late, after a cut-off?

A label at cut-off ``c`` looks only at what happened in its window after ``c`` (nothing later
is read) and only exists once that window is over. :class:`LabelSpec` says how long the window
is (:attr:`LabelSpec.span_days`), so that a model fitted or backtested ``as_of`` a date uses
only the cut-offs whose labels were fully observed by then.

**Churn** at ``c`` with horizon ``h`` (default 180 days). Eligible: customers that are not
prospects and bought (an order line, or an invoice when the store has no orders, with a
positive amount) in the 365 days ``(c - 365, c]``. Churned when

* they placed no order in ``(c, c + h]``, or
* their net revenue in ``(c, c + h]`` fell below ``(1 - revenue_drop)`` times their net revenue
  in the ``h`` days ``(c - h, c]`` (default ``revenue_drop=0.5``; ``None`` switches it off).

``customers.status == 'closed'`` is *not* a churn event of its own. The status carries no date:
it is the state at the export, which for every cut-off but the very last lies after the label
window. Counting "closed" as churn would label customers that were still buying throughout
``(c, c + h]`` as churned in that window (they closed later), which is reading the future. A
closed customer is therefore churned exactly when its orders say so (no order in the horizon,
or the revenue drop); the reason then reads ``closed`` instead of ``no_order`` so that the
contractual ending is visible. Closed customers are not dropped from the eligible set either:
leaving them out would remove the churners from the past and make churn look rarer than it is.

**Late payment** at ``c``. Eligible: customers (not prospects, ``customer_since`` empty or
by ``c``) with invoices (positive amount) issued in ``(c, c + 90]``; an account won after the
cut-off had no signals to score at ``c``. Each such invoice is late when it was paid more than ``late_days`` (30) after
its due date, or is still unpaid then. Label 1 when the *amount-weighted* share of late
invoices exceeds ``min_late_share`` (0.5: most of the money came late). Amount-weighted
majority rather than "any invoice": with "any", a customer that gets 30 invoices a quarter is
almost surely positive through one disputed invoice, so the label would mostly measure invoice
volume, while a credit manager's question is whether the money comes late. ``min_late_share=0``
gives the "any invoice" rule.

The window ends at ``c + 90 + terms_days + late_days`` (terms_days = 60, the longest usual
payment terms): by then every eligible invoice has been due for ``late_days``, so its label is
settled. Invoices due later than ``c + 90 + terms_days`` (unusually long terms) are left out,
not guessed. An invoice paid after the window end was unpaid at the end: the rule only needs to
know that it was not paid by ``due + late_days``, which lies inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pyarrow as pa

from riskseg.errors import InputError
from riskseg.store.store import Store

Target = Literal["churn", "late_payment"]
TARGETS: tuple[str, ...] = ("churn", "late_payment")

#: what "label 1" means, for messages and reports
EVENT_NAMES: dict[str, str] = {"churn": "churn", "late_payment": "late-payment"}


@dataclass(frozen=True)
class LabelSpec:
    """How one target's labels are drawn; every length is in days.

    Parameters
    ----------
    target
        ``"churn"`` or ``"late_payment"``.
    horizon_days
        Churn: the horizon ``h`` after the cut-off. Late payment: the window in which invoices
        are issued (90 by default). ``None`` takes the target's default (180 / 90).
    revenue_drop
        Churn only: a revenue fall by more than this share counts as churn; ``None``: only
        "no order" counts.
    lookback_days
        Churn only: customers that bought in this many days up to the cut-off are eligible.
    late_days
        Late payment only: days after the due date that make an invoice late.
    terms_days
        Late payment only: longest payment terms waited for (see the module docstring).
    min_late_share
        Late payment only: label 1 when the amount-weighted late share exceeds this.

    Examples
    --------
    >>> from datetime import date
    >>> spec = LabelSpec("late_payment")
    >>> spec.span_days, spec.latest_cutoff(date(2025, 12, 31))
    (180, datetime.date(2025, 7, 4))
    """

    target: str
    horizon_days: int | None = None
    revenue_drop: float | None = 0.5
    lookback_days: int = 365
    late_days: int = 30
    terms_days: int = 60
    min_late_share: float = 0.5

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise InputError(f"target must be one of {', '.join(TARGETS)}, not {self.target!r}")
        for name in ("lookback_days", "late_days", "terms_days"):
            if getattr(self, name) < 0:
                raise InputError(f"{name} must be 0 or more, got {getattr(self, name)}")
        if self.horizon_days is not None and self.horizon_days < 1:
            raise InputError(f"horizon_days must be at least 1, got {self.horizon_days}")
        if self.revenue_drop is not None and not 0 < self.revenue_drop <= 1:
            raise InputError(f"revenue_drop must be in (0, 1] or None, got {self.revenue_drop!r}")
        if not 0 <= self.min_late_share < 1:
            raise InputError(f"min_late_share must be in [0, 1), got {self.min_late_share!r}")

    @property
    def horizon(self) -> int:
        """The horizon (churn) or issue window (late payment) actually used."""
        if self.horizon_days is not None:
            return self.horizon_days
        return 180 if self.target == "churn" else 90

    @property
    def span_days(self) -> int:
        """Days after a cut-off until its label is settled."""
        if self.target == "churn":
            return self.horizon
        return self.horizon + self.terms_days + self.late_days

    def latest_cutoff(self, as_of: date) -> date:
        """The latest cut-off whose label window is fully observed at ``as_of``."""
        return as_of - timedelta(days=self.span_days)

    def labels(self, store: Store, *, cutoff: date, as_of: date | None = None) -> pa.Table:
        """The labels at ``cutoff``; ``as_of`` (default: the window end) must cover the window.

        Returns a table with ``customer_id``, ``label`` (0/1) and ``reason`` (churn:
        ``no_order`` / ``revenue_drop`` / ``closed``; late payment: the late share), sorted by
        customer.
        """
        end = cutoff + timedelta(days=self.span_days)
        if as_of is not None and as_of < end:
            raise InputError(
                f"{self.target} labels at {cutoff} need data up to {end} "
                f"({self.span_days} days after the cut-off); as_of is {as_of}"
            )
        if self.target == "churn":
            return churn_labels(
                store,
                cutoff=cutoff,
                horizon_days=self.horizon,
                revenue_drop=self.revenue_drop,
                lookback_days=self.lookback_days,
            )
        return late_payment_labels(
            store,
            cutoff=cutoff,
            window_days=self.horizon,
            late_days=self.late_days,
            terms_days=self.terms_days,
            min_late_share=self.min_late_share,
        )


def _activity(store: Store) -> tuple[str, str, str]:
    """Table, date column and amount column that record purchases: orders, else invoices."""
    row = store.con.execute("SELECT count(*) FROM orders").fetchone()
    if row is not None and row[0] > 0:
        return "orders", "order_date", "revenue"
    return "invoices", "issue_date", "amount"


def churn_labels(
    store: Store,
    *,
    cutoff: date,
    horizon_days: int = 180,
    revenue_drop: float | None = 0.5,
    lookback_days: int = 365,
) -> pa.Table:
    """Churn labels at ``cutoff``: one row per eligible customer (see the module docstring).

    Examples
    --------
    >>> from datetime import date
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     churn_labels(store, cutoff=date(2025, 1, 1)).num_rows
    0
    """
    table, day, amount = _activity(store)
    end = cutoff + timedelta(days=horizon_days)
    start = cutoff - timedelta(days=max(lookback_days, horizon_days))
    before = cutoff - timedelta(days=horizon_days)
    eligible_from = cutoff - timedelta(days=lookback_days)
    # only rows in (start, c + h] are read: nothing after the label window
    rows = store.con.execute(
        f"""
        WITH activity AS (
            SELECT customer_id, {day} AS d, {amount} AS amount FROM {table}
            WHERE {day} > $start AND {day} <= $end AND {amount} IS NOT NULL
        ),
        eligible AS (
            SELECT DISTINCT a.customer_id
            FROM activity AS a JOIN customers AS cu ON cu.customer_id = a.customer_id
            WHERE a.d > $eligible_from AND a.d <= $cutoff AND a.amount > 0
              AND lower(coalesce(cu.status, '')) <> 'prospect'
        )
        SELECT e.customer_id,
               count(a.d) FILTER (WHERE a.d > $cutoff AND a.amount > 0) AS bought_after,
               coalesce(sum(a.amount) FILTER (WHERE a.d > $cutoff), 0) AS revenue_after,
               coalesce(sum(a.amount) FILTER (WHERE a.d > $before AND a.d <= $cutoff), 0)
                   AS revenue_before,
               any_value(lower(coalesce(cu.status, '')) = 'closed') AS closed
        FROM eligible AS e
        JOIN customers AS cu ON cu.customer_id = e.customer_id
        LEFT JOIN activity AS a ON a.customer_id = e.customer_id
        GROUP BY e.customer_id
        ORDER BY e.customer_id
        """,
        {
            "start": start,
            "end": end,
            "cutoff": cutoff,
            "before": before,
            "eligible_from": eligible_from,
        },
    ).fetchall()
    ids, labels, reasons = [], [], []
    for customer_id, bought_after, revenue_after, revenue_before, closed in rows:
        reason = ""
        if bought_after == 0:
            reason = "closed" if closed else "no_order"
        elif (
            revenue_drop is not None
            and revenue_before > 0
            and revenue_after < (1 - revenue_drop) * revenue_before
        ):
            reason = "revenue_drop"
        ids.append(customer_id)
        labels.append(1 if reason else 0)
        reasons.append(reason)
    return _table(ids, labels, reasons)


def late_payment_labels(
    store: Store,
    *,
    cutoff: date,
    window_days: int = 90,
    late_days: int = 30,
    terms_days: int = 60,
    min_late_share: float = 0.5,
) -> pa.Table:
    """Late-payment labels at ``cutoff``: one row per customer invoiced in the window.

    ``reason`` holds the amount-weighted late share, rounded to 2 decimals, as text.

    Examples
    --------
    >>> from datetime import date
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     late_payment_labels(store, cutoff=date(2025, 1, 1)).num_rows
    0
    """
    issued_to = cutoff + timedelta(days=window_days)
    end = issued_to + timedelta(days=terms_days + late_days)
    rows = store.con.execute(
        """
        SELECT i.customer_id,
               sum(i.amount) AS amount,
               -- paid after due + late_days (<= end) or not paid by the window end: both are
               -- settled by due + late_days, so nothing after the window changes the label
               coalesce(sum(i.amount) FILTER (
                   WHERE i.paid_date IS NULL OR i.paid_date > $end
                      OR i.paid_date > i.due_date + to_days(CAST($late AS INTEGER))
               ), 0) AS late_amount
        FROM invoices AS i JOIN customers AS cu ON cu.customer_id = i.customer_id
        WHERE i.issue_date > $cutoff AND i.issue_date <= $issued_to AND i.amount > 0
          AND i.due_date + to_days(CAST($late AS INTEGER)) <= $end
          AND lower(coalesce(cu.status, '')) <> 'prospect'
          AND (cu.customer_since IS NULL OR cu.customer_since <= $cutoff)
        GROUP BY i.customer_id
        ORDER BY i.customer_id
        """,
        {"cutoff": cutoff, "issued_to": issued_to, "end": end, "late": late_days},
    ).fetchall()
    ids, labels, reasons = [], [], []
    for customer_id, amount, late_amount in rows:
        share = float(late_amount) / float(amount)
        ids.append(customer_id)
        labels.append(1 if share > min_late_share else 0)
        reasons.append(f"{share:.2f}")
    return _table(ids, labels, reasons)


def _table(ids: list[str], labels: list[int], reasons: list[str]) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.string()),
            "label": pa.array(labels, pa.int64()),
            "reason": pa.array(reasons, pa.string()),
        }
    )
