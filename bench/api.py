"""REST API latency at 1M customers (issue 6): p95 < 300 ms under 20 concurrent clients.

Target: with 1M customers in the store, ``GET /api/customers`` (the list: filter, sort, page,
search) and ``GET /api/customers/{id}`` (the profile) answer at **p95 < 300 ms** under 20
concurrent clients, on loopback, on a 2-core machine.

Data (cached under ``bench/out/api/``): a real demo company of 2,000 customers is generated,
imported and run once through ``riskseg.pipeline.run``; its run is then copied with DuckDB SQL
into a new store until it holds ``--customers`` customers (ids renumbered, risk and value
scores jittered by up to one point), with the run's ``signals.parquet`` copied the same way.
So ``customers``, ``run_customers``, ``actions``, ``action_events``, ``contacts`` and
``surveys`` have the pipeline's own columns, values and string lengths at 1M customers; the
invoice, order and interaction tables stay empty (neither route reads them).

Measurement: ``riskseg serve`` runs as a child process over that store; 20 client threads,
each with its own keep-alive ``httpx.Client`` and login token, send one request after another
(half lists with a random page, sort, order and sometimes a segment or a search, half profiles
of random customers): ``--warmup`` seconds unmeasured, then ``--requests`` measured. Then the
server is stopped and each query of the two routes is timed alone (no load) for the section's
"where the time goes". Results go into the ``bench:api`` section of ``docs/benchmarks.md``
(only at the documented size). Exit 1 when the target is missed, 2 when the bench fails.

Run: ``make bench-api`` or ``.venv/bin/python bench/api.py`` (``--customers 100000`` to try).
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import datetime as dt
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import httpx

# bench/run.py: machine facts and the docs writer (bench/ is on sys.path: run as a script)
from run import _count, machine, update_docs

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "api"
DOCS = ROOT / "docs" / "benchmarks.md"
MARK_BEGIN, MARK_END = "<!-- bench:api -->", "<!-- /bench:api -->"
TARGET_P95_MS = 300.0
AS_OF = dt.date(2025, 12, 31)
SOURCE_CUSTOMERS = 2000
#: bump when the copied store changes, so cached ones are remade
GENERATOR_VERSION = 4
USER, PASSWORD = "bench", "bench-password"
#: the tables copied from the demo company (the routes read these; the others stay empty)
COPIED = ("customers", "run_customers", "actions", "contacts", "surveys")
#: share of the copied actions a department has worked: accepted, done or dismissed
WORKED_PERCENT = 12


# ------------------------------------------------------------------------------------ data


def source_demo() -> Path:
    """A 2,000-customer demo company, imported and run once (cached): the rows to copy."""
    import riskseg
    from riskseg.demo import generate
    from riskseg.pipeline import run

    folder = OUT / f"demo-{SOURCE_CUSTOMERS}"
    db, done = folder / "demo.duckdb", folder / "done"
    if done.exists() and done.read_text() == str(_schema()):
        return db
    shutil.rmtree(folder, ignore_errors=True)
    print(f"data: a {SOURCE_CUSTOMERS:,}-customer demo company, imported and run ...", flush=True)
    generate(customers=SOURCE_CUSTOMERS, seed=0).write(folder / "data", format="parquet")
    with riskseg.Store(str(db)) as store:
        riskseg.import_path(store, folder / "data")
        run(store, as_of=AS_OF, out_dir=folder / "run", backtest=False)
    done.write_text(str(_schema()))
    return db


def _schema() -> int:
    """The store's schema version: a run recorded under another one has other columns."""
    from riskseg.store.migrations import MIGRATIONS

    return MIGRATIONS[-1].version


def _copy_sql(n: int) -> list[str]:
    """The statements that fill the new store from ``src`` (the demo) up to ``n`` customers."""
    width = max(7, len(str(n)))
    jitter = "((hash(m.new_id) % 2001) / 1000.0 - 1.0)"  # deterministic, -1..+1

    def score(col: str) -> str:
        return f"round(greatest(0, least(100, rc.{col} + {jitter})), 1) AS {col}"

    return [
        f"""CREATE TEMP TABLE cmap AS
        SELECT c.customer_id AS src_id, r.k, r.k * {SOURCE_CUSTOMERS} + c.i AS n0,
               'C' || lpad(CAST(r.k * {SOURCE_CUSTOMERS} + c.i + 1 AS VARCHAR), {width}, '0')
                 AS new_id
        FROM (SELECT customer_id, row_number() OVER (ORDER BY customer_id) - 1 AS i
              FROM src.customers) c
        CROSS JOIN (SELECT range AS k FROM range({math.ceil(n / SOURCE_CUSTOMERS)})) r
        WHERE r.k * {SOURCE_CUSTOMERS} + c.i < {n}""",
        # customer order, as an import of one export file and the pipeline write them
        """INSERT INTO customers BY NAME
        SELECT c.* REPLACE (m.new_id AS customer_id, m.n0 + 1 AS _line)
        FROM src.customers c JOIN cmap m ON m.src_id = c.customer_id ORDER BY m.n0""",
        f"""INSERT INTO run_customers BY NAME
        SELECT rc.* REPLACE (1 AS run_id, m.new_id AS customer_id, {score("risk_score")},
                             {score("value_score")})
        FROM src.run_customers rc JOIN cmap m ON m.src_id = rc.customer_id
        WHERE rc.run_id = (SELECT max(run_id) FROM src.runs) ORDER BY m.n0""",
        """CREATE TEMP TABLE ctmap AS
        SELECT ct.contact_id AS src_contact, m.k, m.new_id,
               'P' || lpad(CAST(row_number() OVER (ORDER BY m.n0, ct.contact_id) AS VARCHAR),
                           9, '0') AS contact_id
        FROM src.contacts ct JOIN cmap m ON m.src_id = ct.customer_id""",
        """INSERT INTO contacts BY NAME
        SELECT ct.* REPLACE (x.contact_id AS contact_id, x.new_id AS customer_id)
        FROM src.contacts ct JOIN ctmap x ON x.src_contact = ct.contact_id
        ORDER BY x.contact_id""",
        # survey waves: each wave's answers from every customer together, in date order
        """INSERT INTO surveys BY NAME
        SELECT s.* REPLACE (
            'R' || lpad(CAST(row_number() OVER (ORDER BY s.date, m.n0, s.response_id)
                             AS VARCHAR), 9, '0') AS response_id,
            x.contact_id AS contact_id, m.new_id AS customer_id)
        FROM src.surveys s JOIN cmap m ON m.src_id = s.customer_id
        LEFT JOIN ctmap x ON x.src_contact = s.contact_id AND x.k = m.k
        ORDER BY s.date, m.n0, s.response_id""",
        # the playbook writes actions rule by rule, not customer by customer
        """CREATE TEMP TABLE amap AS
        SELECT a.action_id AS src_action, m.new_id,
               row_number() OVER (ORDER BY a.action_id, m.k) AS action_id
        FROM src.actions a JOIN cmap m ON m.src_id = a.customer_id
        WHERE a.run_id = (SELECT max(run_id) FROM src.runs)""",
        """INSERT INTO actions BY NAME
        SELECT a.* REPLACE (am.action_id AS action_id, 1 AS run_id, am.new_id AS customer_id)
        FROM src.actions a JOIN amap am ON am.src_action = a.action_id ORDER BY am.action_id""",
        """INSERT INTO action_events
        SELECT am.action_id, e.event_at, e.status_from, e.status_to, e.by_user, e.note
        FROM src.action_events e JOIN amap am ON am.src_action = e.action_id
        ORDER BY am.action_id, e.event_at""",
        # departments have worked part of the queue since: later events, appended in time order
        f"""CREATE TEMP TABLE worked AS
        SELECT action_id, owner, hash(action_id) % 100 AS h,
               status_at + INTERVAL (1 + hash(action_id) % 20) DAY AS worked_at
        FROM actions WHERE NOT control AND hash(action_id) % 100 < {WORKED_PERCENT}""",
        """INSERT INTO action_events
        SELECT action_id, worked_at, 'proposed', CASE WHEN h < 10 THEN 'accepted' ELSE 'dismissed' END,
               owner || '-lead', CASE WHEN h < 10 THEN NULL ELSE 'customer asked for a call' END
        FROM worked
        UNION ALL
        SELECT action_id, worked_at + INTERVAL 7 DAY, 'accepted', 'done', owner || '-lead', 'done'
        FROM worked WHERE h < 6
        ORDER BY 2""",
        """UPDATE actions SET
            status = CASE WHEN w.h < 6 THEN 'done' WHEN w.h < 10 THEN 'accepted'
                          ELSE 'dismissed' END,
            status_at = w.worked_at + CASE WHEN w.h < 6 THEN INTERVAL 7 DAY ELSE INTERVAL 0 DAY END,
            status_by = w.owner || '-lead',
            status_note = CASE WHEN w.h < 10 THEN NULL ELSE 'customer asked for a call' END
        FROM worked w WHERE actions.action_id = w.action_id""",
    ]


def ensure_store(n: int) -> dict[str, Any]:
    """The ``n``-customer store and its signals file (cached); returns their manifest."""
    import riskseg
    from riskseg.pipeline import write_signals_file

    db, signals = OUT / f"store-{n}.duckdb", OUT / f"signals-{n}.parquet"
    manifest_path = OUT / f"store-{n}.json"
    with contextlib.suppress(OSError, ValueError):
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
        wanted = (GENERATOR_VERSION, _schema())
        if (manifest.get("generator"), manifest.get("schema")) == wanted and (
            db.exists() and signals.exists()
        ):
            print(f"data: reusing {db.relative_to(ROOT)}", flush=True)
            return manifest
    src = source_demo()
    print(f"data: copying the demo's run to {n:,} customers ...", flush=True)
    started = time.perf_counter()
    manifest_path.unlink(missing_ok=True)
    for p in (db, db.with_suffix(".duckdb.wal"), signals, signals.with_suffix(".arrow")):
        p.unlink(missing_ok=True)
    with riskseg.Store(str(db)) as store:  # created and migrated to the current schema
        con = store.con
        con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
        for sql in _copy_sql(n):
            con.execute(sql)
        src_run = con.execute("SELECT max(run_id) FROM src.runs").fetchall()[0][0]
        actions = con.execute("SELECT count(*) FROM actions").fetchall()[0][0]
        con.execute(
            "INSERT INTO runs BY NAME SELECT * REPLACE (1 AS run_id, ? AS customers, "
            "? AS actions) FROM src.runs WHERE run_id = ?",
            [n, actions, src_run],
        )
        details = json.loads(
            con.execute(
                "SELECT details FROM src.run_details WHERE run_id = ?", [src_run]
            ).fetchall()[0][0]
        )
        # written as the pipeline writes it (sorted by customer, its row groups and encoding)
        copied = con.sql(
            "SELECT s.* REPLACE (m.new_id AS customer_id) FROM read_parquet($file) s "
            "JOIN cmap m ON m.src_id = s.customer_id ORDER BY m.n0",
            params={"file": details["signals_file"]},
        ).to_arrow_table()
        write_signals_file(copied, signals)
        del copied
        details["signals_file"] = str(signals)
        con.execute("INSERT INTO run_details VALUES (1, ?)", [json.dumps(details)])
        counts = {
            t: int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
            for t in (*COPIED, "action_events")
        }
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    manifest = {
        "generator": GENERATOR_VERSION,
        "schema": _schema(),
        "customers": n,
        "counts": counts,
        "signals_rows": n,
        "built_s": round(time.perf_counter() - started, 1),
        "store_bytes": db.stat().st_size,
        "signals_bytes": signals.stat().st_size,
        "lookup_bytes": signals.with_suffix(".arrow").stat().st_size,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"data: built in {manifest['built_s']} s: {counts}", flush=True)
    return manifest


# ---------------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _add_user(db: Path) -> list[str]:
    """The bench user, made anew each time (which drops the tokens of earlier runs); returns
    the run's grid segments, for the list's segment filter."""
    import riskseg
    from riskseg.api.auth import add_user

    with riskseg.Store(str(db)) as store:
        store.con.execute("DELETE FROM api_tokens WHERE username = ?", [USER])
        store.con.execute("DELETE FROM users WHERE username = ?", [USER])
        add_user(store, USER, password=PASSWORD, role="admin", now=dt.datetime(2026, 1, 1))
        segments = store.con.execute(
            "SELECT DISTINCT grid_segment FROM run_customers WHERE grid_segment IS NOT NULL "
            "ORDER BY 1"
        ).fetchall()
    return [str(s[0]) for s in segments]


@contextlib.contextmanager
def serving(db: Path, src: Path | None = None) -> Iterator[tuple[str, int]]:
    """``riskseg serve`` over ``db`` on a free port: (base URL, pid); from the riskseg
    package under ``src`` instead of the installed one when given (a patched copy)."""
    port = _free_port()
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    riskseg_bin = Path(sys.executable).parent / "riskseg"
    log = (OUT / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(riskseg_bin), "serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"riskseg serve did not start; see {OUT / 'serve.log'}")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (all its threads)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def rss(pid: int) -> dict[str, int]:
    """Resident and peak resident memory of ``pid`` (Linux ``/proc``)."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024
    return found


# ------------------------------------------------------------------------------------ load


def sort_keys() -> tuple[str, ...]:
    """Every sort key the list offers (read from the route, so the bench follows it)."""
    from riskseg.api.routes_customers import SortKey

    return tuple(str(k) for k in typing.get_args(SortKey))


def request_maker(n: int, segments: list[str]) -> Callable[[random.Random], tuple[str, str]]:
    """Draws the next request: (route label, path with query)."""
    width = max(7, len(str(n)))
    sorts = sort_keys()
    words = ("bakker", "gmbh", "industri", "b.v.", "tech", "sas", "logist", "metal")

    def draw(rng: random.Random) -> tuple[str, str]:
        if rng.random() < 0.5:
            return "profile", f"/api/customers/C{rng.randint(1, n):0{width}d}"
        query = {
            "sort": rng.choice(sorts),
            "order": rng.choice(("asc", "desc")),
            "page": str(rng.randint(1, 100)),
        }
        label = "list"
        if rng.random() < 0.3:
            query["segment"] = rng.choice(segments)
            label = "list, segment"
        if rng.random() < 0.2:
            # part of an id (a prefix matching ~100 customers) or of a name
            query["q"] = (
                f"C{rng.randint(1, max(1, n // 100)):0{width - 2}d}"
                if rng.random() < 0.5
                else rng.choice(words)
            )
            label = "list, search"
        return label, "/api/customers?" + str(httpx.QueryParams(query))

    return draw


def drive(
    base: str, clients: int, seconds: float, count: int, draw: Callable[..., Any], seed: int
) -> tuple[list[tuple[str, float, int]], float]:
    """``clients`` threads sending requests back to back, for ``seconds`` or ``count`` in all.

    Returns (route, seconds, status) per request and the wall time of the whole phase.
    """
    tokens = []
    for _ in range(clients):  # one login each, as 20 people would have
        r = httpx.post(f"{base}/api/login", json={"username": USER, "password": PASSWORD})
        r.raise_for_status()
        tokens.append(r.json()["token"])
    results: list[tuple[str, float, int]] = []
    lock = threading.Lock()
    per_client = math.ceil(count / clients) if count else 0
    deadline = time.perf_counter() + seconds

    def client(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        mine: list[tuple[str, float, int]] = []
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            while (len(mine) < per_client) if count else (time.perf_counter() < deadline):
                label, path = draw(rng)
                t = time.perf_counter()
                status = http.get(path).status_code
                mine.append((label, time.perf_counter() - t, status))
        with lock:
            results.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started


def summarize(results: list[tuple[str, float, int]], wall: float) -> dict[str, dict[str, Any]]:
    """Per route (and for the whole list and all requests): count, errors, percentiles in ms."""
    groups: dict[str, list[tuple[float, int]]] = {}
    for label, sec, status in results:
        groups.setdefault(label, []).append((sec, status))
        if label.startswith("list"):
            groups.setdefault("list (all)", []).append((sec, status))
        groups.setdefault("all", []).append((sec, status))
    out = {}
    for label, rows in groups.items():
        ms = sorted(1000 * s for s, _ in rows)
        q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        out[label] = {
            "requests": len(ms),
            "errors": sum(1 for _, status in rows if status != 200),
            "p50": q[49],
            "p95": q[94],
            "p99": q[98],
            "max": ms[-1],
            "per_s": len(ms) / wall,
        }
    return out


# -------------------------------------------------------------------- where the time goes


class _Recording:
    """A DuckDB connection that notes every statement a route sends through it (until
    ``recording`` is set to false)."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.recording = True
        self.statements: list[tuple[str, list[Any]]] = []

    def _note(self, sql: str, params: Any) -> None:
        if self.recording:
            self.statements.append((sql, list(params or [])))

    def execute(self, sql: str, params: Any = None) -> Any:
        self._note(sql, params)
        return self._con.execute(sql, params) if params is not None else self._con.execute(sql)

    def sql(self, sql: str, params: Any = None) -> Any:
        self._note(sql, params)
        return self._con.sql(sql, params=params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t))
    return statistics.median(times)


def _top_operators(con: Any, sql: str, params: list[Any], path: Path) -> list[str]:
    """The three costliest operators of one statement (DuckDB's JSON profile)."""
    con.execute("SET enable_profiling = 'json'")
    con.execute(f"SET profiling_output = '{path}'")
    try:
        con.execute(sql, params).fetchall()
    finally:
        con.execute("SET enable_profiling = 'no_output'")
    ops: list[tuple[float, str]] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("timing") is not None and node.get("name"):
            rows = node.get("rows_scanned", node.get("intermediate_rows", 0))
            label = f"{node['name'].strip()} {rows:,} rows"
            if node.get("total_row_groups_to_scan"):
                label += (
                    f" ({node.get('row_groups_scanned', 0)} of "
                    f"{node['total_row_groups_to_scan']} row groups)"
                )
            ops.append((float(node["timing"]), label))
        for child in node.get("children", []):
            walk(child)

    with contextlib.suppress(OSError, ValueError):
        for root in json.loads(path.read_text()).get("operator", []):
            walk(root)
    return [f"{label} {1000 * sec:.0f} ms" for sec, label in sorted(ops, reverse=True)[:3]]


def profile_routes(db: Path, n: int, segments: list[str], repeat: int = 5) -> list[dict[str, Any]]:
    """Each kind of request run in-process with no load: the route's time and each of its
    statements' (median of ``repeat``), the costliest with their top operators."""
    import riskseg
    from riskseg.api import routes_customers as rc
    from riskseg.api.auth import User
    from riskseg.portfolio import CustomerIndexes

    width = max(7, len(str(n)))
    user = User(USER, "admin")
    # what the route reads from its app: the server's in-memory list, built on the first call
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        customer_indexes=CustomerIndexes()
    )))  # fmt: skip

    def page(sort: str, order: str, n_page: int, **kw: Any) -> Callable[[Any], Any]:
        return lambda s: rc.customers(
            request=request,  # type: ignore[arg-type]
            store=s,
            user=user,
            sort=sort,
            order=order,
            page=n_page,
            page_size=50,
            segment=kw.get("segment"),
            q=kw.get("q"),
        )

    kinds: dict[str, Callable[[Any], Any]] = {
        "list, page 1 by risk": page("risk_score", "desc", 1),
        "list, page 100 by CLV": page("clv_12m", "asc", 100),
        "list, page 1 by name": page("name", "asc", 1),
        "list, a segment": page("risk_score", "desc", 1, segment=segments[0]),
        "list, search a name": page("risk_score", "desc", 1, q="bakker"),
        "profile": lambda s: rc.customer(
            customer_id=f"C{n // 2 + 17:0{width}d}",
            request=request,  # type: ignore[arg-type]
            store=s,
            user=user,
        ),
    }
    found = []
    with riskseg.Store(str(db), read_only=True) as store:
        for kind, call in kinds.items():
            probe = store.cursor()
            recording = _Recording(probe.con)
            probe.con = recording
            call(probe)  # warm, and note the statements
            recording.recording = False
            route_ms = _median_ms(lambda call=call, probe=probe: call(probe), repeat)
            statements = []
            for sql, params in recording.statements:
                try:
                    ms = _median_ms(
                        lambda sql=sql, params=params: store.con.execute(sql, params).fetchall(),
                        repeat,
                    )
                except duckdb.Error:  # a statement the recorder cannot replay alone
                    continue
                statements.append(
                    {
                        "sql": " ".join(sql.split())[:160],
                        "ms": ms,
                        "sql_full": sql,
                        "params": params,
                    }
                )
            statements.sort(key=lambda s: -s["ms"])
            for s in statements[:2]:
                s["operators"] = _top_operators(
                    store.con, s["sql_full"], s["params"], OUT / "profile.json"
                )
            for s in statements:
                del s["sql_full"], s["params"]
            found.append({"kind": kind, "route_ms": route_ms, "statements": statements})
    return found


def measure_choices(db: Path, n: int, samples: int = 50) -> list[dict[str, Any]]:
    """The two lookups the server's design rests on, each against what it replaced, in CPU
    ms (median over random customers or words): one customer's signals from the Arrow file
    against the Parquet row group, and a search through the distinct words of the ids and
    names (riskseg.portfolio.search) against DuckDB's ``contains`` over every row, the scan
    it replaced."""
    import pyarrow.parquet as pq

    import riskseg
    from riskseg.portfolio import CustomerIndexes
    from riskseg.runs import _SIGNAL_FILES, run_details

    rng = random.Random(7)
    width = max(7, len(str(n)))
    ids = [f"C{rng.randint(1, n):0{width}d}" for _ in range(samples)]

    def cpu_ms(fn: Callable[[Any], Any], args: list[Any]) -> float:
        fn(args[0])
        times = []
        for a in args:
            t = time.process_time()
            fn(a)
            times.append((time.process_time() - t) * 1000)
        return statistics.median(times)

    with riskseg.Store(str(db), read_only=True) as store:
        parquet = str((run_details(store, 1) or {})["signals_file"])
        meta, lows, _ = _SIGNAL_FILES._get(parquet)

        def from_parquet(customer: str) -> Any:
            group = bisect.bisect_right(lows, customer) - 1
            return pq.ParquetFile(parquet, metadata=meta).read_row_group(group)

        index = CustomerIndexes().get(store, 1)
        words = ["gmbh", "bakker", "tech", "b.v.", f"c{ids[0][1:6]}"]
        return [
            {
                "what": "one customer's signals",
                "chosen": ("Arrow lookup", cpu_ms(lambda c: _SIGNAL_FILES.row(parquet, c), ids)),
                "other": ("Parquet row group (zstd)", cpu_ms(from_parquet, ids)),
            },
            {
                "what": "a search of 1 word in every id and name",
                "chosen": ("index of the words", cpu_ms(index.search.matches, words)),
                "other": ("DuckDB contains in every row", cpu_ms(index.search._scan, words)),
            },
        ]


# --------------------------------------------------------------------------------- report


def passed(summary: dict[str, dict[str, Any]]) -> bool:
    return all(
        summary[k]["p95"] < TARGET_P95_MS and summary[k]["errors"] == 0
        for k in ("list (all)", "profile")
    )


def render(rec: dict[str, Any]) -> str:
    m, s, data = rec["machine"], rec["summary"], rec["data"]
    c = data["counts"]
    ok = passed(s)
    lines = [
        MARK_BEGIN,
        f"## REST API at {data['customers']:,} customers",
        "",
        f"Target: customer list and profile at **p95 < {TARGET_P95_MS:.0f} ms** under "
        f"{rec['clients']} concurrent clients, 1M customers in the store, loopback, 2 cores.",
        "",
        f"Reproduce with `make bench-api` (`{rec['command']}`, measured {rec['date']} UTC). "
        f"`riskseg serve` runs over the store as a child process; {rec['clients']} client "
        "threads (one `httpx.Client` and one login each, admin role) send requests back to "
        f"back: {rec['warmup_s']:.0f} s of warm-up, not counted, then {rec['requests']:,} "
        "measured. Half are `GET /api/customers` (random page 1-100 of 50, order and sort key: "
        f"{', '.join(rec['sorts'])}; "
        "30% with a grid-segment filter, 20% with a search `q`: an id prefix or a name word), "
        "half `GET /api/customers/{id}` of a random customer. Latency is the client's, from "
        "sending the request to the whole body read; the clients share the 2 cores with the "
        "server.",
        "",
        "Data (synthetic: what is copied and what is not): a 2,000-customer demo company "
        "(`riskseg.demo.generate(customers=2000, seed=0)`) imported and run once by "
        "`riskseg.pipeline.run` as of 2025-12-31 (models on, no backtest); its customers, the "
        "run's scores, reasons and segments, its actions with their events, its contacts and "
        "survey answers "
        f"copied with DuckDB SQL {math.ceil(data['customers'] / SOURCE_CUSTOMERS)} times into "
        "a new store (ids renumbered, risk and value scores jittered by up to ±1 point, "
        f"{WORKED_PERCENT}% of the actions then accepted, done or dismissed with their events "
        "appended), and the run's `signals.parquet` copied the same way: "
        f"{c['customers']:,} customers, {c['run_customers']:,} scored rows, "
        f"{c['actions']:,} actions, {c['action_events']:,} action events, "
        f"{c['contacts']:,} contacts, {c['surveys']:,} survey answers; one run in the store. "
        "Names, reasons and contacts repeat every 2,000 customers, so DuckDB compresses them "
        "better than real ones; invoices, orders and the other imported tables are empty "
        "(neither route reads them). Store "
        f"{data['store_bytes'] / 1e9:.2f} GB, signals file {data['signals_bytes'] / 1e6:.0f} MB "
        f"and its Arrow lookup beside it {data.get('lookup_bytes', 0) / 1e6:.0f} MB.",
        "",
        "| route | requests | errors | p50 ms | p95 ms | p99 ms | max ms | per s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label in ("list", "list, segment", "list, search", "list (all)", "profile", "all"):
        if label in s:
            r = s[label]
            bold = "**" if label in ("list (all)", "profile") else ""
            lines.append(
                f"| {bold}{label}{bold} | {r['requests']:,} | {r['errors']} | {r['p50']:.0f} "
                f"| {bold}{r['p95']:.0f}{bold} | {r['p99']:.0f} | {r['max']:.0f} "
                f"| {r['per_s']:.1f} |"
            )
    mem = rec["server_memory"]
    lines += [
        "",
        f"Throughput {s['all']['per_s']:.1f} requests/s over {rec['wall_s']:.1f} s. CPU per "
        f"request: server {1000 * rec['server_cpu_s'] / rec['requests']:.0f} ms, clients "
        f"{1000 * rec['client_cpu_s'] / rec['requests']:.0f} ms; {rec['clients']} clients back to "
        f"back on {m['nproc']} cores wait about {rec['clients']} / {m['nproc']} times the CPU a "
        f"request costs, so a p95 under {TARGET_P95_MS:.0f} ms (a mean near half of it) needs "
        f"roughly {m['nproc'] * TARGET_P95_MS / 2 / rec['clients']:.0f} ms of both together. "
        "Server RSS (the pages of the mapped signals lookup it touched count in it) "
        f"at the end {mem.get('VmRSS', 0) / 2**30:.2f} GB, peak {mem.get('VmHWM', 0) / 2**30:.2f} "
        f"GB. Load average (1 min) {rec['load_before']:.1f} before, {rec['load_after']:.1f} after "
        "the measured requests.",
        "",
        f"**Result: {'PASS' if ok else 'FAIL'}**: list p95 {s['list (all)']['p95']:.0f} ms, "
        f"profile p95 {s['profile']['p95']:.0f} ms (target < {TARGET_P95_MS:.0f} ms).",
        "",
        "Where the time goes: each kind of request run in-process on the stopped server's "
        "store with no load (the route function itself, median of 5; the token check, one "
        "small statement more per request, is not in it), and its statements alone, the "
        "costliest with DuckDB's top operators (operator times are summed over threads):",
        "",
    ]
    for kind in rec["profile"]:
        top = kind["statements"][:3]
        parts = "; ".join(
            f"`{st['sql'][:90]}...` {st['ms']:.0f} ms"
            + (f" ({', '.join(st['operators'])})" if st.get("operators") else "")
            for st in top
        )
        lines.append(
            f"- {kind['kind']}: {kind['route_ms']:.0f} ms, {len(kind['statements'])} "
            f"statements; costliest: {parts}"
        )
    if rec.get("choices"):
        lines += [
            "",
            "The lookups the design rests on, each against what it replaced (CPU ms, median "
            "over 50 random customers or 5 words, in-process, no load):",
            "",
        ]
        for c in rec["choices"]:
            (a, a_ms), (b, b_ms) = c["chosen"], c["other"]
            lines.append(f"- {c['what']}: {a} {a_ms:.1f} ms, {b} {b_ms:.1f} ms")
    lines += [
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}; "
        f"Python {m['python']}, duckdb {m['duckdb']}, riskseg {m['riskseg']}.",
        MARK_END,
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--customers", type=_count, default=1_000_000)
    p.add_argument("--clients", type=_count, default=20)
    p.add_argument("--warmup", type=float, default=30.0, help="seconds of unmeasured load")
    p.add_argument("--requests", type=_count, default=2000, help="measured requests in all")
    p.add_argument("--seed", type=int, default=1)
    # measuring a proposed change: serve a patched copy of the package (its src/ folder); the
    # result goes to last-run.json and the screen only, never into the docs
    p.add_argument("--serve-src", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--store", type=Path, default=None, help=argparse.SUPPRESS)  # a copy of it
    p.add_argument("--skip-profile", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        data = ensure_store(args.customers)
        db = args.store or OUT / f"store-{args.customers}.duckdb"
        segments = _add_user(db)
        draw = request_maker(args.customers, segments)
        with serving(db, args.serve_src) as (base, pid):
            print(f"load: {args.clients} clients, {args.warmup:.0f} s warm-up ...", flush=True)
            drive(base, args.clients, args.warmup, 0, draw, args.seed + 1)
            load_before = os.getloadavg()[0]
            print(f"load: {args.requests:,} measured requests ...", flush=True)
            server_cpu, client_cpu = cpu_seconds(pid), time.process_time()
            results, wall = drive(base, args.clients, 0, args.requests, draw, args.seed)
            server_cpu = cpu_seconds(pid) - server_cpu
            client_cpu = time.process_time() - client_cpu
            load_after = os.getloadavg()[0]
            memory = rss(pid)
        profile, choices = [], []
        if not args.skip_profile:
            print("profile: each request kind alone ...", flush=True)
            profile = profile_routes(db, args.customers, segments)
            choices = measure_choices(db, args.customers)
    except (RuntimeError, httpx.HTTPError, OSError) as e:
        print(f"bench-api: FAILED: {e}", file=sys.stderr)
        return 2
    summary = summarize(results, wall)
    default = (
        args.customers == 1_000_000
        and args.clients == 20
        and args.requests >= 2000
        and args.serve_src is None
        and args.store is None
        and not args.skip_profile
    )
    rec = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "command": "python bench/api.py"
        + ("" if default else f" --customers {args.customers} --requests {args.requests}"),
        "machine": machine(),
        "data": data,
        "clients": args.clients,
        "sorts": sort_keys(),
        "serve_src": str(args.serve_src) if args.serve_src else None,
        "store": str(args.store) if args.store else None,
        "warmup_s": args.warmup,
        "requests": len(results),
        "wall_s": wall,
        "summary": summary,
        "server_memory": memory,
        "server_cpu_s": server_cpu,
        "client_cpu_s": client_cpu,
        "load_before": load_before,
        "load_after": load_after,
        "profile": profile,
        "choices": choices,
    }
    name = "last-run.json" if default else "last-run-variant.json"
    (OUT / name).write_text(json.dumps(rec, indent=2, default=str) + "\n")
    section = render(rec)
    print(section)
    if default:
        update_docs(DOCS, section, MARK_BEGIN, MARK_END)
        print(f"wrote {DOCS.relative_to(ROOT)}")
    return 0 if passed(summary) else 1


if __name__ == "__main__":
    sys.exit(main())
