"""The customer list of a run, held in memory by the server: a page in milliseconds at 1M.

:func:`riskseg.portfolio.customer_list` asks the store every time: a join of a million scored
rows with a million names, sorted, then counted, 200-300 ms of CPU per page at 1M customers
(``make bench-api``), which twenty people paging at once turn into seconds. A run never
changes once recorded, so the server reads its list columns once (Arrow), sorts them once per
sort key and answers a page by slicing that order; a segment or a search filters the order
with a mask. The answers are the same as :func:`customer_list`'s
(``tests/web/test_portfolio.py`` compares them) and the index is rebuilt when a later run or
an import (the names) makes it stale.

Measured, not guessed: the in-memory list is what took the benchmark's list from seconds to
milliseconds of CPU; DuckDB indexes help point lookups, not a sort of the whole run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from riskseg.errors import InputError
from riskseg.portfolio.customers import SORTS, CustomerPage, _check_page
from riskseg.store.store import Store


@dataclass
class CustomerIndex:
    """One run's list columns and, built on first use, each sort order."""

    run_id: int
    #: what the index was built from: the run and the latest import (the names)
    version: tuple[int, int]
    table: pa.Table
    #: lower-case "id name" of each row, what a search looks in
    search: pa.Array
    orders: dict[tuple[str, bool], pa.Array] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, store: Store, run_id: int, version: tuple[int, int]) -> CustomerIndex:
        table = (
            store.con.sql(
                "SELECT rc.customer_id, c.name, rc.status, rc.risk_score, rc.value_score, "
                "rc.churn_probability, rc.payment_risk, rc.clv_12m, rc.grid_segment, "
                "rc.payment_segment, rc.reasons FROM run_customers rc "
                "LEFT JOIN customers c USING (customer_id) WHERE rc.run_id = $run "
                "ORDER BY rc.customer_id",
                params={"run": run_id},
            )
            .to_arrow_table()
            .combine_chunks()
        )
        joined = pc.binary_join_element_wise(
            table.column("customer_id"), pc.fill_null(table.column("name"), ""), " "
        )
        search = pc.utf8_lower(joined).combine_chunks()
        return cls(run_id, version, table, search)

    def _order(self, sort: str, descending: bool) -> pa.Array:
        key = (sort, descending)
        with self.lock:
            found = self.orders.get(key)
            if found is None:
                found = pc.sort_indices(
                    self.table,
                    sort_keys=[
                        (sort, "descending" if descending else "ascending", "at_end"),
                        ("customer_id", "ascending", "at_end"),
                    ],
                )
                self.orders[key] = found
        return found

    def page(
        self,
        *,
        q: str | None = None,
        segment: str | None = None,
        sort: str = "risk_score",
        descending: bool = True,
        page: int = 1,
        page_size: int = 50,
    ) -> CustomerPage:
        """What :func:`riskseg.portfolio.customer_list` answers, from memory."""
        if sort not in SORTS:
            raise InputError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        _check_page(page, page_size)
        order = self._order(sort, descending)
        mask = None
        if segment:
            mask = pc.equal(self.table.column("grid_segment"), segment)
        if q:
            # plain text, as customer_list's strpos: % and _ are no patterns
            found = pc.match_substring(self.search, q.lower())
            mask = found if mask is None else pc.and_(mask, found)
        if mask is not None:
            order = order.filter(pc.fill_null(pc.take(mask, order), False))
        start = (page - 1) * page_size
        items: list[dict[str, Any]] = self.table.take(order[start : start + page_size]).to_pylist()
        return CustomerPage(len(order), page, page_size, items)


class CustomerIndexes:
    """The server's index of the latest run it was asked for; one build at a time.

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     CustomerIndexes().page(store, 1).total
    0
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: CustomerIndex | None = None

    @staticmethod
    def _version(store: Store, run_id: int) -> tuple[int, int]:
        latest_import = store.con.execute(
            "SELECT coalesce(max(import_id), 0) FROM import_log"
        ).fetchall()[0][0]
        return run_id, int(latest_import)

    def get(self, store: Store, run_id: int) -> CustomerIndex:
        version = self._version(store, run_id)
        index = self._index
        if index is not None and index.version == version:
            return index
        # one build at a time: twenty first requests would otherwise build twenty copies
        with self._lock:
            index = self._index
            if index is None or index.version != version:
                index = self._index = CustomerIndex.build(store, run_id, version)
        return index

    def page(self, store: Store, run_id: int, **query: Any) -> CustomerPage:
        """A page of the run's customers (the arguments of :meth:`CustomerIndex.page`)."""
        return self.get(store, run_id).page(**query)
