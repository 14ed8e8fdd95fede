"""The demo company's behaviour types land in the segments they should (ground truth)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pyarrow.parquet as pq
import pytest

import riskseg
from riskseg.demo import generate
from riskseg.pipeline import run
from riskseg.segments import Segments, segment_customers
from riskseg.signals import compute_signals

pytestmark = pytest.mark.slow
AS_OF = date(2025, 12, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Segments, dict]]:
    folder = tmp_path_factory.mktemp("demo")
    generate(customers=2000, seed=0).write(folder, format="parquet")
    truth = pq.read_table(folder / "truth" / "ground_truth.parquet")
    with riskseg.Store(":memory:") as store:
        riskseg.import_path(store, folder)
        signals = compute_signals(store, as_of=AS_OF)
        scored = run(store, as_of=AS_OF, models=False).scored
        seg = segment_customers(signals, scored, store=store, as_of=AS_OF)
    by_id = {r["customer_id"]: r for r in truth.to_pylist()}
    yield seg, by_id


def _share(demo: tuple[Segments, dict], behaviour: str, segments: set[str]) -> float:
    seg, truth = demo
    rows = [
        r
        for r in seg.customers.to_pylist()
        if truth[r["customer_id"]]["behaviour"] == behaviour and r["payment_segment"] is not None
    ]
    assert len(rows) > 30
    hits = sum(r["payment_segment"] in segments for r in rows)
    # shown with `pytest -s`: the figures of docs/segments.md
    print(f"{behaviour} in {sorted(segments)}: {hits / len(rows):.1%} ({hits} of {len(rows)})")
    return hits / len(rows)


def test_fixed_date_payers_are_found_with_their_pay_day(demo: tuple[Segments, dict]) -> None:
    seg, truth = demo
    rows = [
        r
        for r in seg.customers.to_pylist()
        if truth[r["customer_id"]]["behaviour"] == "fixed_date_payer"
        and r["payment_segment"] is not None
    ]
    right = [
        r
        for r in rows
        if r["payment_segment"] == "fixed_date_payer"
        and r["usual_pay_day"] == truth[r["customer_id"]]["usual_pay_day"]
    ]
    print(
        f"fixed_date_payer with the right day: {len(right) / len(rows):.1%} ({len(right)} of {len(rows)})"
    )
    assert len(right) / len(rows) >= 0.9


def test_chronic_late_payers_and_disputers(demo: tuple[Segments, dict]) -> None:
    assert _share(demo, "chronic_late_payer", {"chronically_late"}) >= 0.9
    assert _share(demo, "invoice_disputer", {"disputer"}) >= 0.9
    assert _share(demo, "credit_deteriorating", {"deteriorating"}) >= 0.75


def test_on_time_customers_are_not_called_late(demo: tuple[Segments, dict]) -> None:
    assert _share(demo, "on_time_core", {"chronically_late", "disputer"}) <= 0.05
    assert _share(demo, "on_time_core", {"on_time"}) >= 0.7


def test_clusters_find_the_unprofitable_and_the_quote_shoppers(
    demo: tuple[Segments, dict],
) -> None:
    seg, truth = demo
    assert 3 <= seg.cluster_choice.k <= 8  # type: ignore[operator]
    by_cluster: dict[str, list[str]] = {}
    for r in seg.customers.to_pylist():
        if r["cluster_name"] is not None:
            by_cluster.setdefault(r["cluster_name"], []).append(
                truth[r["customer_id"]]["behaviour"]
            )

    def home(behaviour: str) -> tuple[str, float]:
        counts = {name: b.count(behaviour) for name, b in by_cluster.items()}
        name = max(counts, key=lambda k: counts[k])
        return name, counts[name] / sum(counts.values())

    name, share = home("unprofitable")
    assert "thin margin" in name and share >= 0.8
    name, share = home("quote_shopper")
    assert "quote shopper" in name and share >= 0.8


def test_grid_loyalty_and_market(demo: tuple[Segments, dict]) -> None:
    seg, truth = demo
    rows = seg.customers.to_pylist()
    prospects = [r for r in rows if truth[r["customer_id"]]["is_prospect"]]
    assert {r["grid_segment"] for r in prospects} == {"prospect"}
    cells = {r["grid_segment"] for r in rows}
    assert {"high_value_low_risk", "low_value_high_risk"} <= cells
    # the unhappy executive is high risk in the per-contact matrix; in the account roll-up
    # (weighted majority) the primary decision maker and the content users outvote them
    executives = {truth[r["customer_id"]]["executive_contact_id"] for r in rows
                  if truth[r["customer_id"]]["behaviour"] == "unhappy_executive"}  # fmt: skip
    quadrants = [r["quadrant"] for r in seg.contacts.to_pylist() if r["contact_id"] in executives]
    assert len(quadrants) >= 30 and quadrants.count("high_risk") >= 0.8 * len(quadrants)
    classes = {r["account_loyalty"] for r in rows}
    assert classes == {"loyal", "accessible", "trapped", "high_risk", None}
    assert set(seg.market.column("dimension").to_pylist()) == {"industry", "region", "size_band"}
    assert seg.contacts.num_rows > 1000
