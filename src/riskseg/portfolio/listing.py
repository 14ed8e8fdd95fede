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
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from riskseg.errors import InputError
from riskseg.portfolio.customers import SORTS, CustomerPage, _check_page
from riskseg.portfolio.search import SearchIndex
from riskseg.portfolio.summary import RunInfo, run_info
from riskseg.store.store import Store, changes

#: what the server's caches are checked against, in one statement (a UNION of two bare
#: scans; make bench-api's "where the time goes" shows its cost): every run's as_of (the
#: latest run is the latest as_of, then the latest run of it, as riskseg.runs.latest_run; a
#: run recorded later with an earlier as_of changes what the latest run's previous run is)
#: and the latest import (the names in the list)
_STATE_SQL = """
SELECT run_id, as_of, NULL AS latest_import FROM runs
UNION ALL
SELECT NULL, NULL, coalesce(max(import_id), 0) FROM import_log
"""


@dataclass(frozen=True)
class StoreState:
    """The latest run and what the server's in-memory copies were built from."""

    run_id: int
    latest_import: int
    #: every run's as_of by its id
    run_dates: dict[int, Any]

    @property
    def as_of(self) -> Any:
        return self.run_dates[self.run_id]

    @property
    def newest_run(self) -> int:
        """The highest run id (recorded last, whatever its as_of)."""
        return max(self.run_dates)

    @property
    def run(self) -> dict[str, Any]:
        """The latest run as :func:`riskseg.runs.latest_run` gives it."""
        return {"run_id": self.run_id, "as_of": self.as_of}


def store_state(store: Store) -> StoreState | None:
    """The store's :class:`StoreState` (``None`` before the first run).

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     store_state(store) is None
    True
    """
    found = store.con.execute(_STATE_SQL).fetchall()
    dates = {int(r): d for r, d, _ in found if r is not None}
    if not dates:
        return None
    imported = max(int(i) for r, _, i in found if r is None)
    latest = max(dates, key=lambda r: (dates[r], r))
    return StoreState(latest, imported, dates)


@dataclass
class CustomerIndex:
    """One run's list columns and, built on first use, each sort order."""

    run_id: int
    #: what the index was built from: the run and the latest import (the names)
    version: tuple[int, int]
    table: pa.Table
    #: the search of each row's lower-case "id name" (:mod:`riskseg.portfolio.search`)
    search: SearchIndex
    orders: dict[tuple[str, bool], npt.NDArray[np.int64]] = field(default_factory=dict)
    segments: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
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
        # lower-cased as Python's str.lower lowers the query (Arrow's utf8_lower: Unicode)
        return cls(run_id, version, table, SearchIndex.build(pc.utf8_lower(joined)))

    def _order(self, sort: str, descending: bool) -> npt.NDArray[np.int64]:
        key = (sort, descending)
        with self.lock:
            found = self.orders.get(key)
            if found is None:
                found = np.asarray(
                    pc.sort_indices(
                        self.table,
                        sort_keys=[
                            (sort, "descending" if descending else "ascending", "at_end"),
                            ("customer_id", "ascending", "at_end"),
                        ],
                    ),
                    dtype=np.int64,
                )
                self.orders[key] = found
        return found

    def _segment(self, segment: str) -> npt.NDArray[np.bool_]:
        """Which rows are in the grid segment (the few segments are kept once asked for)."""
        with self.lock:
            found = self.segments.get(segment)
            if found is None:
                equal = pc.fill_null(pc.equal(self.table.column("grid_segment"), segment), False)
                found = np.asarray(equal, dtype=np.bool_)
                if len(self.segments) < 64:
                    self.segments[segment] = found
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
        keep = self._segment(segment) if segment else None
        if q:
            found = self.search.matches(q)
            keep = found if keep is None else keep & found
        if keep is not None:
            order = order[keep[order]]
        start = (page - 1) * page_size
        picked = pa.array(order[start : start + page_size], pa.int64())
        items: list[dict[str, Any]] = self.table.take(picked).to_pylist()
        return CustomerPage(len(order), page, page_size, items)


class CustomerIndexes:
    """The server's index of the latest run it was asked for; one build at a time.

    >>> from riskseg import Store
    >>> with Store(":memory:") as store:
    ...     CustomerIndexes().page(store, 1).total
    0
    """

    #: seconds a read of the store's state is used for while riskseg writes nothing
    STATE_TTL_S = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: CustomerIndex | None = None
        self._run_info: tuple[tuple[int, int], RunInfo] | None = None
        # (changes() before the read, when it was read (monotonic), the state)
        self._state: tuple[int, float, StoreState | None] | None = None

    def state(self, store: Store) -> StoreState | None:
        """The store's :class:`StoreState`, read again once riskseg has ended a transaction
        (a run, an import, an action) in this process, and at least every
        :attr:`STATE_TTL_S` seconds: a statement that every request would otherwise pay
        (``make bench-api``'s "where the time goes" lists it). While the server runs, no
        other process can write its store; rows written by hand in SQL on a store shared
        with the app are seen within the second."""
        seen = self._state
        if (
            seen is not None
            and seen[0] == changes()
            and time.monotonic() - seen[1] < self.STATE_TTL_S
        ):
            return seen[2]
        before = changes()  # a commit during the read voids what it read
        found = store_state(store)
        self._state = (before, time.monotonic(), found)
        return found

    def latest(self, store: Store) -> tuple[StoreState, RunInfo] | None:
        """The latest run's :class:`StoreState` and :class:`RunInfo`, without a statement
        when neither has changed (a recorded run does not change; its previous run does
        only when a newer run id appears)."""
        state = self.state(store)
        if state is None:
            return None
        key = (state.run_id, state.newest_run)
        cached = self._run_info
        if cached is not None and cached[0] == key:
            return state, cached[1]
        info = run_info(store, state.run_id)
        self._run_info = (key, info)
        return state, info

    def get(self, store: Store, run_id: int, state: StoreState | None = None) -> CustomerIndex:
        if state is None or state.run_id != run_id:
            state = store_state(store)
        version = (run_id, state.latest_import if state is not None else 0)
        index = self._index
        if index is not None and index.version == version:
            return index
        # one build at a time: twenty first requests would otherwise build twenty copies
        with self._lock:
            index = self._index
            if index is None or index.version != version:
                index = self._index = CustomerIndex.build(store, run_id, version)
        return index

    def page(
        self, store: Store, run_id: int, state: StoreState | None = None, **query: Any
    ) -> CustomerPage:
        """A page of the run's customers (the arguments of :meth:`CustomerIndex.page`);
        ``state``: the store's, when the caller has just read it."""
        return self.get(store, run_id, state).page(**query)
