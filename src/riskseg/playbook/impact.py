"""Measured impact of actions: what happened to customers who got an action, against its control group.

For each action code, the customers who got the action (``status = 'done'``, not held out) are
compared with the customers held out as its control group (``control = true``, see
:mod:`riskseg.playbook.control`) on what happened in the ``after_days`` after the action:
``(action as_of, action as_of + after_days]``. Only actions whose window has fully passed by
``as_of`` are measured; the rest are counted as pending. Outcomes are read from the contract
tables as they stood at the window's end (nothing dated after it counts), each with one SQL
query over all actions at once.

The control group is what makes this a measurement rather than an anecdote: the customers an
action is proposed for were picked *because* they looked bad, so their "before and after" mixes
the action's effect with regression to the mean; the control customers qualified by the same
rule at the same time and differ only by the draw.

Intervals: Welch's t interval for the difference of two means (Welch 1947; unequal variances)
for the continuous outcomes, and Newcombe's hybrid score interval (Newcombe 1998, method 10,
built from the two Wilson intervals) for the difference of two churn shares. A group of fewer
than :data:`MIN_GROUP` customers gives "not enough customers to say".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from scipy import stats

from riskseg.errors import InputError
from riskseg.store.store import Store

#: Fewer customers than this in either group and no comparison is made.
MIN_GROUP = 5

Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class Outcome:
    """One outcome measured over the window after an action."""

    name: str
    unit: str
    better: Better
    table: str
    meaning: str
    #: CTEs after ``units`` ending in ``per_unit(design, action, grp, customer_id, v)``
    sql: str


# Each outcome's SQL reads only rows dated in the unit's window (u.start_day, u.end_day], or, for the
# state at the window end, rows dated up to u.end_day; that is what makes it point in time.
OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome(
            "days_late",
            "days",
            "lower",
            "invoices",
            "Amount-weighted mean days late (past the due date, 0 when on time) of the invoices "
            "paid in the window; customers who paid none are left out.",
            """
            per_unit AS (
                SELECT u.design, u.action, u.grp, u.customer_id,
                       sum(greatest(date_diff('day', i.due_date, i.paid_date), 0) * i.amount)
                           / sum(i.amount) AS v
                FROM units AS u
                JOIN invoices AS i ON i.customer_id = u.customer_id
                WHERE i.amount > 0 AND i.paid_date > u.start_day AND i.paid_date <= u.end_day
                GROUP BY u.design, u.action, u.grp, u.customer_id
            )""",
        ),
        Outcome(
            "overdue_balance",
            "money",
            "lower",
            "invoices",
            "Amount overdue at the window end: invoices due before it and not paid by it, "
            "payments made by then deducted (0 when nothing is overdue).",
            """
            open_at_end AS (
                SELECT u.design, u.action, u.customer_id, u.end_day, i.invoice_id, i.amount
                FROM units AS u
                JOIN invoices AS i ON i.customer_id = u.customer_id
                WHERE i.amount > 0 AND i.issue_date <= u.end_day AND i.due_date < u.end_day
                  AND (i.paid_date IS NULL OR i.paid_date > u.end_day)
                  AND NOT coalesce(i.written_off, false)
            ),
            paid_by_end AS (
                SELECT o.design, o.action, o.customer_id, o.invoice_id, sum(p.amount) AS paid
                FROM open_at_end AS o
                JOIN payments AS p ON p.invoice_id = o.invoice_id AND p.payment_date <= o.end_day
                GROUP BY o.design, o.action, o.customer_id, o.invoice_id
            ),
            per_unit AS (
                SELECT u.design, u.action, u.grp, u.customer_id,
                       coalesce(sum(greatest(o.amount - coalesce(pb.paid, 0), 0)), 0) AS v
                FROM units AS u
                LEFT JOIN open_at_end AS o
                  ON o.design = u.design AND o.action = u.action AND o.customer_id = u.customer_id
                LEFT JOIN paid_by_end AS pb
                  ON pb.design = o.design AND pb.action = o.action
                 AND pb.customer_id = o.customer_id AND pb.invoice_id = o.invoice_id
                GROUP BY u.design, u.action, u.grp, u.customer_id
            )""",
        ),
        Outcome(
            "churned",
            "share",
            "lower",
            "orders",
            "Share of customers with no purchase in the window, among those who bought in the "
            "365 days up to the action.",
            """
            per_unit AS (
                SELECT u.design, u.action, u.grp, u.customer_id,
                       CASE WHEN count(*) FILTER (WHERE o.order_date > u.start_day) = 0
                            THEN 1.0 ELSE 0.0 END AS v
                FROM units AS u
                JOIN orders AS o ON o.customer_id = u.customer_id
                WHERE o.revenue > 0 AND o.order_date > u.start_day - 365 AND o.order_date <= u.end_day
                GROUP BY u.design, u.action, u.grp, u.customer_id, u.start_day
                HAVING count(*) FILTER (WHERE o.order_date <= u.start_day) > 0
            )""",
        ),
        Outcome(
            "margin",
            "money",
            "higher",
            "orders",
            "Revenue minus cost of the orders in the window (returns included; a line without "
            "cost counts its whole revenue); 0 when nothing was bought.",
            """
            per_unit AS (
                SELECT u.design, u.action, u.grp, u.customer_id,
                       coalesce(sum(o.revenue - coalesce(o.cost, 0)), 0) AS v
                FROM units AS u
                LEFT JOIN orders AS o
                  ON o.customer_id = u.customer_id AND o.order_date > u.start_day AND o.order_date <= u.end_day
                GROUP BY u.design, u.action, u.grp, u.customer_id
            )""",
        ),
    )
}

#: The two definitions of "treated": the primary one, and the sensitivity line.
DESIGNS: dict[str, tuple[str, ...]] = {
    "done": ("done",),
    "accepted_or_done": ("accepted", "done"),
}

METHODS = {"welch": "Welch t interval", "newcombe": "Newcombe hybrid score interval (Wilson)"}


@dataclass(frozen=True)
class OutcomeComparison:
    """Treated against control on one outcome.

    ``difference`` is treated minus control, with its interval ``ci_low .. ci_high``;
    ``effect`` is the same difference signed so that positive means the action helped
    (fewer days late, less overdue, less churn, more margin), with ``effect_ci_*``.
    Means, differences and intervals are ``None`` when either group has fewer than
    :data:`MIN_GROUP` customers.
    """

    outcome: str
    unit: str
    better: Better
    method: str
    n_treated: int
    n_control: int
    treated_mean: float | None
    control_mean: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    effect: float | None
    effect_ci_low: float | None
    effect_ci_high: float | None
    verdict: str

    @property
    def enough(self) -> bool:
        return self.difference is not None


@dataclass(frozen=True)
class ActionImpact:
    """The impact of one action code.

    ``customers`` (distinct customers with a measured action of this code) is
    ``treated + control + other``; ``other`` got the action proposed but neither carried out
    (``done``) nor held out. ``accepted_or_done`` is the treated count of the sensitivity
    line. ``control_carried_out`` counts control customers whose action was marked accepted or
    done anyway; they stay in the control group (intention to treat).
    """

    action: str
    actions: int
    customers: int
    treated: int
    control: int
    other: int
    accepted_or_done: int
    control_carried_out: int
    first_as_of: date
    last_as_of: date
    outcomes: list[OutcomeComparison]
    #: the same comparisons with accepted-but-not-done actions counted as treated; empty
    #: when that changes nothing
    sensitivity: list[OutcomeComparison] = field(default_factory=list)

    def __getitem__(self, outcome: str) -> OutcomeComparison:
        for o in self.outcomes:
            if o.outcome == outcome:
                return o
        raise KeyError(outcome)


@dataclass(frozen=True)
class ImpactReport:
    """The measured impact of every action code; ``format_text()`` is what the CLI prints."""

    as_of: date
    after_days: int
    confidence: float
    results: list[ActionImpact]
    #: action code -> number of actions whose window has not fully passed (left out)
    pending: dict[str, int]
    #: outcome -> why it was not measured
    not_covered: dict[str, str]

    def __getitem__(self, action: str) -> ActionImpact:
        for r in self.results:
            if r.action == action:
                return r
        raise KeyError(action)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat()
        for r in d["results"]:
            r["first_as_of"] = r["first_as_of"].isoformat()
            r["last_as_of"] = r["last_as_of"].isoformat()
        return d

    def format_text(self) -> str:
        """One table per action code, then the verdicts in words."""
        pct = f"{self.confidence:.0%}"
        lines = [
            f"Impact of actions as of {self.as_of}: outcomes over the {self.after_days} days "
            f"after each action, treated (done) against control, {pct} intervals"
        ]
        if not self.results:
            lines += ["", "No action has a fully observed outcome window yet."]
        for r in self.results:
            span = (
                f"{r.first_as_of}"
                if r.first_as_of == r.last_as_of
                else f"{r.first_as_of} .. {r.last_as_of}"
            )
            lines += [
                "",
                f"{r.action}: {r.actions} actions ({span}), {r.customers} customers: "
                f"{r.treated} treated, {r.control} control, {r.other} other",
                f"  {'outcome':<16}{'better':>7}{'treated':>12}{'control':>12}"
                f"{'difference':>12}  {pct + ' CI':<24}{'n':>12}",
            ]
            for o in r.outcomes:
                u = o.unit
                ci = f"{_num(o.ci_low, u, True)} to {_num(o.ci_high, u, True)}" if o.enough else "-"
                lines.append(
                    f"  {o.outcome:<16}{o.better:>7}{_num(o.treated_mean, u):>12}"
                    f"{_num(o.control_mean, u):>12}{_num(o.difference, u, True):>12}  {ci:<24}"
                    f"{f'{o.n_treated} vs {o.n_control}':>12}"
                )
            lines += [f"  - {o.outcome}: {o.verdict}" for o in r.outcomes]
            if r.sensitivity:
                lines.append(
                    f"  counting accepted actions as treated too ({r.accepted_or_done} treated):"
                )
                lines += [f"    - {o.outcome}: {o.verdict}" for o in r.sensitivity]
            if r.control_carried_out:
                lines.append(
                    f"  note: {r.control_carried_out} control customers had the action carried "
                    "out anyway; they are still counted as control"
                )
        if self.pending:
            lines += [
                "",
                "Left out, outcome window not yet over: "
                + ", ".join(f"{a} ({n} actions)" for a, n in sorted(self.pending.items())),
            ]
        if self.not_covered:
            lines += [
                "",
                "Not measured: " + "; ".join(f"{o} ({why})" for o, why in self.not_covered.items()),
            ]
        lines += [
            "",
            f"Intervals: {METHODS['welch']} for means, {METHODS['newcombe']} for churn shares.",
        ]
        return "\n".join(lines)


def measure_impact(
    store: Store,
    *,
    as_of: date,
    after_days: int = 90,
    action: str | None = None,
    confidence: float = 0.95,
) -> ImpactReport:
    """Compare customers who got each action with its control group, after the fact.

    Parameters
    ----------
    store
        The store with the actions (``actions``) and the contract tables.
    as_of
        The last day whose data counts; only actions with ``action as_of + after_days <=
        as_of`` are measured.
    after_days
        Length of the outcome window after each action.
    action
        Measure only this action code (default: every code).
    confidence
        Level of the intervals (0.95: 95 % intervals).

    Returns
    -------
    An :class:`ImpactReport`: per action code the counts, one :class:`OutcomeComparison` per
    outcome (``days_late``, ``overdue_balance``, ``churned``, ``margin``) and a sentence.

    Examples
    --------
    >>> from datetime import date
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     measure_impact(store, as_of=date(2025, 12, 31)).results
    []
    """
    if isinstance(after_days, bool) or not isinstance(after_days, int) or after_days < 1:
        raise InputError(f"after_days must be a whole number of days >= 1, got {after_days!r}")
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")

    params: dict[str, Any] = {"as_of": as_of, "days": after_days}
    where = ""
    if action is not None:
        where = " AND action = $action"
        params["action"] = action
    units = _units_sql(where)

    pending = {
        code: int(n)
        for code, n in store.con.execute(
            f"SELECT action, count(*) FROM actions "
            f"WHERE as_of + CAST($days AS INTEGER) > $as_of{where} GROUP BY action",
            params,
        ).fetchall()
    }
    counts = store.con.execute(
        f"""
        WITH {units},
        per_code AS (
            SELECT action, count(*) AS actions, count(DISTINCT customer_id) AS customers,
                   count(DISTINCT customer_id) FILTER (
                       WHERE control AND status IN ('accepted', 'done')) AS control_carried_out,
                   min(start_day) AS first_as_of, max(start_day) AS last_as_of
            FROM eligible
            GROUP BY action
        ),
        per_group AS (
            SELECT action,
                   count(*) FILTER (WHERE design = 'done' AND grp = 'treated') AS treated,
                   count(*) FILTER (WHERE design = 'done' AND grp = 'control') AS control,
                   count(*) FILTER (WHERE design = 'accepted_or_done' AND grp = 'treated')
                       AS accepted_or_done
            FROM units
            GROUP BY action
        )
        SELECT p.action, p.actions, p.customers, coalesce(g.treated, 0),
               coalesce(g.control, 0), coalesce(g.accepted_or_done, 0),
               p.control_carried_out, p.first_as_of, p.last_as_of
        FROM per_code AS p LEFT JOIN per_group AS g ON g.action = p.action
        ORDER BY p.action
        """,
        params,
    ).fetchall()

    not_covered: dict[str, str] = {}
    stats_rows: dict[tuple[str, str, str, str], tuple[int, float, float | None]] = {}
    for name, outcome in OUTCOMES.items():
        if store.count(outcome.table) == 0:
            not_covered[name] = f"no {outcome.table} imported"
            continue
        rows = store.con.execute(
            f"""
            WITH {units}, {outcome.sql}
            SELECT design, action, grp, count(v), coalesce(sum(v), 0), var_samp(v)
            FROM per_unit WHERE v IS NOT NULL
            GROUP BY design, action, grp
            """,
            params,
        ).fetchall()
        for design, code, grp, n, total, var in rows:
            stats_rows[(name, design, code, grp)] = (
                int(n),
                float(total),
                None if var is None else float(var),
            )

    results = []
    for code, n_actions, customers, treated, control, acc, carried, first, last in counts:

        def compare(design: str, code: str = code) -> list[OutcomeComparison]:
            return [
                _compare(
                    outcome,
                    stats_rows.get((name, design, code, "treated")),
                    stats_rows.get((name, design, code, "control")),
                    confidence,
                )
                for name, outcome in OUTCOMES.items()
                if name not in not_covered
            ]

        results.append(
            ActionImpact(
                action=code,
                actions=int(n_actions),
                customers=int(customers),
                treated=int(treated),
                control=int(control),
                other=int(customers) - int(treated) - int(control),
                accepted_or_done=int(acc),
                control_carried_out=int(carried),
                first_as_of=first,
                last_as_of=last,
                outcomes=compare("done"),
                sensitivity=compare("accepted_or_done") if int(acc) != int(treated) else [],
            )
        )
    return ImpactReport(
        as_of=as_of,
        after_days=after_days,
        confidence=confidence,
        results=results,
        pending=pending,
        not_covered=not_covered,
    )


def _units_sql(where: str) -> str:
    """CTEs ``eligible`` (measured actions) and ``units`` (one row per design, code, customer).

    A customer counts once per action code and design: with its earliest qualifying action
    (held out, or carried out as the design defines it); the window starts at that action.
    """
    designs = "\n                UNION ALL\n".join(
        f"""                SELECT '{design}' AS design, el.*,
                       CASE WHEN el.control THEN 'control' ELSE 'treated' END AS grp
                FROM eligible AS el
                WHERE el.control OR el.status IN ({", ".join(f"'{s}'" for s in statuses)})"""
        for design, statuses in DESIGNS.items()
    )
    return f"""
        eligible AS (
            SELECT action_id, customer_id, action, control, lower(status) AS status,
                   as_of AS start_day, CAST(as_of + CAST($days AS INTEGER) AS DATE) AS end_day
            FROM actions
            WHERE as_of + CAST($days AS INTEGER) <= $as_of{where}
        ),
        candidates AS (
{designs}
        ),
        units AS (
            SELECT design, action, customer_id, grp, start_day, end_day
            FROM (
                SELECT *, row_number() OVER (
                    PARTITION BY design, action, customer_id
                    ORDER BY start_day, control DESC, action_id
                ) AS rank
                FROM candidates
            )
            WHERE rank = 1
        )"""


def _compare(
    outcome: Outcome,
    treated: tuple[int, float, float | None] | None,
    control: tuple[int, float, float | None] | None,
    confidence: float,
) -> OutcomeComparison:
    nt, st, vt = treated or (0, 0.0, None)
    nc, sc, vc = control or (0, 0.0, None)
    method = "newcombe" if outcome.unit == "share" else "welch"
    base: dict[str, Any] = {
        "outcome": outcome.name,
        "unit": outcome.unit,
        "better": outcome.better,
        "method": method,
        "n_treated": nt,
        "n_control": nc,
    }
    if nt < MIN_GROUP or nc < MIN_GROUP:
        return OutcomeComparison(
            **base,
            treated_mean=None,
            control_mean=None,
            difference=None,
            ci_low=None,
            ci_high=None,
            effect=None,
            effect_ci_low=None,
            effect_ci_high=None,
            verdict=f"not enough customers to say (n={nt} vs {nc}; "
            f"at least {MIN_GROUP} in each group are needed)",
        )
    mt, mc = st / nt, sc / nc
    diff = mt - mc
    if method == "newcombe":
        low, high = newcombe_interval(round(st), nt, round(sc), nc, confidence)
    else:
        low, high = welch_interval(mt, vt or 0.0, nt, mc, vc or 0.0, nc, confidence)
    sign = 1.0 if outcome.better == "higher" else -1.0
    effect = sign * diff
    e_low, e_high = sorted((sign * low, sign * high))
    return OutcomeComparison(
        **base,
        treated_mean=mt,
        control_mean=mc,
        difference=diff,
        ci_low=low,
        ci_high=high,
        effect=effect,
        effect_ci_low=e_low,
        effect_ci_high=e_high,
        verdict=_verdict(outcome, effect, e_low, e_high, nt, nc, confidence),
    )


def welch_interval(
    mean_t: float,
    var_t: float,
    n_t: int,
    mean_c: float,
    var_c: float,
    n_c: int,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Welch's t interval for ``mean_t - mean_c`` from the groups' means, sample variances, sizes.

    Welch (1947); the degrees of freedom are Satterthwaite's. Two constant groups give a
    zero-width interval.

    >>> low, high = welch_interval(10.0, 4.0, 20, 12.0, 9.0, 10)
    >>> round(low, 2), round(high, 2)
    (-4.26, 0.26)
    """
    a, b = var_t / n_t, var_c / n_c
    diff = mean_t - mean_c
    se2 = a + b
    if se2 <= 0.0:
        return diff, diff
    df = se2**2 / (a**2 / (n_t - 1) + b**2 / (n_c - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * math.sqrt(se2)
    return diff - half, diff + half


def newcombe_interval(
    k_t: int, n_t: int, k_c: int, n_c: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``k_t/n_t - k_c/n_c`` (Newcombe 1998, method 10).

    Built from each share's Wilson score interval (``scipy.stats.binomtest``); unlike the
    normal (Wald) interval it stays inside [-1, 1] and is not degenerate at 0 % or 100 %.

    >>> low, high = newcombe_interval(2, 20, 8, 20)
    >>> round(low, 3), round(high, 3)
    (-0.525, -0.029)
    """
    p1, p2 = k_t / n_t, k_c / n_c
    ci1 = stats.binomtest(k_t, n_t).proportion_ci(confidence_level=confidence, method="wilson")
    ci2 = stats.binomtest(k_c, n_c).proportion_ci(confidence_level=confidence, method="wilson")
    l1, u1, l2, u2 = float(ci1.low), float(ci1.high), float(ci2.low), float(ci2.high)
    diff = p1 - p2
    return (
        diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


_PHRASES: dict[str, tuple[str, str, str]] = {
    # outcome: (sentence with {x}, word when the action helped, word when it hurt)
    "days_late": ("treated customers paid {x} days {w}", "less late", "more late"),
    "overdue_balance": (
        "treated customers had {x} {w} overdue at the window end",
        "less",
        "more",
    ),
    "churned": ("{x} percentage points {w} treated customers stopped buying", "fewer", "more"),
    "margin": ("treated customers brought {x} {w} margin in the window", "more", "less"),
}


def _verdict(
    outcome: Outcome,
    effect: float,
    low: float,
    high: float,
    n_t: int,
    n_c: int,
    confidence: float,
) -> str:
    """ "treated customers paid 6.2 days less late (95% CI 2.1 to 10.3), n=140 vs 16"."""
    scale = 100.0 if outcome.unit == "share" else 1.0
    sentence, helped, hurt = _PHRASES[outcome.name]
    if effect < 0:  # say "more late" with a positive number, and turn the interval with it
        effect, low, high, word = -effect, -high, -low, hurt
    else:
        word = helped
    digits = 0 if outcome.unit == "money" else 1
    # round first, then add 0.0, so that a tiny negative prints as 0, not -0
    x, lo, hi = (f"{round(v * scale, digits) + 0.0:,.{digits}f}" for v in (effect, low, high))
    text = sentence.format(x=x, w=word) + f" ({confidence:.0%} CI {lo} to {hi}), n={n_t} vs {n_c}"
    if low <= 0.0 <= high:
        text += "; the interval includes 0: no clear effect"
    return text


def _num(v: float | None, unit: str, difference: bool = False) -> str:
    """A table cell: shares in % (differences of shares in percentage points), money rounded."""
    if v is None:
        return "-"
    if unit == "share":
        return f"{round(v * 100, 1) + 0.0:.1f}" + (" pp" if difference else "%")
    return f"{round(v, 1) + 0.0:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"
