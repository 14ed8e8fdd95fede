"""The scorecard: risk and value scores from weighted, binned signals, with their reasons.

It needs no training, so it works from a company's first customer: every signal of the
shipped ``scorecard.yaml`` earns points from its bins, families average their signals, the
risk score averages the families, and each customer's reasons are the signals that add the
most points. The points of all reasons add up to the score, so "why 64?" always has an answer.

The value score ranks customers within the portfolio (percentiles), so ``fit`` learns the
portfolio's distribution of each value signal at the ``as_of`` it is given; scoring another
day's table uses the same yardstick.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from riskseg.config import load_settings
from riskseg.models.base import Model, register_model
from riskseg.models.reasons import Reasons, signal_values
from riskseg.signals.registry import REGISTRY

Array = NDArray[np.float64]

#: the risk families of the scorecard, in report order
RISK_FAMILIES: tuple[str, ...] = (
    "payment",
    "commercial",
    "cost_to_serve",
    "external",
    "conduct",
    "loyalty",
)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signal: str
    weight: float = Field(gt=0)
    reason: str

    @field_validator("signal")
    @classmethod
    def _known(cls, v: str) -> str:
        sig = REGISTRY.get(v)
        if sig is None:
            raise ValueError(f"unknown signal {v!r} (riskseg signals --list shows them all)")
        if sig.dtype not in ("float64", "int64", "boolean"):
            raise ValueError(f"signal {v!r} is a {sig.dtype}; only numbers and yes/no score")
        return v

    @field_validator("reason")
    @classmethod
    def _template(cls, v: str) -> str:
        try:
            v.format(value=1.5)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"reason template {v!r} does not format a value: {exc}") from None
        return v


class BinnedRule(_Rule):
    """A signal that earns points from bins: ``[from, points]`` pairs, ``from`` rising."""

    family: str | None = None
    bins: list[tuple[float, float]] = Field(min_length=1)

    @field_validator("bins")
    @classmethod
    def _rising(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        froms = [b[0] for b in v]
        if any(b >= a for a, b in zip(froms[1:], froms, strict=False)):
            raise ValueError(f"bins must rise: each 'from' above the one before, got {froms}")
        bad = [p for _, p in v if not 0 <= p <= 100 or math.isnan(p)]
        if bad:
            raise ValueError(f"points must be between 0 and 100, got {bad}")
        return v

    def points(self, values: Array) -> Array:
        """Points per value; NaN (no data) stays NaN; below the first bin, 0."""
        froms = np.array([b[0] for b in self.bins])
        pts = np.array([b[1] for b in self.bins])
        idx = np.searchsorted(froms, values, side="right") - 1
        out = np.where(idx < 0, 0.0, pts[np.clip(idx, 0, None)])
        return np.where(np.isnan(values), np.nan, out)


class Family(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = Field(gt=0)
    label: str


class RiskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    families: dict[str, Family]
    #: how much a weight grows with its points (0: plain weighted mean; 3: a weight at 100
    #: points counts 4 times), so one bad area is not averaged away by many good ones
    emphasis: float = Field(default=3.0, ge=0, le=10)
    signals: list[BinnedRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _families_known(self) -> RiskSettings:
        unknown = set(self.families) - set(RISK_FAMILIES)
        if unknown:
            raise ValueError(
                f"unknown risk families {sorted(unknown)}; known: {', '.join(RISK_FAMILIES)}"
            )
        for i, rule in enumerate(self.signals):
            if rule.family not in self.families:
                raise ValueError(
                    f"signals.{i} ({rule.signal}): family {rule.family!r} is not one of "
                    f"the families above ({', '.join(self.families)})"
                )
        return self


class ValueSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signals: list[_Rule] = Field(min_length=1)


class ProspectSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reject_probability_of_default: float | None = Field(default=0.10, ge=0, le=1)
    reject_insolvency: bool = True
    reject_risk_score: float | None = Field(default=70, ge=0, le=100)
    signals: list[BinnedRule] = Field(min_length=1)


class ScorecardSettings(BaseModel):
    """What ``scorecard.yaml`` holds; see the shipped file for the meaning of every key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    risk: RiskSettings
    value: ValueSettings
    prospects: ProspectSettings


def default_scorecard_path() -> Path:
    """The shipped ``scorecard.yaml``."""
    return Path(str(resources.files("riskseg.models").joinpath("scorecard.yaml")))


def load_scorecard_settings(path: str | os.PathLike[str] | None = None) -> ScorecardSettings:
    """Validate a scorecard file (default: the shipped one); errors name the key and line."""
    return load_settings(path or default_scorecard_path(), ScorecardSettings)


@dataclass(frozen=True)
class ScorecardResult:
    """Scores per customer, in the order of the scored table."""

    risk_score: Array
    #: family -> sub-score (0-100, NaN without data)
    sub_scores: dict[str, Array]
    value_score: Array
    #: pre-contract score of every row (meaningful for prospects)
    prospect_score: Array
    #: "reject" / "accept" / "review" for prospects, None for customers
    prospect_decision: list[str | None]
    risk_reasons: Reasons
    value_reasons: Reasons
    prospect_reasons: Reasons


_QUANTILES = np.linspace(0.0, 100.0, 101)


@register_model
class Scorecard(Model):
    """Weighted, binned risk score and portfolio-ranked value score (0-100 each).

    Parameters
    ----------
    path
        A scorecard YAML file; ``None`` uses the shipped ``scorecard.yaml``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = pa.table({"customer_id": ["A", "B"], "days_late_mean_12m": [2.0, 45.0],
    ...                   "revenue_12m": [100.0, 900.0]})
    >>> result = Scorecard().fit(table).score(table)
    >>> [round(x) for x in result.risk_score]
    [15, 75]
    >>> result.risk_reasons.text(1)
    'paid 45 days late on average over 12 months, +75 points'
    """

    fitted_attributes: ClassVar[tuple[str, ...]] = ("settings_", "value_quantiles_")

    def __init__(self, path: str | None = None) -> None:
        self.path = path

    def fit(self, signals: pa.Table) -> Scorecard:
        """Read the settings and learn the portfolio's distribution of each value signal."""
        settings = load_scorecard_settings(self.path)
        quantiles: dict[str, list[float]] = {}
        for rule in settings.value.signals:
            values = signal_values(signals, rule.signal)
            known = values[~np.isnan(values)]
            if known.size:
                quantiles[rule.signal] = np.percentile(known, _QUANTILES).tolist()
        self.settings_ = settings
        self.value_quantiles_ = quantiles
        return self

    def get_state(self) -> dict[str, Any]:
        self.check_fitted()
        return {"settings_": self.settings_.model_dump(), "value_quantiles_": self.value_quantiles_}

    def set_state(self, state: dict[str, Any]) -> None:
        self.settings_ = ScorecardSettings.model_validate(state["settings_"])
        self.value_quantiles_ = {k: list(v) for k, v in state["value_quantiles_"].items()}

    def score(
        self, signals: pa.Table, *, prospect: NDArray[np.bool_] | None = None
    ) -> ScorecardResult:
        """Risk, value and prospect scores with their reasons for every row of ``signals``."""
        self.check_fitted()
        n = signals.num_rows
        is_prospect = np.zeros(n, dtype=bool) if prospect is None else np.asarray(prospect)
        risk, subs, risk_reasons = self._risk(signals)
        value, value_reasons = self._value(signals)
        pscore, decision, p_reasons = self._prospects(signals, is_prospect)
        return ScorecardResult(
            risk_score=risk,
            sub_scores=subs,
            value_score=value,
            prospect_score=pscore,
            prospect_decision=decision,
            risk_reasons=risk_reasons,
            value_reasons=value_reasons,
            prospect_reasons=p_reasons,
        )

    # -- risk --------------------------------------------------------------------------------

    def _risk(self, signals: pa.Table) -> tuple[Array, dict[str, Array], Reasons]:
        rules = self.settings_.risk.signals
        fams = self.settings_.risk.families
        values = np.column_stack([signal_values(signals, r.signal) for r in rules])
        points = np.column_stack([r.points(values[:, j]) for j, r in enumerate(rules)])
        emphasis = self.settings_.risk.emphasis
        rule_w = np.array([r.weight for r in rules]) * (
            1.0 + emphasis * np.nan_to_num(points) / 100
        )
        # within-family share of each rule, over the rules that have data
        share = np.zeros_like(points)
        subs: dict[str, Array] = {}
        for name in fams:
            cols = np.array([r.family == name for r in rules])
            subs[name], share[:, cols] = _weighted_mean(points[:, cols], rule_w[:, cols])
        sub_matrix = np.column_stack(list(subs.values()))
        fam_w = np.array([f.weight for f in fams.values()])
        fam_w = fam_w * (1.0 + emphasis * np.nan_to_num(sub_matrix) / 100)
        risk, fam_share = _weighted_mean(sub_matrix, fam_w)
        fam_index = {name: i for i, name in enumerate(fams)}
        rule_fam_share = np.column_stack([fam_share[:, fam_index[str(r.family)]] for r in rules])
        contrib = np.nan_to_num(rule_fam_share * share * points)
        return (
            risk,
            subs,
            Reasons(values, contrib, [r.reason for r in rules], unit="points", sign="+"),
        )

    # -- value -------------------------------------------------------------------------------

    def _value(self, signals: pa.Table) -> tuple[Array, Reasons]:
        rules = self.settings_.value.signals
        n = signals.num_rows
        values = np.column_stack([signal_values(signals, r.signal) for r in rules])
        pct = np.full((n, len(rules)), np.nan)
        for j, rule in enumerate(rules):
            q = self.value_quantiles_.get(rule.signal)
            if q is not None:
                pct[:, j] = _percentile(values[:, j], np.asarray(q))
        value, share = _weighted_mean(pct, np.array([r.weight for r in rules]))
        contrib = np.nan_to_num(share * pct)
        templates = [r.reason + ", {rank}" for r in rules]
        return value, Reasons(values, contrib, templates, unit="points", sign="+", ranks=pct)

    # -- prospects ---------------------------------------------------------------------------

    def _prospects(
        self, signals: pa.Table, is_prospect: NDArray[np.bool_]
    ) -> tuple[Array, list[str | None], Reasons]:
        p = self.settings_.prospects
        rules = p.signals
        values = np.column_stack([signal_values(signals, r.signal) for r in rules])
        points = np.column_stack([r.points(values[:, j]) for j, r in enumerate(rules)])
        score, share = _weighted_mean(points, np.array([r.weight for r in rules]))
        pd_ = signal_values(signals, "probability_of_default")
        insolvent = signal_values(signals, "insolvency") == 1.0
        has_report = ~np.isnan(pd_) | ~np.isnan(signal_values(signals, "credit_score"))
        reject = np.zeros(len(score), dtype=bool)
        if p.reject_probability_of_default is not None:
            reject |= pd_ >= p.reject_probability_of_default
        if p.reject_insolvency:
            reject |= insolvent
        if p.reject_risk_score is not None:
            reject |= score >= p.reject_risk_score
        decision: list[str | None] = [
            None if not pr else "reject" if rj else "accept" if rep else "review"
            for pr, rj, rep in zip(is_prospect, reject, has_report, strict=True)
        ]
        contrib = np.nan_to_num(share * points)
        return (
            score,
            decision,
            Reasons(values, contrib, [r.reason for r in rules], unit="points", sign="+"),
        )


def _weighted_mean(values: Array, weights: Array) -> tuple[Array, Array]:
    """Row-wise weighted mean over the columns that have data, and each column's share of it.

    ``values`` is n x k (NaN = no data); ``weights`` k or n x k. A row without data has a NaN
    mean and shares of 0, so ``share * values`` (NaN as 0) adds up to the mean.
    """
    w = np.where(np.isnan(values), 0.0, np.broadcast_to(weights, values.shape))
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total[:, None] > 0, w / total[:, None], 0.0)
    mean = np.where(total > 0, np.nansum(share * values, axis=1), np.nan)
    return mean, share


def _percentile(values: Array, quantiles: Array) -> Array:
    """Percentile rank 0-100 of each value against the 101 learned quantiles; NaN stays NaN.

    Between two quantiles the rank is interpolated; a value that many customers share (a flat
    stretch of quantiles, e.g. 0 orders) ranks in the middle of its stretch, so ties rank alike.
    """
    last = len(quantiles) - 1
    left = np.searchsorted(quantiles, values, side="left")
    right = np.searchsorted(quantiles, values, side="right")
    lo = np.clip(left - 1, 0, last)
    hi = np.clip(left, 0, last)
    span = quantiles[hi] - quantiles[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, (values - quantiles[lo]) / span, 0.0)
    rank = np.where(right > left, (left + right - 1) / 2.0, lo + frac)
    rank = rank * (100.0 / last)
    return np.where(np.isnan(values), np.nan, np.clip(rank, 0.0, 100.0))


DOCS_BEGIN = "<!-- scorecard:reference -->"
DOCS_END = "<!-- /scorecard:reference -->"


def _bins_text(bins: list[tuple[float, float]]) -> str:
    parts = []
    for i, (low, pts) in enumerate(bins):
        if low == -math.inf:
            start = f"below {bins[i + 1][0]:g}" if i + 1 < len(bins) else "any value"
        else:
            start = f"from {low:g}"
        parts.append(f"{start}: {pts:g}")
    return "; ".join(parts)


def markdown(settings: ScorecardSettings | None = None) -> str:
    """The shipped scorecard as tables, for ``docs/scores.md`` (a test keeps them equal)."""
    s = settings or load_scorecard_settings()
    lines = [DOCS_BEGIN, "", f"Emphasis: {s.risk.emphasis:g}.", ""]
    lines += ["| family | weight | signal | weight in family | points (value: points) |"]
    lines += ["|---|---:|---|---:|---|"]
    for name, fam in s.risk.families.items():
        for rule in (r for r in s.risk.signals if r.family == name):
            lines.append(
                f"| {fam.label} | {fam.weight:g} | `{rule.signal}` | {rule.weight:g} | "
                f"{_bins_text(rule.bins)} |"
            )
    lines += ["", "Value score (percentile in the portfolio):", ""]
    lines += ["| signal | weight |", "|---|---:|"]
    lines += [f"| `{r.signal}` | {r.weight:g} |" for r in s.value.signals]
    p = s.prospects
    lines += [
        "",
        "Prospects are refused at a probability of default of "
        f"{p.reject_probability_of_default if p.reject_probability_of_default is not None else 'none'}"
        f", {'an insolvency, ' if p.reject_insolvency else ''}"
        f"or a pre-contract score of {p.reject_risk_score if p.reject_risk_score is not None else 'none'} "
        "or more:",
        "",
        "| signal | weight | points (value: points) |",
        "|---|---:|---|",
    ]
    lines += [f"| `{r.signal}` | {r.weight:g} | {_bins_text(r.bins)} |" for r in p.signals]
    lines += ["", DOCS_END]
    return "\n".join(lines)
