"""Per-customer contributions of each signal to a LightGBM score, fast enough for 1M customers.

LightGBM's exact SHAP values (``pred_contrib=True``) are several times slower per customer, and
two models' reasons for 1M customers must fit in the run (``make bench-scores`` times both on
the churn model side by side and writes the figures into ``docs/benchmarks.md``). Path
attribution (Saabas 2014, the "treeinterpreter"
method, XGBoost's ``approx_contribs``) walks each row's path through each tree and credits
each split's feature with the change in the node's expected value. It needs only the leaf each
row lands in (``pred_leaf``, as fast as predicting) and a per-tree table of path credits, and
like SHAP it adds up exactly: bias + contributions = the raw score of every row. It is written
here because LightGBM does not offer it; ``tests/models/test_contributions.py`` checks it
against ``pred_contrib`` (same additivity, same leading signals).
"""

from __future__ import annotations

from typing import Any

import lightgbm
import numpy as np
from numpy.typing import NDArray
from scipy import sparse

Array = NDArray[np.float64]

_Tree = tuple[NDArray[np.intp], Array] | None


def _node_value(node: dict[str, Any]) -> float:
    return float(node["leaf_value"] if "leaf_value" in node else node["internal_value"])


def _tree_table(info: dict[str, Any]) -> tuple[float, _Tree]:
    """The tree's root value and, per leaf, the credit of each feature on the path to it."""
    root = info["tree_structure"]
    if "split_feature" not in root:  # a tree of one leaf only shifts the bias
        return _node_value(root), None
    paths: dict[int, dict[int, float]] = {}
    stack: list[tuple[dict[str, Any], dict[int, float]]] = [(root, {})]
    while stack:
        node, credit = stack.pop()
        if "leaf_index" in node:
            paths[int(node["leaf_index"])] = credit
            continue
        feature = int(node["split_feature"])
        value = _node_value(node)
        for child in (node["left_child"], node["right_child"]):
            step = dict(credit)
            step[feature] = step.get(feature, 0.0) + _node_value(child) - value
            stack.append((child, step))
    features = sorted({f for credit in paths.values() for f in credit})
    column = {f: j for j, f in enumerate(features)}
    table = np.zeros((int(info["num_leaves"]), len(features)))
    for leaf, credit in paths.items():
        for f, delta in credit.items():
            table[leaf, column[f]] = delta
    return _node_value(root), (np.array(features, dtype=np.intp), table)


def path_contributions(booster: lightgbm.Booster, x: Array, *, chunk: int = 100_000) -> Array:
    """Contributions in raw-score (log-odds) units, laid out as ``pred_contrib``.

    Returns an ``n x (features + 1)`` array: one column per feature, the last the bias (the
    sum of the trees' root values); each row adds up to ``booster.predict(x, raw_score=True)``.

    The sum over trees is one sparse product: rows x leaves (one 1 per tree, the leaf the row
    lands in) times leaves x features (each leaf's path credits), rather than a Python loop of
    per-tree gathers into strided columns.
    """
    model = booster.dump_model()
    bias = 0.0
    offsets: list[int] = []
    rows: list[NDArray[np.intp]] = []
    cols: list[NDArray[np.intp]] = []
    vals: list[Array] = []
    n_leaves = 0
    for info in model["tree_info"]:
        root_value, tree = _tree_table(info)
        bias += root_value
        offsets.append(n_leaves)
        if tree is None:
            n_leaves += 1
            continue
        features, table = tree
        r, c = np.nonzero(table)
        rows.append(r + n_leaves)
        cols.append(features[c])
        vals.append(table[r, c])
        n_leaves += table.shape[0]
    n_features = booster.num_feature()
    credits = sparse.csr_matrix(
        (
            np.concatenate(vals) if vals else np.zeros(0),
            (
                np.concatenate(rows) if rows else np.zeros(0, np.intp),
                np.concatenate(cols) if cols else np.zeros(0, np.intp),
            ),
        ),
        shape=(max(n_leaves, 1), n_features),
    )
    offset = np.array(offsets, dtype=np.int64)[None, :]
    n = x.shape[0]
    out = np.zeros((n, n_features + 1))
    out[:, -1] = bias
    for start in range(0, n, chunk):
        part = x[start : start + chunk]
        m = part.shape[0]
        leaves = np.asarray(booster.predict(part, pred_leaf=True)).reshape(m, -1)
        hit = (leaves + offset).ravel()
        onehot = sparse.csr_matrix(
            (np.ones(hit.size), hit, np.arange(0, hit.size + 1, leaves.shape[1])),
            shape=(m, credits.shape[0]),
        )
        out[start : start + m, :-1] = (onehot @ credits).toarray()
    return out
