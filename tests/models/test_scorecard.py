"""The scorecard on hand-made signal tables, every expected score worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from riskseg.config import SettingsError
from riskseg.errors import NotFittedError
from riskseg.models import ModelMeta, load_model, save_model
from riskseg.models.scorecard import (
    BinnedRule,
    Scorecard,
    default_scorecard_path,
    load_scorecard_settings,
)

SMALL = """\
version: 1
risk:
  families:
    payment: {weight: 60, label: payment}
    external: {weight: 40, label: external credit}
  emphasis: 0
  signals:
    - signal: days_late_mean_12m
      family: payment
      weight: 3
      bins: [[1, 10], [30, 80]]
      reason: "paid {value:.0f} days late on average over 12 months"
    - signal: dispute_rate_12m
      family: payment
      weight: 1
      bins: [[0.1, 100]]
      reason: "disputed {value:.0%} of invoices"
    - signal: credit_score
      family: external
      weight: 1
      bins: [[-.inf, 100], [50, 20], [80, 0]]
      reason: "credit score {value:.0f} of 100"
value:
  signals:
    - signal: revenue_12m
      weight: 1
      reason: "revenue {value:,.0f} over 12 months"
prospects:
  reject_probability_of_default: 0.1
  reject_insolvency: true
  reject_risk_score: 60
  signals:
    - signal: credit_score
      weight: 1
      bins: [[-.inf, 100], [50, 20], [80, 0]]
      reason: "credit score {value:.0f} of 100"
"""


def _card(tmp_path: Path, text: str = SMALL, name: str = "card.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _table(**columns: list[object]) -> pa.Table:
    n = len(next(iter(columns.values())))
    return pa.table({"customer_id": [f"C{i}" for i in range(n)], **columns})


def test_bins_give_the_points_of_the_last_bin_at_or_below_the_value() -> None:
    rule = BinnedRule(
        signal="days_late_mean_12m",
        family="payment",
        weight=1,
        bins=[(1, 10), (30, 80)],
        reason="x {value}",
    )
    values = np.array([0.0, 1.0, 29.9, 30.0, 400.0, np.nan])
    assert rule.points(values).tolist()[:5] == [0.0, 10.0, 10.0, 80.0, 80.0]
    assert np.isnan(rule.points(values)[5])  # no data stays no data


def test_risk_score_by_hand(tmp_path: Path) -> None:
    table = _table(
        days_late_mean_12m=[40.0, 5.0, None, None],
        dispute_rate_12m=[0.2, 0.0, None, None],
        credit_score=[60.0, 90.0, 30.0, None],
        revenue_12m=[100.0, 200.0, 300.0, None],
    )
    result = Scorecard(_card(tmp_path)).fit(table).score(table)
    # C0: payment = (3*80 + 1*100) / 4 = 85, external = 20 -> 0.6*85 + 0.4*20 = 59
    # C1: payment = (3*10 + 0) / 4 = 7.5, external = 0 -> 4.5
    # C2: no invoices: only external counts (missing is not zero) -> 100
    # C3: nothing known -> no score at all
    assert result.sub_scores["payment"][:2].tolist() == [85.0, 7.5]
    assert result.risk_score[:3].tolist() == pytest.approx([59.0, 4.5, 100.0])
    assert np.isnan(result.risk_score[3])
    assert np.isnan(result.sub_scores["payment"][2])


def test_reasons_are_the_largest_points_in_words_and_add_up(tmp_path: Path) -> None:
    table = _table(
        days_late_mean_12m=[40.0, 5.0], dispute_rate_12m=[0.2, 0.0], credit_score=[60.0, 90.0]
    )
    result = Scorecard(_card(tmp_path)).fit(table).score(table)
    # C0: days late 0.6 * 3/4 * 80 = 36, disputes 0.6 * 1/4 * 100 = 15, score 0.4 * 20 = 8
    assert result.risk_reasons.top(3)[0] == [
        "paid 40 days late on average over 12 months, +36 points",
        "disputed 20% of invoices, +15 points",
        "credit score 60 of 100, +8 points",
    ]
    assert result.risk_reasons.contributions.sum(axis=1) == pytest.approx(result.risk_score)
    # C1: 0.6 * 3/4 * 10 = 4.5 points; nothing else adds a point
    assert result.risk_reasons.text(1) == "paid 5 days late on average over 12 months, +4 points"


def test_emphasis_weighs_what_is_wrong_more(tmp_path: Path) -> None:
    table = _table(days_late_mean_12m=[40.0], dispute_rate_12m=[0.0], credit_score=[90.0])
    plain = Scorecard(_card(tmp_path)).fit(table).score(table).risk_score[0]
    emphasised = _card(tmp_path, SMALL.replace("emphasis: 0", "emphasis: 3"), "e.yaml")
    result = Scorecard(emphasised).fit(table).score(table)
    # payment: days late 3 * (1 + 3*0.8) = 10.2 at 80 points, disputes 1 at 0 -> 80*10.2/11.2
    payment = 80 * 10.2 / 11.2
    assert result.sub_scores["payment"][0] == pytest.approx(payment)
    # families: payment 60 * (1 + 3*payment/100), external 40 * 1 at 0 points
    w = 60 * (1 + 3 * payment / 100)
    assert result.risk_score[0] == pytest.approx(payment * w / (w + 40))
    assert plain == pytest.approx(0.6 * 60)
    assert result.risk_reasons.contributions.sum() == pytest.approx(result.risk_score[0])


def test_value_score_ranks_within_the_portfolio(tmp_path: Path) -> None:
    revenue = [float(x) for x in range(101)]  # 0..100: value x is the x-th percentile
    table = _table(revenue_12m=[*revenue, None])
    card = Scorecard(_card(tmp_path)).fit(table)
    result = card.score(_table(revenue_12m=[0.0, 25.0, 50.5, 100.0, 1e9, -5.0, None]))
    assert result.value_score[:6].tolist() == pytest.approx([0, 25, 50.5, 100, 100, 0])
    assert np.isnan(result.value_score[6])
    assert card.score(_table(revenue_12m=[90.0])).value_reasons.text(0) == (
        "revenue 90 over 12 months, top 10% of the portfolio, +90 points"
    )


def test_tied_values_rank_alike(tmp_path: Path) -> None:
    table = _table(revenue_12m=[0.0] * 50 + [float(x) for x in range(1, 51)])
    result = Scorecard(_card(tmp_path)).fit(table).score(table)
    zeros = result.value_score[:50]
    assert np.all(zeros == zeros[0]) and 10 < zeros[0] < 40


def test_prospects_are_refused_over_the_lines(tmp_path: Path) -> None:
    table = _table(
        credit_score=[90.0, 40.0, 90.0, 90.0, None, 90.0],
        probability_of_default=[0.01, 0.01, 0.12, 0.01, None, 0.01],
        insolvency=[False, False, False, True, None, False],
    )
    prospect = np.array([True, True, True, True, True, False])
    result = Scorecard(_card(tmp_path)).fit(table).score(table, prospect=prospect)
    # credit 90 -> 0 points (accept); credit 40 is below 50 -> 100 points, over the 60 line
    assert result.prospect_decision == ["accept", "reject", "reject", "reject", "review", None]
    assert result.prospect_score[:2].tolist() == [0.0, 100.0]


def test_shipped_scorecard_is_valid_and_uses_every_family() -> None:
    settings = load_scorecard_settings()
    assert {r.family for r in settings.risk.signals} == set(settings.risk.families)
    assert sum(f.weight for f in settings.risk.families.values()) == 100
    assert default_scorecard_path().is_file()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("signal: dispute_rate_12m", "signal: dispute_rate"), "line 13, risk.signals.1.signal"),
        (("[[1, 10], [30, 80]]", "[[30, 10], [1, 80]]"), "line 11, risk.signals.0.bins: "),
        (("weight: 3", "wieght: 3"), "line 10, risk.signals.0.wieght: unknown key"),
        (("payment: {weight: 60", "paymnt: {weight: 60"), "unknown risk families ['paymnt']"),
        (("{value:.0%} of invoices", "{valeu} of invoices"), "does not format a value"),
    ],
)
def test_settings_errors_name_the_key_and_the_line(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    bad = _card(tmp_path, SMALL.replace(*edit))
    with pytest.raises(SettingsError) as info:
        Scorecard(bad).fit(_table(revenue_12m=[1.0]))
    assert message in str(info.value)
    assert str(bad) in str(info.value)


def test_not_fitted_and_round_trip(tmp_path: Path) -> None:
    table = _table(days_late_mean_12m=[40.0, 3.0], revenue_12m=[5.0, 9.0])
    with pytest.raises(NotFittedError):
        Scorecard().score(table)
    card = Scorecard().fit(table)
    path = save_model(card, tmp_path / "scorecard.json", meta=ModelMeta(fingerprint="abc"))
    loaded, meta = load_model(path)
    assert meta.fingerprint == "abc" and meta.version
    again = loaded.score(table)  # type: ignore[attr-defined]
    first = card.score(table)
    assert again.risk_score.tolist() == first.risk_score.tolist()
    assert again.value_score.tolist() == first.value_score.tolist()
    assert again.risk_reasons.text(0) == first.risk_reasons.text(0)


def test_docs_show_the_shipped_scorecard() -> None:
    from conftest import ROOT
    from riskseg.models.scorecard import DOCS_BEGIN, DOCS_END, markdown

    page = (ROOT / "docs" / "scores.md").read_text(encoding="utf-8")
    section = page[page.index(DOCS_BEGIN) : page.index(DOCS_END) + len(DOCS_END)]
    assert section == markdown(), (
        "docs/scores.md is stale: regenerate its scorecard section with "
        "riskseg.models.scorecard.markdown()"
    )


@pytest.mark.slow
def test_docs_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from conftest import ROOT

    page = (ROOT / "docs" / "scores.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/scores.md", "exec"), namespace)
    assert (tmp_path / "demo-scores-out" / "customers_scored.csv").is_file()
    assert namespace["row"]["reasons"] is None or "points" in namespace["row"]["reasons"]  # type: ignore[index]
