"""The portfolio of one run: the value x risk matrix, the risk distribution, where the high
risk sits, and how customers moved since the run before.

Money is summed from ``orders.revenue`` over the 365 days up to the run's ``as_of``, the
window of the ``revenue_12m`` signal (:mod:`riskseg.signals.value`), so nothing after the
run's day counts. A customer is high risk when the run put it in a ``*_high_risk`` cell of
the grid: the run's grid settings decide, not a threshold repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from riskseg.errors import InputError
from riskseg.runs import badness, latest_run, previous_run, segment_migration
from riskseg.segments.grid import CELLS, GRID_SEGMENTS, RISK_BANDS, VALUE_BANDS, cell_name
from riskseg.store.store import Store

#: the 12-month window of revenue (days up to and including as_of), as ``revenue_12m``
REVENUE_DAYS = 365
#: width of a bar of the risk score distribution (scores are 0-100)
RISK_BIN = 10
#: what the high-risk share is broken down by -> where it comes from
BREAKDOWNS: dict[str, str] = {
    "region": "customers.region",
    "industry": "customers.industry",
    "product": "orders.product, bought in the 12 months up to the run's as_of",
}


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """The result of a query as dicts (:meth:`riskseg.Store.rows`)."""
    return store.rows(sql, params)


@dataclass(frozen=True)
class RunInfo:
    """One run: when, on what, and the run before it (``None`` for the first)."""

    run_id: int
    as_of: date
    started_at: datetime
    finished_at: datetime
    customers: int
    actions: int
    config_version: str
    previous_run: int | None


def run_info(store: Store, run_id: int) -> RunInfo:
    """The run ``run_id``; an unknown id is an :class:`~riskseg.errors.InputError`.

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     run_info(store, 1)
    Traceback (most recent call last):
    ...
    riskseg.errors.InputError: no run 1 (riskseg run makes one)
    """
    found = store.con.execute(
        "SELECT run_id, as_of, started_at, finished_at, customers, actions, config_version "
        "FROM runs WHERE run_id = ?",
        [run_id],
    ).fetchall()
    if not found:
        raise InputError(f"no run {run_id} (riskseg run makes one)")
    r = found[0]
    return RunInfo(
        int(r[0]), r[1], r[2], r[3], int(r[4]), int(r[5]), str(r[6]), previous_run(store, run_id)
    )


def run_history(store: Store, *, limit: int = 100) -> list[dict[str, Any]]:
    """Every run, the latest ``as_of`` first: when, on what, how many customers and actions.

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     run_history(store)
    []
    """
    return rows(
        store,
        "SELECT run_id, as_of, started_at, finished_at, customers, actions, config_version, "
        "fingerprint FROM runs ORDER BY as_of DESC, run_id DESC LIMIT ?",
        [limit],
    )


def latest(store: Store) -> RunInfo | None:
    """The run the dashboard shows (:func:`riskseg.runs.latest_run`); ``None`` before any.

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     latest(store) is None
    True
    """
    run = latest_run(store)
    return None if run is None else run_info(store, int(run["run_id"]))


@dataclass(frozen=True)
class GridCell:
    """One cell of the value x risk grid, or a segment outside it (prospect, unscored)."""

    segment: str
    label: str
    strategy: str
    value_band: str | None
    risk_band: str | None
    customers: int
    revenue_12m: float


@dataclass(frozen=True)
class Share:
    """High-risk customers among the grid customers of one region, industry or product."""

    value: str
    customers: int
    high_risk: int

    @property
    def share(self) -> float:
        return self.high_risk / self.customers if self.customers else 0.0


@dataclass(frozen=True)
class PortfolioSummary:
    """The portfolio of one run, as the dashboard's first page shows it."""

    run: RunInfo
    #: 9 cells, high value first, low risk first within a value band
    grid: list[GridCell]
    #: prospects and unscored customers
    outside: list[GridCell]
    #: (lower edge, customers): customers' (not prospects') risk scores in bins of RISK_BIN
    risk_bins: list[tuple[int, int]]
    #: region / industry / product -> shares, the most customers first (at most ``top``)
    high_risk_by: dict[str, list[Share]]
    #: how many regions, industries and products there are in all
    breakdown_sizes: dict[str, int]
    #: customers (prospects not counted) and prospects of the run
    customers: int
    prospects: int
    high_risk: int
    #: the run's actions still to do (proposed or accepted; control groups left out)
    open_actions: int
    #: customers that moved to a worse grid cell since the previous run
    movers: int
    revenue_12m: float

    def cell(self, value_band: str, risk_band: str) -> GridCell:
        """The grid cell of a value band (low, mid, high) and a risk band (low, medium, high)."""
        name = cell_name(value_band, risk_band)
        return next(c for c in self.grid if c.segment == name)


def portfolio_summary(store: Store, run_id: int, *, top: int = 12) -> PortfolioSummary:
    """The value x risk matrix with counts and revenue, the risk distribution and the share
    of high-risk customers by region, industry and product, for one run.

    Parameters
    ----------
    store
        The store with the run.
    run_id
        The run to read (``latest(store).run_id`` for the dashboard's).
    top
        At most this many regions, industries and products (the most customers first).

    Examples
    --------
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     _ = store.con.execute("INSERT INTO runs VALUES (1, DATE '2025-12-31', "
    ...         "TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01', 'v', 'f', 2, 0, '0.1')")
    ...     _ = store.con.execute("INSERT INTO run_customers (run_id, customer_id, risk_score, "
    ...         "grid_segment) VALUES (1, 'C1', 72, 'high_value_high_risk'), "
    ...         "(1, 'C2', 10, 'low_value_low_risk')")
    ...     s = portfolio_summary(store, 1)
    ...     s.cell("high", "high").customers, s.high_risk, s.risk_bins[7]
    (1, 1, (70, 1))
    """
    run = run_info(store, run_id)
    revenue = f"""
        WITH rev AS (
            SELECT customer_id, sum(revenue) AS revenue_12m FROM orders
            WHERE order_date > ?::DATE - {REVENUE_DAYS} AND order_date <= ?::DATE
            GROUP BY customer_id
        )"""
    cells = {
        str(seg): (int(n), float(rev or 0.0))
        for seg, n, rev in store.con.execute(
            f"{revenue} SELECT coalesce(rc.grid_segment, 'unscored'), count(*), "
            "sum(rev.revenue_12m) FROM run_customers rc LEFT JOIN rev USING (customer_id) "
            "WHERE rc.run_id = ? GROUP BY ALL",
            [run.as_of, run.as_of, run_id],
        ).fetchall()
    }
    grid = []
    for value in reversed(VALUE_BANDS):
        for risk in RISK_BANDS:
            name = cell_name(value, risk)
            n, rev = cells.pop(name, (0, 0.0))
            grid.append(GridCell(name, *CELLS[(value, risk)], value, risk, n, rev))
    outside = [
        GridCell(name, *GRID_SEGMENTS.get(name, (name.replace("_", " "), "")), None, None, n, r)
        for name, (n, r) in sorted(cells.items())
    ]
    scores = store.con.execute(
        f"SELECT least(floor(risk_score / {RISK_BIN}), {100 // RISK_BIN - 1})::INTEGER, count(*) "
        "FROM run_customers WHERE run_id = ? AND risk_score IS NOT NULL "
        "AND coalesce(status, 'active') <> 'prospect' GROUP BY ALL",
        [run_id],
    ).fetchall()
    by_bin = {int(b): int(n) for b, n in scores}
    high_risk_by, sizes = _breakdowns(store, run, top)
    open_actions = store.con.execute(
        "SELECT count(*) FROM actions WHERE run_id = ? AND NOT control "
        "AND status IN ('proposed', 'accepted')",
        [run_id],
    ).fetchall()[0][0]
    prospects = sum(c.customers for c in outside if c.segment == "prospect")
    everyone = sum(c.customers for c in grid) + sum(c.customers for c in outside)
    return PortfolioSummary(
        run=run,
        grid=grid,
        outside=outside,
        risk_bins=[(b * RISK_BIN, by_bin.get(b, 0)) for b in range(100 // RISK_BIN)],
        high_risk_by=high_risk_by,
        breakdown_sizes=sizes,
        customers=everyone - prospects,
        prospects=prospects,
        high_risk=sum(c.customers for c in grid if c.risk_band == "high"),
        open_actions=int(open_actions),
        movers=segment_migration(store, run_id).movers.num_rows,
        revenue_12m=sum(c.revenue_12m for c in grid) + sum(c.revenue_12m for c in outside),
    )


def _breakdowns(
    store: Store, run: RunInfo, top: int
) -> tuple[dict[str, list[Share]], dict[str, int]]:
    """High-risk shares among the run's grid customers by region, industry and product."""
    # only customers placed in the grid count: prospects and unscored ones have no risk band
    scored = (
        "SELECT customer_id, grid_segment LIKE '%\\_high\\_risk' ESCAPE '\\' AS high "
        "FROM run_customers WHERE run_id = ? AND grid_segment LIKE '%\\_value\\_%' ESCAPE '\\'"
    )
    values = {
        "region": ("SELECT customer_id, region AS v FROM customers", []),
        "industry": ("SELECT customer_id, industry AS v FROM customers", []),
        "product": (
            "SELECT DISTINCT customer_id, product AS v FROM orders "
            f"WHERE order_date > ?::DATE - {REVENUE_DAYS} AND order_date <= ?::DATE",
            [run.as_of, run.as_of],
        ),
    }
    out: dict[str, list[Share]] = {}
    sizes: dict[str, int] = {}
    for name, (v_sql, v_params) in values.items():
        found = store.con.execute(
            f"WITH s AS ({scored}), v AS ({v_sql}) "
            "SELECT v.v, count(*), count(*) FILTER (WHERE s.high) FROM s JOIN v USING "
            "(customer_id) WHERE v.v IS NOT NULL AND v.v <> '' GROUP BY v.v "
            "ORDER BY count(*) DESC, v.v",
            [run.run_id, *v_params],
        ).fetchall()
        sizes[name] = len(found)
        out[name] = [Share(str(v), int(n), int(h)) for v, n, h in found[:top]]
    return out, sizes


def worse(from_segment: str | None, to_segment: str | None) -> bool:
    """Whether a move between two grid cells is for the worse (:func:`riskseg.runs.badness`).

    >>> worse("high_value_low_risk", "high_value_high_risk"), worse("prospect", "new")
    (True, False)
    """
    a, b = badness(from_segment), badness(to_segment)
    return a is not None and b is not None and b > a


@dataclass(frozen=True)
class MigrationMatrix:
    """How the run's customers moved between grid cells since the previous run."""

    run: RunInfo
    previous_as_of: date | None
    #: segments of the previous run (then ``new``) and of this run (then ``gone``)
    rows: list[str]
    columns: list[str]
    #: (from, to) -> customers
    counts: dict[tuple[str, str], int]
    #: customers that moved to a worse cell, the worst move first, with name, scores, reasons
    movers: list[dict[str, Any]]
    #: how many customers moved to a worse cell in all (``movers`` may be cut)
    worse: int
    #: customers that moved to a better cell, the biggest move first (cut like ``movers``)
    better: list[dict[str, Any]]
    #: customers in another cell than in the previous run (new and gone ones included)
    moved: int


def migration_matrix(store: Store, run_id: int, *, movers: int = 100) -> MigrationMatrix:
    """The transition matrix of the grid since the previous run, and the worst movers.

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     _ = store.con.execute("INSERT INTO runs VALUES (1, DATE '2025-12-31', "
    ...         "TIMESTAMP '2026-01-01', TIMESTAMP '2026-01-01', 'v', 'f', 0, 0, '0.1')")
    ...     m = migration_matrix(store, 1)
    ...     m.previous_as_of is None, m.moved
    (True, 0)
    """
    from riskseg.portfolio.customers import customer_names

    run = run_info(store, run_id)
    m = segment_migration(store, run_id)
    counts = {
        (str(r["from_segment"]), str(r["to_segment"])): int(r["customers"])
        for r in m.transitions.to_pylist()
    }

    def order(names: set[str], extra: str) -> list[str]:
        known = [s for s in GRID_SEGMENTS if s in names]
        rest = sorted(n for n in names if n not in GRID_SEGMENTS and n != extra)
        return known + rest + ([extra] if extra in names else [])

    prev_as_of = None if m.previous_run is None else run_info(store, m.previous_run).as_of
    top = m.movers.slice(0, movers).to_pylist() if m.movers.num_rows else []
    up = m.improvers.slice(0, movers).to_pylist() if m.improvers.num_rows else []
    names = customer_names(store, [str(r["customer_id"]) for r in top + up])
    for r in top + up:
        r["name"] = names.get(str(r["customer_id"]))
    return MigrationMatrix(
        run=run,
        previous_as_of=prev_as_of,
        rows=order({f for f, _ in counts}, "new"),
        columns=order({t for _, t in counts}, "gone"),
        counts=counts,
        movers=top,
        worse=m.movers.num_rows,
        better=up,
        moved=sum(n for (f, t), n in counts.items() if f != t),
    )
