"""The value x risk grid: nine cells, each with the strategy a sales or finance lead starts from.

Value score bands: low below ``value_mid`` (33), mid below ``value_high`` (67), high from there.
Risk score bands: low below ``risk_medium`` (30), medium below ``risk_high`` (60), high from
there; these are the bands of the run summary (``riskseg.pipeline.RISK_BANDS``), so the grid
and the summary count the same customers as "high risk".

Prospects are not placed in the grid (``prospect``: they have no value yet); a customer without
a risk or a value score is ``unscored``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

VALUE_BANDS: tuple[str, ...] = ("low", "mid", "high")
RISK_BANDS: tuple[str, ...] = ("low", "medium", "high")

#: (value band, risk band) -> (label, default strategy)
CELLS: dict[tuple[str, str], tuple[str, str]] = {
    ("high", "low"): ("High value, low risk", "Protect and grow"),
    ("high", "medium"): ("High value, medium risk", "Grow, with the risk under watch"),
    ("high", "high"): ("High value, high risk", "Secure: credit terms and retention"),
    ("mid", "low"): ("Mid value, low risk", "Develop: win a larger share"),
    ("mid", "medium"): ("Mid value, medium risk", "Maintain and tighten terms"),
    ("mid", "high"): ("Mid value, high risk", "Limit exposure, fix the cause"),
    ("low", "low"): ("Low value, low risk", "Serve at low cost"),
    ("low", "medium"): ("Low value, medium risk", "Cut the cost to serve"),
    ("low", "high"): ("Low value, high risk", "Reduce exposure, exit ladder"),
}

#: cells outside the grid: name -> (label, default strategy)
OUTSIDE: dict[str, tuple[str, str]] = {
    "prospect": ("Prospect", "Qualify before quoting"),
    "unscored": ("Not scored", "Complete the data"),
}


def cell_name(value_band: str, risk_band: str) -> str:
    """``high_value_low_risk`` for the cell (high, low)."""
    return f"{value_band}_value_{risk_band}_risk"


#: every grid segment with its label and strategy, in grid order (high value first)
GRID_SEGMENTS: dict[str, tuple[str, str]] = {
    **{cell_name(v, r): CELLS[(v, r)] for v in reversed(VALUE_BANDS) for r in RISK_BANDS},
    **OUTSIDE,
}


class GridSettings(BaseModel):
    """Band edges of the value x risk grid (scores 0-100)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value_mid: float = Field(default=33.0, ge=0, le=100, description="lowest mid value score")
    value_high: float = Field(default=67.0, ge=0, le=100, description="lowest high value score")
    risk_medium: float = Field(default=30.0, ge=0, le=100, description="lowest medium risk score")
    risk_high: float = Field(default=60.0, ge=0, le=100, description="lowest high risk score")

    @model_validator(mode="after")
    def _ordered(self) -> GridSettings:
        if not self.value_mid < self.value_high:
            raise ValueError(
                f"value_mid ({self.value_mid}) must be below value_high ({self.value_high})"
            )
        if not self.risk_medium < self.risk_high:
            raise ValueError(
                f"risk_medium ({self.risk_medium}) must be below risk_high ({self.risk_high})"
            )
        return self


def _band(values: NDArray[np.float64], low: float, high: float) -> NDArray[np.int64]:
    return np.asarray((values >= low).astype(np.int64) + (values >= high).astype(np.int64))


def grid_segments(
    risk_score: NDArray[np.float64],
    value_score: NDArray[np.float64],
    prospect: NDArray[np.bool_],
    settings: GridSettings | None = None,
) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Grid segment, label and strategy of every customer.

    Parameters
    ----------
    risk_score, value_score
        Scores 0-100, NaN where not scored.
    prospect
        True for prospects (they get ``prospect`` whatever their scores).
    settings
        Band edges.

    Examples
    --------
    >>> import numpy as np
    >>> seg, label, strategy = grid_segments(
    ...     np.array([10.0, 75.0, np.nan]), np.array([90.0, 5.0, 50.0]), np.zeros(3, bool))
    >>> seg.to_pylist()
    ['high_value_low_risk', 'low_value_high_risk', 'unscored']
    >>> strategy[0].as_py()
    'Protect and grow'
    """
    s = settings or GridSettings()
    names = list(GRID_SEGMENTS)
    code = {name: i for i, name in enumerate(names)}
    v = _band(value_score, s.value_mid, s.value_high)
    r = _band(risk_score, s.risk_medium, s.risk_high)
    # grid order runs high value first: row (2 - value band), column risk band
    cell = (2 - v) * 3 + r
    cell = np.where(np.isnan(risk_score) | np.isnan(value_score), code["unscored"], cell)
    cell = np.where(prospect, code["prospect"], cell)
    index = pa.array(cell, pa.int64())
    return (
        pa.array(names, pa.string()).take(index),
        pa.array([GRID_SEGMENTS[n][0] for n in names], pa.string()).take(index),
        pa.array([GRID_SEGMENTS[n][1] for n in names], pa.string()).take(index),
    )
