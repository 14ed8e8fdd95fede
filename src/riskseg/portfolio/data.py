"""What the store holds and what it refused: coverage by table and signal family, and the
quarantine with each row's file, line, column and reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from riskseg.errors import InputError
from riskseg.portfolio.summary import rows
from riskseg.store.store import FAMILIES, Store


@dataclass(frozen=True)
class TableCoverage:
    """One contract table: rows, the period its dates span, quarantined rows, imports."""

    table: str
    rows: int
    first: date | None
    last: date | None
    quarantined: int
    imports: int
    last_import: datetime | None


@dataclass(frozen=True)
class DataCoverage:
    """What the store holds and which signal families it feeds."""

    tables: list[TableCoverage]
    #: signal family -> covered (at least one of its tables has rows)
    families: dict[str, bool]
    #: signal family -> the tables that switch it on
    family_tables: dict[str, tuple[str, ...]]
    quarantined: int
    #: (table, column: reason with the value left out, rows), the most frequent first
    top_reasons: list[tuple[str, str, int]]


def data_coverage(store: Store) -> DataCoverage:
    """Coverage by table and signal family (:meth:`riskseg.Store.status`) with the
    quarantine's most frequent reasons.

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     c = data_coverage(store)
    ...     c.families["payment"], c.quarantined
    (False, 0)
    """
    status = store.status()
    last = {
        str(t): ts
        for t, ts in store.con.execute(
            "SELECT table_name, max(finished_at) FROM import_log GROUP BY ALL"
        ).fetchall()
    }
    tables = [
        TableCoverage(t.table, t.rows, t.first, t.last, t.quarantined, t.imports, last.get(t.table))
        for t in status.tables
    ]
    # reasons quote the value ("'31-02-2024' is not a date"); grouped without it, the same
    # mistake on a thousand lines is one line here
    reasons = store.con.execute(
        "SELECT table_name, coalesce(\"column\", '-') || ': ' || "
        "regexp_replace(reason, '''[^'']*''', '…', 'g') AS why, count(*) AS n "
        "FROM quarantine GROUP BY ALL ORDER BY n DESC, table_name, why LIMIT 20"
    ).fetchall()
    return DataCoverage(
        tables=tables,
        families=status.families,
        family_tables=dict(FAMILIES),
        quarantined=store.quarantine_count(),
        top_reasons=[(str(t), str(w), int(n)) for t, w, n in reasons],
    )


@dataclass(frozen=True)
class QuarantinePage:
    """One page of quarantined rows, with how many there are in all."""

    total: int
    page: int
    page_size: int
    #: table_name, source, line, column, value, reason
    items: list[dict[str, Any]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def quarantine_page(
    store: Store, *, table: str | None = None, page: int = 1, page_size: int = 50
) -> QuarantinePage:
    """Quarantined rows with file, line, column, value and reason, one page at a time.

    ``table`` keeps one table's rows (an unknown name is an
    :class:`~riskseg.errors.InputError` naming the known ones).

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     quarantine_page(store, table="invoices").total
    0
    """
    if page < 1 or not 1 <= page_size <= 500:
        raise InputError(f"page must be >= 1 and page_size 1-500, not {page} and {page_size}")
    total = store.quarantine_count(table)
    where, params = ("WHERE table_name = ?", [table]) if table else ("", [])
    items = rows(
        store,
        'SELECT table_name, source, line, "column", value, reason FROM quarantine '
        f'{where} ORDER BY table_name, source, line, "column" LIMIT ? OFFSET ?',
        [*params, page_size, (page - 1) * page_size],
    )
    return QuarantinePage(total, page, page_size, items)
