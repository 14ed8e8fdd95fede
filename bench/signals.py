"""Signal benchmarks: every signal on the demo company, and RFM against pymc-marketing.

Targets (issue 3), on a 2-core machine:

(a) ``compute_signals`` on a store imported (``riskseg.import_path``) from the demo company's
    Parquet files at 1M customers (about 100M rows across invoices, orders and interactions):
    every signal in **<= 5 minutes** wall and **<= 12 GB** peak RSS.
(b) a 20M-row transaction file (customer_id, date, revenue; 200k customers): the RFM signals
    **at least 10x faster** than pymc-marketing ``rfm_summary``, with identical output, and the
    full signal set **within 3x** the time of a bare DuckDB RFM query over the same file.

Run with ``.venv/bin/python bench/signals.py`` (``--customers 20000 --rows 1000000`` for a quick
check). Generated data, the imported stores and the outputs are cached under ``bench/out/``
(regenerated when missing or made for another size or generator), so a rerun only times the
computations. Every measured step runs in its own child process; wall time and peak RSS are
that child's alone (``wait4``). pymc-marketing runs in its own virtual environment,
``bench/.venv-ref``, created on first use, so that its 400 MB of numba and pytensor never touch
``.venv``. The results go into the ``bench:signals`` section of ``docs/benchmarks.md`` (only
for the default sizes unless ``--docs`` is given). Exits 1 when a target is missed, 2 when a
step fails or the outputs disagree.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# bench/run.py (the import benchmark): child measurement and machine facts. This file is run as
# a script, so bench/ is on sys.path.
from run import BenchError, _count, machine, update_docs, warm_page_cache

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DOCS = ROOT / "docs" / "benchmarks.md"
REF_VENV = ROOT / "bench" / ".venv-ref"
#: What the reference environment holds; pinned so that reruns compare with the same thing.
REF_REQUIREMENTS = ("pymc-marketing==0.19.2", "pyarrow")

DEFAULT_CUSTOMERS = 1_000_000
DEFAULT_ROWS = 20_000_000
ROWS_PER_CUSTOMER = 100  # the transaction file: 20M rows over 200k customers
DEMO_SEED = 0
RFM_SEED = 20_240_603
#: Bump when the transaction file changes, so cached files are remade.
RFM_GENERATOR_VERSION = 1
RFM_FIRST_DAY = dt.date(2023, 1, 1)
RFM_AS_OF = dt.date(2025, 12, 31)
RETURN_SHARE = 0.02

TARGET_DEMO_WALL_S = 300.0
TARGET_DEMO_RSS_BYTES = 12_000_000_000  # "12 GB", read strictly as 10^9 bytes
TARGET_RFM_SPEEDUP = 10.0
TARGET_FULL_VS_DUCKDB = 3.0
MONETARY_RTOL = 1e-9

MARK_BEGIN = "<!-- bench:signals -->"
MARK_END = "<!-- /bench:signals -->"
DEMO_HEADING = "## Signals: demo company at 1M customers"
RFM_HEADING = "## Signals: RFM on a 20M-row transaction file"

RFM_COLUMNS = ("rfm_frequency", "rfm_recency_days", "rfm_t_days", "rfm_monetary_value")
#: reference column -> riskseg column
REF_NAMES = {
    "frequency": "rfm_frequency",
    "recency": "rfm_recency_days",
    "T": "rfm_t_days",
    "monetary_value": "rfm_monetary_value",
}

#: The bare DuckDB RFM query: one transaction per customer-day of purchases (revenue >= 0).
DUCKDB_RFM_SQL = """
WITH days AS (
    SELECT customer_id, "date" AS day, sum(revenue) AS revenue
    FROM read_parquet($file)
    WHERE revenue >= 0 AND "date" <= $as_of
    GROUP BY customer_id, "date"
)
SELECT customer_id,
       count(*) - 1 AS frequency,
       date_diff('day', min(day), max(day)) AS recency,
       date_diff('day', min(day), $as_of) AS T,
       CASE WHEN count(*) > 1
            THEN (sum(revenue) - arg_min(revenue, day)) / (count(*) - 1)
            ELSE 0 END AS monetary_value
FROM days
GROUP BY customer_id
"""


# ----------------------------------------------------------------------------- child workers
#
# Each measured step is ``python bench/signals.py --worker NAME --params JSON`` in a child
# process; the child prints its result as one JSON line, the last one on stdout. Workers import
# riskseg (or pandas and pymc-marketing) themselves, so this module loads with numpy and pyarrow
# alone, in .venv as in bench/.venv-ref.


def _peak_self() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker_demo_data(p: dict[str, Any]) -> dict[str, Any]:
    """Generate the demo company and write its Parquet files into ``p["dir"]``."""
    from riskseg.demo import generate

    started = time.perf_counter()
    company = generate(customers=p["customers"], seed=p["seed"])
    generated = time.perf_counter()
    company.write(p["dir"], format="parquet")
    return {
        "rows": {name: t.num_rows for name, t in company.tables.items()},
        "start": company.start.isoformat(),
        "end": company.end.isoformat(),
        "generate_s": round(generated - started, 1),
        "write_s": round(time.perf_counter() - generated, 1),
    }


def worker_import(p: dict[str, Any]) -> dict[str, Any]:
    """``riskseg.import_path`` of ``p["paths"]`` into a new store at ``p["db"]``."""
    import riskseg

    started = time.perf_counter()
    with riskseg.Store(p["db"]) as store:
        report = riskseg.import_path(store, *p["paths"])
        store.con.execute("CHECKPOINT")
    if report.exit_code:
        raise BenchError("; ".join(str(s.error) for s in report.failed) or "nothing imported")
    return {"tables": report.by_table(), "import_s": round(time.perf_counter() - started, 1)}


def worker_signals(p: dict[str, Any]) -> dict[str, Any]:
    """``compute_signals`` on the store ``p["db"]``; seconds per family; RFM columns saved."""
    from riskseg import Store
    from riskseg.signals import compute_signals

    marks: list[tuple[str, float]] = []
    profiles: dict[str, Any] = {}
    profile_file = Path(tempfile.mkdtemp()) / "profile.json"

    def progress(name: str) -> None:
        if p.get("profile") and marks:
            # DuckDB wrote the profile of the family's query (its last one on the store)
            with contextlib.suppress(OSError, ValueError):
                profiles[marks[-1][0]] = _profile_summary(json.loads(profile_file.read_text()))
        marks.append((name, time.perf_counter()))

    with Store(p["db"], read_only=True) as store:
        if p.get("profile"):
            store.con.execute("PRAGMA enable_profiling = 'json'")
            store.con.execute(f"PRAGMA profiling_output = '{profile_file}'")
        cpu = time.process_time()
        started = time.perf_counter()
        table = compute_signals(
            store,
            as_of=dt.date.fromisoformat(p["as_of"]),
            families=p.get("families"),
            signals=p.get("signals"),
            progress=progress,
        )
        finished = time.perf_counter()
        cpu = time.process_time() - cpu
    # what each family cost: from its progress call to the next one ("finish" is the join and
    # the portfolio-wide signals); "setup" is reading the customers before the first family
    steps = {"setup": (marks[0][1] if marks else finished) - started}
    ends = [t for _, t in marks[1:]] + [finished]
    steps |= {name: end - t for (name, t), end in zip(marks, ends, strict=True)}
    if p.get("out"):
        keep = ["customer_id"] + [c for c in RFM_COLUMNS if c in table.column_names]
        pq.write_table(table.select(keep), p["out"])
    shutil.rmtree(profile_file.parent, ignore_errors=True)
    return {
        "profile": profiles,
        "compute_s": finished - started,
        "compute_cpu_s": cpu,
        "steps_s": {k: round(v, 2) for k, v in steps.items()},
        "customers": table.num_rows,
        "signals": table.num_columns - 2,
        "peak_rss_in_call_bytes": _peak_self(),
    }


#: operators worth naming when saying where a query's time goes
_OPERATORS = {
    "HASH_GROUP_BY",
    "PERFECT_HASH_GROUP_BY",
    "WINDOW",
    "STREAMING_WINDOW",
    "HASH_JOIN",
    "TABLE_SCAN",
    "ORDER_BY",
    "UNGROUPED_AGGREGATE",
}


def _profile_summary(profile: dict[str, Any], top: int = 5) -> dict[str, Any]:
    """The slowest operators of one DuckDB JSON profile (time summed over threads)."""
    found: list[dict[str, Any]] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("type") in _OPERATORS:
            info = node.get("extra_info") or {}
            groups = info.get("Groups")
            if node["type"] == "TABLE_SCAN":
                detail = str(info.get("Table", ""))
            elif "GROUP_BY" in node["type"]:
                n = len(groups) if isinstance(groups, list) else 1
                detail = f"{n} key{'s' if n > 1 else ''}"
            elif "WINDOW" in node["type"]:
                proj = info.get("Projections")
                detail = str(proj[0] if isinstance(proj, list) else proj)[:90]
            else:
                detail = str(info.get("Join Type", ""))
            found.append(
                {
                    "op": node["type"],
                    "detail": detail,
                    "rows": int(node.get("intermediate_rows") or 0),
                    "s": round(float(node.get("timing") or 0.0), 2),
                }
            )
        for child in node.get("children") or []:
            walk(child)

    for node in profile.get("operator") or []:
        walk(node)
    query = profile.get("query") or {}
    return {
        "total_s": round(float(query.get("total_time") or 0.0), 2),
        "cpu_s": round(float(query.get("cpu_time") or 0.0), 2),
        "top": sorted(found, key=lambda o: -o["s"])[:top],
    }


def _rfm_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def worker_rfm_data(p: dict[str, Any]) -> dict[str, Any]:
    """The transaction file and the store's ``customers``/``orders`` files made from it.

    ``transactions.parquet`` (customer_id, date, revenue) is what pymc-marketing and the bare
    DuckDB query read; ``orders.parquet`` is the same rows as riskseg's ``orders`` table (one
    order per row: ``order_id`` is the row number) and ``customers.parquet`` lists every
    customer, a few of them without any purchase.
    """
    rows, n = p["rows"], p["customers"]
    rng = np.random.default_rng(p["seed"])
    first = np.datetime64(RFM_FIRST_DAY.isoformat(), "D")
    span = (np.datetime64(RFM_AS_OF.isoformat(), "D") - first).astype(int) + 1
    # heavy-tailed activity; each customer starts somewhere in the period and buys until the end
    weight = rng.lognormal(0.0, 1.2, n)
    weight[rng.random(n) < 0.01] = 0.0  # customers who never bought
    who = np.sort(rng.choice(n, rows, p=weight / weight.sum()))
    start = rng.integers(0, span, n) * (rng.random(n) < 0.6)  # 40% were there from day one
    offset = start[who] + (rng.random(rows) * (span - start[who])).astype(np.int64)
    days = first + offset.astype("timedelta64[D]")
    cents = np.rint(rng.lognormal(np.log(25_000), 1.0, rows)).astype(np.int64)
    cents[rng.random(rows) < RETURN_SHARE] *= -1  # returns: not purchases
    order = np.argsort(days, kind="stable")  # exports come in date order
    customer_id = _rfm_ids("C", np.arange(1, n + 1), 7).take(pa.array(who[order]))
    date = pa.array(days[order], type=pa.date32())
    revenue = pa.array(cents[order] / 100.0)
    folder = Path(p["dir"])
    pq.write_table(
        pa.table({"customer_id": customer_id, "date": date, "revenue": revenue}),
        folder / "transactions.parquet",
    )
    pq.write_table(
        pa.table({"customer_id": _rfm_ids("C", np.arange(1, n + 1), 7)}),
        folder / "customers.parquet",
    )
    order_id = _rfm_ids("O", np.arange(1, rows + 1), 9)
    pq.write_table(
        pa.table(
            {
                "order_id": order_id,
                "customer_id": customer_id,
                "order_date": date,
                "revenue": revenue,
            }
        ),
        folder / "orders.parquet",
    )
    return {"buyers": int(np.unique(who[cents >= 0]).size)}


def worker_duckdb_rfm(p: dict[str, Any]) -> dict[str, Any]:
    """The bare DuckDB RFM query over the transaction file, default settings."""
    import duckdb

    con = duckdb.connect()
    cpu = time.process_time()
    started = time.perf_counter()
    table = con.execute(
        DUCKDB_RFM_SQL, {"file": p["file"], "as_of": dt.date.fromisoformat(p["as_of"])}
    ).to_arrow_table()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    pq.write_table(table, p["out"])
    return {
        "compute_s": elapsed,
        "compute_cpu_s": cpu,
        "customers": table.num_rows,
        "duckdb": duckdb.__version__,
    }


def worker_pymc_rfm(p: dict[str, Any]) -> dict[str, Any]:
    """pymc-marketing ``rfm_summary`` on the transaction file (run in bench/.venv-ref)."""
    import importlib.metadata

    started = time.perf_counter()
    import pandas as pd
    from pymc_marketing.clv.utils import rfm_summary

    imported = time.perf_counter()
    df = pd.read_parquet(p["file"])
    df = df[df["revenue"] >= 0]  # purchases only, as riskseg defines them
    df["date"] = pd.to_datetime(df["date"])
    loaded = time.perf_counter()
    cpu = time.process_time()
    summary = rfm_summary(
        df,
        "customer_id",
        "date",
        monetary_value_col="revenue",
        observation_period_end=p["as_of"],
        time_unit="D",
    )
    elapsed = time.perf_counter() - loaded
    cpu = time.process_time() - cpu
    summary.to_parquet(p["out"], index=False)
    return {
        "compute_s": elapsed,
        "compute_cpu_s": cpu,
        "import_s": imported - started,
        "load_s": loaded - imported,
        "customers": len(summary),
        "versions": {
            d: importlib.metadata.version(d) for d in ("pymc-marketing", "pandas", "numpy")
        },
    }


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "demo-data": worker_demo_data,
    "import": worker_import,
    "signals": worker_signals,
    "rfm-data": worker_rfm_data,
    "duckdb-rfm": worker_duckdb_rfm,
    "pymc-rfm": worker_pymc_rfm,
}


def run_worker(name: str, params: dict[str, Any], python: str | None = None) -> dict[str, Any]:
    """Run one worker in a child process; its JSON result plus what the child cost.

    Like ``run.run_measured``, the child is reaped with ``os.wait4`` so that wall time, peak
    RSS and CPU time (user + system) are this child's alone. The machine's 1-minute load
    average before the start is kept too: CPU time barely moves when other processes compete
    for the cores, wall time does.
    """
    argv = [python or sys.executable, str(Path(__file__).resolve()), "--worker", name]
    argv += ["--params", json.dumps(params)]
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if returncode != 0:
        raise BenchError(
            f"worker {name} exited {returncode}\n--- stderr (tail) ---\n{stderr[-4000:]}"
        )
    try:
        result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as e:
        raise BenchError(f"worker {name}: no JSON result ({e}); stdout:\n{stdout[-2000:]}") from e
    return result | {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,  # Linux reports KiB
        "load_before": load,
    }


# ------------------------------------------------------------------------------ cached data


def _source_hash(*parts: str) -> str:
    """A short hash of riskseg source files, so cached data follows the code that made it."""
    h = hashlib.sha256()
    for part in parts:
        for path in sorted((ROOT / "src" / "riskseg").glob(part)):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _cached(folder: Path, wanted: dict[str, Any], files: Sequence[str]) -> dict[str, Any] | None:
    """The manifest in ``folder`` when it was made for ``wanted`` and its files are all there."""
    with contextlib.suppress(OSError, ValueError, TypeError):
        manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
        if {k: manifest.get(k) for k in wanted} == wanted and all(
            (folder / f).exists() for f in files
        ):
            return manifest
    return None


def _make(folder: Path, wanted: dict[str, Any], step: Callable[[Path], dict[str, Any]]) -> Any:
    """Run ``step`` into ``<folder>.part`` and move it in place with its manifest last."""
    part = folder.with_name(folder.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    manifest = wanted | step(part)
    (part / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    part.replace(folder)
    return manifest


def _mem_available() -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def ensure_demo(customers: int) -> dict[str, Any]:
    """Demo company Parquet files under ``bench/out/demo-<customers>/`` (generated once)."""
    folder = OUT / f"demo-{customers}"
    wanted = {"customers": customers, "seed": DEMO_SEED, "demo_code": _source_hash("demo/*.py")}
    files = ["customers.parquet", "orders.parquet", "invoices.parquet", "interactions.parquet"]
    manifest = _cached(folder, wanted, files)
    if manifest is not None:
        print(f"demo: reusing {_rel(folder)}/", flush=True)
        return manifest
    need = 13_000 * customers  # ~12.4 GB measured at 1M customers
    print(
        f"demo: generating {customers:,} customers "
        f"(needs about {need / 1e9:.1f} GB, {_mem_available() / 1e9:.1f} GB available) ...",
        flush=True,
    )

    def step(part: Path) -> dict[str, Any]:
        r = run_worker("demo-data", {"customers": customers, "seed": DEMO_SEED, "dir": str(part)})
        r["bytes"] = sum(f.stat().st_size for f in part.glob("*.parquet"))
        print(f"demo: generated in {r['wall_s']:.0f} s, peak {_gb(r['peak_rss_bytes'])} GB")
        return r

    return _make(folder, wanted, step)


def ensure_store(
    name: str, data: dict[str, Any], paths: Sequence[Path], reimport: bool
) -> tuple[Path, dict[str, Any]]:
    """A store imported from ``paths`` under ``bench/out/<name>.store/`` (imported once)."""
    folder = OUT / f"{name}.store"
    wanted = {
        "data": hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16],
        "riskseg_code": _source_hash("ingest/*.py", "store/*.py", "contract.py"),
    }
    manifest = None if reimport else _cached(folder, wanted, ["riskseg.duckdb"])
    if manifest is not None:
        print(f"store: reusing {_rel(folder)}/", flush=True)
        return folder / "riskseg.duckdb", manifest
    print(f"store: importing {', '.join(p.name for p in paths)} ...", flush=True)

    def step(part: Path) -> dict[str, Any]:
        db = part / "riskseg.duckdb"
        r = run_worker("import", {"db": str(db), "paths": [str(p) for p in paths]})
        r["bytes"] = db.stat().st_size
        print(f"store: imported in {r['wall_s']:.0f} s, peak {_gb(r['peak_rss_bytes'])} GB")
        return r

    manifest = _make(folder, wanted, step)
    return folder / "riskseg.duckdb", manifest


def ensure_rfm_data(rows: int) -> dict[str, Any]:
    """The transaction file (and the store's files) under ``bench/out/rfm-<rows>/``."""
    folder = OUT / f"rfm-{rows}"
    customers = max(1, rows // ROWS_PER_CUSTOMER)
    wanted = {
        "generator": RFM_GENERATOR_VERSION,
        "seed": RFM_SEED,
        "rows": rows,
        "customers": customers,
    }
    files = ["transactions.parquet", "customers.parquet", "orders.parquet"]
    manifest = _cached(folder, wanted, files)
    if manifest is not None:
        print(f"rfm: reusing {_rel(folder)}/", flush=True)
        return manifest
    print(f"rfm: generating {rows:,} transactions of {customers:,} customers ...", flush=True)

    def step(part: Path) -> dict[str, Any]:
        params = {"rows": rows, "customers": customers, "seed": RFM_SEED, "dir": str(part)}
        r = run_worker("rfm-data", params)
        r["bytes"] = (part / "transactions.parquet").stat().st_size
        return r

    return _make(folder, wanted, step)


def ensure_ref_venv() -> Path:
    """``bench/.venv-ref`` with pymc-marketing, created on first use; its python."""
    python = REF_VENV / "bin" / "python"
    stamp = REF_VENV / ".installed"
    want = "\n".join(REF_REQUIREMENTS)
    if python.exists() and stamp.exists() and stamp.read_text() == want:
        return python
    print(f"ref: creating {_rel(REF_VENV)} with {' '.join(REF_REQUIREMENTS)} ...", flush=True)
    base = shutil.which("python3.11") or sys.executable
    if not python.exists():
        subprocess.run([base, "-m", "venv", str(REF_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, *REF_REQUIREMENTS], check=True)
    stamp.write_text(want)
    return python


# ------------------------------------------------------------------------------ the benchmarks


def prepare_demo(customers: int, reimport: bool) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    """(a)'s data: the demo company's files and the store imported from them."""
    data = ensure_demo(customers)
    folder = OUT / f"demo-{customers}"
    db, store = ensure_store(f"demo-{customers}", data, [folder], reimport)
    return data, db, store


def bench_demo(customers: int, reimport: bool) -> dict[str, Any]:
    """(a) every signal on the demo company's store."""
    data, db, store = prepare_demo(customers, reimport)
    warm_page_cache(db)
    as_of = data["end"]
    print(f"signals: compute_signals(store, as_of={as_of}) on {_rel(db)} ...", flush=True)
    run = run_worker("signals", {"db": str(db), "as_of": as_of})
    if run["customers"] != data["rows"]["customers"]:
        raise BenchError(f"{run['customers']:,} rows, {data['rows']['customers']:,} customers")
    print(
        f"signals: {run['wall_s']:.1f} s wall ({run['compute_s']:.1f} s in compute_signals), "
        f"peak {_gb(run['peak_rss_bytes'])} GB; steps {run['steps_s']}",
        flush=True,
    )
    verdict = {
        "wall": run["wall_s"] <= TARGET_DEMO_WALL_S,
        "rss": run["peak_rss_bytes"] <= TARGET_DEMO_RSS_BYTES,
    }
    profile: dict[str, Any] = {}
    if not all(verdict.values()):
        print("signals: a target is missed: one more run, profiled ...", flush=True)
        r = run_worker("signals", {"db": str(db), "as_of": as_of, "profile": True})
        profile = {"profile": r["profile"], "steps_s": r["steps_s"]}
    return {
        "customers": customers,
        "as_of": as_of,
        "data": data,
        "store": store,
        "run": run,
        "profile": profile,
        "pass": verdict,
    }


def prepare_rfm(rows: int, reimport: bool) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    """(b)'s data: the transaction file and the store imported from the same rows."""
    data = ensure_rfm_data(rows)
    folder = OUT / f"rfm-{rows}"
    db, store = ensure_store(
        f"rfm-{rows}", data, [folder / "customers.parquet", folder / "orders.parquet"], reimport
    )
    return data, db, store


CONTENDERS = ("duckdb", "rfm", "value", "full", "pymc")


def _summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Best and median of repeated runs of one contender; the worst peak RSS."""
    best = min(runs, key=lambda r: r["compute_s"])
    return {
        "best_s": best["compute_s"],
        "median_s": statistics.median(r["compute_s"] for r in runs),
        "best_cpu_s": min(r["compute_cpu_s"] for r in runs),
        "wall_s": best["wall_s"],
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
        "load_before": [round(r["load_before"], 1) for r in runs],
    }


def bench_rfm(rows: int, reimport: bool, repeat: int) -> dict[str, Any]:
    """(b) RFM: riskseg against pymc-marketing and a bare DuckDB query, side by side.

    The four contenders run in turn, ``repeat`` rounds, so that other work on the machine
    falls on all of them alike; each is judged by its best round.
    """
    ref_python = ensure_ref_venv()
    data, db, store = prepare_rfm(rows, reimport)
    folder = OUT / f"rfm-{rows}"
    file = folder / "transactions.parquet"
    for path in (file, db):
        warm_page_cache(path)
    as_of = RFM_AS_OF.isoformat()
    outs = {k: folder / f"out-{k}.parquet" for k in CONTENDERS}
    for path in outs.values():
        path.unlink(missing_ok=True)
    steps: dict[str, tuple[str, dict[str, Any], str | None]] = {
        "duckdb": ("duckdb-rfm", {"file": str(file)}, None),
        "rfm": ("signals", {"db": str(db), "signals": list(RFM_COLUMNS)}, None),
        "value": ("signals", {"db": str(db), "families": ["value"]}, None),
        "full": ("signals", {"db": str(db)}, None),
        "pymc": ("pymc-rfm", {"file": str(file)}, str(ref_python)),
    }
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in CONTENDERS}
    for i in range(repeat):
        for key, (worker, params, python) in steps.items():
            r = run_worker(worker, params | {"as_of": as_of, "out": str(outs[key])}, python)
            runs[key].append(r)
            print(
                f"rfm {i + 1}/{repeat}: {key}: {r['compute_s']:.2f} s "
                f"({r['compute_cpu_s']:.1f} s CPU), child {r['wall_s']:.1f} s wall, "
                f"peak {_gb(r['peak_rss_bytes'])} GB, load {r['load_before']:.1f}",
                flush=True,
            )
    checks = {
        "rfm_vs_pymc": compare_rfm(outs["rfm"], outs["pymc"]),
        "value_vs_pymc": compare_rfm(outs["value"], outs["pymc"]),
        "full_vs_pymc": compare_rfm(outs["full"], outs["pymc"]),
        "duckdb_vs_pymc": compare_rfm(outs["duckdb"], outs["pymc"]),
    }
    for name, c in checks.items():
        print(f"rfm: {name}: {c}", flush=True)
    best = {k: _summary(v) for k, v in runs.items()}
    speedup = best["pymc"]["best_s"] / best["rfm"]["best_s"]
    full_ratio = best["full"]["best_s"] / best["duckdb"]["best_s"]
    profiles: dict[str, Any] = {}
    if speedup < TARGET_RFM_SPEEDUP or full_ratio > TARGET_FULL_VS_DUCKDB:
        print("rfm: a target is missed: one more run each of rfm and full, profiled ...")
        for key in ("rfm", "full"):
            worker, params, _ = steps[key]
            r = run_worker(worker, params | {"as_of": as_of, "profile": True})
            profiles[key] = {"profile": r["profile"], "steps_s": r["steps_s"]}
    print(f"rfm: speed-up over pymc-marketing {speedup:.1f}x; full / DuckDB {full_ratio:.1f}x")
    return {
        "rows": rows,
        "as_of": as_of,
        "repeat": repeat,
        "data": data,
        "store": store,
        "runs": runs,
        "best": best,
        "steps_s": {k: runs[k][-1]["steps_s"] for k in ("rfm", "value", "full")},
        "versions": runs["pymc"][0]["versions"] | {"duckdb": runs["duckdb"][0]["duckdb"]},
        "pymc_load_s": runs["pymc"][0]["load_s"],
        "pymc_import_s": runs["pymc"][0]["import_s"],
        "checks": checks,
        "profiles": profiles,
        "speedup": speedup,
        "speedup_cpu": best["pymc"]["best_cpu_s"] / best["rfm"]["best_cpu_s"],
        "speedup_with_read": (best["pymc"]["best_s"] + runs["pymc"][0]["load_s"])
        / best["rfm"]["best_s"],
        "speedup_value": best["pymc"]["best_s"] / best["value"]["best_s"],
        "speedup_child": best["pymc"]["wall_s"] / best["rfm"]["wall_s"],
        "full_ratio": full_ratio,
        "full_ratio_cpu": best["full"]["best_cpu_s"] / best["duckdb"]["best_cpu_s"],
        "full_ratio_child": best["full"]["wall_s"] / best["duckdb"]["wall_s"],
        "pass": {
            "speedup": speedup >= TARGET_RFM_SPEEDUP,
            "identical": all(c["ok"] for c in checks.values()),
            "full_vs_duckdb": full_ratio <= TARGET_FULL_VS_DUCKDB,
        },
    }


def _rfm_table(path: Path) -> dict[str, np.ndarray]:
    """An RFM output as numpy columns named as riskseg names them, sorted by customer."""
    t = pq.read_table(path)
    t = t.rename_columns([REF_NAMES.get(c, c) for c in t.column_names])
    t = t.filter(pc.is_valid(t["rfm_frequency"]))  # riskseg: empty for customers who never bought
    t = t.sort_by("customer_id")
    out = {"customer_id": t["customer_id"].to_numpy(zero_copy_only=False)}
    for c in RFM_COLUMNS:
        out[c] = t[c].cast(pa.float64()).to_numpy()
    return out


def compare_rfm(mine: Path, ref: Path) -> dict[str, Any]:
    """Same customers; frequency, recency and T equal; monetary value to 1e-9 relative."""
    a, b = _rfm_table(mine), _rfm_table(ref)
    result: dict[str, Any] = {
        "customers": len(a["customer_id"]),
        "ref_customers": len(b["customer_id"]),
    }
    if len(a["customer_id"]) != len(b["customer_id"]) or not np.array_equal(
        a["customer_id"], b["customer_id"]
    ):
        return result | {"ok": False, "why": "different customers"}
    diffs = {c: int(np.sum(a[c] != b[c])) for c in RFM_COLUMNS[:3]}
    x, y = a["rfm_monetary_value"], b["rfm_monetary_value"]
    scale = np.maximum(np.abs(x), np.abs(y))
    rel = np.divide(np.abs(x - y), scale, out=np.zeros_like(scale), where=scale > 0)
    diffs["rfm_monetary_value"] = int(np.sum(rel > MONETARY_RTOL))
    result |= {
        "mismatches": diffs,
        "max_rel_monetary": float(rel.max(initial=0.0)),
        "ok": not any(diffs.values()) and result["customers"] > 0,
    }
    return result


# ------------------------------------------------------------------------------- reporting


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f}"


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render_profile(diag: dict[str, Any] | None, title: str) -> list[str]:
    """Where the time goes: the slowest families' queries and their slowest operators."""
    if not diag:
        return []
    families = sorted(diag["profile"].items(), key=lambda kv: -kv[1]["total_s"])
    lines = [
        f"Where the time goes ({title}; one more run with DuckDB's JSON profiling on; operator "
        "times are summed over the threads, so they add up to more than the wall time):",
        "",
    ]
    for family, prof in families:
        if prof["total_s"] < 0.5:
            continue
        ops = "; ".join(
            f"{o['op']} ({o['detail']}) {o['rows']:,} rows {o['s']:.1f} s"
            for o in prof["top"]
            if o["s"] >= 0.1
        )
        lines.append(
            f"- {family}: query {prof['total_s']:.1f} s ({prof['cpu_s']:.1f} s CPU): {ops}"
        )
    finish = diag["steps_s"].get("finish")
    if finish is not None:
        lines.append(
            f"- finish (joins, portfolio-wide and peer signals, in-process DuckDB, not "
            f"profiled): {finish:.1f} s"
        )
    return [*lines, ""]


def render_demo(rec: dict[str, Any] | None) -> list[str]:
    lines = [
        DEMO_HEADING,
        "",
        "Target: every signal (`compute_signals` on a store imported from the demo company's "
        "Parquet files) for 1M customers, about 100M rows across invoices, orders and "
        "interactions, in **<= 5 minutes** wall and **<= 12 GB peak RSS** (12·10⁹ bytes) on a "
        "2-core machine.",
        "",
    ]
    if rec is None:
        return [*lines, "Not measured yet: run `.venv/bin/python bench/signals.py --skip-rfm`."]
    d, s, r = rec["data"], rec["store"], rec["run"]
    rows = d["rows"]
    big3 = rows["invoices"] + rows["orders"] + rows["interactions"]
    steps = ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in r["steps_s"].items())
    lines += [
        f"Reproduce with `.venv/bin/python bench/signals.py --skip-rfm` (measured {rec['date']} "
        "UTC). It generates the demo company once (`riskseg.demo.generate("
        f"customers={rec['customers']:_}, seed={DEMO_SEED})`, written as Parquet), imports it with `riskseg.import_path` into a "
        "store under `bench/out/` (both cached), then times, as a child process with the store "
        "in the page cache and riskseg's default DuckDB memory limit:",
        "",
        f"    compute_signals(Store(db, read_only=True), as_of=date.fromisoformat({rec['as_of']!r}))",
        "",
        f"Data: {rows['customers']:,} customers; {big3:,} rows in invoices "
        f"({rows['invoices']:,}), orders ({rows['orders']:,}) and interactions "
        f"({rows['interactions']:,}), {big3 / 1e6:.0f}M where the target speaks of about 100M; "
        f"{sum(rows.values()):,} rows in all ten tables "
        f"({d['bytes'] / 1e9:.1f} GB of Parquet, store {s['bytes'] / 1e9:.1f} GB). Generation "
        f"took {d['wall_s']:.0f} s and {_gb(d['peak_rss_bytes'])} GB peak; the import "
        f"{s['wall_s']:.0f} s and {_gb(s['peak_rss_bytes'])} GB peak (not part of the target).",
        "",
        "| customers | rows (3 big tables) | signals | wall s | in compute_signals s | CPU s "
        "| load avg before | peak RSS GB | wall <= 5 min | RSS <= 12 GB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        f"| {r['customers']:,} | {big3:,} | {r['signals']} | {r['wall_s']:.1f} "
        f"| {r['compute_s']:.1f} | {r['cpu_s']:.1f} | {r['load_before']:.1f} "
        f"| {_gb(r['peak_rss_bytes'])} | {_pf(rec['pass']['wall'])} | {_pf(rec['pass']['rss'])} |",
        "",
        f"**Result: wall {_pf(rec['pass']['wall'])}, RSS {_pf(rec['pass']['rss'])}** (one run). "
        f"Seconds per step of `compute_signals`: {steps}. Wall is the child's whole life "
        "(start-up included); CPU is the child's user + system time; the load average is the "
        "machine's (1 minute) just before the child started.",
        "",
        *render_profile(rec.get("profile"), "all signals"),
    ]
    return lines


RFM_LABELS = {
    "rfm": "riskseg RFM subset",
    "value": "riskseg value family",
    "full": "riskseg full signal set",
    "duckdb": "DuckDB bare RFM query",
    "pymc": "pymc-marketing rfm_summary",
}


def render_rfm(rec: dict[str, Any] | None) -> list[str]:
    lines = [
        RFM_HEADING,
        "",
        "Targets: on a 20M-row transaction file (customer_id, date, revenue; 200k customers) "
        "the RFM signals at least **10x faster** than pymc-marketing `rfm_summary` with "
        "**identical output**, and the full signal set within **3x** the time of a bare DuckDB "
        "RFM query over the same file.",
        "",
    ]
    if rec is None:
        return [*lines, "Not measured yet: run `.venv/bin/python bench/signals.py --skip-demo`."]
    d, best, checks, v = rec["data"], rec["best"], rec["checks"], rec["versions"]
    imported = rec.get("store") or {}
    import_note = (
        f" The import took {imported['import_s']:.0f} s, peak "
        f"{_gb(imported['peak_rss_bytes'])} GB (not part of the targets)."
        if "import_s" in imported and "peak_rss_bytes" in imported
        else ""
    )
    lines += [
        f"Reproduce with `.venv/bin/python bench/signals.py --skip-demo` (measured {rec['date']} "
        "UTC). It generates `transactions.parquet` once (fixed seed; "
        f"{rec['rows']:,} rows, {d['customers']:,} customers of whom {d['buyers']:,} bought, "
        f"dates {RFM_FIRST_DAY} to {RFM_AS_OF}, {RETURN_SHARE:.0%} returns with negative "
        "revenue, purchases on the same day summed to one transaction), imports the same rows "
        "into a store as `orders` (one order per row) with every customer, then runs each "
        f"contender as a child process as of {rec['as_of']}, files in the page cache, "
        f"{rec['repeat']} round{'s' if rec['repeat'] > 1 else ''} in turn:",
        "",
        "- **riskseg RFM subset**: `compute_signals(store, as_of=..., signals=['rfm_frequency', "
        "'rfm_recency_days', 'rfm_t_days', 'rfm_monetary_value'])`.",
        "- **riskseg value family** (for reference, not a target): `compute_signals(store, "
        "as_of=..., families=['value'])`: RFM plus revenue, margin, trends, order rhythm, order "
        "values and returns.",
        "- **riskseg full**: `compute_signals(store, as_of=...)`, every family (only `customers` "
        "and `orders` hold data).",
        "- **DuckDB bare**: one SQL query over `transactions.parquet` (`DUCKDB_RFM_SQL` in "
        "`bench/signals.py`): purchase days per customer, then frequency, recency, T and "
        "monetary value.",
        f"- **pymc-marketing** {v['pymc-marketing']} (pandas {v['pandas']}, numpy "
        f"{v['numpy']}, in `bench/.venv-ref`): `rfm_summary(df, 'customer_id', 'date', "
        "monetary_value_col='revenue', observation_period_end=as_of, time_unit='D')` on the "
        "file read with pandas and filtered to revenue >= 0.",
        "",
        "The store keeps its purchase days, `order_days` (one row per customer and day with "
        "order lines: purchase and return revenue, costed revenue, margin, the previous "
        "purchase day), which every import refreshes for the customers it touched "
        "(`src/riskseg/store/order_days.py`, docs/signals.md); riskseg's value and peer "
        "signals read those rows instead of grouping the order lines again at every `as_of`, "
        "while the bare DuckDB query and pymc-marketing start from the transactions." + import_note,
        "",
        "Time is the call alone, best of the rounds: riskseg reading its store, DuckDB reading "
        "the Parquet file, pymc-marketing given the DataFrame in memory (its "
        f"{rec['pymc_load_s']:.1f} s to read and prepare the file and "
        f"{rec['pymc_import_s']:.1f} s to import are left out). CPU is the call's CPU time, all "
        "threads (it moves little when other work competes for the cores; wall time does). "
        "Child wall is the whole child process of the best round.",
        "",
        "| contender | time s (best) | median s | CPU s | child wall s | peak RSS GB "
        "| load avg before each round |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for key, label in RFM_LABELS.items():
        b = best[key]
        loads = ", ".join(f"{x:.1f}" for x in b["load_before"])
        lines.append(
            f"| {label} | {b['best_s']:.2f} | {b['median_s']:.2f} | {b['best_cpu_s']:.1f} "
            f"| {b['wall_s']:.1f} | {_gb(b['peak_rss_bytes'])} | {loads} |"
        )
    c = checks["rfm_vs_pymc"]
    same = (
        f"all {c['customers']:,} buying customers identical (frequency, recency and T exactly; "
        f"monetary value max relative difference {c['max_rel_monetary']:.1e})"
        if c["ok"]
        else f"outputs differ: {c}"
    )
    others = ", ".join(f"{k.replace('_', ' ')} {_pf(x['ok'])}" for k, x in checks.items())
    p = rec["pass"]
    steps = "; ".join(
        f"{RFM_LABELS[k]}: " + ", ".join(f"{n.replace('_', ' ')} {t:.1f}" for n, t in v.items())
        for k, v in rec["steps_s"].items()
    )
    lines += [
        "",
        f"- RFM speed-up over pymc-marketing: **{rec['speedup']:.1f}x** (CPU time: "
        f"{rec['speedup_cpu']:.1f}x; counting pymc-marketing's read of the file too: "
        f"{rec['speedup_with_read']:.1f}x; whole child processes: {rec['speedup_child']:.1f}x; "
        f"the whole value family: {rec['speedup_value']:.1f}x; target >= 10x): "
        f"**{_pf(p['speedup'])}**. For scale, the bare DuckDB query is "
        f"{best['pymc']['best_s'] / best['duckdb']['best_s']:.1f}x faster than "
        "pymc-marketing here.",
        f"- Identical output: **{_pf(p['identical'])}**: {same}; checks: {others}.",
        f"- Full signal set / bare DuckDB: **{rec['full_ratio']:.1f}x** (CPU time: "
        f"{rec['full_ratio_cpu']:.1f}x; whole child processes: {rec['full_ratio_child']:.1f}x; "
        f"target <= 3x): **{_pf(p['full_vs_duckdb'])}**",
        "",
        f"Seconds per step of `compute_signals` (last round): {steps}.",
        "",
    ]
    profiles = rec.get("profiles") or {}
    for key in ("rfm", "full"):
        lines += render_profile(profiles.get(key), RFM_LABELS[key])
    return lines


def kept_demo_text(docs: Path) -> list[str] | None:
    """The demo part as the docs have it now, for a run without a demo record to keep.

    A machine that never ran the demo benchmark has no record of it; rewriting the section
    there must not wipe the figures measured elsewhere.
    """
    with contextlib.suppress(OSError):
        text = docs.read_text()
        begin, end = text.find(MARK_BEGIN + "\n" + DEMO_HEADING), text.find(RFM_HEADING)
        if begin != -1 and end > begin:
            kept = text[begin + len(MARK_BEGIN) + 1 : end].strip("\n").split("\n")
            if not any(line.startswith("Not measured yet") for line in kept):
                return kept
    return None


def render_section(
    demo: dict[str, Any] | None,
    rfm: dict[str, Any] | None,
    demo_text: list[str] | None = None,
) -> str:
    m = (demo or rfm or {}).get("machine") or machine()
    shown = demo_text if demo is None and demo_text is not None else render_demo(demo)
    parts = [MARK_BEGIN, *shown, "", *render_rfm(rfm), ""]
    # one blank line between blocks, whatever each part ends with
    lines = [x for i, x in enumerate(parts) if x or (i > 0 and parts[i - 1])]
    lines += [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}; "
        f"Python {m['python']}, duckdb {m['duckdb']}, pyarrow {m['pyarrow']}, "
        f"riskseg {m['riskseg']}. Peak RSS is the child's `ru_maxrss` (from `wait4`).",
        MARK_END,
    ]
    return "\n".join(lines)


def _record_path(part: str, size: int) -> Path:
    return OUT / f"signals-{part}-{size}.json"


def _load_record(part: str, size: int) -> dict[str, Any] | None:
    with contextlib.suppress(OSError, ValueError):
        record: dict[str, Any] = json.loads(_record_path(part, size).read_text())
        return record
    return None


# ------------------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--customers",
        type=_count,
        default=DEFAULT_CUSTOMERS,
        help=f"demo company accounts (default {DEFAULT_CUSTOMERS:,})",
    )
    p.add_argument(
        "--rows",
        type=_count,
        default=DEFAULT_ROWS,
        help=f"transaction file rows, {ROWS_PER_CUSTOMER} per customer (default {DEFAULT_ROWS:,})",
    )
    p.add_argument("--skip-demo", action="store_true", help="skip (a), the demo company")
    p.add_argument("--skip-rfm", action="store_true", help="skip (b), RFM on the transactions")
    p.add_argument(
        "--repeat",
        type=_count,
        default=3,
        help="rounds of the RFM contenders, each judged by its best (default 3)",
    )
    p.add_argument(
        "--prepare-only", action="store_true", help="make the data and stores, time nothing"
    )
    p.add_argument("--reimport", action="store_true", help="import into fresh stores again")
    p.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="markdown file to update (default docs/benchmarks.md, only for the default sizes)",
    )
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; 0 when every target is met, 1 when one is missed, 2 on failure."""
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](json.loads(args.params)), default=str))
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    records: dict[str, dict[str, Any]] = {}
    try:
        if args.prepare_only:
            if not args.skip_demo:
                prepare_demo(args.customers, args.reimport)
            if not args.skip_rfm:
                ensure_ref_venv()
                prepare_rfm(args.rows, args.reimport)
            return 0
        if not args.skip_demo:
            records["demo"] = bench_demo(args.customers, args.reimport)
        if not args.skip_rfm:
            records["rfm"] = bench_rfm(args.rows, args.reimport, args.repeat)
    except (BenchError, subprocess.CalledProcessError) as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        return 2
    sizes = {"demo": args.customers, "rfm": args.rows}
    for part, rec in records.items():
        rec |= {"date": date, "machine": machine()}
        _record_path(part, sizes[part]).write_text(json.dumps(rec, indent=2, default=str) + "\n")

    full_size = args.customers == DEFAULT_CUSTOMERS and args.rows == DEFAULT_ROWS
    docs = args.docs or (DOCS if full_size else None)
    if docs is not None and records:
        # a part skipped this time keeps its last result at the same size (or its text)
        demo = records.get("demo") or _load_record("demo", args.customers)
        section = render_section(
            demo,
            records.get("rfm") or _load_record("rfm", args.rows),
            demo_text=kept_demo_text(docs) if demo is None else None,
        )
        update_docs(docs, section, MARK_BEGIN, MARK_END)
        print(f"wrote {_rel(docs)}")
    elif records:
        print(f"{_rel(DOCS)} not updated: it documents the default sizes (or give --docs)")
    failed = [
        f"{part} {what}"
        for part, rec in records.items()
        for what, ok in rec["pass"].items()
        if not ok
    ]
    print("all targets met" if not failed else f"missed: {', '.join(failed)}")
    if "rfm" in records and not records["rfm"]["pass"]["identical"]:
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
