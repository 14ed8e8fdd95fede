"""RFM signals on data nobody here made (../shared/data), imported as a user would import it.

- CDNOW: the published calibration summary of Fader, Hardie & Lee (2005), x, t_x, T (weeks)
  and zbar, for every one of the 2,357 customers of the 1/10 sample.
- UCI Online Retail: lifetimes' ``summary_data_from_transaction_data`` (freq='D') on the same
  stored order lines, for every customer, at two dates.

In both, the orders after ``as_of`` are in the store and must not count.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

import riskseg
from riskseg.signals import compute_signals

pytestmark = pytest.mark.slow

# tests/conftest.py's names, by path: ``conftest`` here is tests/signals/conftest.py
TEST_DATA = Path(__file__).resolve().parents[1] / "data"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
RFM = ("rfm_frequency", "rfm_recency_days", "rfm_t_days", "rfm_monetary_value")


def _rfm(store: riskseg.Store, as_of: date) -> dict[str, dict[str, Any]]:
    rows = compute_signals(store, as_of=as_of).select(["customer_id", *RFM]).to_pylist()
    return {r["customer_id"]: r for r in rows}


# -- CDNOW ---------------------------------------------------------------------------------
CDNOW_END = date(1997, 9, 30)  # end of week 39, the calibration period of the paper


def _two_decimals(x: float) -> Decimal:
    """``x`` as the published summary writes it: 2 decimals, halves rounded up.

    The summary was made with exact decimals (22.345 -> 22.35); ``round`` on a binary float
    rounds such halves to even or down, so the float is first cut to 9 decimals (weeks are
    multiples of 1/7, zbar of 0.01/x with x < 30: far coarser) and then rounded half-up.
    """
    return Decimal(f"{x:.9f}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_cdnow_rfm_equals_the_published_calibration_summary(shared_data: Path) -> None:
    folder = shared_data / "cdnow"
    with riskseg.Store(":memory:") as store:
        report = riskseg.import_path(store, mapping=TEST_DATA / "mappings" / "cdnow.yaml")
        assert report.exit_code == 0
        counts = report.by_table()
        assert (counts["orders"]["stored"], counts["orders"]["quarantined"]) == (6_919, 0)
        assert store.count("customers") == 2_357
        # the holdout (weeks 40-78) is in the store: 1,959 records of 684 customers (SOURCE.md)
        holdout = store.con.execute(
            "SELECT count(*), count(DISTINCT customer_id) FROM orders WHERE order_date > ?",
            [CDNOW_END],
        ).fetchone()
        assert holdout == (1_959, 684)
        got = _rfm(store, CDNOW_END)

    with (folder / "cdnow_customers_summary_with_transactions.csv").open(newline="") as f:
        published = {f"{int(r['ID']):04d}": r for r in csv.DictReader(f)}
    assert len(published) == 2_357 and set(got) == set(published)

    mismatches = []
    for cid, ref in published.items():
        g = got[cid]
        mine = (
            g["rfm_frequency"],
            _two_decimals(g["rfm_recency_days"] / 7),
            _two_decimals(g["rfm_t_days"] / 7),
            _two_decimals(g["rfm_monetary_value"]),
        )
        theirs = (int(ref["x"]), Decimal(ref["t_x"]), Decimal(ref["T"]), Decimal(ref["zbar"]))
        if mine != theirs:
            mismatches.append((cid, mine, theirs))
    assert mismatches == []


# -- Online Retail -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def online_retail() -> Iterator[riskseg.Store]:
    """One import of the 541,909 invoice lines for the whole module (it takes seconds)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    with riskseg.Store(":memory:") as store:
        report = riskseg.import_path(store, mapping=TEST_DATA / "mappings" / "online_retail.yaml")
        assert report.exit_code == 0
        yield store


@pytest.mark.parametrize(
    ("as_of", "buyers", "later_lines"),
    [(date(2011, 12, 9), 4_339, 0), (date(2011, 6, 30), 2_960, 229_940)],
)
def test_online_retail_rfm_equals_lifetimes(
    online_retail: riskseg.Store, as_of: date, buyers: int, later_lines: int
) -> None:
    store = online_retail
    # 2011-12-09 is the last day of the file; the lines after 2011-06-30 must not leak
    later = store.con.execute("SELECT count(*) FROM orders WHERE order_date > ?", [as_of])
    assert later.fetchone() == (later_lines,)
    # every purchase line (revenue >= 0) as stored, later ones included: lifetimes cuts them
    # off at observation_period_end itself
    lines = store.con.execute(
        "SELECT customer_id, order_date, revenue FROM orders WHERE revenue >= 0"
    ).df()
    # lifetimes 0.11 sets pandas options and calls APIs that pandas 3 deprecates: not ours
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lifetimes = pytest.importorskip("lifetimes.utils")
        ref = lifetimes.summary_data_from_transaction_data(
            lines,
            "customer_id",
            "order_date",
            monetary_value_col="revenue",
            observation_period_end=as_of,
            freq="D",
        )
    got = {cid: r for cid, r in _rfm(store, as_of).items() if r["rfm_frequency"] is not None}
    assert len(ref) == buyers and set(got) == set(ref.index)

    mismatches = []
    for cid, (frequency, recency, t, monetary) in ref[
        ["frequency", "recency", "T", "monetary_value"]
    ].iterrows():
        g = got[cid]
        if (g["rfm_frequency"], g["rfm_recency_days"], g["rfm_t_days"]) != (
            frequency,
            recency,
            t,
        ) or not math.isclose(g["rfm_monetary_value"], monetary, rel_tol=1e-9, abs_tol=1e-12):
            mismatches.append((cid, [g[s] for s in RFM], (frequency, recency, t, monetary)))
    assert mismatches == []
