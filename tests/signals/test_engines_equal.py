"""The demo company gives the same signals on DuckDB, PostgreSQL and Spark.

The hand-made tests prove each definition on small cases on all three engines; this one runs
a whole (small) company with every table, so that every family meets realistic data on every
engine, and compares every value of every customer.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from engines import Engines, Result, Rows, differences

from riskseg.demo import generate

AS_OF = date(2025, 3, 31)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_rows() -> Rows:
    company = generate(customers=60, seed=11)
    return {name: t.to_pylist() for name, t in company.tables.items()}


@pytest.fixture(scope="module")
def on_duckdb(engines: Engines, demo_rows: Rows) -> Result:
    return engines.compute("duckdb", demo_rows, AS_OF)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_demo_company_signals_equal_duckdb(
    engines: Engines, demo_rows: Rows, on_duckdb: Result, engine: str
) -> None:
    other = engines.compute(engine, demo_rows, AS_OF)
    assert (
        len(other)
        == len(on_duckdb)
        == 60
        - sum(
            1 for r in demo_rows["customers"] if r["customer_since"] and r["customer_since"] > AS_OF
        )
    )
    diff = differences(on_duckdb, other)
    assert not diff, f"{len(diff)} values differ from DuckDB on {engine}, e.g. {diff[:5]}"
    # the comparison means something only if the families had data
    covered = sum(r["families_covered"] for r in on_duckdb.values())
    assert covered > 6 * len(on_duckdb)


@pytest.mark.slow
def test_the_spark_guide_in_the_docs_runs(
    engines: Engines, demo_rows: Rows, on_duckdb: Result, tmp_path: Path
) -> None:
    """docs/signals.md's Spark snippet, run against a Spark database named ``erp``."""
    spark = engines.spark()
    from engines import _spark_schema, to_arrow

    spark.sql("CREATE DATABASE IF NOT EXISTS erp")
    for name, rows in demo_rows.items():
        frame = spark.createDataFrame(to_arrow(name, rows).to_pylist(), schema=_spark_schema(name))
        frame.createOrReplaceTempView(f"tmp_{name}")
        spark.sql(f"DROP TABLE IF EXISTS erp.{name}")
        spark.sql(f"CREATE TABLE erp.{name} USING parquet AS SELECT * FROM tmp_{name}")
    page = (ROOT / "docs" / "signals.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    snippet = next(b for b in blocks if "pyspark" in b)
    namespace: dict[str, Any] = {}
    exec(snippet.replace("date(2025, 6, 30)", "date(2025, 3, 31)"), namespace)
    table = namespace["table"]
    got = {row["customer_id"]: row for row in table.to_pylist()}
    assert not differences(on_duckdb, got)
