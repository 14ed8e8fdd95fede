"""Training rows by multi-slicing: signals at several cut-offs beside the labels that followed.

One row per eligible customer per cut-off: the features are ``compute_signals(store,
as_of=cutoff)`` and the label is drawn from the window after that cut-off
(:mod:`riskseg.models.labels`). Cut-offs go back from the latest one whose labels are fully
observed at ``as_of``, ``spacing_days`` apart, so a model fitted ``as_of`` a date never sees an
outcome that had not happened by then.

Features are the numeric and yes/no signals of the registry (yes/no as 0/1, empty as NaN,
which LightGBM routes on its own). Left out:

* the two class signals ``abc_class`` and ``loyalty_class``: each is a coarsening of numeric
  signals that are in (``revenue_share_12m``; the ``loyalty_share_*`` shares), so one-hot
  columns would add nothing but width;
* the signals read from ``invoices.written_off`` (``write_off_count``, ``write_off_amount``):
  the flag has no date and a write-off is booked months after the invoice, so at a past cut-off
  it tells what happened later. That is a leak into every earlier slice and into the backtest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from riskseg.models.labels import LabelSpec
from riskseg.signals import REGISTRY, compute_signals
from riskseg.store.store import Store

#: signals that read an undated column that is set long after the event (see module docstring)
UNDATED_LEAKS: frozenset[str] = frozenset(
    s.name for s in REGISTRY.values() if "invoices.written_off" in s.inputs
)

#: every signal a classifier may use, in registry order
FEATURES: tuple[str, ...] = tuple(
    s.name for s in REGISTRY.values() if s.dtype != "string" and s.name not in UNDATED_LEAKS
)

SignalSource = Callable[[date], pa.Table]


def signal_cache(store: Store) -> SignalSource:
    """``compute_signals`` per date, computed once: churn and late payment share cut-offs."""
    cache: dict[date, pa.Table] = {}

    def at(day: date) -> pa.Table:
        if day not in cache:
            cache[day] = compute_signals(store, as_of=day)
        return cache[day]

    return at


def cutoffs_for(spec: LabelSpec, *, as_of: date, n: int, spacing_days: int) -> list[date]:
    """``n`` cut-offs, oldest first, the last one the latest whose labels are observed."""
    last = spec.latest_cutoff(as_of)
    return [last - timedelta(days=spacing_days * k) for k in range(n - 1, -1, -1)]


def as_arrow(table: Any) -> pa.Table:
    """A pyarrow table from an Arrow table or a pandas frame (``output="pandas"``)."""
    if isinstance(table, pa.Table):
        return table
    return pa.Table.from_pandas(table, preserve_index=False)


def feature_matrix(table: pa.Table, names: tuple[str, ...] | list[str]) -> NDArray[np.float64]:
    """The float matrix of ``names`` (rows as in ``table``); empty and absent columns are NaN.

    Values are rounded to float32 precision, so that a sum added in another order by the
    engine does not change the model (see the comment below).
    """
    x = np.full((table.num_rows, len(names)), np.nan)
    present = set(table.column_names)
    for j, name in enumerate(names):
        if name in present:
            column = table.column(name).cast(pa.float64())
            x[:, j] = column.to_numpy(zero_copy_only=False)
    # engines add in any order (8977.11 one run, 8977.109999999999 the next); through float32
    # (7 significant digits) the same data always gives the same bins, trees and scores
    out: NDArray[np.float64] = x.astype(np.float32).astype(np.float64)
    return out


@dataclass(frozen=True)
class Slices:
    """Training rows of several cut-offs; ``cutoff_index[i]`` points into ``cutoffs``."""

    x: NDArray[np.float64]
    y: NDArray[np.int64]
    cutoff_index: NDArray[np.int64]
    cutoffs: tuple[date, ...]
    customer_ids: tuple[str, ...]
    features: tuple[str, ...]

    @property
    def n_events(self) -> int:
        return int(self.y.sum())

    def select(self, features: list[str]) -> Slices:
        """Only the columns ``features`` (in that order)."""
        index = [self.features.index(f) for f in features]
        return Slices(
            self.x[:, index],
            self.y,
            self.cutoff_index,
            self.cutoffs,
            self.customer_ids,
            tuple(features),
        )

    def take(self, rows: NDArray[np.bool_]) -> Slices:
        """The rows where ``rows`` is true (cut-offs kept)."""
        ids = tuple(c for c, keep in zip(self.customer_ids, rows, strict=True) if keep)
        return Slices(
            self.x[rows],
            self.y[rows],
            self.cutoff_index[rows],
            self.cutoffs,
            ids,
            self.features,
        )


def build_slices(
    store: Store,
    spec: LabelSpec,
    cutoffs: list[date],
    *,
    as_of: date,
    signals: SignalSource | None = None,
    features: tuple[str, ...] = FEATURES,
) -> Slices:
    """Features at each cut-off joined to the labels after it; cut-offs with no rows are dropped."""
    at = signals or signal_cache(store)
    xs: list[NDArray[np.float64]] = []
    ys: list[NDArray[np.int64]] = []
    idx: list[NDArray[np.int64]] = []
    ids: list[str] = []
    used: list[date] = []
    for cutoff in cutoffs:
        labels = spec.labels(store, cutoff=cutoff, as_of=as_of)
        if labels.num_rows == 0:
            continue
        table = at(cutoff)
        position = {c: i for i, c in enumerate(table.column("customer_id").to_pylist())}
        label_ids = labels.column("customer_id").to_pylist()
        label_ys = labels.column("label").to_pylist()
        rows = [
            (position[c], c, y) for c, y in zip(label_ids, label_ys, strict=True) if c in position
        ]
        if not rows:
            continue
        take = pa.array([r[0] for r in rows], pa.int64())
        xs.append(feature_matrix(table.take(take), features))
        ys.append(np.array([r[2] for r in rows], dtype=np.int64))
        idx.append(np.full(len(rows), len(used), dtype=np.int64))
        ids.extend(r[1] for r in rows)
        used.append(cutoff)
    if not used:
        return Slices(
            np.empty((0, len(features))),
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.int64),
            (),
            (),
            features,
        )
    return Slices(
        np.vstack(xs),
        np.concatenate(ys),
        np.concatenate(idx),
        tuple(used),
        tuple(ids),
        features,
    )
