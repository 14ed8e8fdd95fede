"""The value x risk grid: band edges, prospects, unscored customers."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from riskseg.pipeline import RISK_BANDS
from riskseg.segments import GRID_SEGMENTS, GridSettings
from riskseg.segments.grid import grid_segments


def _grid(risk: list[float], value: list[float], prospect: list[bool] | None = None) -> list[str]:
    flags = np.array(prospect if prospect is not None else [False] * len(risk))
    seg, _, _ = grid_segments(np.array(risk, float), np.array(value, float), flags)
    return seg.to_pylist()


def test_band_edges_belong_to_the_upper_band() -> None:
    assert _grid([29.9, 30.0, 59.9, 60.0], [32.9, 33.0, 66.9, 67.0]) == [
        "low_value_low_risk",
        "mid_value_medium_risk",
        "mid_value_medium_risk",
        "high_value_high_risk",
    ]


def test_risk_bands_are_the_run_summary_bands() -> None:
    s = GridSettings()
    assert dict(RISK_BANDS) == {"low": 0.0, "medium": s.risk_medium, "high": s.risk_high}


def test_every_cell_has_a_label_and_a_strategy() -> None:
    _, label, strategy = grid_segments(
        np.array([10.0, 70.0, 80.0]), np.array([90.0, 90.0, 5.0]), np.zeros(3, dtype=bool)
    )
    assert label.to_pylist() == [
        "High value, low risk",
        "High value, high risk",
        "Low value, high risk",
    ]
    assert strategy[0].as_py() == "Protect and grow"
    assert "credit" in strategy[1].as_py().lower()
    assert "exit" in strategy[2].as_py().lower()
    assert len(GRID_SEGMENTS) == 11  # nine cells, prospect, unscored
    assert all(lbl and strat for lbl, strat in GRID_SEGMENTS.values())


def test_prospects_and_missing_scores_are_outside_the_grid() -> None:
    assert _grid([80.0, np.nan, 10.0], [np.nan, 50.0, np.nan], [True, False, False]) == [
        "prospect",
        "unscored",
        "unscored",
    ]


def test_custom_bands_move_customers() -> None:
    seg, _, _ = grid_segments(
        np.array([45.0]),
        np.array([50.0]),
        np.zeros(1, dtype=bool),
        GridSettings(value_high=50, risk_high=40),
    )
    assert seg.to_pylist() == ["high_value_high_risk"]


def test_inverted_bands_are_refused_with_both_values() -> None:
    with pytest.raises(ValidationError, match=r"risk_medium \(70.0\) must be below risk_high"):
        GridSettings(risk_medium=70)
