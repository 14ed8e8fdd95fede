"""Import benchmark: time ``riskseg import`` on a generated 10M-row invoices CSV.

Target (from the issue): a 10M-row invoices CSV imported with validation in <= 60 s wall and
<= 3 GB peak RSS on a 2-core machine.

``make bench`` runs this as ``.venv/bin/python bench/run.py``. It generates ``bench/out/`` once
(fixed seed; regenerated when missing or made for another size), imports ``customers.csv``
into a fresh database, then times ``riskseg import bench/out/invoices.csv --db ... --json`` in a
child process, checks its counts, and writes the result into the ``bench:import`` section of
``docs/benchmarks.md``. Exits 1 when a target is missed, 2 when the import fails or miscounts.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DOCS = ROOT / "docs" / "benchmarks.md"

DEFAULT_ROWS = 10_000_000
CUSTOMERS = 100_000
TARGET_WALL_S = 60.0
TARGET_RSS_BYTES = 3_000_000_000  # "3 GB", read strictly as 10^9 bytes

#: Bump when the generated data changes, so cached files are remade.
GENERATOR_VERSION = 1
SEED = 20_240_601
CHUNK_ROWS = 1_000_000
BAD_FRACTION = 0.001
FIRST_DAY = np.datetime64("2019-01-01", "D")
AS_OF = np.datetime64("2025-06-30", "D")

MARK_BEGIN = "<!-- bench:import -->"
MARK_END = "<!-- /bench:import -->"

COUNTRIES = np.array(["DE", "NL", "FR", "BE", "GB", "US", "ES", "IT", "AT", "CH"])
COUNTRY_P = np.array([0.25, 0.15, 0.12, 0.08, 0.1, 0.1, 0.06, 0.06, 0.04, 0.04])
CURRENCY_OF = {"GB": "GBP", "US": "USD", "CH": "CHF"}
TERMS = np.array([14, 30, 30, 30, 45, 60, 90])
LEGAL_FORMS = np.array(["GmbH", "B.V.", "S.A.", "Ltd", "Inc.", "S.r.l.", "& Co, KG"])
BAD_AMOUNTS = np.array(["n/a", "TBD", "#VALUE!", "see memo"])


# --------------------------------------------------------------------------- data generation


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``numbers`` as an Arrow string array."""
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _money(cents: np.ndarray) -> pa.Array:
    """Integer cents as strings with exactly two decimals (``-12.50``)."""
    magnitude = np.abs(cents)
    units = pa.array(magnitude // 100).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(magnitude % 100).cast(pa.string()), width=2, padding="0")
    sign = pa.array(np.where(cents < 0, "-", ""))
    return pc.binary_join_element_wise(sign, units, ".", frac, "")


def _dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """``datetime64[D]`` values as an Arrow date array (null where ``missing``)."""
    return pa.array(days, type=pa.date32(), mask=missing)


@dataclasses.dataclass(frozen=True)
class Customers:
    """What the invoice generator needs to know about the generated customers."""

    ids: pa.Array
    terms: np.ndarray
    currency: pa.Array
    weight: np.ndarray
    late_days: np.ndarray


def make_customers(rng: np.random.Generator, n: int) -> tuple[pa.Table, Customers]:
    """The customers table and the per-customer facts invoices are drawn from."""
    numbers = np.arange(1, n + 1)
    ids = _ids("C", numbers, 7)
    where = rng.choice(len(COUNTRIES), n, p=COUNTRY_P)
    currency = np.array([CURRENCY_OF.get(c, "EUR") for c in COUNTRIES])[where]
    terms = rng.choice(TERMS, n)
    status = rng.choice(np.array(["active", "closed", "prospect"]), n, p=[0.9, 0.07, 0.03])
    names = pc.binary_join_element_wise(
        "Customer", pa.array(numbers).cast(pa.string()), pa.array(rng.choice(LEGAL_FORMS, n)), " "
    )
    credit_limit = np.round(rng.lognormal(np.log(20_000), 1.0, n), -3).astype(np.int64)
    table = pa.table(
        {
            "customer_id": ids,
            "name": names,
            "country": pa.array(COUNTRIES[where]),
            "payment_terms_days": pa.array(terms),
            "credit_limit": pa.array(credit_limit),
            "status": pa.array(status),
        }
    )
    # A few big accounts get most invoices; prospects have none yet.
    weight = rng.lognormal(0.0, 1.5, n) * (status != "prospect")
    late_days = rng.gamma(1.5, 6.0, n) - 4.0  # mean delay past the due date, per customer
    facts = Customers(ids, terms, pa.array(currency), weight / weight.sum(), late_days)
    return table, facts


def make_invoices(
    rng: np.random.Generator, customers: Customers, first: int, rows: int
) -> tuple[pa.Table, dict[str, int]]:
    """Invoices ``first+1 .. first+rows``, with ~0.1% planted bad rows (counted per kind)."""
    who = rng.choice(len(customers.weight), rows, p=customers.weight)
    span = int((AS_OF - FIRST_DAY).astype(int))
    issue = FIRST_DAY + rng.integers(0, span + 1, rows).astype("timedelta64[D]")
    due = issue + customers.terms[who].astype("timedelta64[D]")

    delay = np.rint(rng.normal(customers.late_days[who], 10.0)).astype("timedelta64[D]")
    paid = np.maximum(due + delay, issue)
    recent = (AS_OF - issue).astype(int) < 90
    still_open = (paid > AS_OF) | (rng.random(rows) < np.where(recent, 0.3, 0.02))
    old = (AS_OF - issue).astype(int) > 365
    written_off = still_open & old & (rng.random(rows) < 0.3)

    cents = np.rint(rng.lognormal(np.log(150_000), 1.2, rows)).astype(np.int64)
    cents[rng.random(rows) < 0.03] *= -1  # credit notes
    amount = _money(cents)
    customer_id = customers.ids.take(pa.array(who))

    # Planted errors: each bad row gets one of three faults validation must catch.
    bad = rng.random(rows) < BAD_FRACTION
    kind = np.where(bad, rng.integers(0, 3, rows), -1)
    text_amount, due_first, unknown = kind == 0, kind == 1, kind == 2
    amount = pc.replace_with_mask(
        amount, text_amount, pa.array(rng.choice(BAD_AMOUNTS, int(text_amount.sum())))
    )
    due[due_first] = issue[due_first] - rng.integers(1, 31, int(due_first.sum())).astype(
        "timedelta64[D]"
    )
    ghosts = _ids("CX", first + 1 + np.flatnonzero(unknown), 7)
    customer_id = pc.replace_with_mask(customer_id, unknown, ghosts)

    table = pa.table(
        {
            "invoice_id": _ids("INV", np.arange(first + 1, first + rows + 1), 10),
            "customer_id": customer_id,
            "issue_date": _dates(issue),
            "due_date": _dates(due),
            "amount": amount,
            "currency": customers.currency.take(pa.array(who)),
            "paid_date": _dates(paid, missing=still_open),
            "disputed": pa.array(rng.random(rows) < 0.02),
            "written_off": pa.array(written_off),
        }
    )
    counts = {
        "text_amount": int(text_amount.sum()),
        "due_before_issue": int(due_first.sum()),
        "unknown_customer": int(unknown.sum()),
    }
    return table, counts


def _manifest_wanted(rows: int) -> dict[str, Any]:
    return {"generator": GENERATOR_VERSION, "seed": SEED, "rows": rows, "customers": CUSTOMERS}


def ensure_data(rows: int, out: Path = OUT) -> dict[str, Any]:
    """Generate ``customers.csv`` and ``invoices.csv`` under ``out`` unless already there.

    Returns the manifest (sizes, planted bad rows). Files are written under temporary names
    and the manifest last, so an interrupted run is regenerated next time.
    """
    manifest_path = out / "dataset.json"
    files = {"customers": out / "customers.csv", "invoices": out / "invoices.csv"}
    wanted = _manifest_wanted(rows)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        if {k: manifest.get(k) for k in wanted} == wanted and all(
            p.exists() and p.stat().st_size == manifest["bytes"][name] for name, p in files.items()
        ):
            print(f"data: reusing {_rel(out)}/ ({rows:,} invoices)", flush=True)
            return manifest

    print(f"data: generating {CUSTOMERS:,} customers and {rows:,} invoices ...", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path.unlink(missing_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    customer_table, customers = make_customers(rng, CUSTOMERS)
    tmp = {name: p.with_suffix(".csv.part") for name, p in files.items()}
    # Names can hold commas, so customers are quoted where needed; invoices never need it.
    pacsv.write_csv(customer_table, tmp["customers"])
    bad = {"text_amount": 0, "due_before_issue": 0, "unknown_customer": 0}
    writer: pacsv.CSVWriter | None = None
    try:
        for first in range(0, rows, CHUNK_ROWS):
            chunk, counts = make_invoices(rng, customers, first, min(CHUNK_ROWS, rows - first))
            if writer is None:
                options = pacsv.WriteOptions(quoting_style="none")
                writer = pacsv.CSVWriter(tmp["invoices"], chunk.schema, write_options=options)
            writer.write_table(chunk)
            bad = {k: bad[k] + counts[k] for k in bad}
    finally:
        if writer is not None:
            writer.close()
    for name, p in files.items():
        tmp[name].replace(p)
    manifest = {
        **wanted,
        "bad_rows": bad,
        "bytes": {name: p.stat().st_size for name, p in files.items()},
        "generated_s": round(time.perf_counter() - started, 1),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(
        f"data: wrote {_mb(manifest['bytes']['invoices'])} MB of invoices "
        f"in {manifest['generated_s']} s",
        flush=True,
    )
    return manifest


# ------------------------------------------------------------------------------ measurement


@dataclasses.dataclass(frozen=True)
class ChildRun:
    """One finished child process and what it cost."""

    argv: list[str]
    returncode: int
    wall_s: float
    peak_rss_bytes: int
    stdout: str
    stderr: str


def run_measured(argv: Sequence[str]) -> ChildRun:
    """Run ``argv`` from the repository root; wall time and peak RSS of that child alone.

    ``os.wait4`` returns the rusage of exactly this child (and anything it waited for), so
    earlier children do not leak into the peak as they would with ``RUSAGE_CHILDREN``.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return ChildRun(
            argv=list(argv),
            returncode=proc.returncode,
            wall_s=wall,
            peak_rss_bytes=usage.ru_maxrss * 1024,  # Linux reports KiB
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


class BenchError(Exception):
    """A step failed or its results do not add up; the benchmark has no valid result."""


def run_json_worker(
    script: str | Path, name: str, params: dict[str, Any], python: str | None = None
) -> dict[str, Any]:
    """Run ``script --worker NAME --params JSON`` in a child; its last JSON line plus its cost.

    The benchmarks of the other families (bench/scores.py, bench/clv.py) time each step this
    way, so that wall time and peak RSS are that step's alone (``run_measured``).
    """
    argv = [python or sys.executable, str(Path(script).resolve()), "--worker", name]
    run = run_measured([*argv, "--params", json.dumps(params)])
    if run.returncode != 0:
        raise BenchError(
            f"worker {name} exited {run.returncode}\n--- stderr (tail) ---\n{run.stderr[-4000:]}"
        )
    try:
        result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as e:
        raise BenchError(
            f"worker {name}: no JSON result ({e}); stdout:\n{run.stdout[-2000:]}"
        ) from e
    return result | {"wall_s": run.wall_s, "peak_rss_bytes": run.peak_rss_bytes}


def parse_counts(run: ChildRun, table: str) -> dict[str, int]:
    """The ``{"read", "stored", "quarantined"}`` counts for ``table`` from ``--json`` output."""
    if run.returncode != 0:
        raise BenchError(
            f"{shlex.join(run.argv)} exited {run.returncode}\n"
            f"--- stderr (tail) ---\n{run.stderr[-3000:]}\n--- stdout (tail) ---\n"
            f"{run.stdout[-2000:]}"
        )
    text = run.stdout.strip()
    try:
        result = json.loads(text[text.index("{") :])
        counts = {k: int(result[table][k]) for k in ("read", "stored", "quarantined")}
    except (ValueError, KeyError, TypeError) as e:
        raise BenchError(
            f"expected a JSON object with {table}.read/stored/quarantined on stdout "
            f"({type(e).__name__}: {e}); got:\n{run.stdout[-2000:]}"
        ) from e
    return counts


def check_counts(counts: dict[str, int], table: str, rows: int) -> None:
    """No row lost: every data row is read, and each one is stored or quarantined."""
    if counts["read"] != rows:
        raise BenchError(f"{table}: read {counts['read']:,} rows, the file has {rows:,}")
    if counts["read"] != counts["stored"] + counts["quarantined"]:
        raise BenchError(
            f"{table}: read {counts['read']:,} != stored {counts['stored']:,} "
            f"+ quarantined {counts['quarantined']:,}"
        )


def import_argv(template: str | None, csv: Path, db: Path) -> list[str]:
    """The child command: ``riskseg import CSV --db DB --json`` (or a stand-in template)."""
    csv_arg, db_arg = _rel(csv), _rel(db)
    if template is None:
        riskseg = Path(sys.executable).parent / "riskseg"
        if not riskseg.exists():
            raise BenchError(f"{riskseg} not found: run `make install` first")
        return [_rel(riskseg), "import", csv_arg, "--db", db_arg, "--json"]
    return [a.format(python=sys.executable, csv=csv_arg, db=db_arg) for a in shlex.split(template)]


def warm_page_cache(path: Path) -> None:
    """Read ``path`` once so every timed run starts with the file in the page cache."""
    with path.open("rb") as f:
        while f.read(16 << 20):
            pass


@dataclasses.dataclass(frozen=True)
class Measured:
    """One timed invoice import (after its customers import into the same fresh database)."""

    command: str
    wall_s: float
    peak_rss_bytes: int
    counts: dict[str, int]
    customers_wall_s: float
    customers_peak_rss_bytes: int

    @property
    def wall_ok(self) -> bool:
        return self.wall_s <= TARGET_WALL_S

    @property
    def rss_ok(self) -> bool:
        return self.peak_rss_bytes <= TARGET_RSS_BYTES


@contextlib.contextmanager
def fresh_db_dir(keep: bool) -> Iterator[Path]:
    """A new directory for one run's database; removed afterwards unless ``keep``."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="db-", dir=OUT))
    try:
        yield path
    finally:
        if keep:
            print(f"kept database: {_rel(path / 'bench.duckdb')}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def measure_once(template: str | None, rows: int, keep_db: bool) -> Measured:
    """Import customers (measured, not the headline), then invoices, into a fresh database."""
    with fresh_db_dir(keep_db) as tmp:
        db = tmp / "bench.duckdb"
        cust = run_measured(import_argv(template, OUT / "customers.csv", db))
        check_counts(parse_counts(cust, "customers"), "customers", CUSTOMERS)
        warm_page_cache(OUT / "invoices.csv")
        argv = import_argv(template, OUT / "invoices.csv", db)
        print(f"run: {shlex.join(argv)}", flush=True)
        inv = run_measured(argv)
        counts = parse_counts(inv, "invoices")
        check_counts(counts, "invoices", rows)
    return Measured(
        command=shlex.join(argv).replace(shlex.quote(_rel(db)), "<tmp>/bench.duckdb"),
        wall_s=inv.wall_s,
        peak_rss_bytes=inv.peak_rss_bytes,
        counts=counts,
        customers_wall_s=cust.wall_s,
        customers_peak_rss_bytes=cust.peak_rss_bytes,
    )


# ------------------------------------------------------------------------------- reporting


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f}"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare a result with their own machine."""
    cpu = "unknown"
    mem_bytes = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_bytes = int(line.split()[1]) * 1024
                break
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "ram_gib": round(mem_bytes / 2**30, 1),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "pyarrow": _version("pyarrow"),
        "riskseg": _version("riskseg"),
    }


def verdict(runs: Sequence[Measured]) -> tuple[bool, bool]:
    """(wall target met, RSS target met): median wall over runs, worst peak RSS."""
    wall = statistics.median(r.wall_s for r in runs) <= TARGET_WALL_S
    rss = max(r.peak_rss_bytes for r in runs) <= TARGET_RSS_BYTES
    return wall, rss


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render_section(record: dict[str, Any], runs: Sequence[Measured]) -> str:
    """The markdown between the ``bench:import`` markers."""
    m = record["machine"]
    wall_ok, rss_ok = verdict(runs)
    bad = record["dataset"]["bad_rows"]
    lines = [
        MARK_BEGIN,
        "## Import: 10M-row invoices CSV",
        "",
        "Target: a 10M-row invoices CSV imported with validation in **<= 60 s wall** and "
        "**<= 3 GB peak RSS** (3·10⁹ bytes) on a 2-core machine.",
        "",
        "Reproduce with `make bench` (`--rows N` for another size, `--repeat N` for more runs): "
        "it generates `bench/out/` once with a fixed seed, imports `customers.csv` "
        f"({CUSTOMERS:,} rows) into a fresh database, then times, as a child process:",
        "",
        f"    {runs[0].command}",
        "",
        "Wall time is the child's whole life (start-up included) with the CSV in the page "
        "cache; peak RSS is the child's `ru_maxrss` (from `wait4`). "
        f"The file has {sum(bad.values()):,} planted bad rows "
        f"({bad['text_amount']:,} text amounts, {bad['due_before_issue']:,} due before issue, "
        f"{bad['unknown_customer']:,} unknown customers).",
        "",
        "| date (UTC) | rows | CSV MB | wall s | peak RSS MB | stored | quarantined "
        "| wall <= 60 s | RSS <= 3 GB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in runs:
        lines.append(
            f"| {record['date']} | {record['rows']:,} | {_mb(record['csv_bytes'])} "
            f"| {r.wall_s:.1f} | {_mb(r.peak_rss_bytes)} | {r.counts['stored']:,} "
            f"| {r.counts['quarantined']:,} | {_pf(r.wall_ok)} | {_pf(r.rss_ok)} |"
        )
    how = f"median of {len(runs)} runs, worst RSS" if len(runs) > 1 else "one run"
    lines += [
        "",
        f"**Result: wall {_pf(wall_ok)}, RSS {_pf(rss_ok)}** ({how}). Customers import before it: "
        f"{runs[0].customers_wall_s:.1f} s, {_mb(runs[0].customers_peak_rss_bytes)} MB.",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}; "
        f"Python {m['python']}, duckdb {m['duckdb']}, pyarrow {m['pyarrow']}, "
        f"riskseg {m['riskseg']}.",
        MARK_END,
    ]
    return "\n".join(lines)


def update_docs(
    path: Path, section: str, mark_begin: str = MARK_BEGIN, mark_end: str = MARK_END
) -> None:
    """Replace the section between the markers (``bench:import`` by default) of ``path``.

    The section is appended when the markers are absent; the rest of the file is kept.
    """
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    begin, end = text.find(mark_begin), text.find(mark_end)
    if begin != -1 and end > begin:
        text = text[:begin] + section + text[end + len(mark_end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# ------------------------------------------------------------------------------------- main


def _count(value: str) -> int:
    n = int(float(value.replace("_", "")))
    if n <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return n


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--rows",
        type=_count,
        default=DEFAULT_ROWS,
        help=f"invoice rows to generate and import (default {DEFAULT_ROWS:,})",
    )
    p.add_argument(
        "--repeat",
        type=_count,
        default=1,
        help="timed imports, each into a fresh database (default 1)",
    )
    p.add_argument("--keep-db", action="store_true", help="keep the databases under bench/out/")
    p.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="markdown file to update (default docs/benchmarks.md, which is only "
        f"updated by a run of {DEFAULT_ROWS:,} rows)",
    )
    p.add_argument("--generate-only", action="store_true", help="make the data, time nothing")
    # Testing aid: a stand-in child command template with {python}, {csv} and {db}.
    p.add_argument("--command", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every target is met, 1 when one is missed, 2 on failure."""
    args = parse_args(argv)
    dataset = ensure_data(args.rows)
    if args.generate_only:
        return 0
    record: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "rows": args.rows,
        "csv_bytes": dataset["bytes"]["invoices"],
        "dataset": dataset,
        "machine": machine(),
        "targets": {"wall_s": TARGET_WALL_S, "peak_rss_bytes": TARGET_RSS_BYTES},
    }
    runs: list[Measured] = []
    try:
        for i in range(args.repeat):
            run = measure_once(args.command, args.rows, args.keep_db)
            runs.append(run)
            print(
                f"run {i + 1}/{args.repeat}: {run.wall_s:.1f} s, "
                f"peak RSS {_mb(run.peak_rss_bytes)} MB, {run.counts}",
                flush=True,
            )
    except BenchError as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        return 2

    planted = sum(dataset["bad_rows"].values())
    if runs[0].counts["quarantined"] != planted:
        print(f"note: {runs[0].counts['quarantined']:,} rows quarantined, {planted:,} planted")
    record["runs"] = [dataclasses.asdict(r) for r in runs]
    wall_ok, rss_ok = verdict(runs)
    record["pass"] = {"wall": wall_ok, "rss": rss_ok}
    (OUT / "last-run.json").write_text(json.dumps(record, indent=2) + "\n")

    docs = args.docs
    if docs is None and args.rows == DEFAULT_ROWS and args.command is None:
        docs = DOCS
    if docs is not None:
        update_docs(docs, render_section(record, runs))
        print(f"wrote {_rel(docs)}")
    else:
        print(f"{_rel(DOCS)} not updated: it documents the {DEFAULT_ROWS:,}-row run")
    print(f"wall <= {TARGET_WALL_S:.0f} s: {_pf(wall_ok)}; peak RSS <= 3 GB: {_pf(rss_ok)}")
    return 0 if wall_ok and rss_ok else 1


if __name__ == "__main__":
    sys.exit(main())
