"""Reasons in plain words: "paid 41 days late on average over 12 months, +18 points".

Every score in riskseg carries the signals that moved it most, written the way a credit
manager would say them, with the value and its weight. The scorecard and the models fill the
same :class:`Reasons`, so a churn model's contribution reads like a scorecard point.

Formatting is vectorised down to the three strings per customer: for 1M customers the
ranking is one ``argpartition`` and the text about 3M ``str.format`` calls (see
``docs/benchmarks.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from riskseg.signals.registry import REGISTRY

Array = NDArray[np.float64]

#: how a model's contribution to a signal is said when no scorecard rule words it
_UNIT_FORMATS: dict[str, str] = {
    "days": "{value:.0f} days",
    "share 0-1": "{value:.0%}",
    "currency": "{value:,.0f}",
    "yes/no": "{value:.0f}",
    "ratio": "{value:.2f}",
}


def signal_values(table: pa.Table, name: str) -> Array:
    """Column ``name`` as floats: NULL -> NaN, yes/no -> 1/0, a missing column -> all NaN."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    col = table.column(name)
    if pa.types.is_boolean(col.type):
        col = pc.cast(col, pa.int8())
    arr = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(arr, dtype=np.float64)


def generic_phrase(name: str) -> str:
    """A reason template for any registered signal: its meaning with the value."""
    sig = REGISTRY.get(name)
    if sig is None:
        return name.replace("_", " ") + " {value:.3g}"
    fmt = _UNIT_FORMATS.get(sig.unit, "{value:.3g}")
    meaning = sig.meaning.rstrip(".")
    # keep the reason short: the meaning up to its first clause
    short = meaning.split(": ")[0].split(" (")[0]
    return short[0].lower() + short[1:] + ": " + fmt


@dataclass
class Reasons:
    """Per-row contributions of a set of signals to a score, and the words for each.

    Parameters
    ----------
    values
        n x k matrix of signal values (NaN = no data).
    contributions
        n x k matrix: how much each signal adds to the score of each row.
    templates
        k ``str.format`` templates with ``{value}`` (and ``{rank}`` when ``ranks`` is given).
    unit
        What a contribution is counted in ("points", "pp").
    sign
        ``"+"``: reasons are the largest positive contributions (what raised a risk score);
        ``"-"``: the most negative.
    ranks
        Optional n x k percentile ranks, worded as "top 8% of the portfolio".
    """

    values: Array
    contributions: Array
    templates: list[str]
    unit: str = "points"
    sign: Literal["+", "-"] = "+"
    ranks: Array | None = None
    #: contributions below this (in ``unit``) are not worth a reason
    min_contribution: float = 0.5

    def _order(self, k: int) -> NDArray[np.intp]:
        c = self.contributions if self.sign == "+" else -self.contributions
        k = min(k, c.shape[1])
        if k == 0:
            return np.zeros((c.shape[0], 0), dtype=np.intp)
        part = np.argpartition(-c, k - 1, axis=1)[:, :k] if c.shape[1] > k else None
        idx = np.tile(np.arange(c.shape[1]), (c.shape[0], 1)) if part is None else part
        picked = np.take_along_axis(c, idx, axis=1)
        # stable, deterministic order: by contribution, then by the rule's position
        order = np.lexsort((idx, -picked), axis=1)
        return np.asarray(np.take_along_axis(idx, order, axis=1)[:, :k])

    def top(self, k: int = 3) -> list[list[str]]:
        """The ``k`` largest reasons of every row, as sentences (fewer when fewer matter)."""
        ranks = self._ranked(k)
        n = self.contributions.shape[0]
        return [[r[i] for r in ranks if r[i] is not None] for i in range(n)]  # type: ignore[misc]

    def texts(self, k: int = 3, *, mask: NDArray[np.bool_] | None = None) -> list[str | None]:
        """Each row's top ``k`` reasons joined with "; " (None where none matters or ``mask``
        is False): the ``reasons`` cell of a customer."""
        ranks = self._ranked(k)
        n = self.contributions.shape[0]
        out: list[str | None] = [None] * n
        for r in ranks:
            out = [
                a if b is None else b if a is None else a + "; " + b
                for a, b in zip(out, r, strict=True)
            ]
        if mask is not None:
            out = [t if m else None for t, m in zip(out, mask.tolist(), strict=True)]
        return out

    def text(self, i: int, k: int = 3) -> str:
        """Row ``i``'s top reasons joined with "; " ("" when none matters)."""
        one = Reasons(
            self.values[i : i + 1],
            self.contributions[i : i + 1],
            self.templates,
            self.unit,
            self.sign,
            None if self.ranks is None else self.ranks[i : i + 1],
            self.min_contribution,
        )
        return one.texts(k)[0] or ""

    def _ranked(self, k: int) -> list[list[str | None]]:
        """Per rank (largest first), every row's sentence or None.

        Vectorised by signal: the rows whose reason of this rank is signal ``j`` are formatted
        together from plain Python floats, which is what makes 3M sentences take seconds.
        """
        order = self._order(k)
        c = self.contributions
        n = c.shape[0]
        rows = np.arange(n)
        out: list[list[str | None]] = []
        for r in range(order.shape[1]):
            j = order[:, r]
            amount = c[rows, j]
            big = (amount if self.sign == "+" else -amount) >= self.min_contribution
            texts: list[str | None] = [None] * n
            for col in np.unique(j[big]).tolist():
                at = np.flatnonzero(big & (j == col))
                for i, sentence in zip(at.tolist(), self._sentences(at, col), strict=True):
                    texts[i] = sentence
            out.append(texts)
        return out

    def _sentences(self, at: NDArray[np.intp], j: int) -> list[str]:
        template = self.templates[j]
        values = self.values[at, j].tolist()
        amounts = self.contributions[at, j].tolist()
        unit = self.unit
        if self.ranks is None:
            return [
                f"{template.format(value=v)}, {a:+.0f} {unit}"
                for v, a in zip(values, amounts, strict=True)
            ]
        ranks = self.ranks[at, j].tolist()
        return [
            f"{template.format(value=v, rank=_rank_words(q))}, {a:+.0f} {unit}"
            for v, a, q in zip(values, amounts, ranks, strict=True)
        ]


def _rank_words(rank: float) -> str:
    if rank >= 50:
        return f"top {max(1, round(100 - rank))}% of the portfolio"
    return f"bottom {max(1, round(rank))}% of the portfolio"
