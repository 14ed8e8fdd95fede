"""Path attribution adds up like LightGBM's SHAP values and names the same leading signals."""

from __future__ import annotations

import lightgbm
import numpy as np

from riskseg.models.contributions import path_contributions


def _model(seed: int = 0) -> tuple[lightgbm.Booster, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4000, 6))
    x[rng.random(x.shape) < 0.1] = np.nan  # missing values take their own branch
    logit = (
        2.0 * np.nan_to_num(x[:, 0]) - 1.0 * np.nan_to_num(x[:, 1]) + 0.3 * np.nan_to_num(x[:, 2])
    )
    y = (rng.random(4000) < 1 / (1 + np.exp(-logit))).astype(int)
    params = {"objective": "binary", "verbose": -1, "num_leaves": 15, "seed": seed}
    booster = lightgbm.train(params, lightgbm.Dataset(x, y), num_boost_round=60)
    return booster, x


def test_contributions_add_up_to_the_raw_score_of_every_row() -> None:
    booster, x = _model()
    contrib = path_contributions(booster, x, chunk=1500)  # several chunks
    raw = booster.predict(x, raw_score=True)
    assert contrib.shape == (4000, 7)
    assert np.allclose(contrib.sum(axis=1), raw, atol=1e-9)


def test_contributions_agree_with_shap_on_what_matters() -> None:
    booster, x = _model(1)
    path = path_contributions(booster, x)[:, :-1]
    shap = booster.predict(x, pred_contrib=True)[:, :-1]
    # the strongest signal (x0) leads in most rows on both, and the unused ones get nothing
    assert np.mean(np.argmax(np.abs(path), 1) == np.argmax(np.abs(shap), 1)) > 0.8
    assert np.corrcoef(path.ravel(), shap.ravel())[0, 1] > 0.95
    assert np.abs(path[:, 3:]).mean() < 0.1 * np.abs(path[:, 0]).mean()
    # same sign as the effect: a higher x0 raises the score, a higher x1 lowers it
    known = ~np.isnan(x[:, 0]) & ~np.isnan(x[:, 1])
    assert np.corrcoef(x[known, 0], path[known, 0])[0, 1] > 0.8
    assert np.corrcoef(x[known, 1], path[known, 1])[0, 1] < -0.8


def test_a_tree_of_one_leaf_only_moves_the_bias() -> None:
    x = np.zeros((50, 2))
    y = np.r_[np.zeros(25), np.ones(25)]
    params = {"objective": "binary", "verbose": -1, "min_data_in_leaf": 100}
    booster = lightgbm.train(params, lightgbm.Dataset(x, y), num_boost_round=3)
    contrib = path_contributions(booster, x)
    assert np.all(contrib[:, :2] == 0)
    assert np.allclose(contrib[:, 2], booster.predict(x, raw_score=True))
