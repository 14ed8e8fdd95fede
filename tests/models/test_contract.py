"""One contract test over every model riskseg has (scikit-learn's ``check_estimator`` idea).

For each class in ``MODEL_CLASSES``: ``__init__`` stores its parameters and nothing else, a fit
adds only attributes ending in ``_`` and returns the model, predicting (or saving) before
fitting raises ``NotFittedError``, and a saved model loads back predicting the same. A new
model that is registered but has no recipe here fails the test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import riskseg
from riskseg.demo import generate
from riskseg.errors import NotFittedError
from riskseg.models import MODEL_CLASSES, Model, ModelMeta, load_model, save_model
from riskseg.models.base import _import_models

_import_models()
AS_OF = date(2025, 12, 31)


def _rfm(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.poisson(2.0, n).astype(float)
    T = rng.uniform(20, 80, n)
    t_x = np.where(x > 0, T * rng.uniform(0.2, 1.0, n), 0.0)
    m = np.where(x > 0, rng.gamma(6.0, 5.0, n), 0.0)
    return {"x": x, "t_x": t_x, "T": T, "m": m}


_STORE: dict[str, riskseg.Store] = {}


def _demo_store(tmp: Path) -> riskseg.Store:
    if "demo" not in _STORE:
        generate(customers=400, seed=2).write(tmp / "data", format="parquet")
        store = riskseg.Store(":memory:")
        riskseg.import_path(store, tmp / "data")
        _STORE["demo"] = store
    return _STORE["demo"]


def _signals(tmp: Path) -> pa.Table:
    table: pa.Table = riskseg.compute_signals(_demo_store(tmp), as_of=AS_OF)
    return table


# class name -> (fit(model, tmp) -> fitted model, predict(model, tmp) -> numbers)
Recipe = tuple[Callable[[Any, Path], Any], Callable[[Any, Path], np.ndarray]]
RECIPES: dict[str, Recipe] = {
    "Scorecard": (
        lambda m, tmp: m.fit(_signals(tmp)),
        lambda m, tmp: m.score(_signals(tmp)).risk_score,
    ),
    "RiskClassifier": (
        lambda m, tmp: m.fit(_demo_store(tmp), as_of=AS_OF),
        lambda m, tmp: m.predict_proba(_signals(tmp)),
    ),
    "BGNBD": (
        lambda m, tmp: m.fit(_rfm()["x"], _rfm()["t_x"], _rfm()["T"]),
        lambda m, tmp: m.conditional_probability_alive(_rfm()["x"], _rfm()["t_x"], _rfm()["T"]),
    ),
    "ParetoNBD": (
        lambda m, tmp: m.fit(_rfm()["x"], _rfm()["t_x"], _rfm()["T"]),
        lambda m, tmp: m.conditional_probability_alive(_rfm()["x"], _rfm()["t_x"], _rfm()["T"]),
    ),
    "GammaGamma": (
        lambda m, tmp: m.fit(_rfm()["x"][_rfm()["x"] > 0], _rfm()["m"][_rfm()["x"] > 0]),
        lambda m, tmp: m.conditional_expected_average_profit(
            _rfm()["x"][_rfm()["x"] > 0], _rfm()["m"][_rfm()["x"] > 0]
        ),
    ),
}

CLASSES = sorted(MODEL_CLASSES.items())


def test_every_registered_model_has_a_recipe() -> None:
    assert {name for name, _ in CLASSES} == set(RECIPES)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "cls"), CLASSES, ids=[n for n, _ in CLASSES])
def test_model_keeps_the_estimator_contract(
    name: str, cls: type[Model], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.getbasetemp() / "contract"
    tmp.mkdir(exist_ok=True)
    fit, predict = RECIPES[name]
    model = cls()
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    # __init__ stores exactly its parameters, under their own names, unchanged
    assert sorted(vars(model)) == sorted(params), name
    assert model.get_params() == {p: getattr(model, p) for p in params}
    assert not model.is_fitted
    with pytest.raises(NotFittedError):
        predict(model, tmp)
    with pytest.raises(NotFittedError):
        save_model(model, tmp / f"{name}-unfitted.json", meta=ModelMeta())

    before = set(vars(model))
    fitted = fit(model, tmp)
    assert fitted is model, f"{name}.fit must return self"
    learned = set(vars(model)) - before
    assert learned and all(a.endswith("_") and not a.startswith("_") for a in learned), learned
    assert set(cls.fitted_attributes) <= learned
    assert {p: getattr(model, p) for p in params} == model.get_params()  # params untouched

    expected = np.asarray(predict(model, tmp), dtype=np.float64)
    path = save_model(model, tmp / f"{name}.json", meta=ModelMeta(as_of=AS_OF, fingerprint="f"))
    loaded, meta = load_model(path)
    assert type(loaded) is cls and meta.as_of == AS_OF and meta.version == riskseg.__version__
    again = np.asarray(predict(loaded, tmp), dtype=np.float64)
    assert np.allclose(again, expected, equal_nan=True)


def test_loading_something_else_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"format": "riskseg-model/1", "model": "Nope"}')
    with pytest.raises(riskseg.InputError, match="unknown model 'Nope'"):
        load_model(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("not json")
    with pytest.raises(riskseg.InputError, match="not a riskseg model file"):
        load_model(tmp_path / "y.json")
    with pytest.raises(riskseg.InputError, match="no such model file"):
        load_model(tmp_path / "missing.json")
