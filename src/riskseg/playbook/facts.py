"""One row per customer with everything a rule may name: signals, scores, segments, attributes.

The rules of ``playbook.yaml`` name these columns; :func:`fact_columns` is what a playbook is
checked against, so a rule that names a column riskseg does not have fails when it is loaded.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from riskseg.store.store import Store

#: attributes of the customer itself (contract ``customers``) a rule may name
CUSTOMER_ATTRIBUTES: tuple[str, ...] = (
    "name",
    "industry",
    "country",
    "region",
    "size_band",
    "account_manager",
    "payment_terms_days",
    "credit_limit",
    "regulated",
    "strategic",
    "customer_since",
)


def customer_attributes(store: Store) -> pa.Table:
    """The customers table's attributes (rules read ``regulated``, ``strategic``, ...)."""
    cols = ", ".join(["customer_id", *CUSTOMER_ATTRIBUTES])
    table: pa.Table = store.con.sql(f"SELECT {cols} FROM customers").to_arrow_table()
    return table


def build_facts(
    signals: pa.Table,
    scored: pa.Table,
    *,
    segments: pa.Table | None = None,
    attributes: pa.Table | None = None,
) -> pa.Table:
    """Join the per-customer tables on ``customer_id`` (rows and order of ``signals``).

    Where two tables share a column name, the first one wins (signals, then scores, segments,
    attributes), so a rule always means the same thing by a name.
    """
    tables = [signals, scored] + [t for t in (segments, attributes) if t is not None]
    ids = signals.column("customer_id")
    if all(t.num_rows == len(ids) and t.column("customer_id").equals(ids) for t in tables[1:3]):
        # the usual case (scores and segments come in the signals' order): put the columns side
        # by side without a join; the attributes, in the store's order, are aligned by id
        return _side_by_side(tables[:3], attributes, ids)
    con = duckdb.connect()
    try:
        parts = [("s", signals), ("sc", scored)]
        if segments is not None:
            parts.append(("sg", segments))
        if attributes is not None:
            parts.append(("a", attributes))
        seen: set[str] = set()
        select: list[str] = []
        joins: list[str] = []
        for alias, table in parts:
            con.register(f"t_{alias}", table)
            for col in table.column_names:
                if col not in seen:
                    seen.add(col)
                    select.append(f'{alias}."{col}"')
            if alias != "s":
                joins.append(
                    f"LEFT JOIN t_{alias} AS {alias} ON {alias}.customer_id = s.customer_id"
                )
        con.register(
            "order_",
            pa.table(
                {
                    "customer_id": signals.column("customer_id"),
                    "_pos": pa.array(range(signals.num_rows)),
                }
            ),
        )
        sql = (
            f"SELECT {', '.join(select)} FROM t_s AS s JOIN order_ AS o "
            f"ON o.customer_id = s.customer_id {' '.join(joins)} ORDER BY o._pos"
        )
        result: pa.Table = con.sql(sql).to_arrow_table()
        return result
    finally:
        con.close()


def _side_by_side(
    aligned: list[pa.Table], attributes: pa.Table | None, ids: pa.ChunkedArray
) -> pa.Table:
    seen: set[str] = set()
    names: list[str] = []
    columns: list[pa.ChunkedArray] = []
    extra: list[pa.Table] = []
    if attributes is not None:
        import pyarrow.compute as pc

        extra.append(attributes.take(pc.index_in(ids, value_set=attributes.column("customer_id"))))
    for table in [*aligned, *extra]:
        for name in table.column_names:
            if name not in seen:
                seen.add(name)
                names.append(name)
                columns.append(table.column(name))
    return pa.table(columns, names=names)
