"""segment_customers on hand-made tables: one row per customer in signal order, every part."""

from __future__ import annotations

import doctest
import importlib
import re
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from riskseg.errors import InputError
from riskseg.segments import (
    CONTACT_SCHEMA,
    CUSTOMER_SCHEMA,
    PaymentSettings,
    SegmentSettings,
    segment_customers,
)

AS_OF = date(2025, 6, 30)


def _tables(n: int = 60) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(0)
    ids = [f"C{i:03d}" for i in range(n)]
    bought = np.arange(n) % 10 != 9  # every tenth customer never bought
    signals = pa.table(
        {
            "customer_id": ids,
            "late_share_12m": pa.array(rng.uniform(0, 1, n), mask=~bought),
            "late_30_share_12m": np.where(np.arange(n) % 3 == 0, 0.6, 0.0),
            "days_late_mean_12m": rng.uniform(0, 5, n),
            "margin_pct_12m": rng.normal(0.25, 0.1, n),
            "tickets_per_1000_revenue": rng.lognormal(0, 1, n),
            "days_since_last_order": pa.array(rng.uniform(1, 400, n), mask=~bought),
            "revenue_12m": rng.lognormal(8, 1, n),
            "abc_class": pa.array(["A", "B", "C"] * (n // 3)),
            "region": pa.array(["North", "South"] * (n // 2)),
        }
    )
    status = ["prospect" if i % 10 == 9 else "active" for i in range(n)]
    scored = pa.table(
        {
            "customer_id": ids,
            "risk_score": rng.uniform(0, 100, n),
            "value_score": pa.array(rng.uniform(0, 100, n), mask=np.array(status) == "prospect"),
            "status": status,
        }
    )
    return signals, scored


def test_one_row_per_customer_in_signal_order_whatever_the_order_of_scored() -> None:
    signals, scored = _tables()
    shuffled = scored.take(pa.array(np.random.default_rng(1).permutation(scored.num_rows)))
    a = segment_customers(signals, scored, as_of=AS_OF)
    b = segment_customers(signals, shuffled, as_of=AS_OF)
    assert a.customers.schema == CUSTOMER_SCHEMA
    assert a.customers.column("customer_id").equals(signals.column("customer_id"))
    assert a.customers.equals(b.customers)


def test_prospects_and_customers_without_orders() -> None:
    signals, scored = _tables()
    rows = segment_customers(signals, scored, as_of=AS_OF).customers.to_pylist()
    prospect = rows[9]
    assert prospect["grid_segment"] == "prospect" and prospect["grid_strategy"]
    assert prospect["cluster"] is None and prospect["cluster_name"] is None
    assert prospect["payment_segment"] is None
    buyers = [r for i, r in enumerate(rows) if i % 10 != 9]
    assert all(r["cluster"] is not None and r["cluster_name"] for r in buyers)
    assert rows[0]["payment_segment"] == "chronically_late"
    assert rows[0]["abc_class"] == "A"
    assert rows[0]["market_segment"] == "unknown / North / unknown"


def test_without_a_store_contacts_are_empty_and_the_market_uses_signal_columns() -> None:
    signals, scored = _tables()
    seg = segment_customers(signals, scored, as_of=AS_OF)
    assert seg.contacts.num_rows == 0 and seg.contacts.schema == CONTACT_SCHEMA
    assert seg.customers.column("account_loyalty").null_count == signals.num_rows
    assert seg.market.column("dimension").to_pylist() == ["region", "region"]
    assert sum(seg.market.column("customers").to_pylist()) == 54  # prospects left out
    assert seg.clusters.num_rows == seg.cluster_choice.k


def test_settings_reach_the_rules() -> None:
    signals, scored = _tables()
    lenient = SegmentSettings(payment=PaymentSettings(chronic_late_30_share=0.9))
    rows = segment_customers(signals, scored, as_of=AS_OF, settings=lenient).customers
    assert "chronically_late" not in rows.column("payment_segment").to_pylist()


def test_settings_are_frozen_and_refuse_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="disputer_rat"):
        SegmentSettings.model_validate({"payment": {"disputer_rat": 0.2}})
    s = SegmentSettings()
    with pytest.raises(ValidationError):
        s.payment.disputer_rate = 0.5  # type: ignore[misc]


def test_tables_without_customer_id_are_refused() -> None:
    signals, scored = _tables()
    with pytest.raises(InputError, match="scored table has no customer_id"):
        segment_customers(signals, scored.drop_columns(["customer_id"]), as_of=AS_OF)
    with pytest.raises(InputError, match="signals table has no customer_id"):
        segment_customers(signals.drop_columns(["customer_id"]), scored, as_of=AS_OF)


@pytest.mark.parametrize("module", ["grid", "payment", "clusters", "loyalty", "market"])
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(f"riskseg.segments.{module}")
    result = doctest.testmod(mod)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.slow
def test_entry_point_example_runs() -> None:
    from riskseg.segments import compute

    result = doctest.testmod(compute)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.slow
def test_docs_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "segments.md").read_text("utf-8")
    [code] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/segments.md", "exec"), {})
