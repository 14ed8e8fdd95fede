"""RiskClassifier on a small demo company: it learns, keeps its constraints and its contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import riskseg
from riskseg.demo import generate
from riskseg.errors import NotFittedError, RisksegError
from riskseg.models import load_model, save_model
from riskseg.models.base import ModelMeta
from riskseg.models.classifier import MONOTONE, InsufficientHistory, RiskClassifier
from riskseg.models.slices import FEATURES, SignalSource, signal_cache
from riskseg.signals import REGISTRY, compute_signals

AS_OF = date(2025, 12, 31)
FAST = {"n_cutoffs": 4, "n_estimators": 60}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[riskseg.Store]:
    folder = tmp_path_factory.mktemp("demo")
    generate(customers=400, seed=2).write(folder)
    with riskseg.Store(":memory:") as store:
        assert riskseg.import_path(store, folder).exit_code == 0
        yield store


@pytest.fixture(scope="module")
def signals(demo: riskseg.Store) -> SignalSource:
    """Signals per cut-off, computed once for the module (each date takes a second or two)."""
    return signal_cache(demo)


@pytest.fixture(scope="module")
def fitted(demo: riskseg.Store, signals: SignalSource) -> dict[str, RiskClassifier]:
    return {
        t: RiskClassifier(t, **FAST).fit(demo, as_of=AS_OF, signals=signals)  # type: ignore[arg-type]
        for t in ("churn", "late_payment")
    }


@pytest.fixture(scope="module")
def now(demo: riskseg.Store) -> pa.Table:
    return compute_signals(demo, as_of=AS_OF)


def test_predicting_before_fit_raises() -> None:
    model = RiskClassifier("churn")
    with pytest.raises(NotFittedError):
        model.predict_proba(pa.table({"customer_id": ["C1"]}))
    with pytest.raises(NotFittedError):
        model.contributions(pa.table({"customer_id": ["C1"]}))


def test_fit_learns_from_cutoffs_whose_labels_were_observed(
    fitted: dict[str, RiskClassifier],
) -> None:
    for model in fitted.values():
        span = model.label_spec.span_days
        assert model.cutoffs_[-1] == AS_OF - timedelta(days=span)
        gaps = {(b - a).days for a, b in zip(model.cutoffs_[:-1], model.cutoffs_[1:], strict=True)}
        assert gaps == {30} and len(model.cutoffs_) == 4
        assert model.fallback_ == "" and model.n_events_ >= 50
        assert 0 < model.n_events_ < model.n_rows_


def test_probabilities_rank_the_customers_that_the_demo_made_risky(
    fitted: dict[str, RiskClassifier], now: pa.Table, demo: riskseg.Store
) -> None:
    company = generate(customers=400, seed=2)
    behaviour = dict(
        zip(
            company.truth["customer_id"].to_pylist(),
            company.truth["behaviour"].to_pylist(),
            strict=True,
        )
    )
    p = fitted["late_payment"].predict_proba(now)
    assert p.shape == (now.num_rows,) and np.all((p >= 0) & (p <= 1))
    ids = now["customer_id"].to_pylist()
    chronic = [pi for c, pi in zip(ids, p, strict=True) if behaviour[c] == "chronic_late_payer"]
    core = [pi for c, pi in zip(ids, p, strict=True) if behaviour[c] == "on_time_core"]
    assert np.median(chronic) > 5 * np.median(core)


def _with(table: pa.Table, name: str, value: float) -> pa.Table:
    i = table.column_names.index(name)
    column = pa.array(np.full(table.num_rows, value), pa.float64()).cast(table.schema[i].type)
    return table.set_column(i, name, column)


@pytest.mark.parametrize(
    ("target", "signal", "grid"),
    [
        ("churn", "days_since_last_engagement", [0, 15, 30, 60, 120, 200, 365]),
        ("churn", "rfm_frequency", [0, 1, 2, 5, 10, 20, 50]),
        ("late_payment", "days_late_mean_12m", [-10, 0, 5, 15, 30, 60, 120]),
        ("late_payment", "credit_score", [0, 20, 40, 60, 80, 100]),
    ],
)
def test_monotone_constraints_hold_for_every_customer(
    fitted: dict[str, RiskClassifier], now: pa.Table, target: str, signal: str, grid: list[float]
) -> None:
    model = fitted[target]
    sign = MONOTONE[target][signal]
    p = np.array([model.predict_proba(_with(now, signal, v)) for v in grid])  # grid x customers
    steps = np.diff(p, axis=0) * sign
    assert steps.min() >= -1e-12
    assert np.abs(p[-1] - p[0]).max() > 0  # the signal is used at all


def test_contributions_add_up_to_the_log_odds(
    fitted: dict[str, RiskClassifier], now: pa.Table
) -> None:
    model = fitted["churn"]
    contrib = model.contributions(now)
    assert contrib["customer_id"].to_pylist() == now["customer_id"].to_pylist()
    assert contrib.column_names[1:-1] == model.feature_names_
    assert contrib.column_names[-1] == "intercept"
    total = np.sum([contrib[c].to_numpy() for c in contrib.column_names[1:]], axis=0)
    p = model.predict_proba(now)
    np.testing.assert_allclose(total, np.log(p / (1 - p)), rtol=1e-9, atol=1e-9)
    # the long-silent customers are pushed towards churn, the recently engaged away from it
    days = now["days_since_last_engagement"].to_numpy(zero_copy_only=False)
    push = contrib["days_since_last_engagement"].to_numpy()
    assert push[days > 120].mean() > 0 > push[days < 30].mean()


def test_isotonic_calibration_is_available(
    demo: riskseg.Store, signals: SignalSource, now: pa.Table
) -> None:
    model = RiskClassifier("late_payment", calibration="isotonic", **FAST)  # type: ignore[arg-type]
    model.fit(demo, as_of=AS_OF, signals=signals)
    assert model.calibrator_["method"] == "isotonic"
    p = model.predict_proba(now)
    assert p.min() >= 0 and p.max() <= 1


def test_features_leave_out_class_and_written_off_signals(
    fitted: dict[str, RiskClassifier],
) -> None:
    names = set(fitted["churn"].feature_names_)
    assert names == set(FEATURES)
    assert {"abc_class", "loyalty_class", "write_off_count", "write_off_amount"}.isdisjoint(names)
    assert all(REGISTRY[n].dtype != "string" for n in names)


def test_exclude_signals(demo: riskseg.Store, signals: SignalSource) -> None:
    model = RiskClassifier("churn", exclude_signals=("tenure_days",), **FAST)  # type: ignore[arg-type]
    assert "tenure_days" not in model.fit(demo, as_of=AS_OF, signals=signals).feature_names_
    with pytest.raises(riskseg.InputError, match="abc_class"):
        RiskClassifier("churn", exclude_signals=("abc_class",), **FAST).fit(  # type: ignore[arg-type]
            demo, as_of=AS_OF, signals=signals
        )


def test_saved_model_predicts_the_same(
    fitted: dict[str, RiskClassifier], now: pa.Table, tmp_path: Path
) -> None:
    for target, model in fitted.items():
        path = save_model(model, tmp_path / f"{target}.json", meta=ModelMeta(as_of=AS_OF))
        assert json.loads(path.read_text())["model"] == "RiskClassifier"
        loaded, meta = load_model(path)
        assert isinstance(loaded, RiskClassifier) and meta.as_of == AS_OF
        assert loaded.get_params() == json.loads(json.dumps(model.get_params()))
        assert loaded.cutoffs_ == model.cutoffs_
        np.testing.assert_array_equal(loaded.predict_proba(now), model.predict_proba(now))


def _tiny(tmp_path: Path) -> riskseg.Store:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "customers.csv").write_text(
        "customer_id\n" + "".join(f"C{i}\n" for i in range(20)), encoding="utf-8"
    )
    lines = ["order_id,customer_id,order_date,revenue"]
    start = date(2024, 1, 1)
    for i in range(20):
        # C0..C14 buy every month for two years; C15..C19 stop after six months
        months = 24 if i < 15 else 6
        lines += [f"O{i}-{m},C{i},{start + timedelta(days=30 * m)},100" for m in range(months)]
    (folder / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = riskseg.Store(":memory:")
    assert riskseg.import_path(store, folder).exit_code == 0
    return store


def test_too_few_events_fall_back_to_the_scorecard(tmp_path: Path) -> None:
    with _tiny(tmp_path) as store:
        model = RiskClassifier("churn", n_cutoffs=2, revenue_drop=None)
        assert model.fit(store, as_of=date(2025, 12, 31)) is model
        assert model.fallback_.startswith("only ")
        assert "churn events in 2 cut-offs (50 needed); the scorecard stands in" in model.fallback_
        assert model.n_events_ < 50 and model.booster_ is None
        table = compute_signals(store, as_of=date(2025, 12, 31))
        with pytest.raises(InsufficientHistory, match="the scorecard stands in") as err:
            model.predict_proba(table)
        assert isinstance(err.value, RisksegError)
        with pytest.raises(InsufficientHistory):
            model.contributions(table)
        # the fallback is saved and loaded like any fitted state
        path = save_model(model, tmp_path / "fallback.json", meta=ModelMeta())
        loaded, _ = load_model(path)
        assert isinstance(loaded, RiskClassifier) and loaded.fallback_ == model.fallback_


def test_bad_parameters_are_refused(demo: riskseg.Store, signals: SignalSource) -> None:
    with pytest.raises(riskseg.InputError, match="target must be one of"):
        RiskClassifier("default").fit(demo, as_of=AS_OF, signals=signals)
    with pytest.raises(riskseg.InputError, match="n_cutoffs"):
        RiskClassifier("churn", n_cutoffs=0).fit(demo, as_of=AS_OF, signals=signals)
    with pytest.raises(riskseg.InputError, match="calibration must be one of"):
        RiskClassifier("churn", calibration="beta", **FAST).fit(  # type: ignore[arg-type]
            demo, as_of=AS_OF, signals=signals
        )
