"""``compute_signals``: one row per customer, every signal, as of a date, on any engine.

Each family is one Ibis expression executed by the engine that holds the data (the DuckDB
store, PostgreSQL, Spark, ...). What comes back is one row per customer, which is small, so
the joins and the few signals that need the whole portfolio or several families at once
(ABC class, per-1,000-revenue rates, net contribution, peer base rates, coverage) are finished
in-process on an in-memory DuckDB, with the same Ibis expressions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from types import ModuleType
from typing import Any, Literal, TypeAlias

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from riskseg.contract import TABLES
from riskseg.errors import InputError
from riskseg.signals import (
    cost_to_serve,
    coverage,
    engagement,
    external,
    flags,
    loyalty,
    payment,
    peer,
    sales,
    value,
)
from riskseg.signals.context import Context, SignalConfig, point_in_time
from riskseg.signals.registry import FAMILY_ORDER, REGISTRY, family_signals, get_signal
from riskseg.store.store import Store

#: family name -> module with ``build(ctx)`` (engine side) and optionally ``finish(t, ctx)``
#: (expressions over the joined table) or ``finish_table(t, ctx)`` (a new table)
MODULES: dict[str, ModuleType] = {
    "payment": payment,
    "value": value,
    "cost_to_serve": cost_to_serve,
    "sales": sales,
    "engagement": engagement,
    "external": external,
    "flags": flags,
    "loyalty": loyalty,
    "peer": peer,
}

#: families whose data coverage is reported (peer rates come from other customers)
COVERED_FAMILIES: tuple[str, ...] = tuple(coverage.COVERED_BY)

#: families that read another family's columns in ``finish``
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "cost_to_serve": ("value",),
    "sales": ("value",),
    "coverage": COVERED_FAMILIES,
}

_DTYPES = {
    "float64": pa.float64(),
    "int64": pa.int64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
}

Source: TypeAlias = Store | BaseBackend
Progress = Callable[[str], None]


def source_tables(source: Source, *, database: str | None = None) -> dict[str, ir.Table]:
    """The contract tables ``source`` has, as Ibis tables (names matched case-insensitively)."""
    if isinstance(source, Store):
        backend: BaseBackend = ibis.duckdb.from_connection(source.con)
        return {name: backend.table(name) for name in TABLES}
    kwargs: dict[str, Any] = {"database": database} if database else {}
    found = {name.lower(): name for name in source.list_tables(**kwargs)}
    return {name: source.table(found[name], **kwargs) for name in TABLES if name in found}


def _stored_order_days(source: Source) -> ir.Table | None:
    """The store's purchase days when they account for every order line, else None."""
    if not isinstance(source, Store) or not source.order_days_current():
        return None
    return ibis.duckdb.from_connection(source.con).table("order_days")


def compute_signals(
    source: Source,
    *,
    as_of: date,
    config: SignalConfig | None = None,
    customer: str | None = None,
    database: str | None = None,
    families: Sequence[str] | None = None,
    signals: Sequence[str] | None = None,
    progress: Progress | None = None,
    output: Literal["arrow", "pandas", "polars"] = "arrow",
) -> Any:
    """Every signal for every customer (prospects included) as of ``as_of``.

    Parameters
    ----------
    source
        The riskseg :class:`~riskseg.Store`, or any Ibis backend holding tables named as in
        the data contract (``ibis.postgres.connect(...)``, ``ibis.pyspark.connect(spark)``).
    as_of
        Nothing dated after this day counts; an invoice paid later is open at ``as_of``.
    config
        Windows, hourly cost and thresholds; defaults are 90/365 days and 60 per hour.
    customer
        Keep only this customer's row (portfolio-wide signals still use everyone).
    database
        Schema or database of the tables in ``source`` (ignored for the store).
    families
        Compute only these families (default: all); the ones they build on are computed too
        but not returned.
    signals
        Compute only these signals (e.g. the four RFM signals); families skip the queries
        nobody asked for. Combined with ``families``, both selections apply.
    progress
        Called with each family's name before it is computed.
    output
        ``"arrow"`` (a ``pyarrow.Table``), ``"pandas"`` or ``"polars"``.

    Returns
    -------
    One row per customer, sorted by ``customer_id``: ``customer_id``, ``as_of``, then every
    signal of :data:`~riskseg.signals.REGISTRY` in family order. Empty means "no data", never 0.

    Examples
    --------
    >>> from datetime import date
    >>> from riskseg import Store, compute_signals
    >>> with Store(":memory:") as store:
    ...     table = compute_signals(store, as_of=date(2025, 6, 30))
    >>> table.num_rows, table.column_names[:3]
    (0, ['customer_id', 'as_of', 'invoices_12m'])
    """
    config = config or SignalConfig()
    wanted = _families(families)
    chosen: frozenset[str] | None = None
    if signals is not None:
        unknown = [s for s in signals if s not in REGISTRY]
        if unknown:
            get_signal(unknown[0])  # raises with the nearest names
        chosen = frozenset(signals)
        wanted = tuple(f for f in wanted if any(REGISTRY[s].family == f for s in chosen))
    needed = set(wanted) | {d for f in wanted for d in DEPENDS_ON.get(f, ())}
    if chosen is not None:
        # what a dependency's finish step reads is computed in full
        chosen |= {s.name for f in needed - set(wanted) for s in family_signals(f)}
    tables = source_tables(source, database=database)
    if "customers" not in tables:
        raise InputError(
            "the source has no 'customers' table; riskseg needs it (see docs/import.md)"
        )
    label = source.path if isinstance(source, Store) else type(source).__name__
    ctx = Context(
        as_of,
        config,
        point_in_time(tables, as_of, str(label)),
        chosen,
        stored_order_days=_stored_order_days(source),
    )

    local = duckdb.connect()
    try:
        parts: dict[str, pa.Table] = {}
        base = ctx.t("customers").select("customer_id", "industry", "region", "size_band")
        parts["customers"] = base.to_pyarrow()
        for family, module in MODULES.items():
            if family not in needed:
                continue
            if progress:
                progress(family)
            expr = module.build(ctx)
            if expr is not None:
                parts[family] = expr.mutate(**{f"_has_{family}": ibis.literal(True)}).to_pyarrow()
        if progress:
            progress("finish")
        return _convert(_assemble(local, parts, ctx, customer, wanted, signals), output)
    finally:
        local.close()


def _assemble(
    local: duckdb.DuckDBPyConnection,
    parts: dict[str, pa.Table],
    ctx: Context,
    customer: str | None,
    wanted: tuple[str, ...],
    only: Sequence[str] | None,
) -> pa.Table:
    backend = ibis.duckdb.from_connection(local)
    for name, arrow in parts.items():
        local.register(f"part_{name}", arrow)
    joined = [f for f in MODULES if f in parts]
    for family in joined:
        _check_columns(family, parts[family].column_names)
    # one plain SQL join: the names are ours (part_<family>), the columns checked above
    select = ", ".join(["c.*"] + [f"p_{f}.* EXCLUDE (customer_id)" for f in joined])
    joins = " ".join(
        f"LEFT JOIN part_{f} AS p_{f} ON p_{f}.customer_id = c.customer_id" for f in joined
    )
    local.execute(
        f"CREATE TEMP TABLE joined AS SELECT {select} FROM part_customers AS c {joins}"
    ).fetchall()
    t = backend.table("joined")
    # a family that did not run (its table is missing) still has its columns, empty
    missing = {
        s.name: ibis.null().cast(s.dtype)
        for s in REGISTRY.values()
        if s.name not in t.columns and s.family != "coverage"
    }
    missing |= {
        f"_has_{f}": ibis.literal(False) for f in COVERED_FAMILIES if f"_has_{f}" not in t.columns
    }
    t = t.mutate(**missing)
    for family, module in MODULES.items():
        if family not in parts:
            continue
        finish: Callable[[ir.Table, Context], dict[str, Any]] | None = getattr(
            module, "finish", None
        )
        if finish is not None:
            t = t.mutate(**finish(t, ctx))
        # a finish step that needs more than expressions over t (a group-by and a join)
        finish_table: Callable[[ir.Table, Context], ir.Table] | None = getattr(
            module, "finish_table", None
        )
        if finish_table is not None:
            t = finish_table(t, ctx)
    coverage = {f"coverage_{f}": t[f"_has_{f}"].fill_null(False) for f in COVERED_FAMILIES}
    t = t.mutate(**coverage)
    t = t.mutate(
        families_covered=sum(
            (ibis.ifelse(t[c], 1, 0) for c in coverage), start=ibis.literal(0)
        ).cast("int64")
    )
    if customer is not None:
        t = t.filter(t.customer_id == customer)
    columns: dict[str, Any] = {
        "customer_id": t.customer_id,
        "as_of": ibis.literal(ctx.as_of).cast("date"),
    }
    for family in wanted:
        for s in family_signals(family):
            if only is None or s.name in only:
                columns[s.name] = t[s.name].cast(s.dtype)
    result = t.select(**columns).order_by("customer_id").to_pyarrow()
    schema = pa.schema(
        [pa.field("customer_id", pa.string()), pa.field("as_of", pa.date32())]
        + [pa.field(s, _DTYPES[REGISTRY[s].dtype]) for s in result.column_names[2:]]
    )
    return result.cast(schema)


def _families(families: Sequence[str] | None) -> tuple[str, ...]:
    """Requested families in output order; an unknown name is an input error."""
    if families is None:
        return FAMILY_ORDER
    unknown = sorted(set(families) - set(FAMILY_ORDER))
    if unknown:
        raise InputError(
            f"unknown signal famil{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
            f"known: {', '.join(FAMILY_ORDER)}"
        )
    return tuple(f for f in FAMILY_ORDER if f in families)


def _check_columns(family: str, columns: Sequence[str]) -> None:
    """A family builds what it declared (engine part); anything else is a bug, said loudly."""
    declared = {s.name for s in family_signals(family)}
    built = {c for c in columns if not c.startswith("_") and c != "customer_id"}
    unknown = built - declared
    if unknown:
        raise AssertionError(f"family {family!r} built undeclared columns: {sorted(unknown)}")


def _convert(table: pa.Table, output: str) -> Any:
    if output == "arrow":
        return table
    if output == "pandas":
        return table.to_pandas()
    if output == "polars":
        try:
            import polars as pl
        except ImportError:  # pragma: no cover - depends on the user's environment
            raise InputError("output='polars' needs polars: pip install polars") from None
        return pl.from_arrow(table)
    raise InputError(f"output must be 'arrow', 'pandas' or 'polars', not {output!r}")
