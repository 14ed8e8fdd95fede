"""Behavioural clusters: groups of customers that buy, pay and load the service desk alike.

Method (deterministic for a given input):

1. **Who**: customers (not prospects) that have ever bought (``days_since_last_order`` known).
2. **Features**: the signals of ``FEATURES``: how the customer buys, what it earns, what it
   costs to serve and how it pays. Size itself (revenue, ROI, tenure) is left out: the value
   score and the ABC class already rank by it, and with it in, k-means splits the portfolio
   into big and small customers and little else. Money, counts, rates per 1,000 revenue and days
   are heavy-tailed and go through a signed ``log1p`` (``sign(x) * log1p(|x|)``); shares and
   percentages stay as they are. ``order_value_12m`` is derived: ``revenue_12m / orders_12m``.
   Missing values take the feature's median; each feature is standardised (z-score) and
   clipped at +-``clip_sd``. A feature without spread (or without data) is left out.
3. **k**: k-means (scikit-learn ``KMeans``, ``n_init`` and ``random_state`` fixed) is fitted for
   every k in ``k_min..k_max`` on a seeded sample of at most ``sample_size`` (10,000) customers;
   the k with the **highest silhouette score** wins (ties: the smaller k), scored on a seeded
   sub-sample of at most ``silhouette_sample`` (5,000) of them, as the silhouette costs the
   square of the rows. The fitted
   model of that k assigns every customer, so a million customers cost one sample fit per k
   plus one nearest-centroid pass.
4. **Names**: clusters are numbered by size (0 = largest). Each is named by the phrases of the
   two signals whose mean z-score in the cluster is furthest from 0, plus a third when its
   ``|z|`` is at least ``third_z``; "typical profile" when nothing reaches ``typical_z``. When
   two clusters would share a name, the smaller one takes its next phrase.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskseg.models.reasons import signal_values

Array = NDArray[np.float64]

#: (signal, transform, phrase when high, phrase when low); "log" = signed log1p
FEATURES: tuple[tuple[str, str, str, str], ...] = (
    ("order_value_12m", "log", "large orders", "small orders"),
    ("orders_12m", "log", "frequent orders", "rare orders"),
    ("days_since_last_order", "log", "lapsing", "recent orders"),
    ("revenue_trend_yoy", "log", "growing", "shrinking"),
    ("margin_pct_12m", "raw", "rich margin", "thin margin"),
    ("tickets_per_1000_revenue", "log", "high service load", "light service load"),
    ("complaints_per_1000_revenue", "log", "many complaints", "few complaints"),
    ("engineering_changes_per_1000_revenue", "log", "engineering heavy", "little engineering"),
    ("return_share_12m", "raw", "many returns", "few returns"),
    ("quotes_per_order_12m", "log", "quote shopper", "few quotes per order"),
    ("discount_mean_12m", "raw", "discount hunter", "near list price"),
    ("days_late_mean_12m", "log", "late payer", "prompt payer"),
    ("dispute_rate_12m", "raw", "disputes invoices", "rarely disputes"),
    ("meeting_miss_rate_12m", "raw", "misses meetings", "keeps meetings"),
)

CLUSTER_SCHEMA = pa.schema(
    [
        ("cluster", pa.int64()),
        ("name", pa.string()),
        ("size", pa.int64()),
        ("share", pa.float64()),
        ("signals", pa.list_(pa.string())),
        ("z_scores", pa.list_(pa.float64())),
        ("description", pa.string()),
        ("k", pa.int64()),
        ("silhouette", pa.float64()),
    ]
)


class ClusterSettings(BaseModel):
    """How the behavioural clusters are found and named."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k_min: int = Field(default=3, ge=2, description="fewest clusters tried")
    k_max: int = Field(default=8, ge=2, le=30, description="most clusters tried")
    sample_size: int = Field(
        default=10_000, ge=100, le=50_000, description="customers k is chosen and fitted on"
    )
    silhouette_sample: int = Field(
        default=5_000, ge=100, description="customers of the sample the silhouette is scored on"
    )
    n_init: int = Field(default=4, ge=1, description="k-means restarts per k")
    random_state: int = Field(default=0, ge=0, description="seed of the sample and k-means")
    clip_sd: float = Field(default=4.0, gt=0, description="z-scores are clipped at +-this")
    min_customers: int = Field(default=30, ge=3, description="fewer customers: no clusters")
    top_signals: int = Field(default=5, ge=2, description="signals listed per cluster")
    third_z: float = Field(default=1.0, ge=0, description="|z| that adds a third phrase")
    typical_z: float = Field(default=0.25, ge=0, description="below this: 'typical profile'")

    @model_validator(mode="after")
    def _range(self) -> ClusterSettings:
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) must not exceed k_max ({self.k_max})")
        return self


@dataclass(frozen=True)
class ClusterChoice:
    """How k was chosen: the criterion per k tried, on how many customers."""

    k: int | None
    criterion: str = "silhouette"
    scores: dict[int, float] = field(default_factory=dict)
    sample: int = 0
    population: int = 0
    features: tuple[str, ...] = ()
    note: str | None = None

    def sentence(self) -> str:
        """'k=5 chosen by the highest silhouette score (0.31) among k=3..8 ...'."""
        if self.k is None:
            return self.note or "no clusters"
        ks = sorted(self.scores)
        return (
            f"k={self.k} chosen by the highest silhouette score ({self.scores[self.k]:.2f}) "
            f"among k={ks[0]}..{ks[-1]}, on a sample of {self.sample:,} of "
            f"{self.population:,} customers"
        )


@dataclass(frozen=True)
class ClusterResult:
    """Cluster per customer (-1: not clustered), the cluster table and how k was chosen."""

    labels: NDArray[np.int64]
    names: list[str]
    table: pa.Table
    choice: ClusterChoice


def _signed_log(x: Array) -> Array:
    return np.asarray(np.sign(x) * np.log1p(np.abs(x)))


def feature_matrix(
    signals: pa.Table, rows: NDArray[np.bool_], clip_sd: float = 4.0
) -> tuple[Array, list[int]]:
    """Standardised features of the selected rows and the ``FEATURES`` positions kept."""
    columns, kept = [], []
    for i, (name, transform, _, _) in enumerate(FEATURES):
        if name == "order_value_12m":
            orders = signal_values(signals, "orders_12m")
            revenue = signal_values(signals, "revenue_12m")
            with np.errstate(divide="ignore", invalid="ignore"):
                x = np.where(orders > 0, revenue / np.where(orders > 0, orders, 1), np.nan)
        else:
            x = signal_values(signals, name)
        x = x[rows]
        if transform == "log":
            x = _signed_log(x)
        finite = np.isfinite(x)
        if not finite.any():
            continue
        x = np.where(finite, x, np.median(x[finite]))
        sd = float(x.std())
        if not sd > 1e-12:
            continue
        columns.append(np.clip((x - x.mean()) / sd, -clip_sd, clip_sd))
        kept.append(i)
    if not columns:
        return np.zeros((int(rows.sum()), 0)), []
    return np.column_stack(columns), kept


def _name(z: Array, kept: list[int], taken: set[str], s: ClusterSettings) -> str:
    order = np.argsort(-np.abs(z), kind="stable")
    if not len(order) or abs(z[order[0]]) < s.typical_z:
        return "typical profile"
    phrases = [FEATURES[kept[j]][2] if z[j] > 0 else FEATURES[kept[j]][3] for j in order]
    n = 3 if len(order) > 2 and abs(z[order[2]]) >= s.third_z else 2
    name = ", ".join(phrases[:n])
    while name in taken and n < len(phrases):
        n += 1
        name = ", ".join(phrases[:n])
    return name


def behavioural_clusters(
    signals: pa.Table, rows: NDArray[np.bool_], settings: ClusterSettings | None = None
) -> ClusterResult:
    """Cluster the selected rows (customers with orders) and name the clusters.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa
    >>> rng = np.random.default_rng(0)
    >>> margin = np.concatenate([rng.normal(0.3, 0.01, 60), rng.normal(0.02, 0.01, 60)])
    >>> t = pa.table({"margin_pct_12m": margin, "days_since_last_order": np.full(120, 20.0)})
    >>> result = behavioural_clusters(t, np.ones(120, bool))
    >>> result.choice.k >= 3, int(result.labels.min()), sorted(set(result.names))[0]
    (True, 0, 'rich margin')
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    s = settings or ClusterSettings()
    labels = np.full(signals.num_rows, -1, dtype=np.int64)
    population = int(rows.sum())
    x, kept = feature_matrix(signals, rows, s.clip_sd)
    features = tuple(FEATURES[i][0] for i in kept)

    def nothing(note: str) -> ClusterResult:
        choice = ClusterChoice(None, population=population, features=features, note=note)
        return ClusterResult(labels, [], CLUSTER_SCHEMA.empty_table(), choice)

    if population < s.min_customers:
        return nothing(f"no clusters: {population} customers with orders, {s.min_customers} needed")
    if not kept:
        return nothing("no clusters: no signal of the customers with orders has any spread")
    rng = np.random.default_rng(s.random_state)
    pick = np.sort(rng.choice(population, min(s.sample_size, population), replace=False))
    sample = x[pick]
    distinct = len(np.unique(sample, axis=0))
    k_max = min(s.k_max, distinct - 1, len(sample) - 1)
    if k_max < s.k_min:
        return nothing(f"no clusters: only {distinct} distinct customer profiles")
    scores: dict[int, float] = {}
    models = {}
    for k in range(s.k_min, k_max + 1):
        model = KMeans(n_clusters=k, n_init=s.n_init, random_state=s.random_state)
        # k-means runs its own OpenMP threads; BLAS threads inside them oversubscribe the
        # cores (ten times slower on a 2-core machine)
        with threadpool_limits(1, user_api="blas"):
            model.fit(sample)
        if len(np.unique(model.labels_)) < 2:
            continue
        scores[k] = float(
            silhouette_score(
                sample,
                model.labels_,
                sample_size=min(s.silhouette_sample, len(sample)),
                random_state=s.random_state,
            )
        )
        models[k] = model
    if not scores:
        return nothing("no clusters: k-means found a single group")
    best = max(scores, key=lambda k: (scores[k], -k))
    with threadpool_limits(1, user_api="blas"):
        raw = models[best].predict(x).astype(np.int64)

    # number clusters by size, largest first (ties: k-means order), for stable reports
    sizes = np.bincount(raw, minlength=best)
    order = np.lexsort((np.arange(best), -sizes))
    relabel = np.empty(best, dtype=np.int64)
    relabel[order] = np.arange(best)
    assigned = relabel[raw]
    labels[rows] = assigned
    sizes = np.bincount(assigned, minlength=best)
    centroids = _column_sums(assigned, x, best) / np.maximum(sizes, 1)[:, None]

    names: list[str] = []
    rows_out = []
    for c in range(best):
        z = centroids[c]
        name = _name(z, kept, set(names), s)
        if name in names:
            name = f"{name} ({c})"
        names.append(name)
        top = np.argsort(-np.abs(z), kind="stable")[: s.top_signals]
        sig = [FEATURES[kept[j]][0] for j in top]
        zs = [round(float(z[j]), 2) for j in top]
        rows_out.append(
            {
                "cluster": c,
                "name": name,
                "size": int(sizes[c]),
                "share": float(sizes[c] / population),
                "signals": sig,
                "z_scores": zs,
                "description": "; ".join(f"{a} {b:+.2f} sd" for a, b in zip(sig, zs, strict=True)),
                "k": best,
                "silhouette": scores[best],
            }
        )
    choice = ClusterChoice(best, "silhouette", scores, len(sample), population, features)
    table = pa.Table.from_pylist(rows_out, schema=CLUSTER_SCHEMA)
    meta = {"k": str(best), "criterion": "silhouette", "scores": json.dumps(scores)}
    table = table.replace_schema_metadata({**meta, "sentence": choice.sentence()})
    return ClusterResult(labels, names, table, choice)


def _column_sums(labels: NDArray[np.int64], x: Array, k: int) -> Array:
    # per-cluster column sums; bincount avoids np.add.at's per-element overhead
    return np.column_stack(
        [np.bincount(labels, weights=x[:, j], minlength=k) for j in range(x.shape[1])]
    )
