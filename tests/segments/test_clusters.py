"""Behavioural clusters: k chosen by silhouette, named by what sets them apart, deterministic."""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa
import pytest

from riskseg.segments import ClusterSettings
from riskseg.segments.clusters import behavioural_clusters


def _portfolio(seed: int = 0, scale: int = 1) -> tuple[pa.Table, np.ndarray]:
    """400 plain customers, 150 that load the service desk, 150 bought at a thin margin."""
    rng = np.random.default_rng(seed)
    sizes = [400 * scale, 150 * scale, 150 * scale]
    n = sum(sizes)
    group = np.repeat([0, 1, 2], sizes)
    tickets = np.where(group == 1, rng.normal(25, 3, n), rng.normal(0.5, 0.2, n))
    margin = np.where(group == 2, rng.normal(0.0, 0.02, n), rng.normal(0.3, 0.03, n))
    discount = np.where(group == 2, rng.normal(30, 3, n), rng.normal(4, 1, n))
    table = pa.table(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "tickets_per_1000_revenue": np.abs(tickets),
            "margin_pct_12m": margin,
            "discount_mean_12m": discount,
            # no spread: left out of the features
            "days_since_last_order": np.full(n, 20.0),
            # slow payers among the service-heavy; missing values take the median
            "days_late_mean_12m": pa.array(
                np.where(group == 1, 40.0, 2.0), mask=(group != 1) & (rng.random(n) < 0.1)
            ),
        }
    )
    return table, group


def test_clear_groups_are_found_and_named_by_what_sets_them_apart() -> None:
    table, group = _portfolio()
    result = behavioural_clusters(table, np.ones(table.num_rows, dtype=bool))
    assert result.choice.k == 3
    assert result.choice.criterion == "silhouette"
    assert sorted(result.choice.scores) == [3, 4, 5, 6, 7, 8]
    assert result.choice.scores[3] == max(result.choice.scores.values())
    # every true group is one cluster
    for g in range(3):
        assert len(set(result.labels[group == g])) == 1
    names = {g: result.names[result.labels[group == g][0]] for g in range(3)}
    assert set(names[1].split(", ")[:2]) == {"high service load", "late payer"}
    assert "thin margin" in names[2] and "discount hunter" in names[2]
    # clusters are numbered by size: the plain customers are the largest
    assert result.labels[group == 0][0] == 0
    t = result.table
    assert t.column("size").to_pylist() == [400, 150, 150]
    first = t.to_pylist()[result.labels[group == 1][0]]
    assert "tickets_per_1000_revenue" in first["signals"][:2] and min(first["z_scores"][:2]) > 1
    sentence = result.choice.sentence()
    assert sentence.startswith("k=3 chosen by the highest silhouette score (")
    assert "among k=3..8" in sentence
    assert t.schema.metadata[b"sentence"].decode() == sentence


def test_same_input_same_clusters() -> None:
    table, _ = _portfolio(seed=3)
    rows = np.ones(table.num_rows, dtype=bool)
    a = behavioural_clusters(table, rows)
    b = behavioural_clusters(table, rows)
    assert np.array_equal(a.labels, b.labels) and a.names == b.names
    assert a.table.equals(b.table)


def test_unselected_rows_and_small_portfolios_get_no_cluster() -> None:
    table, _ = _portfolio()
    rows = np.ones(table.num_rows, dtype=bool)
    rows[:10] = False
    result = behavioural_clusters(table, rows)
    assert (result.labels[:10] == -1).all() and (result.labels[10:] >= 0).all()

    few = behavioural_clusters(table.slice(0, 20), np.ones(20, dtype=bool))
    assert few.choice.k is None and (few.labels == -1).all()
    assert few.table.num_rows == 0 and "30 needed" in few.choice.sentence()


def test_k_range_is_a_setting() -> None:
    table, _ = _portfolio()
    result = behavioural_clusters(
        table, np.ones(table.num_rows, dtype=bool), ClusterSettings(k_min=4, k_max=5)
    )
    assert sorted(result.choice.scores) == [4, 5] and result.choice.k in (4, 5)
    assert len(set(result.names)) == result.choice.k  # names stay unique


@pytest.mark.slow
def test_a_million_customers_in_well_under_a_minute() -> None:
    table, group = _portfolio(scale=1430)  # 1,001,000 customers
    start = time.perf_counter()
    result = behavioural_clusters(table, np.ones(table.num_rows, dtype=bool))
    elapsed = time.perf_counter() - start
    assert elapsed < 30, f"{elapsed:.1f} s"
    assert result.choice.sample == 10_000 and result.choice.k == 3
    assert len(set(result.labels[group == 1])) == 1
