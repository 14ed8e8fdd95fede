"""``order_days``: the store's purchase days, kept in step with ``orders`` on every write.

One row per customer and day with order lines (the table is created by migration 8): the
day's lines and purchase lines (revenue >= 0), purchase and return revenue (0 when none),
costed revenue, margin (empty when no line of the day has a cost: unknown, not 0) and, on a
purchase day, the customer's purchase day before it. The value and peer signals read it instead
of grouping every order line again (on 20M lines, 15M customer-days: that grouping and the
window over it were most of the value family's time, docs/benchmarks.md). It is derived data,
a function of ``orders`` alone, so it can always be rebuilt, and the signals derive the same
relation from ``orders`` where it is missing (PostgreSQL, Spark) or out of step
(:func:`is_current`; :mod:`riskseg.signals.days` is the same definition in Ibis).

Every row only summarises its own day and the days before it, so cutting the table at an
``as_of`` gives exactly what the order lines up to ``as_of`` give: the point-in-time view holds.

Whoever writes to ``orders`` refreshes the customers it touched in the same transaction (the
importer does; code writing to ``orders`` with SQL calls ``Store.refresh_order_days()``).
"""

from __future__ import annotations

import duckdb

#: ``order_days`` rows of the customers ``{where}`` selects, from ``orders``. Not sorted: the
#: value query reads them as fast either way, and the sort cost 1.4 s of a 20M-line import.
_SELECT = """
SELECT customer_id, order_date, lines, purchase_lines, purchase_revenue, return_revenue,
       costed_revenue, margin,
       CASE WHEN purchase_lines > 0 THEN lag(order_date) OVER (
           PARTITION BY customer_id, purchase_lines > 0 ORDER BY order_date
       ) END AS prev_purchase_date
FROM (
    SELECT customer_id, order_date,
           count(*) AS lines,
           count(*) FILTER (WHERE revenue >= 0) AS purchase_lines,
           coalesce(sum(revenue) FILTER (WHERE revenue >= 0), 0) AS purchase_revenue,
           coalesce(sum(revenue) FILTER (WHERE revenue < 0), 0) AS return_revenue,
           coalesce(sum(revenue) FILTER (WHERE cost IS NOT NULL), 0) AS costed_revenue,
           sum(revenue - cost) AS margin
    FROM orders
    {where}
    GROUP BY customer_id, order_date
)
"""


def refresh(con: duckdb.DuckDBPyConnection, customers: str | None = None) -> None:
    """Rebuild the rows of the customers in the relation ``customers`` (all when None).

    ``customers`` is a table or view with a ``customer_id`` column (the ids an import
    inserted or changed, old ids of changed rows included). Run it inside the transaction that
    changed ``orders``, so that no reader sees one without the other.
    """
    if customers is None:
        con.execute("DELETE FROM order_days")
        con.execute("INSERT INTO order_days " + _SELECT.format(where=""))
        return
    # a semi-join on a de-duplicated id list: the changed customers' rows only. The list is
    # a temporary table of the caller's transaction: a failure rolls it back with the rest
    ids = "temp.__order_days_ids"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __order_days_ids AS "
        f"SELECT DISTINCT customer_id FROM {customers}"
    )
    con.execute(f"DELETE FROM order_days WHERE customer_id IN (SELECT customer_id FROM {ids})")
    where = f"WHERE customer_id IN (SELECT customer_id FROM {ids})"
    con.execute("INSERT INTO order_days " + _SELECT.format(where=where))
    con.execute(f"DROP TABLE {ids}")


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``order_days`` accounts for every row of ``orders`` (cheap: two sums).

    Catches rows added or removed behind the store's back (SQL written straight to
    ``orders`` without a refresh), for which the signals then fall back to ``orders``.
    """
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'order_days'"
    ).fetchall()[0][0]
    if not exists:
        return False
    row = con.execute(
        "SELECT (SELECT count(*) FROM orders), (SELECT coalesce(sum(lines), 0) FROM order_days)"
    ).fetchall()[0]
    return bool(row[0] == row[1])
