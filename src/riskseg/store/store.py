"""The store: one DuckDB file holding the contract tables, the import log and the quarantine."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from riskseg.contract import TABLE_ORDER, TABLES
from riskseg.errors import InputError, StoreError
from riskseg.store import order_days
from riskseg.store.migrations import current_version, migrate

DEFAULT_DB = "riskseg.duckdb"

# the number of writes riskseg has ended in this process (see changes())
_changes = 0
_changes_lock = threading.Lock()


def changes() -> int:
    """How many writes riskseg (imports, runs, actions, users and tokens) has ended in this
    process: what the server's caches of the store compare to know they may be stale.

    >>> before = changes()
    >>> with Store(":memory:") as store, store.transaction() as con:
    ...     _ = con.execute("CREATE TABLE t (x INTEGER)")
    >>> changes() > before
    True
    """
    return _changes


def changed() -> None:
    """Count a write as ended (committed or rolled back) for :func:`changes`; every
    :meth:`Store.transaction` does."""
    global _changes
    with _changes_lock:
        _changes += 1


DEFAULT_MEMORY_LIMIT = "3GB"

#: The date column that tells what period a table covers (shown by ``riskseg status``).
PERIOD_COLUMN = {
    "customers": "customer_since",
    "invoices": "issue_date",
    "payments": "payment_date",
    "orders": "order_date",
    "quotes": "quote_date",
    "interactions": "date",
    "credit_reports": "report_date",
    "flags": "date",
    "contacts": None,
    "surveys": "date",
}

#: Signal families and the tables that switch them on (any one of them is enough).
FAMILIES: dict[str, tuple[str, ...]] = {
    "payment": ("invoices", "payments"),
    "value": ("orders",),
    "cost_to_serve": ("interactions",),
    "sales": ("quotes",),
    "engagement": ("interactions",),
    "external": ("credit_reports",),
    "flags": ("flags",),
    "loyalty": ("surveys",),
}


def quote_ident(name: str) -> str:
    """A DuckDB identifier in double quotes, safe for any name a user's export may use."""
    return '"' + name.replace('"', '""') + '"'


def default_db_path() -> str:
    """``RISKSEG_DB`` when set, else ``./riskseg.duckdb``."""
    return os.environ.get("RISKSEG_DB") or DEFAULT_DB


@dataclass(frozen=True)
class TableStatus:
    table: str
    rows: int
    first: date | None
    last: date | None
    quarantined: int
    imports: int


@dataclass(frozen=True)
class StoreStatus:
    path: str
    schema_version: int
    tables: list[TableStatus]
    #: family -> covered?
    families: dict[str, bool]

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "schema_version": self.schema_version,
            "tables": {
                t.table: {
                    "rows": t.rows,
                    "first": t.first.isoformat() if t.first else None,
                    "last": t.last.isoformat() if t.last else None,
                    "quarantined": t.quarantined,
                    "imports": t.imports,
                }
                for t in self.tables
            },
            "families": self.families,
        }


class Store:
    """A riskseg store: the contract tables in one DuckDB database.

    Parameters
    ----------
    path
        Database file; created and migrated to the current schema when new.
        ``":memory:"`` gives a throwaway in-memory store (tests, notebooks).
    memory_limit
        DuckDB's memory limit (e.g. ``"4GB"``); default ``RISKSEG_MEMORY_LIMIT`` or 3GB.
        DuckDB spills to disk beyond it.
    read_only
        Open without the right to write (no migration is applied).

    Examples
    --------
    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     store.count("customers")
    0
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_DB,
        *,
        memory_limit: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():
                raise StoreError(
                    f"the store {self.path} is open in another process (riskseg serve?): "
                    "stop that process first, or start the run from the dashboard or with "
                    "POST /api/runs while the server runs"
                ) from exc
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        # riskseg draws its own progress bars; DuckDB's would interleave with them.
        self.con.execute("SET enable_progress_bar = false")
        # A bounded default keeps a 10M-row import under 3 GB of RSS on a laptop (see
        # docs/benchmarks.md); DuckDB spills to disk beyond it rather than failing.
        limit = memory_limit or os.environ.get("RISKSEG_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT
        self.con.execute(f"SET memory_limit = '{_checked_size(limit)}'")
        if not read_only:
            migrate(self.con)
        self.schema_version = current_version(self.con)

    # -- life cycle -------------------------------------------------------------------
    def cursor(self) -> Store:
        """Another connection to the same open database, for another thread.

        DuckDB lets one process open a file for writing; inside it, each thread needs a
        connection of its own. Transactions are snapshots: a cursor reading while another
        writes a run sees the last committed state until that run commits.

        >>> with Store(":memory:") as store:
        ...     _ = store.con.execute("CREATE TABLE t AS SELECT 1 AS x")
        ...     with store.cursor() as other:
        ...         other.con.execute("SELECT x FROM t").fetchall()
        [(1,)]
        """
        other = object.__new__(Store)
        other.path = self.path
        other.schema_version = self.schema_version
        other.con = self.con.cursor()
        other.con.execute("SET enable_progress_bar = false")
        return other

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block in one transaction: everything or nothing is written."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            changed()
            raise
        self.con.execute("COMMIT")
        changed()

    # -- derived data --------------------------------------------------------------------
    def refresh_order_days(self, customers: str | None = None) -> None:
        """Bring ``order_days`` (the purchase days the value signals read) in step with ``orders``.

        Imports do this themselves; call it after writing to ``orders`` with SQL. ``customers``
        names a table or view with the ``customer_id`` of every customer whose order lines
        changed (default: rebuild every customer).

        >>> with Store(":memory:") as store:
        ...     _ = store.con.execute("INSERT INTO orders (order_id, customer_id, order_date, "
        ...                           "revenue, line_no, _import_id) "
        ...                           "VALUES ('O1', 'C1', DATE '2025-01-02', 10, 1, 0)")
        ...     store.order_days_current()
        ...     store.refresh_order_days()
        ...     store.order_days_current()
        False
        True
        """
        order_days.refresh(self.con, customers)

    def order_days_current(self) -> bool:
        """Whether ``order_days`` accounts for every row of ``orders`` (a cheap check)."""
        return order_days.is_current(self.con)

    # -- reading ------------------------------------------------------------------------
    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """The result of a parameterised query as dicts (column name -> value).

        >>> with Store(":memory:") as store:
        ...     store.rows("SELECT ? AS a, 2 AS b", [1])
        [{'a': 1, 'b': 2}]
        """
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def count(self, table: str) -> int:
        """Number of rows in a contract table (or ``quarantine`` / ``import_log``)."""
        _known(table)
        row = self.con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchall()[0]
        return int(row[0]) if row else 0

    def table(self, name: str) -> Any:
        """A contract table as a ``pyarrow.Table`` without riskseg's bookkeeping columns."""
        _known(name)
        cols = ", ".join(quote_ident(c.name) for c in TABLES[name].stored_columns)
        return self.con.sql(f"SELECT {cols} FROM {quote_ident(name)}").to_arrow_table()

    def quarantine(
        self, table: str | None = None, *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Quarantined rows (oldest source line first) with file, line, column and reason."""
        where, params = "", []
        if table:
            _known(table)
            where, params = "WHERE table_name = ?", [table]
        sql = (
            'SELECT table_name, source, line, "column", value, reason, record, import_id '
            f"FROM quarantine {where} ORDER BY table_name, source, line"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return self.rows(sql, params)

    def quarantine_count(self, table: str | None = None) -> int:
        """Number of quarantined rows, of one table or of all."""
        if table:
            _known(table)
            row = self.con.execute(
                "SELECT count(*) FROM quarantine WHERE table_name = ?", [table]
            ).fetchall()[0]
        else:
            row = self.con.execute("SELECT count(*) FROM quarantine").fetchall()[0]
        return int(row[0])

    def imports(self) -> list[dict[str, Any]]:
        """The import log, newest first."""
        return self.rows("SELECT * FROM import_log ORDER BY import_id DESC")

    def status(self) -> StoreStatus:
        """Row counts, covered periods and signal families of everything stored."""
        tables = []
        for name in TABLE_ORDER:
            period = PERIOD_COLUMN[name]
            span = (
                f"min({quote_ident(period)}), max({quote_ident(period)})"
                if period
                else "NULL, NULL"
            )
            row = self.con.execute(f"SELECT count(*), {span} FROM {quote_ident(name)}").fetchall()[
                0
            ]
            assert row is not None
            quarantined = self.quarantine_count(name)
            n_imp = self.con.execute(
                "SELECT count(*) FROM import_log WHERE table_name = ?", [name]
            ).fetchall()[0]
            tables.append(
                TableStatus(
                    name,
                    int(row[0]),
                    row[1],
                    row[2],
                    quarantined,
                    int(n_imp[0]) if n_imp else 0,
                )
            )
        rows = {t.table: t.rows for t in tables}
        families = {f: any(rows[t] > 0 for t in needs) for f, needs in FAMILIES.items()}
        return StoreStatus(self.path, self.schema_version, tables, families)


def _known(table: str) -> None:
    if table not in TABLES and table not in ("quarantine", "import_log"):
        raise InputError(f"unknown table {table!r}; known: {', '.join(TABLE_ORDER)}")


def _checked_size(value: str) -> str:
    import re

    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", value, re.I):
        raise InputError(f"memory limit {value!r} is not a size such as '2GB' or '512MB'")
    return value.strip()
