"""The monthly portfolio review: a run of the store against the run before it.

:func:`portfolio_review` reads what runs already stored (``runs``, ``run_customers``,
``actions``, the customers' names) and the impact of past actions; nothing is scored again.
It returns one :class:`PortfolioReview`, which :func:`write_review` writes as a page
(:mod:`riskseg.reports.review_html`) and a workbook (:func:`riskseg.exports.to_excel`) that
carry the same tables:

- the summary: customers, open actions and customer equity (the sum of the 12-month CLV,
  gross and net of the cost to serve) against the previous run;
- one work queue per department: the open actions proposed up to the run (this run's and
  earlier ones' not yet done or dismissed), not held out as control, the most
  money at stake first (as ``riskseg actions`` ranks them);
- who moved to a worse or a better cell of the value x risk grid, and the migration matrix;
- customer equity per grid segment, this run against the previous one;
- the impact of past actions, treated against control (:mod:`riskseg.playbook.impact`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from riskseg.errors import InputError
from riskseg.playbook.actions import list_actions
from riskseg.playbook.impact import ImpactReport, measure_impact
from riskseg.playbook.rules import OWNERS
from riskseg.portfolio import MigrationMatrix, customer_names, migration_matrix
from riskseg.runs import latest_run, previous_run
from riskseg.segments.grid import GRID_SEGMENTS
from riskseg.store.store import Store

#: statuses of an action still to be carried out
OPEN_STATUSES: tuple[str, ...] = ("proposed", "accepted")

#: a department queue's columns, in order
QUEUE_COLUMNS: tuple[str, ...] = (
    "action_id",
    "customer_id",
    "customer_name",
    "action",
    "priority",
    "due_date",
    "reason",
    "expected_impact",
    "status",
)

#: how the numbers of a column read: money rounded, a share as a percentage, a score
MONEY = "money"
PERCENT = "percent"
SCORE = "score"
COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "expected_impact",
            "this_run",
            "previous_run",
            "change",
            "customer_equity",
            "net_customer_equity",
            "previous_customer_equity",
            "previous_net_customer_equity",
            "equity_change",
        ),
        MONEY,
    ),
    **dict.fromkeys(("change_pct", "equity_change_pct"), PERCENT),
    **dict.fromkeys(("risk_before", "risk_now", "value_before", "value_now"), SCORE),
}
#: the Excel number format of each kind
EXCEL_FORMATS: dict[str, str] = {MONEY: "#,##0", PERCENT: "0.0%", SCORE: "0.0"}

Row = dict[str, Any]

_SUMMARY_SCHEMA = pa.schema(
    [
        ("measure", pa.string()),
        ("this_run", pa.float64()),
        ("previous_run", pa.float64()),
        ("change", pa.float64()),
        ("change_pct", pa.float64()),
        ("note", pa.string()),
    ]
)
_IMPACT_SCHEMA = pa.schema(
    [
        ("action", pa.string()),
        ("outcome", pa.string()),
        ("unit", pa.string()),
        ("better", pa.string()),
        ("n_treated", pa.int64()),
        ("n_control", pa.int64()),
        ("treated_mean", pa.float64()),
        ("control_mean", pa.float64()),
        ("difference", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("verdict", pa.string()),
    ]
)
_MOVER_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("customer_name", pa.string()),
        ("direction", pa.string()),
        ("from_segment", pa.string()),
        ("to_segment", pa.string()),
        ("risk_before", pa.float64()),
        ("risk_now", pa.float64()),
        ("value_before", pa.float64()),
        ("value_now", pa.float64()),
        ("reasons", pa.string()),
    ]
)
_SEGMENT_EQUITY_SCHEMA = pa.schema(
    [
        ("grid_segment", pa.string()),
        ("label", pa.string()),
        ("customers", pa.int64()),
        ("customer_equity", pa.float64()),
        ("net_customer_equity", pa.float64()),
        ("previous_customers", pa.int64()),
        ("previous_customer_equity", pa.float64()),
        ("previous_net_customer_equity", pa.float64()),
        ("equity_change", pa.float64()),
        ("equity_change_pct", pa.float64()),
    ]
)


@dataclass(frozen=True)
class RunFigures:
    """One run's totals. ``customer_equity`` is the sum of ``clv_12m`` over the run's
    customers and ``net_customer_equity`` that of ``net_clv_12m``; both are ``None`` when the
    run has no CLV (run with ``--no-models``, or too little history to fit it)."""

    run_id: int
    as_of: date
    customers: int
    prospects: int
    #: actions the run proposed that are still proposed or accepted, control left out
    open_actions: int
    customer_equity: float | None
    net_customer_equity: float | None


@dataclass(frozen=True)
class PortfolioReview:
    """The review of ``run`` against ``previous`` (``None``: the first run)."""

    run: RunFigures
    previous: RunFigures | None
    #: department -> its queue (:data:`QUEUE_COLUMNS`), the most money at stake first;
    #: departments without an open action are left out
    queues: dict[str, pa.Table]
    #: customers in a worse, then a better grid cell than in the previous run, biggest move first
    movers: pa.Table
    #: from_segment, then one column per to_segment: how many customers went from each to each
    migration: pa.Table
    #: customer equity per grid segment, this run and the previous one
    segment_equity: pa.Table
    impact: ImpactReport

    def change(self, figure: str) -> tuple[float | None, float | None]:
        """A :class:`RunFigures` field of this run minus the previous run's, and that change
        as a share of the previous value (``None`` where either run lacks it, or for a share
        of 0)."""
        now = getattr(self.run, figure)
        then = None if self.previous is None else getattr(self.previous, figure)
        if now is None or then is None:
            return None, None
        return now - then, (now - then) / then if then else None

    @property
    def equity_change(self) -> float | None:
        """This run's customer equity minus the previous run's."""
        return self.change("customer_equity")[0]

    @property
    def equity_change_pct(self) -> float | None:
        """:attr:`equity_change` as a share of the previous run's customer equity."""
        return self.change("customer_equity")[1]

    @property
    def comparison(self) -> str:
        """``against run 1 of 2025-06-30``, or ``first run``."""
        p = self.previous
        return "first run" if p is None else f"against run {p.run_id} of {p.as_of.isoformat()}"

    def summary(self) -> pa.Table:
        """measure, this_run, previous_run, change, change_pct, note: one row per figure."""

        def figure(measure: str, name: str, note: str | None, *, change: bool = True) -> Row:
            before = None if self.previous is None else getattr(self.previous, name)
            diff, pct = self.change(name) if change else (None, None)
            return {
                "measure": measure,
                "this_run": getattr(self.run, name),
                "previous_run": before,
                "change": diff,
                "change_pct": pct,
                "note": note,
            }

        as_of = f"as of {self.run.as_of.isoformat()}"
        rows = [
            figure("run", "run_id", f"{as_of}; {self.comparison}", change=False),
            figure("customers", "customers", "prospects not counted"),
            figure("prospects", "prospects", None),
            figure(
                "open actions",
                "open_actions",
                "what each run proposed that is still proposed or accepted (control left out)",
                change=False,
            ),
            figure("customer equity", "customer_equity", self._equity_note("clv_12m")),
            figure("net customer equity", "net_customer_equity", self._equity_note("net_clv_12m")),
        ]
        rows += [{"measure": "impact of actions", "note": note} for note in self.impact_notes()]
        return pa.Table.from_pylist(rows, schema=_SUMMARY_SCHEMA)

    def _equity_note(self, column: str) -> str:
        text = f"sum of {column} over the run's customers"
        if self.run.customer_equity is None:
            return f"{text}; this run has no CLV (it was run with --no-models, or CLV could not be fitted)"
        if self.previous is not None and self.previous.customer_equity is None:
            return f"{text}; the previous run has no CLV"
        return text

    def impact_rows(self) -> pa.Table:
        """One row per action code and outcome: the groups, the difference and its interval."""
        rows = [
            {
                "action": r.action,
                "outcome": o.outcome,
                "unit": o.unit,
                "better": o.better,
                "n_treated": o.n_treated,
                "n_control": o.n_control,
                "treated_mean": o.treated_mean,
                "control_mean": o.control_mean,
                "difference": o.difference,
                "ci_low": o.ci_low,
                "ci_high": o.ci_high,
                "verdict": o.verdict,
            }
            for r in self.impact.results
            for o in r.outcomes
        ]
        return pa.Table.from_pylist(rows, schema=_IMPACT_SCHEMA)

    def impact_notes(self) -> list[str]:
        """What the impact rows measure, and what they leave out."""
        i = self.impact
        notes = [
            f"outcomes over the {i.after_days} days after each action, as of "
            f"{i.as_of.isoformat()}: treated (done) against control, {i.confidence:.0%} intervals"
        ]
        if i.pending:
            notes.append(
                "left out, outcome window not yet over: "
                + ", ".join(f"{a} ({n} actions)" for a, n in sorted(i.pending.items()))
            )
        notes += [f"not measured: {o} ({why})" for o, why in i.not_covered.items()]
        return notes

    def sheets(self) -> dict[str, pa.Table]:
        """The review as named tables, in the order of the page and the workbook."""
        return {
            "Summary": self.summary(),
            **self.queues,
            "Segment movers": self.movers,
            "Migration matrix": self.migration,
            "Equity by segment": self.segment_equity,
            "Impact of actions": self.impact_rows(),
        }


def portfolio_review(
    store: Store, *, run_id: int | None = None, after_days: int = 90
) -> PortfolioReview:
    """Gather the review of a run from the store; nothing is scored again.

    Parameters
    ----------
    store
        A store with at least one recorded run (``riskseg run``).
    run_id
        The run to review; default the latest (the latest ``as_of``, then the latest run of
        that day). It is compared with the run before it (:func:`riskseg.runs.previous_run`).
    after_days
        The outcome window of the impact of past actions, measured as of the run's ``as_of``.

    Returns
    -------
    A :class:`PortfolioReview`.

    Raises
    ------
    InputError
        When the store has no run, or no run ``run_id``.

    Examples
    --------
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     portfolio_review(store)
    Traceback (most recent call last):
    ...
    riskseg.errors.InputError: the store has no run yet; riskseg run records one
    """
    if run_id is None:
        latest = latest_run(store)
        if latest is None:
            raise InputError("the store has no run yet; riskseg run records one")
        run_id = int(latest["run_id"])
    now = _figures(store, run_id)
    before_id = previous_run(store, run_id)
    before = None if before_id is None else _figures(store, before_id)
    # every worse mover (a run cannot have more than its customers), with names, as the
    # dashboard shows them (riskseg.runs.segment_migration)
    migration = migration_matrix(store, run_id, movers=now.customers + now.prospects)
    return PortfolioReview(
        run=now,
        previous=before,
        queues=_queues(store, run_id),
        movers=_movers(migration),
        migration=_matrix(migration),
        segment_equity=_segment_equity(store, now, before),
        impact=measure_impact(store, as_of=now.as_of, after_days=after_days),
    )


def write_review(review: PortfolioReview, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``portfolio-review-<as_of>.html`` and ``.xlsx`` into ``out_dir``; their paths."""
    from riskseg.exports import to_excel
    from riskseg.reports.review_html import render_review

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"portfolio-review-{review.run.as_of.isoformat()}"
    page, book = out / f"{stem}.html", out / f"{stem}.xlsx"
    page.write_text(render_review(review), encoding="utf-8")
    formats = {column: EXCEL_FORMATS[kind] for column, kind in COLUMN_KINDS.items()}
    to_excel(review.sheets(), book, formats=formats)
    return page, book


def _figures(store: Store, run_id: int) -> RunFigures:
    rows = store.con.execute(
        """
        SELECT r.as_of,
               count(c.customer_id) FILTER (WHERE c.status IS DISTINCT FROM 'prospect'),
               count(c.customer_id) FILTER (WHERE c.status = 'prospect'),
               sum(c.clv_12m), sum(c.net_clv_12m),
               (SELECT count(*) FROM actions AS a
                WHERE a.run_id <= r.run_id AND NOT a.control AND a.status IN (?, ?))
        FROM runs AS r LEFT JOIN run_customers AS c ON c.run_id = r.run_id
        WHERE r.run_id = ?
        GROUP BY r.run_id, r.as_of
        """,
        [*OPEN_STATUSES, run_id],
    ).fetchall()
    if not rows:
        known = [int(r[0]) for r in store.con.execute("SELECT run_id FROM runs").fetchall()]
        listed = ", ".join(map(str, sorted(known)[-10:]))
        raise InputError(f"no run {run_id} in the store; its latest runs are {listed}")
    as_of, customers, prospects, clv, net, open_actions = rows[0]
    return RunFigures(
        run_id=run_id,
        as_of=as_of,
        customers=int(customers),
        prospects=int(prospects),
        open_actions=int(open_actions),
        customer_equity=None if clv is None else float(clv),
        net_customer_equity=None if net is None else float(net),
    )


def _queues(store: Store, run_id: int) -> dict[str, pa.Table]:
    # the backlog, not only this run's proposals: an action a department has not finished
    # is not proposed again by a later run, so it would drop out of every review otherwise
    actions = list_actions(store)
    actions = actions.filter(
        pc.and_(
            pc.is_in(actions.column("status"), pa.array(OPEN_STATUSES)),
            pc.less_equal(actions.column("run_id"), run_id),
        )
    )
    ids = actions.column("customer_id").to_pylist()
    names = customer_names(store, ids)
    actions = actions.append_column(
        "customer_name", pa.array([names.get(i) for i in ids], pa.string())
    )
    present = set(actions.column("owner").to_pylist())
    owners = [o for o in OWNERS if o in present] + sorted(present - set(OWNERS))
    return {
        owner: actions.filter(pc.equal(actions.column("owner"), owner)).select(QUEUE_COLUMNS)
        for owner in owners
    }


def _movers(migration: MigrationMatrix) -> pa.Table:
    """The worse moves of the migration, then the better ones, each the biggest move first."""
    rows = [{**r, "customer_name": r.get("name"), "direction": "worse"} for r in migration.movers]
    rows += [{**r, "customer_name": r.get("name"), "direction": "better"} for r in migration.better]
    return pa.Table.from_pylist(rows, schema=_MOVER_SCHEMA)


def _matrix(migration: MigrationMatrix) -> pa.Table:
    """from_segment (the previous run's; ``new``: not in it), then a column per segment of
    this run (``gone``: not in it): how many customers went from each to each."""
    columns: dict[str, pa.Array] = {"from_segment": pa.array(migration.rows, pa.string())}
    for t in migration.columns:
        counts = [migration.counts.get((f, t), 0) for f in migration.rows]
        columns[t] = pa.array(counts, pa.int64())
    return pa.table(columns)


def _segment_order(segment: str | None) -> tuple[int, str]:
    """The grid's order (high value first, low risk first; then prospect, unscored), then any
    other segment by name."""
    order = list(GRID_SEGMENTS)
    return (order.index(segment), "") if segment in order else (len(order), segment or "")


def _segment_equity(store: Store, now: RunFigures, before: RunFigures | None) -> pa.Table:
    runs = [now] if before is None else [now, before]
    per: dict[tuple[int, str | None], tuple[int, float, float]] = {
        (int(run), seg): (int(n), float(clv or 0.0), float(net or 0.0))
        for run, seg, n, clv, net in store.con.execute(
            "SELECT run_id, grid_segment, count(*), sum(clv_12m), sum(net_clv_12m) "
            "FROM run_customers WHERE run_id IN (SELECT unnest(?)) GROUP BY ALL",
            [[r.run_id for r in runs]],
        ).fetchall()
    }

    def of(
        run: RunFigures | None, seg: str | None
    ) -> tuple[int | None, float | None, float | None]:
        if run is None:
            return None, None, None
        n, clv, net = per.get((run.run_id, seg), (0, 0.0, 0.0))
        if run.customer_equity is None:  # the run has no CLV at all: unknown, not 0
            return n, None, None
        return n, clv, net

    rows = []
    for seg in sorted({s for _, s in per}, key=_segment_order):
        n, clv, net = of(now, seg)
        pn, pclv, pnet = of(before, seg)
        change = None if clv is None or pclv is None else clv - pclv
        rows.append(
            {
                "grid_segment": seg,
                "label": GRID_SEGMENTS[seg][0] if seg in GRID_SEGMENTS else None,
                "customers": n,
                "customer_equity": clv,
                "net_customer_equity": net,
                "previous_customers": pn,
                "previous_customer_equity": pclv,
                "previous_net_customer_equity": pnet,
                "equity_change": change,
                "equity_change_pct": change / pclv if change is not None and pclv else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=_SEGMENT_EQUITY_SCHEMA)
