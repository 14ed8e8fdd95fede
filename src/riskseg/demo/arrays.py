"""Vectorised building blocks shared by the demo generators.

Everything here works on whole columns at once: one call per table or per event type, never
one per customer or per row, so that a million-customer company takes minutes, not hours.
Dates are ``int32`` days since 1970-01-01, which is also Arrow's ``date32`` layout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, TypeAlias, TypeVar

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from riskseg.contract import TABLES

Days = NDArray[np.int32]
Rows = NDArray[np.int32]  # row numbers: the parent of a child row, a position in a table
Codes = NDArray[np.int8]  # small categorical codes (product, channel, interaction type)
Ints = NDArray[np.integer[Any]]
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


def owners(counts: Ints) -> Rows:
    """Expand per-parent counts into one parent index per child row.

    ``owners([2, 0, 1]) -> [0, 0, 2]``: the workhorse that turns "customer 0 has two invoices"
    into rows without a loop.
    """
    return np.repeat(np.arange(len(counts), dtype=np.int32), counts)


def starts(counts: Ints) -> NDArray[np.int64]:
    """Row of the first child of each parent when children are stored parent by parent."""
    total = np.cumsum(counts, dtype=np.int64)
    return total - counts


_F = TypeVar("_F", bound=np.floating[Any])


def group_sum(values: NDArray[_F], counts: Ints) -> NDArray[_F]:
    """Sum of the child rows of each parent, children stored parent by parent.

    Every parent must have at least one child (``np.add.reduceat`` repeats a value for an
    empty group); a sequential reduction is much cheaper than ``np.bincount`` here.
    """
    if len(values) == 0:
        return np.zeros(len(counts), dtype=values.dtype)
    total: NDArray[_F] = np.add.reduceat(values, starts(counts))
    return total


def rank_in_group(counts: Ints) -> Rows:
    """Position of each child row within its parent (0, 1, ... per parent), for ``owners``."""
    n = int(np.sum(counts, dtype=np.int64))
    first = np.repeat(starts(counts).astype(np.int32), counts)
    return np.arange(n, dtype=np.int32) - first


def uniform_days(rng: np.random.Generator, lo: Days, hi: Days) -> Days:
    """One uniformly drawn calendar day in ``[lo, hi]`` per row (inclusive bounds)."""
    span = (hi - lo + 1).clip(min=1)
    offset = (rng.random(len(lo), dtype=np.float32) * span).astype(np.int32)
    drawn: Days = lo + offset.clip(max=span - 1)  # float32 rounding may reach span itself
    return drawn


def _tabulated(fn: Callable[[Days], NDArray[Any]], d: Days) -> NDArray[Any]:
    """``fn(d)``, computed once per distinct day and looked up.

    Tens of millions of dates span a few thousand distinct days, and a gather is several
    times cheaper than the integer divisions or datetime casts of calendar arithmetic.
    """
    if len(d) < 10_000:
        return fn(d)
    lo, hi = int(d.min()), int(d.max())
    if hi - lo > len(d):
        return fn(d)
    return fn(np.arange(lo, hi + 1, dtype=np.int32))[d - lo]


# Business days are counted with integer arithmetic on a Monday-based week rather than with
# np.busday_*, which is several times slower on tens of millions of rows. 1970-01-01, day 0,
# was a Thursday, so day + 3 is a multiple of 7 on Mondays.


def _business_index(d: Days) -> Days:
    """Number of business days before ``d`` (a weekend day counts as the next Monday)."""

    def index(x: Days) -> Days:
        week, weekday = np.divmod(x + 3, 7)
        found: Days = week * 5 + np.minimum(weekday, 5)
        return found

    return _tabulated(index, d)


def _from_business_index(b: Days) -> Days:
    def day_of(x: Days) -> Days:
        week, weekday = np.divmod(x, 5)
        found: Days = week * 7 + weekday - 3
        return found

    return _tabulated(day_of, b)


def business_days(rng: np.random.Generator, lo: Days, hi: Days) -> Days:
    """One uniformly drawn working day (Monday-Friday) in ``[lo, hi]`` per row.

    Where the range holds no working day, the next Monday is returned, which lies past ``hi``;
    callers drop such rows with their usual ``<= end`` filter.
    """
    first = _business_index(lo)
    count = (_business_index(hi + 1) - first).clip(min=1)
    offset = (rng.random(len(lo), dtype=np.float32) * count).astype(np.int32)
    return _from_business_index(first + offset.clip(max=count - 1))


def add_business_days(d: Days, n: Ints) -> Days:
    """The working day ``n`` working days after ``d`` (``d`` itself rolled to a working day)."""
    return _from_business_index(_business_index(d) + n.astype(np.int32))


_NEAREST_SHIFT = np.array([0, 0, 0, 0, 0, -1, 1], dtype=np.int32)


def nearest_weekday(d: Days) -> Days:
    """Move Saturdays to Friday and Sundays to Monday, as bank value dates fall."""
    moved: Days = d + _tabulated(lambda x: _NEAREST_SHIFT[(x + 3) % 7], d)
    return moved


def month_index(d: Days) -> NDArray[np.int64]:
    """Calendar month (0-11) of each day."""

    def month(x: Days) -> NDArray[np.int64]:
        months: NDArray[np.int64] = (
            x.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        )
        return months % 12

    return _tabulated(month, d)


def next_day_of_month(d: Days, dom: Ints) -> Days:
    """First date on or after ``d`` whose day of the month is ``dom`` (1-28)."""
    days = d.astype("datetime64[D]")
    month = days.astype("datetime64[M]")
    offset = (dom - 1).astype("timedelta64[D]")
    candidate = month.astype("datetime64[D]") + offset
    later = (month + np.timedelta64(1, "M")).astype("datetime64[D]") + offset
    found: Days = np.where(candidate >= days, candidate, later).astype(np.int64).astype(np.int32)
    return found


def choose(rng: np.random.Generator, weights: Sequence[float], size: int) -> Codes:
    """Draw ``size`` codes with the given (not necessarily normalised) weights."""
    p = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int8)


def choose_by(rng: np.random.Generator, weights: NDArray[np.float64], group: Ints) -> Codes:
    """One code per row, drawn with the weights of the row's group (``weights[group]``).

    Comparing against one cumulative column at a time keeps the work at a few passes over the
    rows instead of materialising a rows x choices matrix.
    """
    cdf = np.cumsum(weights, axis=1)
    cdf = cdf / cdf[:, -1:]
    u = rng.random(len(group))
    out = np.zeros(len(group), dtype=np.int8)
    for k in range(weights.shape[1] - 1):
        out += u >= cdf[group, k]
    return out


def group_cumsum(values: Floats, counts: Ints) -> Floats:
    """Cumulative sum restarting at every parent (for random walks per customer)."""
    total = np.cumsum(values)
    before = np.concatenate(([0.0], total))[starts(counts)]
    restarted: Floats = total - np.repeat(before, counts)
    return restarted


def ids(prefix: str, count: int, digits: int = 6) -> pa.Array:
    """Identifiers ``prefix`` + 1 .. ``count``, zero-padded to at least ``digits`` digits.

    ``ids("INV", 3, 8)`` gives ``INV00000001``, ``INV00000002``, ``INV00000003``.

    Formatting tens of millions of keys through Python strings would dominate the run time.
    For consecutive numbers each digit column is a run-length pattern (the units cycle every
    row, the tens every ten rows, ...), so the ASCII bytes are written with ``np.repeat`` into
    one byte matrix that becomes the Arrow buffer as is.
    """
    width = max(digits, len(str(count)))
    head = prefix.encode("ascii")
    row = len(head) + width
    buf = np.empty((count, row), dtype=np.uint8)
    for col, char in enumerate(head):
        buf[:, col] = char
    digit = np.arange(ord("0"), ord("9") + 1, dtype=np.uint8)
    for k in range(width):
        block = 10**k
        if 10 * block <= count + 1:  # the digit cycles through 0-9 in blocks of 10**k rows
            pattern = np.repeat(digit, block)
            column = np.tile(pattern, (count + 1) // len(pattern) + 1)
        else:  # a leading digit changes fewer than ten times
            column = np.repeat(digit[: count // block + 1], block)
        buf[:, row - 1 - k] = column[1 : count + 1]  # numbers start at 1
    offsets = np.arange(0, (count + 1) * row, row, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(buf)]
    )


_T = TypeVar("_T")


def draw_within(
    rng: np.random.Generator, lists: Sequence[Sequence[_T]], group: Ints
) -> tuple[list[_T], NDArray[np.int64]]:
    """One entry drawn uniformly from ``lists[group]`` per row.

    Returns the flattened vocabulary and each row's position in it, so that parallel
    vocabularies (a name and its ASCII spelling) can be picked with the same positions.
    """
    flat = [x for xs in lists for x in xs]
    sizes = np.array([len(xs) for xs in lists])
    drawn = (rng.random(len(group)) * sizes[group]).astype(np.int64)
    return flat, starts(sizes)[group] + drawn


def pick(vocabulary: Sequence[str], index: Ints) -> pa.Array:
    """The strings of ``vocabulary`` at ``index``."""
    return pa.array(list(vocabulary), pa.string()).take(pa.array(index))


def dates(d: Days) -> pa.Array:
    """Arrow ``date32`` column from day numbers; ``NO_DATE`` becomes null."""
    missing = d == NO_DATE
    return pa.array(np.where(missing, 0, d).astype(np.int32), pa.int32(), mask=missing).cast(
        pa.date32()
    )


def money(x: Floats) -> Floats:
    """Round to cents, as an ERP stores amounts."""
    return np.round(x, 2)


ColumnData: TypeAlias = "pa.Array | pa.ChunkedArray | NDArray[Any]"


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


def date_order(d: Days) -> Rows:
    """Stable permutation that sorts rows by date, keeping generation order within a day.

    Dates of one demo company span a few thousand days, so the offsets fit in 16 bits, where
    numpy's stable sort is a linear-time radix sort instead of a timsort.
    """
    if len(d) == 0:
        return np.zeros(0, dtype=np.int32)
    lo = int(d.min())
    if int(d.max()) - lo < 2**15:
        return np.argsort((d - lo).astype(np.int16), kind="stable").astype(np.int32)
    return np.argsort(d, kind="stable").astype(np.int32)
