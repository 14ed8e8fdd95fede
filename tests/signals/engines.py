"""Run ``compute_signals`` on small hand-made tables on DuckDB, PostgreSQL and Spark.

A fixture is ``{table: [row dict, ...]}`` with contract column names; columns left out of a
row are empty. ``Engines.compute(engine, tables, as_of)`` loads the tables into that engine
the way a user's data would sit there (typed as the contract says) and returns
``{customer_id: {signal: value}}``. Every hand-made test runs on all three engines, so the
definitions are proven equal where it matters: on the cases the tests compute by hand.

* ``duckdb``: the riskseg store itself (``Store(":memory:")``), the path users run, with its
  ``order_days`` refreshed as an import leaves them (PostgreSQL and Spark derive the purchase
  days from ``orders``, so the equal results prove the two ways the same).
* ``postgres``: a fresh schema on the server of ``RISKSEG_TEST_PG_URL`` (skipped without it).
* ``spark``: PySpark in local mode, tables as temporary views (skipped without pyspark).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import uuid
from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from riskseg import Store
from riskseg.contract import TABLES
from riskseg.signals import SignalConfig, compute_signals

ENGINES = ("duckdb", "postgres", "spark")

_ARROW = {
    "str": pa.string(),
    "int": pa.int64(),
    "decimal": pa.float64(),
    "score": pa.float64(),
    "date": pa.date32(),
    "bool": pa.bool_(),
}
_PG = {
    "str": "TEXT",
    "int": "BIGINT",
    "decimal": "DOUBLE PRECISION",
    "score": "DOUBLE PRECISION",
    "date": "DATE",
    "bool": "BOOLEAN",
}

Rows = dict[str, list[dict[str, Any]]]
Result = dict[str, dict[str, Any]]


def to_arrow(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as an Arrow table with every contract column, typed as the contract says."""
    spec = TABLES[table]
    names = {c.name for c in spec.columns}
    for row in rows:
        unknown = set(row) - names
        assert not unknown, f"{table}: no such contract columns {sorted(unknown)}"
    return pa.table(
        {c.name: pa.array([r.get(c.name) for r in rows], _ARROW[c.type]) for c in spec.columns}
    )


def as_dict(table: pa.Table) -> Result:
    return {row["customer_id"]: row for row in table.to_pylist()}


def differences(a: Result, b: Result) -> list[tuple[str, str, Any, Any]]:
    """(customer, signal, a, b) for every value that differs; floats within 1e-9 are equal.

    Engines (and one engine run twice) may add floats in a different order, which moves the
    last bit of a sum or a standard deviation; that is not a difference a user can see.
    """
    out = []
    for cid in sorted(set(a) | set(b)):
        ra, rb = a.get(cid, {}), b.get(cid, {})
        for name in ra.keys() | rb.keys():
            x, y = ra.get(name), rb.get(name)
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                    out.append((cid, name, x, y))
            elif x != y:
                out.append((cid, name, x, y))
    return out


class Engines:
    """One per test session: keeps the Spark session and the PostgreSQL URL."""

    def __init__(self) -> None:
        self._spark: Any = None

    def compute(
        self,
        engine: str,
        tables: Rows,
        as_of: date,
        config: SignalConfig | None = None,
    ) -> Result:
        arrow = {name: to_arrow(name, rows) for name, rows in tables.items()}
        if "customers" not in arrow:
            arrow["customers"] = to_arrow("customers", [])
        if engine == "duckdb":
            return self._duckdb(arrow, as_of, config)
        if engine == "postgres":
            return self._postgres(arrow, as_of, config)
        if engine == "spark":
            return self._spark_compute(arrow, as_of, config)
        raise ValueError(engine)

    # -- DuckDB: the store -------------------------------------------------------------
    def _duckdb(
        self, arrow: dict[str, pa.Table], as_of: date, config: SignalConfig | None
    ) -> Result:
        with Store(":memory:") as store:
            for name, table in arrow.items():
                store.con.register("fixture_rows", table)
                # order lines sharing an order_id are told apart by line_no, as the importer does
                line_no = (
                    ", row_number() OVER (PARTITION BY order_id) AS line_no"
                    if name == "orders"
                    else ""
                )
                store.con.execute(
                    f"INSERT INTO {name} BY NAME "
                    f"SELECT *, 0 AS _import_id{line_no} FROM fixture_rows"
                ).fetchall()
                store.con.unregister("fixture_rows")
            # rows written with SQL, as an import would leave them: purchase days in step
            store.refresh_order_days()
            return as_dict(compute_signals(store, as_of=as_of, config=config))

    # -- PostgreSQL: a schema of its own per computation -------------------------------
    def _postgres(
        self, arrow: dict[str, pa.Table], as_of: date, config: SignalConfig | None
    ) -> Result:
        url = os.environ.get("RISKSEG_TEST_PG_URL")
        if not url:
            pytest.skip("no PostgreSQL: set RISKSEG_TEST_PG_URL")
        import ibis
        import psycopg
        from psycopg import sql

        schema = f"riskseg_sig_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            try:
                load_postgres(conn, schema, arrow)
                backend = ibis.connect(url)
                try:
                    result = compute_signals(backend, as_of=as_of, config=config, database=schema)
                finally:
                    backend.disconnect()
                return as_dict(result)
            finally:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

    # -- Spark: local mode, temporary views --------------------------------------------
    def spark(self) -> Any:
        if self._spark is None:
            pytest.importorskip("pyspark", reason="the spark extra is not installed")
            if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
                pytest.skip("Spark needs Java 17 (apt-get install openjdk-17-jre-headless)")
            from pyspark.sql import SparkSession

            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            self._spark = (
                SparkSession.builder.master("local[1]")
                .appName("riskseg-tests")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "1")
                .config("spark.default.parallelism", "1")
                .config("spark.driver.memory", "1g")
                # tables the docs test creates go to a temporary folder, not the repository
                .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="riskseg-spark-"))
                .getOrCreate()
            )
            self._spark.sparkContext.setLogLevel("ERROR")
        return self._spark

    def _spark_compute(
        self, arrow: dict[str, pa.Table], as_of: date, config: SignalConfig | None
    ) -> Result:
        import ibis

        spark = self.spark()
        for name in TABLES:
            spark.catalog.dropTempView(name)
        for name, table in arrow.items():
            # through plain rows and an explicit schema: pandas would turn empty floats into
            # NaN, which Spark (unlike SQL engines) keeps apart from NULL
            frame = spark.createDataFrame(table.to_pylist(), schema=_spark_schema(name))
            frame.createOrReplaceTempView(name)
        backend = ibis.pyspark.connect(spark)
        return as_dict(compute_signals(backend, as_of=as_of, config=config))

    def close(self) -> None:
        if self._spark is not None:
            self._spark.stop()
            self._spark = None


def load_postgres(conn: Any, schema: str, arrow: dict[str, pa.Table]) -> None:
    """Create the contract tables in ``schema`` (contract types) and insert the rows."""
    from psycopg import sql

    for name, table in arrow.items():
        spec = TABLES[name]
        cols = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(_PG[c.type]))
            for c in spec.columns
        )
        conn.execute(
            sql.SQL("CREATE TABLE {}.{} ({})").format(
                sql.Identifier(schema), sql.Identifier(name), cols
            )
        )
        names = [c.name for c in spec.columns]
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {}.{} ({}) VALUES ({})").format(
                    sql.Identifier(schema),
                    sql.Identifier(name),
                    sql.SQL(", ").join(map(sql.Identifier, names)),
                    sql.SQL(", ").join(sql.Placeholder() * len(names)),
                ),
                [tuple(r[n] for n in names) for r in table.to_pylist()],
            )


def _spark_schema(table: str) -> Any:
    from pyspark.sql import types as T

    kinds = {
        "str": T.StringType(),
        "int": T.LongType(),
        "decimal": T.DoubleType(),
        "score": T.DoubleType(),
        "date": T.DateType(),
        "bool": T.BooleanType(),
    }
    return T.StructType([T.StructField(c.name, kinds[c.type], True) for c in TABLES[table].columns])
