"""Vectorised building blocks shared by the demo generators.

Everything here works on whole columns at once: one call per table or per event type, never
one per customer or per row, so that a million-customer company stays a matter of seconds.
Dates are ``int32`` days since 1970-01-01, which is also Arrow's ``date32`` layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from riskseg.contract import INTERACTION_TYPES, TABLES

Days = NDArray[np.int32]
Index = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

_EPOCH = date(1970, 1, 1)

#: Contract type -> Arrow type of the demo tables.
ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(),
    "int": pa.int64(),
    "decimal": pa.float64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "score": pa.float64(),
}

#: Sentinel for "no date" in int32 day arrays; becomes a null in Arrow.
NO_DATE = np.int32(np.iinfo(np.int32).min)


def day(d: date) -> int:
    """Days since 1970-01-01 of ``d``."""
    return (d - _EPOCH).days


def calendar_date(d: int) -> date:
    """The date ``d`` days after 1970-01-01 (inverse of ``day``)."""
    return _EPOCH + timedelta(days=d)


def owners(counts: NDArray[np.integer]) -> Index:
    """Expand per-parent counts into one parent index per child row.

    ``owners([2, 0, 1]) -> [0, 0, 2]``: the workhorse that turns "customer 0 has two invoices"
    into rows without a loop.
    """
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def rank_in_group(counts: NDArray[np.integer]) -> Index:
    """Position of each child row within its parent (0, 1, ... per parent), for ``owners``."""
    counts = counts.astype(np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


def uniform_days(rng: np.random.Generator, lo: Days, hi: Days) -> Days:
    """One uniformly drawn day in ``[lo, hi]`` per row (inclusive bounds)."""
    span = (hi.astype(np.int64) - lo + 1).clip(min=1)
    return (lo + np.floor(rng.random(len(lo)) * span)).astype(np.int32)


def to_weekday(d: Days) -> Days:
    """Move Saturdays and Sundays to the next Monday: B2B documents carry working days."""
    weekday = (d.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    shift = np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
    return (d + shift).astype(np.int32)


def month_index(d: Days) -> NDArray[np.int64]:
    """Calendar month (1-12) of each day."""
    months = d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months % 12 + 1


def day_of_month(d: Days) -> NDArray[np.int64]:
    """Day of the month (1-31) of each day."""
    as_days = d.astype("datetime64[D]")
    return (as_days - as_days.astype("datetime64[M]")).astype(np.int64) + 1


def next_day_of_month(d: Days, dom: NDArray[np.integer]) -> Days:
    """First date on or after ``d`` whose day of the month is ``dom`` (1-28)."""
    first = d.astype("datetime64[D]").astype("datetime64[M]")
    candidate = first.astype("datetime64[D]") + (dom - 1).astype("timedelta64[D]")
    later = (first + np.timedelta64(1, "M")).astype("datetime64[D]") + (dom - 1).astype(
        "timedelta64[D]"
    )
    out = np.where(candidate >= d.astype("datetime64[D]"), candidate, later)
    return out.astype(np.int64).astype(np.int32)


def choose(rng: np.random.Generator, weights: Sequence[float], size: int) -> Index:
    """Draw ``size`` indices with the given (not necessarily normalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int64)


def choose_rows(rng: np.random.Generator, weights: NDArray[np.float64]) -> Index:
    """One index per row of a 2-D weight matrix (each row its own distribution)."""
    cdf = np.cumsum(weights, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random((len(weights), 1))
    return (u > cdf).sum(axis=1).astype(np.int64)


def group_cumsum(values: Floats, counts: NDArray[np.integer]) -> Floats:
    """Cumulative sum restarting at every parent (for random walks per customer)."""
    total = np.cumsum(values)
    counts = counts.astype(np.int64)
    ends = np.cumsum(counts)
    before = np.concatenate(([0.0], total))[ends - counts]
    return total - np.repeat(before, counts)


def ids(prefix: str, numbers: NDArray[np.integer], width: int) -> pa.Array:
    """Fixed-width identifiers like ``INV000000042``, built straight into an Arrow buffer.

    Formatting tens of millions of keys through Python strings would dominate the run time;
    writing the ASCII digits column by column into one byte matrix costs a few numpy passes.
    """
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    n = len(numbers)
    row = len(head) + width
    buf = np.empty((n, row), dtype=np.uint8)
    buf[:, : len(head)] = head
    rest = numbers.astype(np.int64)
    for pos in range(row - 1, len(head) - 1, -1):
        buf[:, pos] = rest % 10 + 48
        rest = rest // 10
    offsets = np.arange(0, (n + 1) * row, row, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def id_width(count: int, minimum: int = 6) -> int:
    """Digits needed to number ``count`` rows, at least ``minimum`` for a realistic look."""
    return max(minimum, len(str(max(count, 1))))


def pick(vocabulary: Sequence[str], index: NDArray[np.integer], mask: Bools | None = None) -> pa.Array:
    """Strings of ``vocabulary`` at ``index`` (null where ``mask`` is true)."""
    return pa.array(list(vocabulary), pa.string()).take(pa.array(index, mask=mask))


def dates(d: Days) -> pa.Array:
    """Arrow ``date32`` column from day numbers; ``NO_DATE`` becomes null."""
    missing = d == NO_DATE
    return pa.array(np.where(missing, 0, d).astype(np.int32), pa.int32(), mask=missing).cast(
        pa.date32()
    )


def money(x: Floats) -> Floats:
    """Round to cents, as an ERP stores amounts."""
    return np.round(x, 2)


ColumnData = pa.Array | pa.ChunkedArray | np.ndarray


def table(name: str, columns: Mapping[str, ColumnData]) -> pa.Table:
    """Assemble contract table ``name``: its columns, in contract order, with contract types.

    Raises ``KeyError`` when a contract column is missing and ``ValueError`` for an extra one,
    so that a generator cannot drift away from the contract silently.
    """
    spec = TABLES[name]
    extra = set(columns) - set(spec.column_names)
    if extra:
        raise ValueError(f"{name}: columns {sorted(extra)} are not in the contract")
    arrays = []
    for col in spec.columns:
        data = columns[col.name]
        typ = ARROW_TYPES[col.type]
        arr = pa.array(data, typ) if isinstance(data, np.ndarray) else data.cast(typ)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=spec.column_names)


def date_order(d: Days) -> Index:
    """Stable permutation that sorts rows by date, keeping generation order within a day.

    Dates of one demo company span a few thousand days, so the offsets fit in 16 bits, where
    numpy's stable sort is a linear-time radix sort instead of a timsort.
    """
    if len(d) == 0:
        return np.zeros(0, dtype=np.int64)
    lo = int(d.min())
    if int(d.max()) - lo < 2**15:
        return np.argsort((d - lo).astype(np.int16), kind="stable").astype(np.int64)
    return np.argsort(d, kind="stable").astype(np.int64)


def keep(mask: Bools, *arrays: np.ndarray) -> list[np.ndarray]:
    """The rows of each array where ``mask`` holds."""
    return [a[mask] for a in arrays]


@dataclass(frozen=True)
class Events:
    """Dated interactions of customers, produced by one generator for the interactions table.

    ``department`` is an index into ``vocab.DEPARTMENTS``, or -1 to use the type's usual one.
    """

    owner: Index
    date: Days
    kind: Index  # index into contract.INTERACTION_TYPES
    department: Index

    @staticmethod
    def of(owner: Index, date: Days, kind: str, department: int = -1) -> Events:
        """Events of one ``kind`` (and optionally one department) for the given rows."""
        n = len(owner)
        return Events(
            owner.astype(np.int64),
            date.astype(np.int32),
            np.full(n, INTERACTION_TYPES.index(kind), np.int64),
            np.full(n, department, np.int64),
        )

    @staticmethod
    def concat(parts: Sequence[Events]) -> Events:
        """All ``parts`` one after the other."""
        return Events(
            np.concatenate([p.owner for p in parts]),
            np.concatenate([p.date for p in parts]),
            np.concatenate([p.kind for p in parts]),
            np.concatenate([p.department for p in parts]),
        )
